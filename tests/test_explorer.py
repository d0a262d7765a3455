"""The claim explorer: quote in context, evidence rows, grade by domain; a plain table when
static; article text escaped."""

from __future__ import annotations

import html

import pytest

from conftest import ARTICLE, write_review
from litreview.checks import check_review
from litreview.grade.assessment import Assessment
from litreview.grade.grading import DOMAINS
from litreview.tables.review import Review
from litreview.workbook.explorer import ClaimExplorer


def explorer(root, name="ginger") -> ClaimExplorer:
    rv = Review.load(name, root)
    assert check_review(rv) == []
    return ClaimExplorer(Assessment.of(rv))


def test_detail_shows_quote_in_context_grade_by_domain_and_evidence(review_root):
    x = explorer(review_root)
    detail = x.detail_html("G01")
    quote = "Drinking ginger tea can reduce nausea in early pregnancy"
    assert f"<mark style='background:#fde68a'>{quote}</mark>" in detail
    assert "Ginger tea: a kitchen remedy?" in detail  # the text before the quote
    assert "Two cups a day" in detail  # and after it
    for domain in DOMAINS:
        assert f">{domain}<" in detail
    assert "viljoen2014systematic" in detail and "E001" in detail
    start = ARTICLE.index(quote)
    assert f"characters {start}–{start + len(quote)}" in detail


def test_context_is_cut_to_the_requested_width(review_root):
    x = explorer(review_root)
    html = x.context_html("G02", chars=10)
    assert html.count("…") == 2  # text left out on both sides is marked
    assert "Ginger tea" not in html


def test_untestable_and_unknown_claims(review_root):
    x = explorer(review_root)
    assert "not testable" in x.detail_html("G03")
    assert "No evidence rows for this claim" in x.detail_html("G03")
    assert "Not searched yet" not in x.detail_html("G02")  # S001 names G02
    with pytest.raises(KeyError, match="G99"):
        x.detail_html("G99")


def test_static_export_gets_one_table_row_per_claim_beside_the_widget(review_root):
    x = explorer(review_root)
    bundle = x._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    table = bundle["text/html"]
    assert table.count("<tr>") == 1 + 3  # header + one row per claim
    assert "ClaimExplorer('ginger', 3 claims)" == bundle["text/plain"]


def test_picking_a_claim_updates_the_detail(review_root):
    widget = explorer(review_root).widget()
    verdict, claim, _ = widget.children[0].children
    detail = widget.children[2]
    claim.value = "G03"
    assert "not testable" in detail.value
    verdict.value = "not testable"
    assert [v for _, v in claim.options] == ["G03"]


def test_article_text_is_escaped(tmp_path, monkeypatch):
    hostile = ARTICLE + "<script>alert(1)</script><img src=x onerror=alert(2)>\n"  # after the claims: offsets hold
    root = write_review(tmp_path, article=hostile)
    monkeypatch.setenv("LITREVIEW_ROOT", str(root))
    x = explorer(root)
    for shown in (x.detail_html("G01"), x.static_html()):
        assert "<script>" not in shown and "<img" not in shown
    assert "&lt;script&gt;" in x.detail_html("G01")


def test_an_empty_review_has_no_widget_only_a_note(tmp_path, monkeypatch, review_root):
    claims = review_root / "data" / "ginger" / "claims.csv"
    claims.write_text(claims.read_text().splitlines()[0] + "\n")
    for table in ("evidence.csv", "search_log.csv", "screening.csv", "rob.csv", "explanations.csv"):
        path = review_root / "data" / "ginger" / table
        path.write_text(path.read_text().splitlines()[0] + "\n")
    bundle = explorer(review_root)._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" not in bundle
    assert "No claims to explore yet" in bundle["text/html"]


def test_re_reading_after_a_save_shows_what_changed(review_root):
    """The loop closes: after evidence is saved elsewhere (here: the only row of G01 removed
    from evidence.csv), the explorer's button re-reads the tables and re-grades."""
    ex = explorer(review_root)
    widget = ex.widget()
    claim = widget.children[0].children[1]
    claim.value = "G01"
    assert "E001" in widget.children[2].value
    path = review_root / "data/ginger/evidence.csv"
    path.write_text(path.read_text().splitlines()[0] + "\n")
    ex.reload_button.click()
    # G01 was searched (S001) and now has no evidence: "no study found", unsupported; before, one review
    # with one critical AMSTAR 2 flaw (some concerns, carrying all the weight: one level down) gave moderate
    assert html.unescape(ex.changes.value) == "G01: supported, moderate -> unsupported, very low"
    assert "No evidence rows for this claim" in widget.children[2].value
    ex.reload_button.click()
    assert "no verdict or certainty changed" in ex.changes.value
