"""Read the real exports in ../shared/benchmarks/imports/ and time large imports.

For each export: records read, blocks reported (file:line: message), the share of records
with a DOI, PMID, year and title, and the seconds taken. Then a speed check: the Zotero
exports (1,000 records each) repeated into 100,000-record RIS and BibTeX files in a
temporary folder (BibTeX keys suffixed so that they stay distinct), each read once, with
records per second and the peak memory of this process and of its worker processes.

    .venv/bin/python benchmarks/import_check.py [--copies 100]

The load average is printed with the timings: on a shared machine other work slows them.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

from litreview.collect.importers import read_file

IMPORTS = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks" / "imports"
EXPORTS = ("wos_test.ris", "ris_export.txt", "zotero_export.ris", "zotero_export.bib",
           "handcurated_2820.bib")


def check_exports() -> None:
    for name in EXPORTS:
        path = IMPORTS / name
        start = time.perf_counter()
        result = read_file(path, skip_bad=True, progress=False)
        seconds = time.perf_counter() - start
        frame = result.records
        share = {c: (frame[c] != "").mean() if len(frame) else 0.0
                 for c in ("doi", "pmid", "year", "title")}
        print(f"{name}: {len(frame)} records read, {len(result.skipped)} blocks reported, "
              f"{seconds:.2f} s; with " + ", ".join(f"{c} {v:.1%}" for c, v in share.items()))
        for problem in result.skipped:
            print(f"    {problem}")


def repeat_ris(source: Path, target: Path, copies: int) -> None:
    text = source.read_bytes()
    with open(target, "wb") as out:
        for _ in range(copies):
            out.write(text if text.endswith(b"\n") else text + b"\n")


def repeat_bib(source: Path, target: Path, copies: int) -> None:
    text = source.read_text(encoding="utf-8")
    entry = re.compile(r"^(\s*@\w+\{)([^,\s]+),", re.M)
    with open(target, "w", encoding="utf-8") as out:
        for i in range(copies):
            out.write(entry.sub(lambda m, i=i: f"{m.group(1)}{m.group(2)}-copy{i},", text) + "\n")


def speed(copies: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for name, make in (("zotero_export.ris", repeat_ris), ("zotero_export.bib", repeat_bib)):
            target = Path(folder) / f"large{Path(name).suffix}"
            make(IMPORTS / name, target, copies)
            load = os.getloadavg()[0]
            start = time.perf_counter()
            result = read_file(target, progress=False)
            seconds = time.perf_counter() - start
            n = len(result.records)
            print(f"{target.name}: {n} records ({target.stat().st_size / 1e6:.0f} MB) in "
                  f"{seconds:.1f} s = {n / seconds:,.0f} records/s "
                  f"(load average before: {load:.2f} on {os.cpu_count()} cores)")
    usage = resource.getrusage
    print(f"peak memory: this process {usage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB, "
          f"largest worker {usage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=100,
                        help="copies of the 1,000-record exports in the speed check")
    args = parser.parse_args()
    if not IMPORTS.is_dir():
        print(f"no real exports at {IMPORTS}", file=sys.stderr)
        return 1
    check_exports()
    speed(args.copies)
    return 0


if __name__ == "__main__":
    sys.exit(main())
