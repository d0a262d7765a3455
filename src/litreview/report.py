"""The report's exports: schema.org ClaimReview JSON-LD, the evidence workbook (xlsx) and
the bibliography (.bib), written beside the HTML and PDF.

Everything here is deterministic: the date of a review is the date of its last logged
search, not the date the report was built, so two builds of the same data agree.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .references import Entry
from .review import Review

BEST_RATING, WORST_RATING = 5, 1


def review_date(review: Review) -> str:
    """The review's date: its last logged search (ISO 8601)."""
    dates = review.search_log["date"]
    return max(dates) if len(dates) else ""


def claimreviews(review: Review, grades: pd.DataFrame, report_url: str = "summary.html") -> list[dict]:
    """One schema.org ClaimReview per claim, rated on the 1-5 scale of
    :data:`litreview.grading.RATINGS`; a not-testable claim carries its label only."""
    articles = review.articles.set_index("article_id")
    claims = review.claims.set_index("claim_id")
    date = review_date(review)
    out = []
    for g in grades.to_dict("records"):
        claim = claims.loc[g["claim_id"]]
        article = articles.loc[claim["article_id"]]
        appearance = {"@type": "CreativeWork", "headline": article["title"]}
        if article["url"]:
            appearance["url"] = article["url"]
        if article["date_shown"]:
            appearance["datePublished"] = article["date_shown"]
        rating = {"@type": "Rating", "alternateName": g["rating_label"],
                  "bestRating": BEST_RATING, "worstRating": WORST_RATING,
                  "ratingExplanation": g["rationale"]}
        if pd.notna(g["rating_value"]):
            rating["ratingValue"] = int(g["rating_value"])
        out.append({
            "@context": "https://schema.org", "@type": "ClaimReview",
            "url": f"{report_url}#claim-{g['claim_id']}",
            "claimReviewed": claim["quote"],
            "itemReviewed": {"@type": "Claim", "text": claim["claim"], "appearance": appearance},
            "reviewRating": rating,
            "author": {"@type": "Organization", "name": f"litreview review '{review.name}'"},
            "datePublished": date,
        })
    return out


def write_claimreview(path: Path, reviews: list[dict]) -> None:
    path.write_text(json.dumps(reviews, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def studies_frame(library: list[Entry]) -> pd.DataFrame:
    fields = ["author", "year", "title", "journal", "volume", "number", "pages", "doi", "pmid", "url", "note"]
    return pd.DataFrame([{"study_key": e.key, **{f: e.get(f) for f in fields}} for e in library])


def write_workbook(path: Path, review: Review, grades: pd.DataFrame, audit: pd.DataFrame) -> None:
    """``evidence.xlsx``: claims, evidence, studies, risk of bias, grades, citation audit."""
    sheets = {
        "claims": review.claims.assign(cited_keys=review.claims["cited_keys"].str.join(" ")),
        "evidence": review.evidence,
        "studies": studies_frame(review.library),
        "risk of bias": review.rob,
        "grades": grades,
        "citation audit": audit,
        "searches": review.search_log.assign(claim_ids=review.search_log["claim_ids"].str.join(" ")),
    }
    tmp = path.with_suffix(".tmp.xlsx")
    with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
        for name, frame in sheets.items():
            frame.to_excel(xl, sheet_name=name, index=False)
            sheet = xl.sheets[name]
            sheet.freeze_panes = "A2"
            for col in sheet.columns:
                width = max(len(str(c.value or "")) for c in col[:50])
                sheet.column_dimensions[col[0].column_letter].width = min(60, max(10, width + 2))
    tmp.replace(path)


def write_bibliography(path: Path, library: list[Entry], keys: set[str] | None = None) -> None:
    """The studies the report cites, as BibTeX (fields in a fixed order)."""
    order = ["author", "title", "journal", "year", "volume", "number", "pages", "doi", "pmid", "url", "note"]
    blocks = []
    for e in sorted(library, key=lambda e: e.key):
        if keys is not None and e.key not in keys:
            continue
        lines = [f"@{e.entry_type}{{{e.key},"]
        lines += [f"  {f} = {{{e.get(f)}}}," for f in order + sorted(set(e.fields) - set(order)) if e.get(f)]
        blocks.append("\n".join(lines) + "\n}")
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
