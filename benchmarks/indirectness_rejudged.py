"""What deriving indirectness from the four questions changed in a review.

    python benchmarks/indirectness_rejudged.py [--review calf-massage]

Prints the judgement recorded in evidence.csv against the judgement derived from
indirectness.csv (and against the one that grades, overrides included), then the verdict ×
certainty table of the testable claims graded with the recorded judgements and with the
derived ones, and every claim whose verdict or certainty moved, with the rows set aside and the
rows the grade rests on before and after. This script only measures.
"""

from __future__ import annotations

import argparse

import pandas as pd

from litreview.appraise.indirectness import effective
from litreview.grade.grading import grade_review
from litreview.tables.review import Review


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--review", default="calf-massage")
    args = ap.parse_args()
    rv = Review.load(args.review)
    ev = effective(rv.evidence, rv.indirectness)
    print("Recorded (rows) × derived (columns):")
    print(pd.crosstab(ev["indirectness_recorded"], ev["indirectness_derived"].fillna("unanswered"), margins=True))
    print("\nRecorded × as graded (overrides included):")
    print(pd.crosstab(ev["indirectness_recorded"], ev["indirectness"], margins=True))

    def graded(evidence: pd.DataFrame) -> pd.DataFrame:
        return grade_review(rv.claims, evidence, rv.rob, rv.overrides, searched=rv.searched_claims(),
                            explanations=rv.explanations, study_status=rv.study_status)

    before, after = graded(rv.evidence), graded(ev)
    for name, g in (("before (recorded)", before), ("after (derived)", after)):
        t = g[g["testable"]]
        print(f"\nVerdict × certainty, {name}:")
        print(pd.crosstab(t["verdict"], t["certainty"].fillna("—"), margins=True))
    both = before.merge(after, on="claim_id", suffixes=("_before", "_after"))
    moved = both[(both["verdict_before"] != both["verdict_after"])
                 | (both["certainty_before"].fillna("") != both["certainty_after"].fillna(""))]
    print(f"\n{len(moved)} claim(s) moved:")
    for r in moved.to_dict("records"):
        print(f"{r['claim_id']}: {r['verdict_before']}, {r['certainty_before']} -> {r['verdict_after']}, "
              f"{r['certainty_after']}; set aside {r['flawed_evidence_before'] or '-'} -> "
              f"{r['flawed_evidence_after'] or '-'}; rests on {r['primary_evidence_before'] or '-'} -> "
              f"{r['primary_evidence_after'] or '-'}")


if __name__ == "__main__":
    main()
