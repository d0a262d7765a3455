"""Double extraction and double risk of bias as two reviewers do them in JupyterLab (headless
Chromium, Playwright, the machinery of tests/test_workbook_browser.py): with ``[reviewers]
extraction = 2`` and ``rob = 2``, reviewer A extracts a new row in notebook 04's form, reviewer B
extracts the same row with one field different (n), and the reconcile view settles that field,
writing the consensus row and its settlement; then each judges the study's risk of bias in the
risk-of-bias form, differently, and the reconcile view settles that too, writing rob.csv. The
files on disk are then checked, and ``litreview check`` must pass."""

from __future__ import annotations

import os

from conftest import ROOT, needs_chromium
from litreview.cli import main
from litreview.tables.review import Review
from test_workbook_browser import (  # noqa: F401  (workbook: the fixture)
    ARTIFACTS,
    REVIEW,
    fill_in,
    lab_page,
    run_until,
    select_in,
    until,
    workbook,
)

pytestmark = needs_chromium
STUDY = "iwamoto2017effects"


def library_entry(key: str) -> str:
    """A study of the shipped review's library (a record that was read)."""
    text = (ROOT / "references" / "calf-massage" / "library.bib").read_text(encoding="utf-8")
    start = text.index(f"@article{{{key},")
    return text[start:text.index("\n}\n", start) + 3]


def test_two_reviewers_extract_a_row_and_the_reconcile_view_settles_it(workbook):  # noqa: F811
    root, base = workbook
    data = root / "data" / REVIEW
    (data / "review.toml").write_text("[reviewers]\nextraction = 2\nrob = 2\n", encoding="utf-8")
    with open(root / "references" / REVIEW / "library.bib", "a", encoding="utf-8") as handle:
        handle.write("\n" + library_entry(STUDY))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with lab_page(errors) as page:
        run_until(page, base, "04-evidence-table", "button:has-text('Reload')", "reconcile-notebook-failed.png")
        form = page.locator(".widget-vbox").filter(has=page.locator("button:has-text('Save row')")).last
        view = page.locator(".widget-vbox").filter(has=page.locator("button:text-is('Reload')")).last

        def extract(reviewer: str, n: str, rows: int) -> None:
            fill_in(form, "reviewer", reviewer)
            options = form.locator(".widget-dropdown:has(label:text-is('row')) option")
            until(lambda: options.count() == rows, f"the rows offered to {reviewer}")
            if rows == 1:  # a new row
                select_in(form, "claim", index=1)
                select_in(form, "study", index=1)
            else:  # the row reviewer A began: its claim and study, none of A's answers
                select_in(form, "row", index=1)
                study = form.locator(".widget-dropdown:has(label:text-is('study')) select")
                until(lambda: STUDY in study.evaluate("s => s.options[s.selectedIndex].text"),
                      "the row's study in the form")
                assert form.locator(".widget-text:has(label:text-is('n')) input").input_value() == ""
            select_in(form, "design", "mechanistic-human")
            fill_in(form, "n", n)
            fill_in(form, "population", "healthy male university students")
            fill_in(form, "intervention", "friction massage of the popliteal fossa")
            fill_in(form, "outcome", "popliteal vein blood flow velocity")
            select_in(form, "direction", "supports")
            select_in(form, "population", "same")
            select_in(form, "intervention", "related")
            select_in(form, "comparator", "none")
            select_in(form, "outcome", "same")
            fill_in(form, "indirectness note", "friction behind the knee, not calf kneading")
            fill_in(form, "finding", "Popliteal vein velocity rose after friction massage behind the knee.")
            fill_in(form, "locator", "abstract, results")
            form.locator("button:has-text('Save row')").click()
            until(lambda: f"E001 to extractions.csv as {reviewer}" in form.inner_text(), f"{reviewer}'s save confirmed")

        try:
            extract("reviewer A", "15", rows=1)
            extract("reviewer B", "16", rows=2)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "reconcile-extraction-failed.png"), full_page=True)
            (ARTIFACTS / "reconcile-extraction-failed.html").write_text(form.inner_html(), encoding="utf-8")
            raise
        assert not (data / "evidence.csv").read_text().count("\n") > 1  # nothing in evidence.csv before reconciling

        try:
            view.locator("button:text-is('Reload')").click()
            until(lambda: view.locator(".widget-dropdown:has(label:text-is('n')) select").count() == 1,
                  "the row's one conflict, n, to settle")
            assert "reviewer A" in view.inner_text() and "reviewer B" in view.inner_text()
            select_in(view, "n", "second")
            fill_in(view, "reason", "a test settlement: the second count taken")
            view.locator("button:has-text('Settle')").scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "reconcile-view.png"))
            view.locator("button:has-text('Settle')").click()
            until(lambda: "the consensus is in" in view.inner_text(), "the view to confirm the consensus")
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "reconcile-view-failed.png"), full_page=True)
            (ARTIFACTS / "reconcile-view-failed.html").write_text(view.inner_html(), encoding="utf-8")
            raise

        # risk of bias, twice: each reviewer's own judgement, then the one conflict settled
        rob = page.locator(".widget-vbox").filter(has=page.locator("button:text-is('Save')")).filter(
            has=page.locator(".widget-text:has(label:text-is('Reviewer'))")).last
        try:
            for reviewer, judgement in (("reviewer A", "high"), ("reviewer B", "some-concerns")):
                fill_in(rob, "Reviewer", reviewer)
                select_in(rob, "Study", STUDY)
                rob.locator(".widget-toggle-buttons button:text-is('design')").click()
                select_in(rob, "overall", judgement)
                fill_in(rob, "Note", f"uncontrolled before-after measurement ({reviewer})")
                rob.locator("button:text-is('Save')").click()
                until(lambda reviewer=reviewer: (data / "rob_extractions.csv").is_file()
                      and reviewer in (data / "rob_extractions.csv").read_text(encoding="utf-8"),
                      f"{reviewer}'s risk of bias on disk")
            assert not (data / "rob.csv").is_file() or STUDY not in (data / "rob.csv").read_text(encoding="utf-8")
            view.locator("button:text-is('Reload')").click()
            menu = view.locator(".widget-dropdown:has(label:text-is('row')) select")
            [item] = until(lambda: [o for o in menu.locator("option").all_inner_texts() if "risk of bias" in o.replace("\xa0", " ")],
                           "the study's two judgements in the view")
            menu.select_option(label=item)
            until(lambda: view.locator(".widget-dropdown:has(label:text-is('overall')) select").count() == 1,
                  "the one risk-of-bias conflict, overall, to settle")
            select_in(view, "overall", "first")
            fill_in(view, "reason", "a test settlement: the first judgement kept")
            view.locator("button:has-text('Settle')").click()
            until(lambda: (data / "rob.csv").is_file() and STUDY in (data / "rob.csv").read_text(encoding="utf-8"),
                  "the consensus judgement in rob.csv")
            view.locator("button:has-text('Settle')").scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "reconcile-rob.png"))
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "reconcile-rob-failed.png"), full_page=True)
            raise

    assert errors == []
    rv = Review.load(REVIEW, root)
    assert sorted(rv.extractions["reviewer"]) == ["reviewer A", "reviewer B"]
    assert sorted(rv.extractions["n"]) == [15, 16]
    [settled] = rv.reconciliation.to_dict("records")
    assert ({k: settled[k] for k in ("evidence_id", "claim_id", "field", "first", "second", "consensus",
                                      "settled_by")}
            == {"evidence_id": "E001", "claim_id": "C01", "field": "n", "first": "15", "second": "16",
                "consensus": "16", "settled_by": "second-taken"})
    [row] = rv.evidence.to_dict("records")
    assert (row["evidence_id"], row["study_key"], row["n"], row["direction"], row["indirectness"]) == (
        "E001", STUDY, 16, "supports", "some")
    assert sorted(zip(rv.rob_extractions["reviewer"], rv.rob_extractions["judgement"])) == [
        ("reviewer A", "high"), ("reviewer B", "some-concerns")]
    [rob_settled] = rv.rob_reconciliation.to_dict("records")
    assert (rob_settled["study_key"], rob_settled["first"], rob_settled["second"], rob_settled["consensus"],
            rob_settled["settled_by"]) == (STUDY, "high", "some-concerns", "high", "first-kept")
    assert list(rv.rob["judgement"]) == ["high"]
    [answers] = rv.indirectness.to_dict("records")
    assert [answers[q] for q in ("population", "intervention", "comparator", "outcome")] == [
        "same", "related", "none", "same"]
    os.environ["LITREVIEW_ROOT"] = str(root)
    try:
        assert main(["check", "--review", REVIEW]) == 0
    finally:
        os.environ.pop("LITREVIEW_ROOT")
