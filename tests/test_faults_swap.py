"""Nothing lost in the imports folder (defects 3, 5, 6, 11, 18 of the fault campaign): every
window of the folder swap, two imports at once, a damaged table, files kept beside the tables."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from litreview import paths
from litreview.cli import main
from litreview.collect.imports import folder, import_files, load
from litreview.tables.schema import SchemaError

SRC = Path(__file__).resolve().parents[1] / "src"


def ris(prefix: str, n: int) -> str:
    """``n`` distinct made-up records (titles and DOIs of the fixture, never real studies)."""
    return "".join(f"TY  - JOUR\nAU  - Tester, {prefix}{i}\nTI  - {prefix} fixture record number {i} about tea\n"
                   f"T2  - Journal of Tests\nPY  - 2020\nDO  - 10.5555/{prefix}.{i}\nER  - \n\n" for i in range(n))


def folder_state(target: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(target.iterdir())} if target.is_dir() else {}


# --- the swap, window by window (defect 6) ----------------------------------------------------------

@pytest.mark.parametrize("window", [1, 2, 3])
def test_defect6_a_crash_in_any_window_of_the_swap_is_recovered(tmp_path, monkeypatch, window):
    """The k-th rename of the swap fails as a crash would stop it; whatever is left, the next
    reader finds the old folder or the new one whole, and no leftovers."""
    target = tmp_path / "imports"
    target.mkdir()
    (target / "records.csv").write_text("old\n")
    real_rename, calls = Path.rename, []

    def crashing_rename(self, new):
        calls.append(self)
        if len(calls) == window:
            raise KeyboardInterrupt("killed here")
        return real_rename(self, new)

    monkeypatch.setattr(Path, "rename", crashing_rename)
    with pytest.raises(KeyboardInterrupt), paths.staged(target) as tmp:
        (tmp / "records.csv").write_text("new\n")
    monkeypatch.setattr(Path, "rename", real_rename)
    paths.recovered(target)
    assert folder_state(target) in ({"records.csv": b"old\n"}, {"records.csv": b"new\n"})
    assert sorted(p.name for p in tmp_path.iterdir()) == [".imports.lock", "imports"]


def test_defect6_folder_left_swapped_out_is_given_back_to_readers_and_importers(review_root, capsys):
    """The state a crash between the two renames of the old swap left: ``imports/`` missing and
    ``.imports.old`` holding every record. Status sees the records; the next import keeps them."""
    export = review_root / "first.ris"
    export.write_text(ris("a", 3))
    import_files("ginger", [export], search_id="S001", progress=False)
    target = folder("ginger", review_root)
    target.rename(target.with_name(".imports.old"))
    assert main(["screen", "status", "--review", "ginger"]) == 0
    assert "of 3 records" in capsys.readouterr().out
    second = review_root / "second.ris"
    second.write_text(ris("b", 2))
    import_files("ginger", [second], search_id="S001", progress=False)
    assert len(load("ginger", review_root).records) == 5
    assert not target.with_name(".imports.old").exists()


def test_defect18_leftovers_of_killed_writers_are_removed(review_root):
    target = folder("ginger", review_root)
    for name in (".imports.new-k1lled", ".imports.new-x2"):
        (target.parent / name).mkdir()
        (target.parent / name / "records.csv").write_text("half\n")
    reports = paths.reports_dir("ginger", review_root)
    (reports.parent).mkdir(parents=True, exist_ok=True)
    (reports.parent / ".ginger.new-abc").mkdir()
    export = review_root / "first.ris"
    export.write_text(ris("a", 2))
    import_files("ginger", [export], search_id="S001", progress=False)
    assert not [p for p in target.parent.iterdir() if ".new-" in p.name]
    with paths.staged(reports) as tmp:  # what a build does first
        (tmp / "summary.html").write_text("ok")
    assert [p.name for p in reports.parent.iterdir() if not p.name.endswith(".lock")] == ["ginger"]


# --- the imports folder (defects 3, 5, 11) -----------------------------------------------------------

def test_defect5_import_keeps_the_exports_kept_in_the_folder(review_root):
    target = folder("ginger", review_root)
    first = review_root / "first.ris"
    first.write_text(ris("a", 2))
    import_files("ginger", [first], search_id="S001", progress=False)
    (target / "pubmed-2026-11-21.nbib").write_text("PMID- 1\nTI  - kept export\n")
    (target / "notes").mkdir()
    (target / "notes" / "query.txt").write_text("the query as run\n")
    second = review_root / "second.ris"
    second.write_text(ris("b", 2))
    import_files("ginger", [second], search_id="S001", progress=False)
    assert (target / "pubmed-2026-11-21.nbib").read_text() == "PMID- 1\nTI  - kept export\n"
    assert (target / "notes" / "query.txt").read_text() == "the query as run\n"
    assert main(["dedup", "--review", "ginger"]) == 0
    assert (target / "pubmed-2026-11-21.nbib").is_file()


# each import dawdles between reading the library and writing it back, so that the two overlap
IMPORT_SCRIPT = """
import sys, time
from pathlib import Path
import litreview.collect.imports as imports
real = imports.find_duplicates
def slow(*args, **kwargs):
    time.sleep(1.5)
    return real(*args, **kwargs)
imports.find_duplicates = slow
imports.import_files("ginger", [Path(sys.argv[1])], search_id="S001", progress=False)
"""


def test_defect3_two_imports_at_once_both_land(review_root):
    exports = []
    for prefix in ("a", "b"):
        path = review_root / f"{prefix}.ris"
        path.write_text(ris(prefix, 20))
        exports.append(path)
    env = {**os.environ, "PYTHONPATH": str(SRC), "LITREVIEW_ROOT": str(review_root)}
    runs = [subprocess.Popen([sys.executable, "-c", IMPORT_SCRIPT, str(p)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for p in exports]
    for run in runs:
        _, err = run.communicate(timeout=240)
        assert run.returncode == 0, err.decode()
    library = load("ginger", review_root)
    assert sorted(library.manifest["file"]) == ["a.ris", "b.ris"]
    assert len(library.records) == 40


def test_defect11_damaged_records_table_is_named_not_a_traceback(review_root, capsys):
    export = review_root / "first.ris"
    export.write_text(ris("a", 3))
    import_files("ginger", [export], search_id="S001", progress=False)
    records = folder("ginger", review_root) / "records.csv"
    text = records.read_text()
    records.write_text(text[:text.index("fixture record number 1") + 5].replace("Tester, a1", '"Tester, a1'))
    records.write_text(records.read_text() + ',"cut inside a quoted field')
    with pytest.raises(SchemaError, match="data/ginger/imports/records.csv: malformed CSV"):
        load("ginger", review_root)
    for argv in (["check", "--review", "ginger"], ["screen", "status", "--review", "ginger"]):
        assert main(argv) == 1
        assert "data/ginger/imports/records.csv: malformed CSV" in capsys.readouterr().err
    other = review_root / "other.ris"
    other.write_text(ris("b", 1))
    assert main(["import", "--review", "ginger", "--search-id", "S001", str(other)]) == 1
    err = capsys.readouterr().err
    assert "records.csv: malformed CSV" in err and "--skip-bad" not in err


def test_imports_tables_with_a_bom_are_read(review_root):
    export = review_root / "first.ris"
    export.write_text(ris("a", 2))
    import_files("ginger", [export], search_id="S001", progress=False)
    manifest = folder("ginger", review_root) / "manifest.csv"
    manifest.write_bytes(b"\xef\xbb\xbf" + manifest.read_bytes())
    assert list(load("ginger", review_root).manifest["file"]) == ["first.ris"]
