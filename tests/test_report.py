"""The report's exports, checked against the shipped review."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from conftest import ROOT
from litreview.checks import check_review
from litreview.collect.audit import audit_table
from litreview.grade.assessment import Assessment
from litreview.grade.grading import grade_review
from litreview.report.sections import (
    claimreviews,
    format_bibliography,
    iso_date,
    write_bibliography,
    write_claimreview,
    write_workbook,
)
from litreview.tables.bib import load_bib
from litreview.tables.review import Review


@pytest.fixture(scope="module")
def shipped():
    rv = Review.load("calf-massage", ROOT)
    return rv, grade_review(rv.claims, rv.evidence, rv.rob, rv.overrides, explanations=rv.explanations)


def test_one_claimreview_per_claim_with_the_required_fields(shipped, tmp_path):
    rv, grades = shipped
    reviews = claimreviews(rv, grades)
    write_claimreview(tmp_path / "claimreview.jsonld", reviews)
    data = json.loads((tmp_path / "claimreview.jsonld").read_text())
    assert len(data) == len(rv.claims)
    quotes = dict(zip(rv.claims["claim_id"], rv.claims["quote"]))
    for item, claim_id in zip(data, rv.claims["claim_id"]):
        assert item["@type"] == "ClaimReview" and item["@context"] == "https://schema.org"
        assert item["claimReviewed"] == quotes[claim_id]
        assert item["url"].endswith(f"#claim-{claim_id}")
        rating = item["reviewRating"]
        assert rating["bestRating"] == 5 and rating["worstRating"] == 1
        assert rating["alternateName"] and rating["ratingExplanation"]
        assert item["itemReviewed"]["@type"] == "Claim"
        assert item["itemReviewed"]["appearance"]["headline"]
        assert item["author"]["name"] and item["datePublished"] == max(rv.search_log["date"])
    by_id = {i["url"].split("#claim-")[1]: i for i in data}
    assert "ratingValue" not in by_id["A01"]["reviewRating"]  # traditional theory: not testable
    assert all(1 <= i["reviewRating"]["ratingValue"] <= 5 for i in data if "ratingValue" in i["reviewRating"])


def test_workbook_has_every_sheet(shipped, tmp_path):
    rv, grades = shipped
    path = tmp_path / "evidence.xlsx"
    write_workbook(path, rv, grades, audit_table(rv.cited, rv.library, rv.reference_audit))
    sheets = pd.read_excel(path, sheet_name=None)
    assert {"claims", "evidence", "studies", "grades", "citation audit"} <= set(sheets)
    assert len(sheets["evidence"]) == len(rv.evidence) and len(sheets["studies"]) == len(rv.library)
    assert not list(tmp_path.glob("*.tmp.xlsx"))


def test_bibliography_round_trips(shipped, tmp_path):
    rv, _ = shipped
    keys = set(rv.evidence["study_key"])
    write_bibliography(tmp_path / "bibliography.bib", rv.library, keys)
    entries = load_bib(tmp_path / "bibliography.bib")
    assert {e.key for e in entries} == keys
    original = {e.key: e for e in rv.library}
    for e in entries:
        assert e.fields == original[e.key].fields


HOSTILE = ("<script>alert('x')</script> Ginger <img src=x onerror=alert(1)> can reduce nausea "
           "in early pregnancy. Two cups a day is safe.</script>\n")


def test_article_text_is_untrusted_and_renders_as_text(tmp_path, monkeypatch):
    """An article carrying markup shows it as text in the report, in its JSON-LD and in the
    notebook view; nothing of it runs."""
    from conftest import CLAIMS_HEADER, claim_row, write_review
    from litreview.report.sections import render_html, report_context
    from litreview.workbook.views import highlight_claims

    root = write_review(tmp_path, article=HOSTILE)
    quote = "<img src=x onerror=alert(1)> can reduce nausea"
    (root / "data/ginger/claims.csv").write_text(
        CLAIMS_HEADER + claim_row("G01", quote, text=HOSTILE)
        + claim_row("G02", "Two cups a day is safe.</script>", category="dosage", text=HOSTILE))
    (root / "data/ginger/evidence.csv").write_text((root / "data/ginger/evidence.csv").read_text())
    monkeypatch.setenv("LITREVIEW_ROOT", str(root))
    rv = Review.load("ginger", root)
    assert check_review(rv) == []
    page = render_html(report_context(Assessment.of(rv), with_figures=False))
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert page.count("<script") == 1  # only the JSON-LD block
    jsonld = page.split('<script type="application/ld+json">')[1].split("</script>")[0]
    assert "<" not in jsonld and json.loads(jsonld)[1]["claimReviewed"].endswith("</script>")
    view = highlight_claims(rv.texts["ginger"], rv.claims)
    assert "<script>" not in view and "<img" not in view and "&lt;script&gt;" in view


def test_claimreview_carries_the_explanation_iso_dates_and_an_absolute_url_when_given(shipped):
    rv, grades = shipped
    reviews = claimreviews(rv, grades, base_url="https://example.org/reviews/calf/")
    explained = dict(zip(rv.explanations["claim_id"], rv.explanations["explanation"]))
    first = next(r for r in reviews if r["url"].endswith("#claim-A13"))
    assert first["url"] == "https://example.org/reviews/calf/summary.html#claim-A13"
    assert first["reviewRating"]["ratingExplanation"] == explained["A13"]
    dated = [r["itemReviewed"]["appearance"].get("datePublished") for r in reviews]
    assert "2025-09-22" in dated  # the acupressure article shows "Sep 22, 2025"
    assert all(d is None or len(d) == 10 and d[4] == "-" for d in dated)


@pytest.mark.parametrize("shown, iso", [("Sep 22, 2025", "2025-09-22"), ("2024-01-01", "2024-01-01"),
                                        ("22 September 2025", "2025-09-22"), ("", None), ("last spring", None)])
def test_iso_date(shown, iso):
    assert iso_date(shown) == iso


def test_bibliography_prints_a_published_article_without_volume_as_no_preprint_and_keeps_ampersands(tmp_path):
    bib = tmp_path / "x.bib"
    bib.write_text("@article{smith2020study,\n  author = {Smith, J.},\n  title = {A study},\n"
                   "  journal = {Anesthesia \\& Analgesia},\n  year = {2020},\n  doi = {10.1/xyz},\n"
                   "  url = {https://doi.org/10.1/xyz},\n}\n", encoding="utf-8")
    text = format_bibliography(load_bib(bib, "x.bib"))[0]["text"]
    assert "Preprint" not in text and "Anesthesia & Analgesia" in text
