"""Where `litreview build` spends its time, stage by stage, on a copy of the project.

    python benchmarks/build_time.py                        # the shipped review, this checkout
    python benchmarks/build_time.py --review calf-massage --project path/to/another/checkout

The project folder (notebooks, data, references, templates) is copied into a temporary
folder, so the repository's reports/ is never written, and the build runs there in this
process with the checkout's own package (run it with that checkout's src first on
PYTHONPATH to time another version). Printed: each stage as the build reports it (the
check and assessment, the exports, every notebook: kernel start, cells and HTML export),
then the wall-clock total. The machine's other load changes every figure: compare two
versions run one after the other, not figures from different days.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COPIED = ("notebooks", "data", "references", "pyproject.toml")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--review", default="calf-massage")
    parser.add_argument("--project", type=Path, default=ROOT, help="the checkout whose notebooks and data to build")
    args = parser.parse_args()
    from litreview.report.build import build

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name in COPIED:
            source = args.project / name
            if source.is_dir():
                shutil.copytree(source, root / name)
            elif source.is_file():
                shutil.copy2(source, root / name)
        os.environ["LITREVIEW_ROOT"] = str(root)
        started = time.perf_counter()
        build(args.review, root)
        print(f"total wall-clock {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
