"""Screening imported records: the ranked queue, decisions appended at once under a lock,
undo, both stages, and `litreview screen`."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from litreview.checks import check_review
from litreview.cli import main
from litreview.collect.imports import import_files
from litreview.collect.screening import (
    EXCLUSION_REASONS,
    ScreeningError,
    decide,
    queue,
    read_decisions,
    undo,
    unique_records,
)
from litreview.tables.review import Review

RECORDS = [
    ("Ginger for nausea and vomiting in pregnancy: a randomised trial", "Pregnant women with nausea took ginger."),
    ("Ginger tea and nausea in early pregnancy: a cohort", "Nausea scores fell in women drinking ginger."),
    ("Interest rates and bond markets", "Monetary policy changed the yield curve."),
    ("Wheat yields under drought", "Irrigation and crop yields in dry years."),
    ("Ginger for nausea and vomiting in pregnancy: a randomised trial", "Pregnant women with nausea took ginger."),
]


def ris(records) -> str:
    """RIS blocks; a repeated title gets the author and year of its first appearance (a duplicate)."""
    first = {}
    blocks = []
    for i, (t, a) in enumerate(records):
        n = first.setdefault(t, i)
        blocks.append(f"TY  - JOUR\nAU  - Author{n}, A\nTI  - {t}\nT2  - Journal of Tests\nPY  - 20{10 + n}\n"
                      f"AB  - {a}\nER  - \n\n")
    return "".join(blocks)


@pytest.fixture
def imported(review_root: Path) -> Path:
    """The ginger review with five records imported for search S002 (one a duplicate)."""
    log = review_root / "data" / "ginger" / "search_log.csv"
    log.write_text(log.read_text() + "S002,G01,Example database,ginger nausea,2026-11-21,5,0,\n")
    export = review_root / "export.ris"
    export.write_text(ris(RECORDS), encoding="utf-8")
    import_files("ginger", [export], search_id="S002", progress=False)
    return review_root


def test_the_queue_holds_the_unique_records_ranked_by_the_claims(imported):
    unique = unique_records("ginger")
    assert len(unique) == 4 and "export.ris:5" not in set(unique["record_id"])
    q = queue("ginger")
    pending = list(q.pending()["record_id"])
    assert set(pending) == {"export.ris:1", "export.ris:2", "export.ris:3", "export.ris:4"}
    # the claim G01 is about ginger, nausea, pregnancy: those records come first
    assert set(pending[:2]) == {"export.ris:1", "export.ris:2"}
    assert "0 of 4 records decided" in q.progress()


def test_a_decision_is_appended_at_once_and_leaves_the_queue(imported, monkeypatch):
    monkeypatch.setenv("LITREVIEW_REVIEWER", "ann")
    decide("ginger", "export.ris:1", "include")  # the file written before `reviewer` gains the column
    before = (imported / "data/ginger/screening.csv").read_bytes()
    assert before.splitlines()[:3] == [b"record_key,search_id,stage,decision,reason,reviewer",
                                       b"viljoen2014systematic,S001,full-text,include,,",
                                       b"10.1000/unrelated,S001,title-abstract,exclude,wrong population,"]
    decide("ginger", "export.ris:3", "exclude", "wrong-population")
    after = (imported / "data/ginger/screening.csv").read_bytes()
    assert after.startswith(before)
    assert after[len(before):] == b"export.ris:3,S002,title-abstract,exclude,wrong-population,ann\n"
    q = queue("ginger")
    assert "export.ris:3" not in set(q.pending()["record_id"])
    assert q.decided == {"export.ris:1": "include", "export.ris:3": "exclude"}


def test_the_queue_asks_for_a_progress_bar_from_the_size_where_preparing_takes_a_while(imported, monkeypatch):
    from litreview.collect import screening

    asked = []

    class Recording(screening.Ranker):
        def __init__(self, texts, query="", seed=0, progress=False):
            asked.append((len(texts), progress))
            super().__init__(texts, query, seed)

    monkeypatch.setattr(screening, "Ranker", Recording)
    monkeypatch.setattr(screening, "_rankers", {})
    queue("ginger")
    monkeypatch.setattr(screening, "RANKER_PROGRESS_RECORDS", 4)
    monkeypatch.setattr(screening, "_rankers", {})
    queue("ginger")
    assert asked == [(4, False), (4, True)]


def test_decisions_are_refused_with_nothing_written(imported):
    path = imported / "data/ginger/screening.csv"
    before = path.read_bytes()
    with pytest.raises(ScreeningError, match="an exclusion needs a reason, one of wrong-population"):
        decide("ginger", "export.ris:3", "exclude", "because")
    with pytest.raises(ScreeningError, match="no imported record 'export.ris:5'"):
        decide("ginger", "export.ris:5", "include")   # removed as a duplicate
    with pytest.raises(ScreeningError, match="was not included at title/abstract"):
        decide("ginger", "export.ris:1", "include", stage="full-text")
    decide("ginger", "export.ris:1", "include")
    with pytest.raises(ScreeningError, match="already has a title-abstract decision"):
        decide("ginger", "export.ris:1", "exclude", "other")
    assert path.read_bytes().count(b"export.ris:1") == 1
    assert len(path.read_bytes()) > len(before)


def test_undo_removes_the_last_decision_and_keeps_every_other_byte(imported, monkeypatch):
    monkeypatch.setenv("LITREVIEW_REVIEWER", "ann")
    path = imported / "data/ginger/screening.csv"
    decide("ginger", "export.ris:2", "include")
    undo("ginger")
    original = path.read_bytes()
    decide("ginger", "export.ris:1", "include")
    decide("ginger", "export.ris:3", "exclude", "wrong-intervention")
    gone = undo("ginger")
    assert (gone.record_key, gone.decision, gone.reviewer) == ("export.ris:3", "exclude", "ann")
    assert path.read_bytes() == original + b"export.ris:1,S002,title-abstract,include,,ann\n"
    gone = undo("ginger", "export.ris:1", "title-abstract")
    assert path.read_bytes() == original


def test_full_text_stage_follows_title_abstract_includes(imported):
    decide("ginger", "export.ris:1", "include")
    decide("ginger", "export.ris:2", "include")
    decide("ginger", "export.ris:3", "exclude", "not-a-study")
    full = queue("ginger", "full-text")
    assert set(full.pending()["record_id"]) == {"export.ris:1", "export.ris:2"}
    decide("ginger", "export.ris:2", "exclude", "not-retrieved", stage="full-text")
    assert set(queue("ginger", "full-text").pending()["record_id"]) == {"export.ris:1"}
    rows = read_decisions("ginger")
    assert list(rows[rows["record_key"] == "export.ris:2"]["stage"]) == ["title-abstract", "full-text"]


def test_screening_rows_of_imported_records_pass_the_review_check(imported):
    decide("ginger", "export.ris:1", "include")
    decide("ginger", "export.ris:4", "exclude", "wrong-population")
    assert [str(p) for p in check_review(Review.load("ginger"))] == []


def _writer(args):
    root, keys = args
    import os

    os.environ["LITREVIEW_ROOT"] = root
    for key in keys:
        decide("ginger", key, "exclude", "other")


def test_two_writers_at_once_do_not_corrupt_the_file(review_root):
    many = [(f"Unrelated record number {i}", f"abstract {i}") for i in range(40)]
    log = review_root / "data" / "ginger" / "search_log.csv"
    log.write_text(log.read_text() + "S002,G01,Example database,ginger nausea,2026-11-21,40,0,\n")
    export = review_root / "many.ris"
    export.write_text(ris(many), encoding="utf-8")
    import_files("ginger", [export], search_id="S002", progress=False)
    keys = [f"many.ris:{i}" for i in range(1, 41)]
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(_writer, [(str(review_root), keys[0::2]), (str(review_root), keys[1::2])])
    rows = read_decisions("ginger")
    assert sorted(rows[rows["search_id"] == "S002"]["record_key"]) == sorted(keys)


def test_the_screen_command(imported, capsys):
    assert main(["screen", "next", "--review", "ginger", "--n", "2"]) == 0
    out = capsys.readouterr().out
    assert "title-abstract: 0 of 4 records decided" in out and "export.ris:" in out
    assert "keep screening" in out
    assert main(["screen", "decide", "export.ris:3", "exclude", "--reason", "wrong-outcome",
                 "--review", "ginger"]) == 0
    assert "export.ris:3: exclude at title-abstract (wrong-outcome)" in capsys.readouterr().out
    assert main(["screen", "decide", "export.ris:4", "exclude", "--reason", "nope", "--review", "ginger"]) == 2
    assert "an exclusion needs a reason" in capsys.readouterr().err
    assert main(["screen", "undo", "--review", "ginger"]) == 0
    assert "undone: export.ris:3 exclude at title-abstract" in capsys.readouterr().out
    assert main(["screen", "status", "--review", "ginger"]) == 0
    assert "0 of 4 records decided" in capsys.readouterr().out


def test_the_reasons_are_prisma_words():
    assert "not-retrieved" in EXCLUSION_REASONS and "wrong-population" in EXCLUSION_REASONS


def test_a_session_sees_new_imports_and_decisions_made_elsewhere(imported):
    """The records, decisions and features are kept between clicks, but never past a change
    of the files they were read from."""
    first = queue("ginger")
    assert len(first.records) == 4
    assert queue("ginger").ranker is first.ranker  # the features are fitted once per version
    export = imported / "more.ris"
    export.write_text(ris([("Ginger capsules for motion sickness at sea", "Sailors took ginger.")]), encoding="utf-8")
    import_files("ginger", [export], search_id="S002", progress=False)
    again = queue("ginger")
    assert len(again.records) == 5 and again.ranker is not first.ranker
    # a decision written by another writer (here: a line appended by hand) is seen at once
    path = imported / "data/ginger/screening.csv"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("export.ris:3,S002,title-abstract,exclude,wrong-population\n")
    assert queue("ginger").decided == {"export.ris:3": "exclude"}


def test_row_line_numbers_are_shared_by_copies_of_a_table(imported):
    """pandas deep-copies ``attrs`` on every operation; the line numbers are immutable and shared."""
    decide("ginger", "export.ris:1", "include")
    frame = read_decisions("ginger")
    lines = (imported / "data/ginger/screening.csv").read_text(encoding="utf-8").splitlines()
    assert frame.attrs["lines"][-1] == len(lines) and lines[-1].startswith("export.ris:1,")
    assert frame[frame["decision"] == "include"].attrs["lines"] is frame.attrs["lines"]


def test_appended_rows_are_read_alone_and_give_the_table_a_full_read_gives(imported):
    from litreview.tables.schema import SCREENING, SchemaError, read_table

    path = imported / "data/ginger/screening.csv"
    label = "data/ginger/screening.csv"
    read_decisions("ginger")
    for key in ("export.ris:1", "export.ris:2", "export.ris:3"):
        decide("ginger", key, "exclude", "wrong-outcome")
        grown, whole = read_decisions("ginger"), read_table(path, SCREENING, label)
        assert grown.equals(whole) and list(grown.attrs["lines"]) == list(whole.attrs["lines"])
    # a row changed in place before the old end (same file, longer): read whole again
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("export.ris:1,S002,title-abstract,exclude,wrong-outcome",
                                 "export.ris:1,S002,title-abstract,exclude,wrong-population-and-more"), encoding="utf-8")
    assert "wrong-population-and-more" in set(read_decisions("ginger")["reason"])
    # a bad appended row is reported with its line in the file, as a full read reports it
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("export.ris:4,S002,title-abstract,maybe,,\n")
    lines = path.read_text(encoding="utf-8").count("\n")
    with pytest.raises(SchemaError) as caught:
        read_decisions("ginger")
    assert [str(p) for p in caught.value.problems][0].startswith(f"{label}:{lines}:decision:")


def test_the_queue_shows_the_kept_record_with_what_its_duplicate_carried(review_root):
    # the first record has no DOI or abstract; its duplicate, read second, has both
    log = review_root / "data" / "ginger" / "search_log.csv"
    log.write_text(log.read_text() + "S002,G01,Example database,ginger nausea,2026-11-21,2,0,\n")
    export = review_root / "pair.ris"
    block = "TY  - JOUR\nAU  - Author, A\nTI  - Ginger for nausea in pregnancy\nT2  - Journal of Tests\nPY  - 2010\n"
    export.write_text(block + "ER  - \n\n" + block + "DO  - 10.5555/ginger\nAB  - Women took ginger.\nER  - \n\n",
                      encoding="utf-8")
    import_files("ginger", [export], search_id="S002", progress=False)
    kept = unique_records("ginger").set_index("record_id")
    assert list(kept.index) == ["pair.ris:1"]
    assert kept.loc["pair.ris:1", "doi"] == "10.5555/ginger" and kept.loc["pair.ris:1", "abstract"] == "Women took ginger."
