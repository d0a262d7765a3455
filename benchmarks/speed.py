"""Speed, peak memory and accuracy of import + de-duplication on large synthetic libraries.

    python benchmarks/speed.py                   # 10,000, 50,000 and 100,000 records
    python benchmarks/speed.py --quick           # 1,000 and 5,000 records, to try it out
    python benchmarks/speed.py --sizes 20000 --no-asreview

Input. For each size, ``generate(n, seed)`` of benchmarks/dedup_generator.py makes a record
table and its true duplicate groups. The table is written twice into a temporary folder: as
RIS (TY, ID, AU, TI, JO, PY, VL, IS, SP/EP, DO, AN + DB for the PMID, AB, ER) and as BibTeX
(``@article{rN, author = {A and B}, title = {...}, ..., pmid = {...}}``). Record n of either
file is row n of the table; the RIS ``ID`` tag carries n through the comparison tool.

Runs. Every run is a fresh subprocess pinned to at most two cores (``sched_setaffinity``,
with the usual thread-pool variables set to the same count), so its figures are its own:
wall-clock seconds around the subprocess, and peak memory: the larger of the maximum resident
set size the kernel reports for that child (``os.wait4``; the peak of a single process) and
the peak of the summed RSS of the child and its descendants sampled every 20 ms from /proc
(the BibTeX import parses in worker processes beside the main one; shared library pages are
counted once per process there, so that sum errs high). The project's run is this script in
``--worker`` mode: ``importers.read_files([file], progress=False)`` then
``dedup.find_duplicates(records)``, each stage timed inside the child after the libraries
are loaded. Import + dedup is what the targets bound at 100,000 records: RIS < 15 s,
BibTeX < 30 s, peak memory < 1 GB (MB here are 2**20 bytes).

Scoring, as in the README of the labelled de-duplication sets: a record is a true duplicate
when it shares a true group with an earlier record; precision = correctly removed / removed,
recall = correctly removed / true duplicates. The project's log names the record each removed
one was merged into, so a removal counts as correct only when both lie in the same true group
("strict"; a merge joining two groups is a false positive). The comparison tool only tells
which records survive, so it is scored on the kept set: a true group of s records of which k
survive contributes s - max(k, 1) correct removals (a group that lost every record lost a
study, so one of its removals is wrong). The project is scored both ways; the two tools are
compared on the kept-set score, which is never lower than the strict one.

Comparison. asreview-datatools' ``asreview data dedup`` in its default mode (same DOI, or the
same title + abstract once non-alphanumerics are dropped) reads the same RIS file and writes
the surviving records as CSV, which keeps the RIS ``ID`` column: the survivors are matched to
the input rows by that number, exactly. The tool lives in its own environment,
``.cache/benchmarks/asreview-env``, installed from benchmarks/requirements-asreview.txt with
the first Python >= 3.12 found (python3.x on PATH, else the versions pyenv holds) and reused
while the requirements file is unchanged. Without such a Python the project's figures are
printed alone, with a notice. Its time is compared process to process with ours (each starts
an interpreter, loads its libraries, reads the file and de-duplicates).

Figures go to stdout as tables and to reports/benchmarks/speed.json; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

from litreview.tables.bib import page_range

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = Path(__file__).with_name("dedup_generator.py")
ASREVIEW_REQUIREMENTS = Path(__file__).with_name("requirements-asreview.txt")
ASREVIEW_ENV = ROOT / ".cache" / "benchmarks" / "asreview-env"
JSON_OUT = ROOT / "reports" / "benchmarks" / "speed.json"

DEFAULT_SIZES = (10_000, 50_000, 100_000)
QUICK_SIZES = (1_000, 5_000)
CORES = 2
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMEXPR_NUM_THREADS", "RAYON_NUM_THREADS", "POLARS_MAX_THREADS")
TARGET_RECORDS = 100_000
TARGET_SECONDS = {"ris": 15.0, "bib": 30.0}
TARGET_PEAK_MB = 1024.0
MIN_ASREVIEW_PYTHON = (3, 12)
FORMATS = {"ris": "RIS", "bib": "BibTeX"}
MEASURED_SOURCES = (*sorted((ROOT / "src" / "litreview" / "collect" / "importers").glob("*.py")),
                    ROOT / "src" / "litreview" / "collect" / "dedup.py", GENERATOR)
BIB_TO_RIS = {"article": "JOUR", "conference": "CONF", "inproceedings": "CONF", "book": "BOOK",
              "incollection": "CHAP", "phdthesis": "THES", "techreport": "RPRT", "misc": "GEN"}
RIS_TO_BIB = {"JOUR": "article", "CONF": "inproceedings", "BOOK": "book", "CHAP": "incollection",
              "THES": "phdthesis", "RPRT": "techreport", "GEN": "misc"}


def progress(message: str) -> None:
    print(f"[speed] {message}", file=sys.stderr, flush=True)


# --- input files -----------------------------------------------------------------------------

def load_generator() -> ModuleType:
    """benchmarks/dedup_generator.py, imported by path (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location("dedup_generator", GENERATOR)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {GENERATOR}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _authors(authors: str) -> list[str]:
    return [name.strip() for name in authors.split(";") if name.strip()]


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _ris_type(entry_type: str) -> str:
    """RIS type of a BibTeX or RIS type name; ``JOUR`` when unknown."""
    code = entry_type.strip()
    return code.upper() if code.upper() in RIS_TO_BIB else BIB_TO_RIS.get(code.lower(), "JOUR")


def _bib_type(entry_type: str) -> str:
    """BibTeX type of a BibTeX or RIS type name, kept as written when it is a BibTeX one."""
    name = entry_type.strip().lower()
    return name if name in BIB_TO_RIS else RIS_TO_BIB[_ris_type(entry_type)]


def ris_entry(n: int, record: dict[str, str]) -> str:
    """Record n as an RIS block; ``ID`` is n, pages go in SP/EP, the PMID in ``AN`` with
    ``DB  - PubMed`` saying whose accession number it is."""
    first, last = page_range(record["pages"]) if record["pages"] else ("", "")
    tags = [("TY", _ris_type(record["entry_type"])), ("ID", str(n))]
    tags += [("AU", name) for name in _authors(record["authors"])]
    tags += [("TI", record["title"]), ("JO", record["journal"]), ("PY", record["year"]),
             ("VL", record["volume"]), ("IS", record["issue"]), ("SP", first),
             ("EP", last if last != first else ""), ("DO", record["doi"]), ("AN", record["pmid"]),
             ("DB", "PubMed" if record["pmid"].strip() else ""),
             ("AB", record["abstract"])]
    lines = "".join(f"{tag}  - {_one_line(value)}\n" for tag, value in tags if value.strip())
    return lines + "ER  - \n\n"


def _bib_value(value: str) -> str:
    """One line whose braces balance (else the braces are dropped), to sit inside ``{...}``."""
    value, depth = _one_line(value), 0
    for char in value:
        depth += (char == "{") - (char == "}")
        if depth < 0:
            break
    return value if depth == 0 else value.replace("{", "").replace("}", "")


def bib_entry(n: int, record: dict[str, str]) -> str:
    """Record n as a BibTeX entry keyed ``r<n>``, authors joined with ``and``."""
    fields = [("author", " and ".join(_authors(record["authors"]))), ("title", record["title"]),
              ("journal", record["journal"]), ("year", record["year"]), ("volume", record["volume"]),
              ("number", record["issue"]), ("pages", record["pages"]), ("doi", record["doi"]),
              ("pmid", record["pmid"]), ("abstract", record["abstract"])]
    body = ",\n".join(f"  {name} = {{{_bib_value(value)}}}" for name, value in fields if value.strip())
    return f"@{_bib_type(record['entry_type'])}{{r{n},\n{body}\n}}\n\n"


WRITERS = {"ris": ris_entry, "bib": bib_entry}


def write_library(records: pd.DataFrame, path: Path, fmt: str) -> None:
    entry = WRITERS[fmt]
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for n, record in enumerate(records.to_dict("records"), start=1):
            out.write(entry(n, {k: "" if v is None else str(v) for k, v in record.items()}))


# --- scoring ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Score:
    removed: int
    correct: int
    true_duplicates: int

    @property
    def precision(self) -> float:
        return self.correct / self.removed if self.removed else math.nan

    @property
    def recall(self) -> float:
        return self.correct / self.true_duplicates if self.true_duplicates else math.nan

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r > 0 else math.nan

    def as_dict(self) -> dict[str, float | int]:
        return dict(removed=self.removed, correct=self.correct, true_duplicates=self.true_duplicates,
                    precision=self.precision, recall=self.recall, f1=self.f1)


def group_labels(record_ids: list[str], groups: list[list[str]]) -> list[int]:
    """True group of each row: an index into ``groups``, or a label of its own for a record
    in no group."""
    row = {record_id: i for i, record_id in enumerate(record_ids)}
    labels = list(range(len(groups), len(groups) + len(record_ids)))
    for g, members in enumerate(groups):
        for record_id in members:
            labels[row[record_id]] = g
    return labels


def _true_duplicates(labels: list[int]) -> int:
    return len(labels) - len(set(labels))


def score_strict(labels: list[int], removed: list[int], kept: list[int]) -> Score:
    """Removal of row ``removed[i]`` as a duplicate of row ``kept[i]`` is correct when both
    rows lie in the same true group."""
    correct = sum(labels[r] == labels[k] for r, k in zip(removed, kept, strict=True))
    return Score(len(removed), correct, _true_duplicates(labels))


def score_kept(labels: list[int], removed: list[int]) -> Score:
    """Score from the surviving rows alone: a group of s rows with k survivors contributes
    s - max(k, 1) correct removals."""
    size = Counter(labels)
    lost = Counter(labels[r] for r in set(removed))
    correct = sum(n - (1 if n == size[g] else 0) for g, n in lost.items())
    return Score(len(set(removed)), correct, _true_duplicates(labels))


# --- measured subprocesses -------------------------------------------------------------------

@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_process_mb: float  # the kernel's peak RSS of the largest single process in the run
    peak_tree_mb: float  # sampled peak of the summed RSS of the child and its descendants
    returncode: int
    stderr: str

    @property
    def peak_mb(self) -> float:
        return max(self.peak_process_mb, self.peak_tree_mb)


def _cores() -> set[int] | None:
    """The first CORES of the cores this process may use, or None where affinity is unknown."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    return set(sorted(os.sched_getaffinity(0))[:CORES])


def _rss_mb(maxrss: int) -> float:
    """ru_maxrss is in KiB on Linux and in bytes on macOS."""
    return maxrss / 2**20 if sys.platform == "darwin" else maxrss / 2**10


def _tree(pid: int) -> list[int]:
    """``pid`` and its live descendants (Linux ``/proc``; just ``pid`` elsewhere)."""
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    stack.extend(int(child) for child in children.read().split())
        except OSError:  # gone meanwhile, or no /proc
            continue
    return found


def _rss_now_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            line = next((line for line in status if line.startswith("VmRSS:")), "VmRSS: 0 kB")
    except OSError:
        return 0.0
    return int(line.split()[1]) / 2**10


class TreePeak(threading.Thread):
    """Samples the summed RSS of a process and its descendants: the kernel's ru_maxrss is the
    peak of one process only, and the BibTeX import runs worker processes beside the main one.
    Shared library pages count once per process, so the sum errs on the high side."""

    def __init__(self, pid: int, interval: float = 0.02):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak_mb = pid, interval, 0.0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(self.interval):
            self.peak_mb = max(self.peak_mb, sum(_rss_now_mb(p) for p in _tree(self.pid)))

    def stop(self) -> float:
        self._halt.set()
        self.join()
        return self.peak_mb


def run_measured(command: list[str], stdout: Path, cwd: Path | None = None) -> Measured:
    """Run ``command`` (in ``cwd``) on at most CORES cores; its wall-clock seconds and peak memory."""
    cores = _cores()
    env = {**os.environ, **dict.fromkeys(THREAD_VARIABLES, str(CORES))}
    with stdout.open("wb") as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=cwd,
                                 preexec_fn=(lambda: os.sched_setaffinity(0, cores)) if cores else None)
        sampler = TreePeak(child.pid)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)  # usage: this child's, with its reaped children
        seconds = time.perf_counter() - start
        tree_mb = sampler.stop()
        child.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return Measured(seconds, _rss_mb(usage.ru_maxrss), tree_mb, child.returncode, stderr)


def worker(path: Path, out: Path) -> None:
    """The project's pipeline on one file, in this (fresh) process; results to ``out``."""
    from litreview.collect import dedup, importers

    start = time.perf_counter()
    result = importers.read_files([path], progress=False)
    imported = time.perf_counter()
    log = dedup.find_duplicates(result.records)
    done = time.perf_counter()
    row = {record_id: i for i, record_id in enumerate(result.records["record_id"])}
    out.write_text(json.dumps(dict(
        records=len(result.records), skipped=len(result.skipped),
        import_s=imported - start, dedup_s=done - imported,
        removed=[row[r] for r in log["record_id"]], kept=[row[k] for k in log["duplicate_of"]],
        rules=dict(Counter(log["rule"]))), ensure_ascii=False))


def run_litreview(library: Path, n: int, labels: list[int], tmp: Path) -> dict[str, Any]:
    result_path = tmp / f"{library.name}.result.json"
    run = run_measured([sys.executable, str(Path(__file__).resolve()), "--worker", str(library),
                        str(result_path)], tmp / "worker.out")
    if run.returncode != 0:
        raise SystemExit(f"the project's pipeline failed on {library.name}:\n{run.stderr[-3000:]}")
    result = json.loads(result_path.read_text(encoding="utf-8"))
    if result["records"] != n or result["skipped"]:
        raise SystemExit(f"{library.name}: the importer returned {result['records']} records "
                         f"({result['skipped']} skipped) of {n} written; rows no longer match the truth")
    total = result["import_s"] + result["dedup_s"]
    return dict(records=n, import_s=result["import_s"], dedup_s=result["dedup_s"], total_s=total,
                process_s=run.seconds, records_per_s=n / total, peak_mb=run.peak_mb,
                peak_process_mb=run.peak_process_mb, peak_tree_mb=run.peak_tree_mb,
                rules=result["rules"],
                strict=score_strict(labels, result["removed"], result["kept"]).as_dict(),
                kept_set=score_kept(labels, result["removed"]).as_dict())


# --- the comparison tool ---------------------------------------------------------------------

def _python_version(python: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:  # e.g. a pyenv shim for a version that is not selected
        return None
    major, minor = out.stdout.split()
    return int(major), int(minor)


def _pyenv_pythons() -> list[str]:
    """pyenv's installed CPython versions, newest first."""
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        return []
    out = subprocess.run([pyenv, "root"], capture_output=True, text=True)
    if out.returncode != 0:
        return []
    found = []
    for python in (Path(out.stdout.strip()) / "versions").glob("*/bin/python3"):
        version = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", python.parents[1].name)
        if version:
            found.append((tuple(int(v) for v in version.groups()), str(python)))
    return [python for _, python in sorted(found, reverse=True)]


def find_python(minimum: tuple[int, int] = MIN_ASREVIEW_PYTHON) -> str | None:
    """The first Python >= ``minimum``: python3.14/3.13/3.12/python3 on PATH, then pyenv's."""
    on_path = [shutil.which(name) for name in ("python3.14", "python3.13", "python3.12", "python3")]
    for python in [p for p in on_path if p] + _pyenv_pythons():
        version = _python_version(python)
        if version and version >= minimum:
            return python
    return None


def asreview_env() -> tuple[Path | None, str]:
    """The ``asreview`` command of the benchmark's own environment, building it when absent or
    when the requirements changed; else None and the reason."""
    wanted = ASREVIEW_REQUIREMENTS.read_text(encoding="utf-8")
    stamp, command = ASREVIEW_ENV / "installed-requirements.txt", ASREVIEW_ENV / "bin" / "asreview"
    if command.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return command, "reused"
    python = find_python()
    if python is None:
        return None, ("no Python >= {}.{} found (python3.x on PATH or under `pyenv root`): asreview-datatools "
                      "was not run").format(*MIN_ASREVIEW_PYTHON)
    progress(f"building the comparison environment with {python} in {ASREVIEW_ENV.relative_to(ROOT)}")
    shutil.rmtree(ASREVIEW_ENV, ignore_errors=True)
    steps = ([python, "-m", "venv", str(ASREVIEW_ENV)],
             [str(ASREVIEW_ENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "-r",
              str(ASREVIEW_REQUIREMENTS)])
    for step in steps:
        out = subprocess.run(step, capture_output=True, text=True)
        if out.returncode != 0:
            return None, (f"could not build the comparison environment ({' '.join(step[:4])} ...):\n"
                          f"{out.stderr[-2000:]}")
    stamp.write_text(wanted, encoding="utf-8")
    return command, f"built with {python}"


def asreview_versions(command: Path) -> dict[str, str]:
    python = command.with_name("python")
    code = ("from importlib.metadata import version; import sys; "
            "print(version('asreview'), version('asreview-datatools'), sys.version.split()[0])")
    asreview, datatools, py = subprocess.run([str(python), "-c", code], capture_output=True, text=True,
                                             check=True).stdout.split()
    return {"asreview": asreview, "asreview-datatools": datatools, "python": py}


def run_asreview(command: Path, library: Path, n: int, labels: list[int], tmp: Path) -> dict[str, Any]:
    """``asreview data dedup`` on the RIS file; survivors read back by their ``ID`` (row number)."""
    output = tmp / f"{library.stem}.asreview.csv"
    run = run_measured([str(command), "data", "dedup", str(library), "-o", str(output)],
                       tmp / "asreview.out", cwd=tmp)  # it leaves a cache file in its working folder
    if run.returncode != 0:
        return dict(records=n, error=run.stderr[-2000:])
    kept_ids = pd.read_csv(output, usecols=["id"], dtype=str)["id"].str.strip()
    rows = kept_ids.astype(int) - 1
    if not rows.is_unique or not rows.between(0, n - 1).all():
        raise SystemExit(f"asreview's output {output.name}: IDs are not the input's row numbers")
    survivors = set(rows)
    removed = [i for i in range(n) if i not in survivors]
    return dict(records=n, seconds=run.seconds, peak_mb=run.peak_mb, peak_process_mb=run.peak_process_mb,
                peak_tree_mb=run.peak_tree_mb, kept_set=score_kept(labels, removed).as_dict())


# --- report ----------------------------------------------------------------------------------

def _num(value: float, digits: int = 3) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def targets(litreview: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The speed and memory targets, checked on the runs at TARGET_RECORDS."""
    rows = []
    for run in (r for r in litreview if r["records"] == TARGET_RECORDS):
        fmt, limit = run["format"], TARGET_SECONDS[run["format"]]
        share = run["dedup_s"] / run["total_s"]
        rows.append(dict(target=f"{FORMATS[fmt]} import + dedup of {TARGET_RECORDS:,} records < {limit:g} s",
                         limit=limit, value=run["total_s"], unit="s", passed=run["total_s"] < limit,
                         note=f"import {run['import_s']:.1f} s, dedup {run['dedup_s']:.1f} s "
                              f"({share:.0%} of the total)"))
        rows.append(dict(target=f"{FORMATS[fmt]} peak memory, {TARGET_RECORDS:,} records < 1 GB",
                         limit=TARGET_PEAK_MB, value=run["peak_mb"], unit="MB",
                         passed=run["peak_mb"] < TARGET_PEAK_MB, note=f"limit {TARGET_PEAK_MB:.0f} MB"))
    return rows


def print_report(litreview: list[dict[str, Any]], asreview: dict[str, Any], checked: list[dict[str, Any]]) -> None:
    print(f"litreview import + dedup (fresh process per run, {CORES} cores at most)")
    header = (f"{'format':<7} {'records':>8} {'import s':>9} {'dedup s':>8} {'total s':>8} {'process s':>9} "
              f"{'records/s':>10} {'peak MB':>8} {'removed':>8} {'true dup':>8} {'precision':>9} "
              f"{'recall':>7} {'F1':>6}")
    print(header)
    for run in litreview:
        s = run["strict"]
        print(f"{FORMATS[run['format']]:<7} {run['records']:>8,} {run['import_s']:>9.2f} {run['dedup_s']:>8.2f} "
              f"{run['total_s']:>8.2f} {run['process_s']:>9.2f} {run['records_per_s']:>10,.0f} "
              f"{run['peak_mb']:>8.0f} {s['removed']:>8,} {s['true_duplicates']:>8,} {_num(s['precision']):>9} "
              f"{_num(s['recall']):>7} {_num(s['f1']):>6}")
    print("(precision/recall/F1 strict: a removal is correct when the record it was merged into is in its "
          "true group)\n")

    print("targets")
    if not checked:
        print(f"  not measured: the targets are set at {TARGET_RECORDS:,} records, which this run did not include")
    for row in checked:
        verdict = "PASS" if row["passed"] else "FAIL"
        over = "" if row["passed"] else f", {row['value'] - row['limit']:.1f} {row['unit']} over"
        print(f"  {verdict}  {row['target']}: {row['value']:.1f} {row['unit']} ({row['note']}{over})")
    print()

    print("comparison on the same RIS files: asreview-datatools `asreview data dedup` (default mode)")
    if "notice" in asreview:
        print(f"  NOTICE: {asreview['notice']}")
        return
    v = asreview["versions"]
    print(f"  asreview {v['asreview']}, asreview-datatools {v['asreview-datatools']}, Python {v['python']}")
    print(f"{'records':>8} {'asreview s':>10} {'ours s':>7} {'ratio':>6} {'peak MB':>8} {'removed':>8} "
          f"{'precision':>9} {'recall':>7} {'F1':>6} {'our F1':>7}")
    ours = {r["records"]: r for r in litreview if r["format"] == "ris"}
    for run in asreview["runs"]:
        mine = ours[run["records"]]
        if "error" in run:
            print(f"{run['records']:>8,}  failed: {run['error'].strip().splitlines()[-1:]}")
            continue
        k = run["kept_set"]
        print(f"{run['records']:>8,} {run['seconds']:>10.2f} {mine['process_s']:>7.2f} "
              f"{run['seconds'] / mine['process_s']:>6.2f} {run['peak_mb']:>8.0f} {k['removed']:>8,} "
              f"{_num(k['precision']):>9} {_num(k['recall']):>7} {_num(k['f1']):>6} "
              f"{_num(mine['kept_set']['f1']):>7}")
    print("(seconds: wall clock of each tool's whole process; ratio = asreview / ours; both scored on the "
          "kept set, since asreview reports survivors only)")


def print_adversarial(run: dict[str, Any] | None, litreview: list[dict[str, Any]]) -> None:
    """The small-vocabulary library beside the ordinary RIS runs: seconds of de-duplication per
    1,000 records."""
    if run is None:
        return
    print(f"\nadversarial input: {run['records']:,} distinct RIS records from a {len(SMALL_VOCABULARY)}-word "
          "title vocabulary, 5 authors, 2 years, 3 volumes, 5 pages (every blocking key shared by thousands)")
    for label, r in [("small vocabulary", run), *(("ordinary", r) for r in litreview if r["format"] == "ris")]:
        print(f"  {label:<16} {r['records']:>8,} records: import {r['import_s']:.2f} s, dedup {r['dedup_s']:.2f} s, "
              f"{1000 * r['dedup_s'] / r['records']:.3f} s of dedup per 1,000 records, peak {r['peak_mb']:.0f} MB, "
              f"{r['strict']['removed']:,} removed")
    print("  (the small-vocabulary records are all distinct: every removal there is a false merge of near-identical "
          "titles)")


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


# --- main ------------------------------------------------------------------------------------

def source_digests() -> dict[str, str]:
    """SHA-256 (first 12 hex digits) of the measured code, so that figures name what they measured."""
    return {str(path.relative_to(ROOT)): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            for path in MEASURED_SOURCES}


def _sizes(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


# The adversarial library: every title drawn from a vocabulary this small, with a handful of
# authors, years, volumes and pages, so that every blocking key is shared by thousands of
# records. No two records are copies of one another (each is its own true group).
SMALL_VOCABULARY = ("calf", "massage", "pain", "trial", "effect", "runners", "muscle", "therapy", "study",
                    "recovery", "randomised", "outcomes")
ADVERSARIAL_RECORDS = 50_000


def small_vocabulary(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` distinct records whose fields come from tiny vocabularies (see SMALL_VOCABULARY)."""
    rng = np.random.default_rng(seed)
    seen: set[str] = set()
    rows = []
    while len(rows) < n:
        title = " ".join(rng.choice(SMALL_VOCABULARY, size=int(rng.integers(6, 11))))
        if title in seen:
            continue
        seen.add(title)
        rows.append(dict(record_id=f"adv:{len(rows) + 1}", entry_type="article",
                         authors=f"{rng.choice(['Smith', 'Jones', 'Brown', 'Lee', 'Wang'])}, A",
                         title=title.capitalize(), journal="Journal of Examples", year=str(rng.choice([2020, 2021])),
                         volume=str(rng.integers(1, 4)), issue="1", pages=str(rng.integers(1, 6)), doi="", pmid="",
                         abstract=""))
    return pd.DataFrame(rows)


def adversarial(n: int, seed: int) -> dict[str, Any]:
    """Import + de-duplication of ``n`` small-vocabulary records (RIS), the project's pipeline."""
    records = small_vocabulary(n, seed)
    labels = list(range(n))
    with tempfile.TemporaryDirectory(prefix="litreview-adversarial-") as folder:
        tmp = Path(folder)
        library = tmp / f"small-vocabulary-{n}.ris"
        write_library(records, library, "ris")
        progress(f"litreview: import + dedup of {library.name} (small vocabulary)")
        return dict(format="ris", **run_litreview(library, n, labels, tmp))


def benchmark(sizes: list[int], seed: int, with_asreview: bool) -> dict[str, Any]:
    generate = load_generator().generate
    command, status = asreview_env() if with_asreview else (None, "not requested (--no-asreview)")
    asreview: dict[str, Any] = {"runs": [], "versions": asreview_versions(command), "env": status} \
        if command else {"notice": status}
    litreview = []
    with tempfile.TemporaryDirectory(prefix="litreview-speed-") as folder:
        tmp = Path(folder)
        for n in sizes:
            progress(f"generating {n:,} records (seed {seed})")
            records, groups = generate(n, seed)
            labels = group_labels(list(records["record_id"]), groups)
            for fmt in FORMATS:
                library = tmp / f"synthetic-{n}.{fmt}"
                progress(f"writing {library.name}")
                write_library(records, library, fmt)
                progress(f"litreview: import + dedup of {library.name}")
                litreview.append(dict(format=fmt, **run_litreview(library, n, labels, tmp)))
                if fmt == "ris" and command:
                    progress(f"asreview data dedup {library.name}")
                    asreview["runs"].append(run_asreview(command, library, n, labels, tmp))
    return dict(litreview=litreview, asreview=asreview)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=_sizes, default=list(DEFAULT_SIZES),
                    help="comma-separated record counts (default: 10000,50000,100000)")
    ap.add_argument("--quick", action="store_true", help=f"sizes {','.join(map(str, QUICK_SIZES))}, to try it out")
    ap.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    ap.add_argument("--no-asreview", action="store_true", help="skip the comparison with asreview-datatools")
    ap.add_argument("--adversarial", type=int, default=ADVERSARIAL_RECORDS,
                    help=f"records of the small-vocabulary library (default {ADVERSARIAL_RECORDS:,}; 0: skip)")
    ap.add_argument("--json", type=Path, default=JSON_OUT, help="where to write the figures as JSON")
    ap.add_argument("--worker", nargs=2, type=Path, metavar=("LIBRARY", "RESULT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    sizes = list(QUICK_SIZES) if args.quick else args.sizes
    load_before, sources = os.getloadavg()[0], source_digests()
    figures = benchmark(sizes, args.seed, not args.no_asreview)
    figures["adversarial"] = adversarial(args.adversarial, args.seed) if args.adversarial else None
    load = dict(before=load_before, after=os.getloadavg()[0])
    checked = targets(figures["litreview"])
    print(f"machine: {os.cpu_count()} cores, 1-minute load average {load['before']:.1f} before and "
          f"{load['after']:.1f} after (other work on the machine slows every figure)")
    print("measured code: " + ", ".join(f"{path} {digest}" for path, digest in sources.items()))
    if source_digests() != sources:
        print("NOTICE: the measured code changed during the run; its figures mix versions")
    print()
    print_report(figures["litreview"], figures["asreview"], checked)
    print_adversarial(figures["adversarial"], figures["litreview"])
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(_json_safe(dict(
        measured=datetime.now(UTC).isoformat(timespec="seconds"), sizes=sizes, seed=args.seed,
        cores=sorted(_cores() or []), cpu_count=os.cpu_count(), load_average=load, sources=sources,
        platform=platform.platform(),
        python=platform.python_version(), targets=checked, **figures)), indent=2) + "\n", encoding="utf-8")
    progress(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
