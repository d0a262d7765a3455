"""Recall and precision of the claim finder against curated claims.

    python benchmarks/claim_finder.py [--review calf-massage] [--labels benchmarks/claim_finder]

Two sets: a review's curated claims (``--review``; the finder's cues were written while
reading this review's articles, so it is not an unseen test) and labelled articles the finder
was never tuned on (``--labels DIR``: ``DIR/labels.csv`` with ``file, quote, start, end,
category`` and the texts in ``DIR/articles/``; see that folder's README).

Two measures, per article and pooled:

- one-to-one (the headline): each claim can be found by one suggestion and each suggestion
  can find one claim (a maximum matching of overlapping spans), so a sentence that bundles
  three claims finds one and misses two; ``category`` is the share of matched pairs whose
  guess is the claim's category;
- overlap (lenient, the measure before claims were split): a claim is found when any
  suggestion overlaps it, a suggestion is right when it overlaps any claim.

The finder's cues are general (litreview.claims.finder.CUES); this script only measures.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import pandas as pd

from litreview.claims.finder import evaluate, matched, suggest
from litreview.tables.review import Review
from litreview.tables.schema import read_text

COLUMNS = ("claims", "suggested", "matched", "category_agrees", "claims_found", "suggestions_on_claims")


def review_sets(name: str) -> list[tuple[str, str, pd.DataFrame]]:
    """``(article, text, claims)`` of each article of a review."""
    review = Review.load(name)
    return [(a, review.texts[a], review.claims[review.claims["article_id"] == a])
            for a in review.articles["article_id"]]


def labelled_sets(folder: Path) -> list[tuple[str, str, pd.DataFrame]]:
    """``(article, text, claims)`` of each labelled article; every label is checked to sit at
    its offsets first, so a wrong label cannot pass unnoticed."""
    with (folder / "labels.csv").open(encoding="utf-8", newline="") as handle:
        labels = pd.DataFrame(list(csv.DictReader(handle)))
    labels[["start", "end"]] = labels[["start", "end"]].astype(int)
    out = []
    for file, rows in labels.groupby("file", sort=True):
        text = read_text(folder / "articles" / file)
        for line, row in rows.iterrows():
            if text[row.start:row.end] != row.quote:
                raise SystemExit(f"{folder / 'labels.csv'}:{line + 2}:quote: not at [{row.start}, {row.end}) of {file}")
        out.append((file.removesuffix(".txt"), text, rows.reset_index(drop=True)))
    return out


def measure(title: str, sets: list[tuple[str, str, pd.DataFrame]], show_misses: bool) -> None:
    print(f"\n{title}")
    print(f"{'article':<36} {'claims':>6} {'suggested':>9} | {'recall':>6} {'precision':>9} {'category':>8} "
          f"| overlap: {'recall':>6} {'precision':>9}")
    totals = dict.fromkeys(COLUMNS, 0)
    for name, text, claims in sets:
        suggested = suggest(text)
        strict, loose = matched(suggested, claims), evaluate(suggested, claims)
        for k in COLUMNS:
            totals[k] += strict[k] if k in strict else loose[k]
        _line(name, {**loose, **strict})
        if show_misses:
            found = {j for _, j in strict["pairs"]}
            for j, c in enumerate(claims.itertuples()):
                if j not in found:
                    print(f"    missed [{c.start}, {c.end}) {c.category}: {c.quote[:80]}")
    t = totals
    _line("pooled", {**t, "recall": t["matched"] / t["claims"], "precision": t["matched"] / t["suggested"],
                     "overlap_recall": t["claims_found"] / t["claims"],
                     "overlap_precision": t["suggestions_on_claims"] / t["suggested"]})


def _line(name: str, m: dict) -> None:
    loose_r = m.get("overlap_recall", m["claims_found"] / m["claims"] if m["claims"] else float("nan"))
    loose_p = m.get("overlap_precision",
                    m["suggestions_on_claims"] / m["suggested"] if m["suggested"] else float("nan"))
    category = m["category_agrees"] / m["matched"] if m["matched"] else float("nan")
    print(f"{name:<36} {m['claims']:>6} {m['suggested']:>9} | {m['recall']:>6.3f} {m['precision']:>9.3f} "
          f"{category:>8.3f} |          {loose_r:>6.3f} {loose_p:>9.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--review", default="calf-massage", help="a review whose claims.csv is the answer key")
    ap.add_argument("--labels", type=Path, default=Path(__file__).with_name("claim_finder"),
                    help="folder of labelled articles (default benchmarks/claim_finder)")
    ap.add_argument("--show-misses", action="store_true", help="list the claims not matched")
    args = ap.parse_args()
    measure(f"review {args.review} (the finder was written reading these articles)",
            review_sets(args.review), args.show_misses)
    measure(f"labelled articles in {args.labels.name}/ (never tuned on)",
            labelled_sets(args.labels), args.show_misses)


if __name__ == "__main__":
    main()
