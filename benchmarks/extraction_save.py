"""How long the extraction form's Save takes on the shipped review.

    python benchmarks/extraction_save.py              # 5 saves on a copy of data/calf-massage
    python benchmarks/extraction_save.py --saves 10 --review calf-massage

A copy of the review's data and references is made in a temporary folder (the repository is
never written). Each save copies an existing row of the review into the form for the same
claim (the first row of the first claim with evidence), judges its direction and
indirectness as the source row did, and clicks Save, the way a reviewer would. Timed apart:
validation alone (:func:`litreview.appraise.extraction.validate_row`), the append alone
(:func:`~litreview.appraise.extraction.append_row`), one claim's grade
(:func:`~litreview.grade.assessment.claim_grade`), what check still asks for
(:func:`~litreview.checks.still_needed`, which runs the whole of ``litreview check``),
and the whole click. Medians and maxima in seconds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--review", default="calf-massage")
    parser.add_argument("--saves", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for part in ("data", "references"):
            shutil.copytree(ROOT / part / args.review, root / part / args.review)
        (root / "pyproject.toml").write_text("[project]\nname='copy'\n")
        os.environ["LITREVIEW_ROOT"] = str(root)

        from litreview.appraise.extraction import REJUDGED, append_row, prefill_from, validate_row
        from litreview.checks import still_needed
        from litreview.grade.assessment import claim_grade
        from litreview.tables.review import Review
        from litreview.workbook.extraction_form import ExtractionForm

        rv = Review.load(args.review, root)
        source = rv.evidence.iloc[0]
        claim, eid = source["claim_id"], source["evidence_id"]
        row = {**prefill_from(rv, eid, claim), **{c: source[c] for c in REJUDGED}}
        print(f"{args.review}: {len(rv.claims)} claims, {len(rv.evidence)} evidence rows; "
              f"saving copies of {eid} for {claim}")
        times: dict[str, list[float]] = {k: [] for k in ("validate", "append", "claim grade", "still needed",
                                                          "save click")}

        def timed(name, fn, *a):
            start = time.perf_counter()
            out = fn(*a)
            times[name].append(time.perf_counter() - start)
            return out

        form = ExtractionForm(args.review, claim_id=claim, root=root)
        for _ in range(args.saves):
            assert timed("validate", validate_row, args.review, row, root) == []
            timed("append", append_row, args.review, row, root)
            timed("claim grade", claim_grade, args.review, claim, root)
            timed("still needed", still_needed, args.review, claim, row["study_key"], root)
            form.copy_from.value = eid
            for c in REJUDGED:
                form.fields[c].value = source[c] or ""
            start = time.perf_counter()
            form.save.click()
            times["save click"].append(time.perf_counter() - start)
            assert "Saved" in form.message.value, form.message.value
        for name, values in times.items():
            print(f"  {name:13s} median {statistics.median(values):.3f} s, max {max(values):.3f} s "
                  f"({len(values)} runs)")


if __name__ == "__main__":
    main()
