"""How early the screening ranking finds the relevant records, beside ASReview LAB's default.

    python benchmarks/screening.py                      # the sets in ../shared/benchmarks/screening/
    python benchmarks/screening.py --questions FILE     # one question per set (file,question)
    python benchmarks/screening.py --sets DIR --seeds 3 --no-asreview

Input. Every ``*.csv`` in the sets folder with the columns of the labelled screening sets
(``title``, ``abstract``, ``label_included``; see that folder's README). A record's text is its
title and abstract (:func:`litreview.collect.ranking.record_text`). The questions file
(``--questions``; by default ``questions.csv`` in the sets folder, when there is one) gives
each set's review question, the text a workbook review knows from its claims and PICO before
the first record is read; it is never a set itself.

Runs, per set (the ranking, :class:`litreview.collect.ranking.Ranker`, refit after every
decision, picks the next record, whose true label is revealed, until the measures are known):
- ``ours``: seed s = 1..N, one relevant and one irrelevant prior record drawn with
  ``numpy.random.default_rng(s)`` and labelled first, no question;
- ``ours + question``: the same priors, and the set's question;
- ``question only``: no prior record at all, only the question, as a workbook review really
  begins (nothing is drawn, so one run, seed 1);
- ``ASReview``: the same priors given to ASReview LAB's ``asreview simulate``
  (``--prior-idx``, its default model, ``--seed s``), which runs to its own end (the last
  relevant record); its labelling order is read back from the project file it writes, and kept
  under ``.cache/`` (the run is deterministic for its inputs).

Measures, computed here in the same way for every order (the priors count as screened):
- WSS@95 = (records not yet screened when ceil(0.95 R) of the R relevant records are found) / N
  - 0.05;
- recall@10% = relevant records among the first ceil(0.1 N) screened / R;
- first relevant = records screened, after the priors, until the ranking shows the first
  relevant one (that one counted).
Each is the mean over the seeds; the last row is the mean over the sets.

Speed: per decision (refit plus re-rank of every unread record) at 10,000 records: the sets'
records together, repeated to 10,000, with their true labels, and their questions together as
the question; the median and maximum of 20 successive decisions, in wall-clock time and in
the process's CPU time (which other work on the machine does not inflate), after 100, 1,000,
2,500 and 5,000 decisions; and the widget's whole click (:func:`click_latency`) at the same
points. The process is pinned to two cores, with the thread-pool variables set to two.

ASReview LAB lives in its own environment, ``.cache/benchmarks/asreview-lab-env``, installed
from benchmarks/requirements-asreview-lab.txt with the first Python >= 3.12 found (as
benchmarks/speed.py does for asreview-datatools); without one, our figures are printed alone.
Figures go to stdout and to reports/benchmarks/screening.json; progress to stderr.
"""

from __future__ import annotations

import os

CORES = 2
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, str(CORES))

import argparse  # noqa: E402
import functools  # noqa: E402
import hashlib  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import zipfile  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from litreview.collect import ranking  # noqa: E402
from litreview.collect.ranking import Ranker, record_text  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SETS = ROOT.parent / "shared" / "benchmarks" / "screening"
REQUIREMENTS = Path(__file__).with_name("requirements-asreview-lab.txt")
ENV = ROOT / ".cache" / "benchmarks" / "asreview-lab-env"
ORDERS = ROOT / ".cache" / "benchmarks" / "asreview-lab-orders"
JSON_OUT = ROOT / "reports" / "benchmarks" / "screening.json"
RECALL = 0.95
SHARE = 0.10
SPEED_RECORDS = 10_000
SPEED_AFTER = (100, 1_000, 2_500, 5_000)
SPEED_STEPS = 20
TARGET_MS = 100.0


def progress(message: str) -> None:
    print(f"[screening] {message}", file=sys.stderr, flush=True)


def _speed_module():
    """benchmarks/speed.py, for its Python finder and 2-core measured runs."""
    spec = importlib.util.spec_from_file_location("speed", Path(__file__).with_name("speed.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules["speed"] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


# --- sets and measures ----------------------------------------------------------------------

def load_questions(path: Path | None) -> dict[str, str]:
    """``{set file name: question}`` from a CSV with the columns ``file`` and ``question``."""
    if path is None:
        return {}
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in ("file", "question") if c not in frame.columns]
    if missing:
        raise SystemExit(f"{path}: missing column(s) {', '.join(missing)}")
    return dict(zip(frame["file"], frame["question"]))


def load_set(path: Path) -> tuple[list[str], np.ndarray]:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in ("title", "abstract", "label_included") if c not in frame.columns]
    if missing:
        raise SystemExit(f"{path}: missing column(s) {', '.join(missing)}")
    texts = [record_text(t, a) for t, a in zip(frame["title"], frame["abstract"])]
    return texts, frame["label_included"].astype(int).to_numpy()


def priors(labels: np.ndarray, seed: int) -> list[int]:
    rng = np.random.default_rng(seed)
    return [int(rng.choice(np.flatnonzero(labels == 1))), int(rng.choice(np.flatnonzero(labels == 0)))]


def measures(order: list[int], labels: np.ndarray, skip: int = 2) -> dict[str, float]:
    """WSS@95, recall@10% and the records read until the first relevant one of a screening
    order (row numbers, the ``skip`` prior records first)."""
    n, relevant = len(labels), int(labels.sum())
    found = np.cumsum(labels[np.asarray(order)])
    reached = np.flatnonzero(found >= math.ceil(RECALL * relevant))
    if not len(reached):
        raise ValueError("the order ends before 95% of the relevant records are found")
    screened_at_95 = int(reached[0]) + 1
    first = math.ceil(SHARE * n)
    if len(order) < first:
        raise ValueError("the order ends before 10% of the records are screened")
    after_priors = labels[np.asarray(order[skip:])]
    first_relevant = int(np.argmax(after_priors)) + 1 if after_priors.any() else math.nan
    return dict(wss95=(n - screened_at_95) / n - (1 - RECALL), recall10=int(found[first - 1]) / relevant,
                first=first_relevant)


def simulate_ours(ranker: Ranker, labels: np.ndarray, prior: list[int]) -> tuple[list[int], float]:
    """Our screening order until the measures are known, and the mean ms per decision."""
    n, relevant = len(labels), int(labels.sum())
    known = {i: int(labels[i]) for i in prior}
    order, found = list(prior), int(labels[prior].sum())
    need, first = math.ceil(RECALL * relevant), math.ceil(SHARE * n)
    spent, steps = 0.0, 0
    while len(order) < n and (found < need or len(order) < first or found == int(labels[prior].sum())):
        start = time.perf_counter()
        nxt = int(ranker.order(known)[0])
        spent += time.perf_counter() - start
        steps += 1
        known[nxt] = int(labels[nxt])
        order.append(nxt)
        found += known[nxt]
    return order, 1000 * spent / max(steps, 1)


# --- ASReview LAB ---------------------------------------------------------------------------

def asreview_env(speed) -> tuple[Path | None, str]:
    wanted = REQUIREMENTS.read_text(encoding="utf-8")
    stamp, command = ENV / "installed-requirements.txt", ENV / "bin" / "asreview"
    if command.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return command, "reused"
    python = speed.find_python()
    if python is None:
        return None, "no Python >= 3.12 found (python3.x on PATH or under `pyenv root`): ASReview LAB was not run"
    progress(f"building the comparison environment with {python} in {ENV.relative_to(ROOT)}")
    shutil.rmtree(ENV, ignore_errors=True)
    for step in ([python, "-m", "venv", str(ENV)],
                 [str(ENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "-r", str(REQUIREMENTS)]):
        out = subprocess.run(step, capture_output=True, text=True)
        if out.returncode != 0:
            return None, f"could not build the comparison environment ({' '.join(step[:4])} ...):\n{out.stderr[-2000:]}"
    stamp.write_text(wanted, encoding="utf-8")
    return command, f"built with {python}"


@functools.cache
def asreview_version(command: Path) -> dict[str, str]:
    code = "from importlib.metadata import version; import sys; print(version('asreview'), sys.version.split()[0])"
    asreview, python = subprocess.run([str(command.with_name("python")), "-c", code], capture_output=True,
                                      text=True, check=True).stdout.split()
    return {"asreview": asreview, "python": python}


def simulate_asreview(speed, command: Path, path: Path, prior: list[int], seed: int,
                      tmp: Path) -> tuple[list[int] | None, float, str]:
    """ASReview's labelling order (row numbers), the run's seconds, and an error message. An
    order is kept in ``ORDERS`` under the set's SHA-256, the ASReview version, the priors and
    the seed (the run is deterministic for them), and read from there when asked again."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    version = asreview_version(command)["asreview"]
    kept = ORDERS / f"{path.stem}-{digest}-asreview{version}-seed{seed}-prior{'-'.join(map(str, prior))}.json"
    if kept.exists():
        stored = json.loads(kept.read_text(encoding="utf-8"))
        return stored["order"], stored["seconds"], ""
    order, seconds, error = _run_asreview(speed, command, path, prior, seed, tmp)
    if order is not None:
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_text(json.dumps(dict(order=order, seconds=seconds)), encoding="utf-8")
    return order, seconds, error


def _run_asreview(speed, command: Path, path: Path, prior: list[int], seed: int,
                  tmp: Path) -> tuple[list[int] | None, float, str]:
    project = tmp / f"{path.stem}-{seed}.asreview"
    run = speed.run_measured([str(command), "simulate", str(path), "--prior-idx", *map(str, prior),
                              "--seed", str(seed), "-o", str(project)], tmp / "asreview.out", cwd=tmp)
    if run.returncode != 0:
        return None, run.seconds, run.stderr[-2000:]
    with zipfile.ZipFile(project) as archive:
        archive.extract("results.db", tmp)
    with sqlite3.connect(tmp / "results.db") as db:
        rows = db.execute("SELECT record.dataset_row FROM results JOIN record "
                          "ON results.record_id = record.record_id ORDER BY results.rowid").fetchall()
    (tmp / "results.db").unlink()
    project.unlink()
    return [int(r[0]) for r in rows], run.seconds, ""


# --- speed at 10,000 records ----------------------------------------------------------------

def speed_per_decision(sets: list[tuple[list[str], np.ndarray]], question: str = "") -> dict[str, Any]:
    texts = [t for s in sets for t in s[0]]
    labels = np.concatenate([s[1] for s in sets])
    repeat = math.ceil(SPEED_RECORDS / len(texts))
    texts, labels = (texts * repeat)[:SPEED_RECORDS], np.tile(labels, repeat)[:SPEED_RECORDS]
    start = time.perf_counter()
    ranker = Ranker(texts, question)
    features_s = time.perf_counter() - start
    rng = np.random.default_rng(0)
    visit = list(rng.permutation(len(texts)))
    positives = [i for i in visit if labels[i] == 1][:1]
    rows = []
    for after in SPEED_AFTER:
        chosen = positives + [i for i in visit if i not in positives][:after - 1]
        known = {int(i): int(labels[i]) for i in chosen}
        times = []
        cpu = []
        for _ in range(SPEED_STEPS):
            t, c = time.perf_counter(), time.process_time()
            nxt = int(ranker.order(known)[0])
            times.append(1000 * (time.perf_counter() - t))
            cpu.append(1000 * (time.process_time() - c))
            known[nxt] = int(labels[nxt])
        rows.append(dict(decisions=after, median_ms=statistics.median(times), max_ms=max(times),
                         cpu_median_ms=statistics.median(cpu), cpu_max_ms=max(cpu)))
    return dict(records=len(texts), features=int(ranker.features.shape[1]), features_s=features_s, runs=rows,
                load_average=os.getloadavg()[0])


def click_latency(sets: list[tuple[list[str], np.ndarray]]) -> dict[str, Any]:
    """What a reviewer waits for per click in notebook 03's widget at 10,000 records: the
    decision written to screening.csv, the queue read again and re-ranked (model refit), the
    next record and the stopping rule shown. A scratch review gets the records as imported
    (``imports/records.csv``) and, for each point, that many decisions already made."""
    from litreview.claims.scaffold import new_review
    from litreview.workbook.screening_widget import ScreeningWidget

    texts = [t for s in sets for t in s[0]]
    labels = np.concatenate([s[1] for s in sets])
    repeat = math.ceil(SPEED_RECORDS / len(texts))
    texts, labels = (texts * repeat)[:SPEED_RECORDS], np.tile(labels, repeat)[:SPEED_RECORDS]
    rows = []
    with tempfile.TemporaryDirectory(prefix="litreview-click-") as folder:
        root = Path(folder)
        (root / "pyproject.toml").write_text("[project]\nname='scratch'\n")
        article = root / "article.txt"
        article.write_text("A scratch article for the screening speed measure.\n", encoding="utf-8")
        new_review("speed", article, title="speed", root=root)
        data = root / "data" / "speed"
        with open(data / "search_log.csv", "a", encoding="utf-8") as log:
            log.write(f"S001,A01,scratch,scratch,2026-01-01,{len(texts)},0,\n")
        imports = data / "imports"
        imports.mkdir()
        # copies of a set's record are told apart by their id; the text is what the model reads
        pd.DataFrame(dict(record_id=[f"set.ris:{i + 1}" for i in range(len(texts))], source_file="set.ris",
                          source_line=1, search_id="S001", entry_type="article", authors="", title=texts,
                          journal="", year="", volume="", issue="", pages="", doi="", pmid="",
                          abstract="")).to_csv(imports / "records.csv", index=False)
        rng = np.random.default_rng(0)
        visit = [int(i) for i in rng.permutation(len(texts))]
        first_positive = next(i for i in visit if labels[i] == 1)
        visit.remove(first_positive)
        visit.insert(0, first_positive)
        for after in SPEED_AFTER:
            with open(data / "screening.csv", "w", encoding="utf-8") as out:
                out.write("record_key,search_id,stage,decision,reason,reviewer\n")
                for i in visit[:after]:
                    out.write(f"set.ris:{i + 1},S001,title-abstract,"
                              + ("include,,bench\n" if labels[i] else "exclude,other,bench\n"))
            start = time.perf_counter()
            widget = ScreeningWidget("speed", root=root)
            opened = time.perf_counter() - start
            times = []
            for _ in range(SPEED_STEPS):
                shown = int(widget.record["record_id"].split(":")[1]) - 1
                t = time.perf_counter()
                if labels[shown]:
                    widget._decide("include")
                else:
                    widget._decide("exclude", "other")
                times.append(1000 * (time.perf_counter() - t))
            rows.append(dict(decisions=after, open_s=opened, median_ms=statistics.median(times), max_ms=max(times)))
    return dict(records=len(texts), runs=rows)


# --- main -----------------------------------------------------------------------------------

CONDITIONS = (("ours", "ours"), ("question", "ours + question"), ("question_only", "question only"),
              ("asreview", "ASReview"))
MEASURES = (("wss95", "WSS@95", ".3f"), ("recall10", "recall@10%", ".3f"), ("first", "first relevant", ".1f"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", type=Path, default=DEFAULT_SETS, help="folder of labelled sets (*.csv)")
    ap.add_argument("--questions", type=Path, default=None,
                    help="CSV of file,question: one review question per set (default: questions.csv in --sets)")
    ap.add_argument("--seeds", type=int, default=5, help="seeds 1..N (default 5; 0: only the speed measure)")
    ap.add_argument("--no-asreview", action="store_true", help="skip the comparison with ASReview LAB")
    ap.add_argument("--no-speed", action="store_true", help="skip the ms-per-decision measure")
    ap.add_argument("--query-term-scale", type=float, default=None,
                    help=f"try another QUERY_TERM_SCALE (default {ranking.QUERY_TERM_SCALE:g}; 1: the question "
                         "as a relevant document only)")
    ap.add_argument("--svm-tol", type=float, default=None, help=f"try another SVM_TOL (default {ranking.SVM_TOL:g})")
    ap.add_argument("--json", type=Path, default=JSON_OUT, help="where to write the figures as JSON")
    args = ap.parse_args()
    if args.query_term_scale is not None:
        ranking.QUERY_TERM_SCALE = args.query_term_scale
    if args.svm_tol is not None:
        ranking.SVM_TOL = args.svm_tol
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:CORES]))
    if args.questions is None and (args.sets / "questions.csv").exists():
        args.questions = args.sets / "questions.csv"
    questions = load_questions(args.questions)
    asked = args.questions.resolve() if args.questions else None
    files = sorted(f for f in args.sets.glob("*.csv") if f.resolve() != asked)
    if not files:
        raise SystemExit(f"no *.csv in {args.sets}")
    unasked = [f.name for f in files if questions and f.name not in questions]
    if unasked:
        raise SystemExit(f"{args.questions}: no question for {', '.join(unasked)}")
    speed = _speed_module()
    command, status = (None, "not requested (--no-asreview)") if args.no_asreview else asreview_env(speed)
    versions = asreview_version(command) if command else {}
    results, loaded = [], []
    with tempfile.TemporaryDirectory(prefix="litreview-screening-") as folder:
        tmp = Path(folder)
        for path in files:  # ours first, then ASReview's runs (kept ones are read back at once)
            texts, labels = load_set(path)
            loaded.append((texts, labels))
            results.append(simulate_set(path, texts, labels, questions.get(path.name, ""), args.seeds))
        for path, (_, labels), row in zip(files, loaded, results) if command else ():
            for seed in range(1, args.seeds + 1):
                row["asreview"].append(simulate_theirs(path, labels, seed, speed, command, tmp))
    timing = None
    if not args.no_speed:
        progress(f"speed per decision at {SPEED_RECORDS:,} records")
        timing = speed_per_decision(loaded, " ".join(questions.values()))
        progress(f"widget click at {SPEED_RECORDS:,} records")
        timing["click"] = click_latency(loaded)
    report(results, timing, versions, status, args)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(dict(
        measured=datetime.now(UTC).isoformat(timespec="seconds"), seeds=args.seeds,
        sets=args.sets.name, questions=args.questions.name if args.questions else None,
        query_term_scale=ranking.QUERY_TERM_SCALE, svm_tol=ranking.SVM_TOL, prefix=ranking.PREFIX,
        latent_dimensions=ranking.LATENT_DIMENSIONS, latent_length=ranking.LATENT_LENGTH,
        asreview=dict(status=status, **versions), results=results, speed=timing),
        indent=2) + "\n", encoding="utf-8")
    progress(f"figures written to {args.json}")


def simulate_set(path: Path, texts: list[str], labels: np.ndarray, question: str, seeds: int) -> dict[str, Any]:
    """Our runs of one set (see the module docstring)."""
    row: dict[str, Any] = dict(file=path.name, records=len(labels), relevant=int(labels.sum()),
                               **{key: [] for key, _ in CONDITIONS})
    plain = Ranker(texts)
    asked = Ranker(texts, question) if question else None
    for seed in range(1, seeds + 1):
        prior = priors(labels, seed)
        progress(f"{path.name} seed {seed}: ours")
        order, ms = simulate_ours(plain, labels, prior)
        row["ours"].append(dict(seed=seed, prior=prior, ms_per_decision=ms, **measures(order, labels)))
        if asked is not None:
            progress(f"{path.name} seed {seed}: ours + question")
            order, ms = simulate_ours(asked, labels, prior)
            row["question"].append(dict(seed=seed, prior=prior, ms_per_decision=ms, **measures(order, labels)))
            if seed == 1:
                progress(f"{path.name}: question only")
                order, ms = simulate_ours(asked, labels, [])
                row["question_only"].append(dict(seed=seed, prior=[], ms_per_decision=ms,
                                                 **measures(order, labels, skip=0)))
    return row


def simulate_theirs(path: Path, labels: np.ndarray, seed: int, speed, command: Path, tmp: Path) -> dict[str, Any]:
    """ASReview's run of one set and seed, from the same priors as ours."""
    prior = priors(labels, seed)
    progress(f"{path.name} seed {seed}: asreview simulate")
    theirs, seconds, error = simulate_asreview(speed, command, path, prior, seed, tmp)
    if theirs is None:
        return dict(seed=seed, error=error)
    if theirs[:2] != prior:
        raise SystemExit(f"asreview did not start from the priors {prior}: {theirs[:2]}")
    return dict(seed=seed, seconds=seconds, **measures(theirs, labels))


def _mean(runs: list[dict], key: str) -> float:
    values = [r[key] for r in runs if key in r and not (isinstance(r[key], float) and math.isnan(r[key]))]
    return statistics.mean(values) if values else math.nan


def report(results: list[dict], timing: dict, versions: dict, status: str, args) -> None:
    print(f"screening prioritisation, {args.seeds} seed(s), one relevant + one irrelevant prior per seed "
          f"(question only: no prior, one run), {CORES} cores")
    print(("ASReview LAB " + versions["asreview"] + f" (Python {versions['python']}), `asreview simulate` "
           "with its default model (ELAS u4), same priors") if versions else f"NOTICE: {status}")
    if args.questions:
        print(f"questions: {args.questions.name}")
    print(f"model: words cut to {ranking.PREFIX} characters, {ranking.LATENT_DIMENSIONS} latent dimensions at "
          f"{ranking.LATENT_LENGTH:g} length, QUERY_TERM_SCALE {ranking.QUERY_TERM_SCALE:g}, "
          f"SVM_TOL {ranking.SVM_TOL:g}")
    shown = [(key, name) for key, name in CONDITIONS if any(row[key] for row in results)]
    for measure, title, form in MEASURES if args.seeds else ():
        print(f"\n{title}")
        print(f"{'set':<36} {'records':>7} {'relevant':>8} " + " ".join(f"{name:>15}" for _, name in shown))
        means: dict[str, list[float]] = {key: [] for key, _ in shown}
        for row in results:
            cells = []
            for key, _ in shown:
                value = _mean(row[key], measure)
                means[key].append(value)
                cells.append(f"{value:>15{form}}")
            print(f"{row['file']:<36} {row['records']:>7,} {row['relevant']:>8,} " + " ".join(cells))
        print(f"{'mean of the sets':<36} {'':>7} {'':>8} "
              + " ".join(f"{statistics.mean(means[key]):>15{form}}" for key, _ in shown))
    failed = [(row["file"], r["error"]) for row in results for r in row["asreview"] if "error" in r]
    for name, error in failed:
        print(f"ASReview run failed on {name}: {error.strip().splitlines()[-1:]}")
    if timing is None:
        return
    print(f"\nper decision (refit + re-rank) at {timing['records']:,} records, {timing['features']:,} features "
          f"(TF-IDF fitted in {timing['features_s']:.1f} s; 1-minute load average {timing['load_average']:.1f} "
          f"on {os.cpu_count()} cores after the measure: other work slows the wall clock, not the CPU time):")
    for run in timing["runs"]:
        verdict = "PASS" if run["max_ms"] < TARGET_MS else "FAIL"
        cpu = "PASS" if run["cpu_max_ms"] < TARGET_MS else "FAIL"
        print(f"  after {run['decisions']:>5,} decisions: wall clock median {run['median_ms']:.1f} ms, max "
              f"{run['max_ms']:.1f} ms of {SPEED_STEPS} {verdict}; CPU time median {run['cpu_median_ms']:.1f} ms, "
              f"max {run['cpu_max_ms']:.1f} ms {cpu} (< {TARGET_MS:.0f} ms)")
    click = timing.get("click")
    if click:
        print(f"widget click (write, re-read, refit, re-rank, show) at {click['records']:,} records:")
        for run in click["runs"]:
            print(f"  after {run['decisions']:>5,} decisions: median {run['median_ms']:.1f} ms, "
                  f"max {run['max_ms']:.1f} ms of {SPEED_STEPS} (widget opened in {run['open_s']:.1f} s)")


if __name__ == "__main__":
    main()
