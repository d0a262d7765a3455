"""Undo takes back one's own decision, whatever the file's encoding (defects 4 and 7 of the
fault campaign): a screening.csv saved by Excel with a BOM, two reviewers in two processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from litreview.collect.imports import import_files
from litreview.collect.screening import ScreeningError, decide, read_decisions, undo

SRC = Path(__file__).resolve().parents[1] / "src"
EXPORT = "".join(f"TY  - JOUR\nAU  - Tester, T{i}\nTI  - Made-up fixture record {i} on ginger and tea\n"
                 f"PY  - 2021\nDO  - 10.5555/undo.{i}\nER  - \n\n" for i in range(1, 5))


@pytest.fixture
def imported(review_root: Path) -> Path:
    log = review_root / "data" / "ginger" / "search_log.csv"
    log.write_text(log.read_text() + "S002,G01,Example database,ginger tea,2026-11-21,4,0,\n")
    export = review_root / "export.ris"
    export.write_text(EXPORT, encoding="utf-8")
    import_files("ginger", [export], search_id="S002", progress=False)
    return review_root


def test_defect4_undo_on_a_file_with_a_bom_removes_one_row_and_returns_it(imported, monkeypatch):
    monkeypatch.setenv("LITREVIEW_REVIEWER", "ann")
    path = imported / "data/ginger/screening.csv"
    decide("ginger", "export.ris:1", "include")
    decide("ginger", "export.ris:2", "exclude", "wrong-outcome")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())  # saved again as Excel's "CSV UTF-8"
    gone = undo("ginger")
    assert (gone.record_key, gone.decision, gone.reviewer) == ("export.ris:2", "exclude", "ann")
    assert list(read_decisions("ginger")["record_key"]) == ["viljoen2014systematic", "10.1000/unrelated",
                                                            "export.ris:1"]
    assert path.read_bytes().startswith(b"\xef\xbb\xbfrecord_key,")


SCREEN = [sys.executable, "-m", "litreview.cli", "screen"]


def _as(reviewer: str, root: Path, *argv: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(SRC), "LITREVIEW_ROOT": str(root), "LITREVIEW_REVIEWER": reviewer}
    return subprocess.run([*SCREEN, *argv, "--review", "ginger"], env=env, capture_output=True, text=True,
                          timeout=120)


def test_defect7_undo_in_one_terminal_keeps_the_other_reviewers_decision(imported):
    assert _as("ann", imported, "decide", "export.ris:1", "include").returncode == 0
    assert _as("bob", imported, "decide", "export.ris:2", "exclude", "--reason", "wrong-outcome").returncode == 0
    done = _as("ann", imported, "undo")
    assert done.returncode == 0, done.stderr
    assert "undone: export.ris:1 include at title-abstract (decided by ann)" in done.stdout
    left = read_decisions("ginger")
    assert "export.ris:2" in set(left["record_key"]) and "export.ris:1" not in set(left["record_key"])
    nothing = _as("ann", imported, "undo")
    assert nothing.returncode == 2 and "no decision of yours (ann)" in nothing.stderr
    assert "export.ris:2" in set(read_decisions("ginger")["record_key"])


def test_undo_in_a_notebook_takes_back_this_sessions_decision(imported, monkeypatch):
    """Two notebooks under one login: each kernel undoes what it wrote itself."""
    monkeypatch.setenv("LITREVIEW_REVIEWER", "shared")
    decide("ginger", "export.ris:1", "include")              # this kernel
    assert _as("shared", imported, "decide", "export.ris:2", "include").returncode == 0  # the other
    assert undo("ginger").record_key == "export.ris:1"
    with pytest.raises(ScreeningError, match="no decision on 'export.ris:9'"):
        undo("ginger", "export.ris:9")


# two reviewers at work at once: each process loads everything, waits for the go file, then
# decides and undoes on its own clock, so that the other's decision lands in between
CONCURRENT = """
import sys, time
from pathlib import Path
from litreview.collect.screening import decide, undo, queue
queue("ginger")
go, first, second = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
Path(f"{go}.{first or second}.ready").write_text("ready")
while not go.exists():
    time.sleep(0.01)
start = time.monotonic()
def at(t):
    time.sleep(max(0.0, start + t - time.monotonic()))
if first:
    decide("ginger", first, "include")
    at(1.0)
    print(undo("ginger").record_key)
else:
    at(0.5)
    decide("ginger", second, "exclude", "wrong-outcome")
"""


def test_defect7_two_processes_at_once_each_undo_takes_back_its_own(imported, tmp_path):
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(SRC), "LITREVIEW_ROOT": str(imported)}
    runs = [subprocess.Popen([sys.executable, "-c", CONCURRENT, str(go), *args],
                             env={**env, "LITREVIEW_REVIEWER": who}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
            for who, args in (("ann", ("export.ris:1", "")), ("bob", ("", "export.ris:2")))]
    ready = [Path(f"{go}.export.ris:1.ready"), Path(f"{go}.export.ris:2.ready")]
    deadline = time.monotonic() + 120
    while not all(r.exists() for r in ready) and time.monotonic() < deadline:
        time.sleep(0.05)  # both have loaded the review
    go.write_text("go")
    outs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outs
    assert outs[0][0].strip() == "export.ris:1"
    left = read_decisions("ginger")
    assert "export.ris:2" in set(left["record_key"]) and "export.ris:1" not in set(left["record_key"])


def test_a_file_from_before_the_reviewer_column_gains_it_keeping_its_line_ends(imported, monkeypatch):
    monkeypatch.setenv("LITREVIEW_REVIEWER", "ann")
    path = imported / "data/ginger/screening.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    decide("ginger", "export.ris:1", "include")
    assert path.read_bytes().split(b"\r\n")[:3] == [b"\xef\xbb\xbfrecord_key,search_id,stage,decision,reason,reviewer",
                                                     b"viljoen2014systematic,S001,full-text,include,,",
                                                     b"10.1000/unrelated,S001,title-abstract,exclude,wrong population,"]
    assert path.read_bytes().endswith(b"\r\nexport.ris:1,S002,title-abstract,include,,ann\n")
    assert list(read_decisions("ginger")["reviewer"]) == [None, None, "ann"]
