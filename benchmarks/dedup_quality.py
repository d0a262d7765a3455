"""Precision and recall of litreview.collect.dedup on labelled sets: the real ones and a generated one.

    python benchmarks/dedup_quality.py [--sets DIR] [--show-errors] [--generated 3000] [--seed 0]

The real sets are every sub-folder of DIR holding ``records_pre_merged.csv`` and
``merged_record_ids.csv`` (by default the three hand-labelled exports in
``shared/benchmarks/dedup/`` beside the repository; see its README), so other labelled sets
in that format are measured without code changes; their columns are mapped to the record table (``author`` to
``authors`` with "; " between names, ``number`` to ``issue``, ``ID`` to ``record_id``).

Scoring, as the README defines it: a record is a true duplicate when it shares a labelled
group with an earlier record; a removed record (a row of the dedup log) is correct when it
and the record it is merged into (``duplicate_of``) share a labelled group. Precision =
correct removals / removals, recall = correct removals / true duplicates. Figures per set and
pooled; ``--show-errors`` lists the false positives and false negatives with their titles.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import pandas as pd

from litreview.collect.dedup import find_duplicates
from litreview.collect.importers import RECORD_COLUMNS
from litreview.tables.bib import split_authors

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks" / "dedup"
SET_FILES = ("records_pre_merged.csv", "merged_record_ids.csv")
COLUMN_MAP = {"ID": "record_id", "ENTRYTYPE": "entry_type", "author": "authors", "number": "issue"}


def load_set(folder: Path) -> tuple[pd.DataFrame, list[list[str]]]:
    """Records (``RECORD_COLUMNS``) and labelled groups of one set. Groups list only records
    with duplicates; a record in no group is unique."""
    path = folder / "records_pre_merged.csv"
    rows = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        line = reader.line_num + 1
        for row in reader:
            record = {COLUMN_MAP.get(k, k): (v or "").strip() for k, v in row.items()}
            record["authors"] = "; ".join(split_authors(record.get("authors", "")))
            record.update(source_file=path.name, source_line=str(line))
            rows.append(record)
            line = reader.line_num + 1
    records = pd.DataFrame(rows).reindex(columns=list(RECORD_COLUMNS), fill_value="").fillna("")
    merged = pd.read_csv(folder / "merged_record_ids.csv", dtype=str)
    groups = [ids.split(";") for ids in merged["merged_ids"]]
    return records, groups


def find_sets(folder: Path) -> list[Path]:
    """The sub-folders of ``folder`` that hold a labelled set (both files), by name."""
    if not folder.is_dir():
        raise SystemExit(f"{folder}: no such folder")
    sets = [d for d in sorted(folder.iterdir()) if d.is_dir() and all((d / f).is_file() for f in SET_FILES)]
    if not sets:
        raise SystemExit(f"{folder}: no sub-folder holds {' and '.join(SET_FILES)}")
    return sets


def score(records: pd.DataFrame, log: pd.DataFrame, groups: list[list[str]]) -> dict:
    """Removed, true duplicates, TP, FP, FN, precision, recall, F1 and the error lists
    (``false_positives``: log rows; ``false_negatives``: (record, earlier group member))."""
    order = {rid: n for n, rid in enumerate(records["record_id"])}
    label = {rid: g for g, members in enumerate(groups) for rid in members}
    true_dups = {}
    for members in groups:
        ordered = sorted(members, key=order.__getitem__)
        true_dups.update(dict.fromkeys(ordered[1:], ordered[0]))
    correct = [label.get(r) is not None and label.get(r) == label.get(k)
               for r, k in zip(log["record_id"], log["duplicate_of"])]
    tp = sum(correct)
    removed_ok = set(log["record_id"][correct])
    fp_rows = log[[not c for c in correct]]
    fn = [(rid, first) for rid, first in true_dups.items() if rid not in removed_ok]
    precision = tp / len(log) if len(log) else 1.0
    recall = tp / len(true_dups) if true_dups else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return dict(removed=len(log), true_duplicates=len(true_dups), tp=tp, fp=len(fp_rows), fn=len(fn),
                precision=precision, recall=recall, f1=f1, false_positives=fp_rows, false_negatives=fn)


def _print_errors(records: pd.DataFrame, result: dict) -> None:
    by_id = records.set_index("record_id")

    def describe(rid: str) -> str:
        r = by_id.loc[rid]
        return (f"{rid} {r['year']} v{r['volume']} p{r['pages']} {r['authors'][:30]!r} | {r['journal'][:30]!r}\n"
                f"        {r['title'][:150]!r}")

    for row in result["false_positives"].itertuples():
        print(f"  FP [{row.rule} {row.score:.3f}] {row.detail[:200]}\n"
              f"    {describe(row.record_id)}\n    {describe(row.duplicate_of)}")
    for rid, first in result["false_negatives"]:
        print(f"  FN\n    {describe(rid)}\n    {describe(first)}")


def _row(name: str, m: dict, seconds: float) -> str:
    return (f"{name:<20} {m['removed']:>7} {m['true_duplicates']:>9} {m['tp']:>6} {m['fp']:>4} {m['fn']:>4} "
            f"{m['precision']:>9.4f} {m['recall']:>7.4f} {m['f1']:>7.4f} {seconds:>7.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", type=Path, default=DATA, metavar="DIR",
                    help="folder with one sub-folder per labelled set (default: the shared sets)")
    ap.add_argument("--show-errors", action="store_true", help="list false positives and false negatives")
    ap.add_argument("--generated", type=int, default=3000, help="records in the generated set (0: skip)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the generated set")
    args = ap.parse_args()
    sets = find_sets(args.sets)
    print(f"{'set':<20} {'removed':>7} {'true dups':>9} {'TP':>6} {'FP':>4} {'FN':>4} "
          f"{'precision':>9} {'recall':>7} {'F1':>7} {'seconds':>7}")
    pooled = dict(removed=0, true_duplicates=0, tp=0, fp=0, fn=0)
    total_seconds = 0.0
    for folder in sets:
        name = folder.name
        records, groups = load_set(folder)
        start = time.perf_counter()
        log = find_duplicates(records)
        seconds = time.perf_counter() - start
        m = score(records, log, groups)
        total_seconds += seconds
        for k in pooled:
            pooled[k] += m[k]
        print(_row(name, m, seconds))
        if args.show_errors:
            _print_errors(records, m)
    if pooled["removed"]:
        p = pooled["tp"] / pooled["removed"]
        r = pooled["tp"] / pooled["true_duplicates"]
        f1 = 2 * p * r / (p + r)
        print(_row(f"pooled ({len(sets)} sets)", dict(pooled, precision=p, recall=r, f1=f1), total_seconds))
    if args.generated:
        from dedup_generator import generate

        records, groups = generate(args.generated, seed=args.seed)
        start = time.perf_counter()
        log = find_duplicates(records)
        seconds = time.perf_counter() - start
        m = score(records, log, groups)
        print(_row(f"generated {args.generated}", m, seconds))
        if args.show_errors:
            _print_errors(records, m)


if __name__ == "__main__":
    main()
