"""Recall and precision of the claim finder against a review's curated claims.

    python benchmarks/claim_finder.py [--review calf-massage]

A curated claim counts as found when a suggested span overlaps its quote; a suggestion
counts as correct when it overlaps at least one curated claim. Figures per article and
pooled. The finder's cues are general (litreview.claims.finder.CUES); this script only measures.
"""

from __future__ import annotations

import argparse

from litreview.claims.finder import evaluate, suggest
from litreview.tables.review import Review


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--review", default="calf-massage")
    ap.add_argument("--show-misses", action="store_true", help="list the curated claims not found")
    args = ap.parse_args()
    review = Review.load(args.review)
    totals = dict(claims=0, suggested=0, claims_found=0, suggestions_on_claims=0)
    print(f"{'article':<28} {'claims':>6} {'suggested':>9} {'recall':>7} {'precision':>9}")
    for article_id in review.articles["article_id"]:
        claims = review.claims[review.claims["article_id"] == article_id]
        suggested = suggest(review.texts[article_id])
        m = evaluate(suggested, claims)
        for k in totals:
            totals[k] += m[k]
        print(f"{article_id:<28} {m['claims']:>6} {m['suggested']:>9} {m['recall']:>7.3f} {m['precision']:>9.3f}")
        if args.show_misses:
            for c in claims.itertuples():
                if not any(c.start < s.end and s.start < c.end for s in suggested.itertuples()):
                    print(f"    missed {c.claim_id}: {c.quote[:70]}")
    recall = totals["claims_found"] / totals["claims"]
    precision = totals["suggestions_on_claims"] / totals["suggested"]
    print(f"{'pooled':<28} {totals['claims']:>6} {totals['suggested']:>9} {recall:>7.3f} {precision:>9.3f}")


if __name__ == "__main__":
    main()
