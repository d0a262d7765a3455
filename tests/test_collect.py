"""`litreview import` / `litreview dedup`: exports stored whole, de-duplicated, reversible,
counted in PRISMA, and nothing written when an export is bad."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from litreview.checks import check_review
from litreview.cli import main
from litreview.collect.imports import ImportRefused, decide, folder, import_files, load
from litreview.collect.prisma import counts_of
from litreview.tables.review import Review

IMPORTS = Path(__file__).parent / "fixtures" / "imports"

TWINS = """TY  - JOUR
AU  - Example, AB
TI  - Walking and tea: a fictional trial
T2  - Journal of Tests
PY  - 2020
VL  - 4
SP  - 10
EP  - 19
DO  - 10.5555/twin.1
ER  - 

TY  - JOUR
AU  - Example, A. B.
TI  - Walking and Tea: A Fictional Trial.
T2  - J Tests
PY  - 2020
VL  - 4
SP  - 10-9
ER  - 

TY  - JOUR
AU  - Other, Z
TI  - A different fictional study of coffee
T2  - Journal of Tests
PY  - 2021
ER  - 
"""


@pytest.fixture
def twins(tmp_path: Path) -> Path:
    path = tmp_path / "exports" / "database-a.ris"
    path.parent.mkdir()
    path.write_text(TWINS, encoding="utf-8", newline="\r\n")
    return path


def log_search(root: Path, hits: int) -> None:
    log = root / "data" / "ginger" / "search_log.csv"
    log.write_text(log.read_text() + f"S002,G01,Example database,walking tea,2026-11-21,{hits},0,\n")


def test_import_stores_every_record_and_logs_each_merge(review_root, twins):
    log_search(review_root, 3)
    summary = import_files("ginger", [twins], search_id="S002", progress=False)
    assert (len(summary.library.records), summary.library.removed) == (3, 1)
    imports = load("ginger")
    assert list(imports.records["record_id"]) == ["database-a.ris:1", "database-a.ris:2", "database-a.ris:3"]
    assert set(imports.records["search_id"]) == {"S002"}
    [merge] = imports.log.to_dict("records")
    assert (merge["record_id"], merge["duplicate_of"]) == ("database-a.ris:2", "database-a.ris:1")
    assert merge["rule"] in ("title-year-author", "fuzzy-title")
    assert list(imports.manifest["records"]) == ["3"]
    review = Review.load("ginger")
    assert check_review(review) == []
    c = counts_of(review)
    assert c.identified == 12 + 3 and c.duplicates == 1
    # S001 (logged by hand) read 2 of its 12 hits; S002's 3 imported records, one removed as a
    # duplicate, await screening: not yet screened is not excluded on title
    assert (c.excluded_on_title, c.not_yet_screened) == (12 - 2, 3 - 1)
    assert c.as_frame().set_index("stage")["count"]["records not yet screened"] == 2


def test_hits_must_match_the_records_imported(review_root, twins):
    log_search(review_root, 5)
    import_files("ginger", [twins], search_id="S002", progress=False)
    [problem] = check_review(Review.load("ginger"))
    assert "search_log.csv:3:hits: expected 3 (the records imported for S002), found 5" in str(problem)


def test_a_reviewer_reverses_a_merge_and_later_imports_keep_it(review_root, twins, tmp_path):
    log_search(review_root, 3)
    import_files("ginger", [twins], search_id="S002", progress=False)
    decide("ginger", "database-a.ris:2", "database-a.ris:1", "keep-apart")
    assert load("ginger").removed == 0
    again = tmp_path / "exports" / "database-b.ris"
    again.write_text(TWINS.replace("twin.1", "twin.2").replace("coffee", "cocoa"), encoding="utf-8")
    import_files("ginger", [again], search_id="S002", progress=False)
    imports = load("ginger")
    pairs = {(r["record_id"], r["duplicate_of"]) for r in imports.log.to_dict("records")}
    assert ("database-a.ris:2", "database-a.ris:1") not in pairs  # the decision holds
    assert list(imports.decisions["decision"]) == ["keep-apart"]


def test_a_bad_export_stops_the_import_and_writes_nothing(review_root, twins, capsys):
    log_search(review_root, 3)
    import_files("ginger", [twins], search_id="S002", progress=False)
    before = {p.name: p.read_bytes() for p in folder("ginger").iterdir()}
    bad = IMPORTS / "bad.ris"
    assert main(["import", str(bad), "--review", "ginger", "--search-id", "S002"]) == 1
    err = capsys.readouterr().err
    assert "bad.ris:" in err and "nothing was imported" in err
    assert {p.name: p.read_bytes() for p in folder("ginger").iterdir()} == before
    assert main(["import", str(bad), "--review", "ginger", "--search-id", "S002", "--skip-bad"]) == 0
    out = capsys.readouterr().out
    assert "skipped bad.ris:" in out
    assert load("ginger").manifest["file"].tolist() == ["database-a.ris", "bad.ris"]


def test_refusals(review_root, twins, tmp_path):
    log_search(review_root, 3)
    with pytest.raises(ImportRefused, match="S999.*log the search first"):
        import_files("ginger", [twins], search_id="S999", progress=False)
    import_files("ginger", [twins], search_id="S002", progress=False)
    with pytest.raises(ImportRefused, match="already imported"):
        import_files("ginger", [twins], search_id="S002", progress=False)
    renamed = tmp_path / "database-a.ris"
    shutil.copy(twins, renamed)
    renamed.write_text(TWINS + "\n", encoding="utf-8")
    with pytest.raises(ImportRefused, match="imported before"):
        import_files("ginger", [renamed], search_id="S002", progress=False)
    with pytest.raises(ImportRefused, match="no imported record"):
        decide("ginger", "database-a.ris:9", "database-a.ris:1", "keep-apart")
