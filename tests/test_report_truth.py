"""Every figure and sentence of the report is computed from the grades and counts it
describes: the verdict chart drops no verdict, each PRISMA box counts a record once, the
Limitations name the domains that rated grades down, "could harm a reader" means a searched
safety or advice claim the evidence does not back, and "not checked" is not "none found"."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import pytest

from litreview.collect import prisma
from litreview.collect.status import report_section
from litreview.grade.assessment import Assessment
from litreview.grade.grading import DOMAINS
from litreview.report import plots
from litreview.report.sections import article_headline, rated_down, report_context
from litreview.tables.review import Review
from litreview.tables.schema import STUDY_STATUS, VERDICTS

EVIDENCE = pd.DataFrame({"study_key": ["s1"]})


def test_the_verdict_chart_draws_every_claim_whatever_its_verdict():
    levels = ["high", "moderate", "low", "very low"]
    grades = pd.DataFrame({"claim_id": [f"C{i:02d}" for i in range(len(VERDICTS))], "verdict": list(VERDICTS),
                           "certainty": [None if v == "not testable" else levels[i % 4] for i, v in enumerate(VERDICTS)]})
    fig = plots.verdicts_by_certainty(grades)
    ax = fig.axes[0]
    drawn = sum(bar.get_width() for container in ax.containers for bar in container)
    assert drawn == len(grades)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(VERDICTS)
    assert len({plots.VERDICT_COLOURS[v] for v in VERDICTS}) == len(VERDICTS)  # told apart


def test_each_prisma_box_lists_reasons_that_add_up_to_its_count():
    screening = pd.DataFrame({
        "record_key": ["a", "a", "b", "b", "c", "c", "d", "e"],
        "search_id": ["S001"] * 8,
        "stage": ["title-abstract", "full-text"] * 3 + ["title-abstract"] * 2,
        "decision": ["include", "exclude", "include", "exclude", "include", "include", "exclude", "exclude"],
        "reason": ["", "not-retrieved", "", "wrong-outcome", "", "", "wrong-population", "not-a-study"]})
    c = prisma.counts(pd.DataFrame({"search_id": ["S001"], "hits": [30], "screened": [5]}), screening, EVIDENCE)
    assert (c.reports_not_retrieved, c.reports_excluded, c.excluded_at_title_abstract) == (1, 1, 2)
    assert sum(c.full_text_reasons.values()) == c.reports_excluded
    assert sum(c.title_abstract_reasons.values()) == c.excluded_at_title_abstract
    texts = [t.get_text() for t in plots.prisma_flow(c).axes[0].texts]
    [excluded] = [t for t in texts if t.startswith("Reports excluded")]
    assert "not retrieved" not in excluded
    [left] = [t for t in texts if t.startswith("Excluded after assessment")]
    assert "not retrieved" not in left and "wrong outcome" not in left


def test_limitations_name_the_domains_that_rated_grades_down(review_root):
    assessment = Assessment.of(Review.load("ginger"))
    grades = assessment.grades
    text = " ".join(report_context(assessment, with_figures=False)["limitations"])
    assert "lowers most grades" not in text
    down = rated_down(grades[grades["testable"]])
    for domain in DOMAINS:
        assert (f"{domain} in " in text) == (domain in down), domain
    # a made-up set of grades: imprecision rated two down, every other domain none
    made = pd.DataFrame({d.replace(" ", "_"): ["not serious"] * 3 for d in DOMAINS}).assign(
        imprecision=["serious", "very serious", "not serious"])
    assert rated_down(made) == {"imprecision": 2}


def test_could_harm_a_reader_means_searched_safety_or_advice_the_evidence_does_not_back():
    rows = pd.DataFrame({
        "claim_id": ["A01", "A02", "A03", "A04"], "claim": ["consult a professional", "safe for all", "safe dose",
                                                            "helps sleep"],
        "testable": [True] * 4, "category": ["advice", "safety", "safety", "efficacy"],
        "kind": ["advice-safety", "advice-safety", "advice-safety", "intervention"],
        "verdict": ["unsupported", "contradicted", "supported", "unsupported"], "evidence_rows": [0, 2, 1, 0]})
    head = article_headline(rows, searched={"A02", "A03", "A04"})
    assert [c["claim_id"] for c in head["harm"]] == ["A02"]   # A01 was never searched: not judged yet
    assert [c["claim_id"] for c in head["risky_unsearched"]] == ["A01"]


def test_retractions_not_checked_is_not_none_found():
    sentence = report_section(STUDY_STATUS.empty())["sentence"]
    assert sentence.startswith("Not checked") and "None found" not in sentence and "0 of 0" not in sentence


def test_the_default_title_names_the_one_article(review_root):
    context = report_context(Assessment.of(Review.load("ginger")), with_figures=False)
    assert context["title"] == "Do the claims hold up? A graded review of “Ginger tea”"


# --- the printed page: nothing breaks inside a word or runs into the next column ------------------

def _cells(box, found):
    """Every table cell box of a laid-out page, with the text boxes inside it."""
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.TableCellBox):
        texts = []

        def collect(b):
            if isinstance(b, boxes.TextBox):
                texts.append(b)
            for child in getattr(b, "children", []):
                collect(child)
        collect(box)
        found.append((box, texts))
        return
    for child in getattr(box, "children", []):
        _cells(child, found)


def test_the_printed_tables_keep_words_whole_and_inside_their_columns():
    from weasyprint import HTML

    from conftest import ROOT, copy_project
    from litreview.grade.grading import LEVELS
    from litreview.report.sections import render_html

    with pytest.MonkeyPatch.context() as mp, tempfile.TemporaryDirectory() as tmp:
        root = copy_project(ROOT / "tests" / "fixtures" / "workbook", Path(tmp), mp)
        [name] = [p.name for p in (root / "data").iterdir()]
        rv = Review.load(name, root)
        context = report_context(Assessment.of(rv), with_figures=False)
        document = HTML(string=render_html(context)).render()
    words = {*LEVELS, *(w for v in VERDICTS for w in v.split()), *rv.evidence["study_key"]}
    cells = []
    for page in document.pages:
        _cells(page._page_box, cells)
    assert cells
    for cell, texts in cells:
        right = cell.position_x + cell.border_width() - cell.border_right_width
        for t in texts:
            assert t.position_x + t.width <= right + 0.5, f"{t.text!r} runs past its column"
        lines = [t.text for t in texts]
        joined, spaced = "".join(lines), " ".join(lines)
        broken = [w for w in words if w in joined and w not in spaced]
        assert not broken, f"broken across lines: {broken} in {lines}"


def test_a_new_review_says_no_search_was_logged_rather_than_a_blank_date(tmp_path, monkeypatch):
    from litreview.cli import main
    from litreview.report.sections import render_html

    (tmp_path / "pyproject.toml").write_text("[project]\nname='new'\n")
    (tmp_path / "data").mkdir()
    article = tmp_path / "cold.txt"
    article.write_text("Cold showers\nA cold shower every morning boosts your immune system. It burns fat too.\n")
    monkeypatch.setenv("LITREVIEW_ROOT", str(tmp_path))
    assert main(["new", "cold", "--article", str(article)]) == 0
    page = render_html(report_context(Assessment.of(Review.load("cold")), with_figures=False))
    assert "no search logged yet · 0 claims · 0 studies · 0 evidence rows" in page
    assert "searched up to  ·" not in page and "searched up to ·" not in page
    methods = " ".join(report_context(Assessment.of(Review.load("cold")), with_figures=False)["methods"])
    assert "No search has been logged yet" in methods and "between — and —" not in methods


def test_the_methods_count_searches_and_their_dates_as_logged():
    from types import SimpleNamespace

    from litreview.report.sections import _searches_methods

    counts = SimpleNamespace(assessed=3, included_records=1)

    def said(*dates: str) -> str:
        review = SimpleNamespace(search_log=pd.DataFrame({"date": list(dates)}), settings={})
        return _searches_methods(review, counts)

    assert said().startswith("Searches. No search has been logged yet")
    assert said("2026-01-12").startswith("Searches. 1 search on 2026-01-12, each logged")
    assert said("2026-01-12", "2026-02-01", "2026-01-20").startswith(
        "Searches. 3 searches between 2026-01-12 and 2026-02-01,")


def test_the_lede_agrees_in_number_with_one_claim():
    from types import SimpleNamespace

    from litreview.report.sections import _lede

    one = SimpleNamespace(articles=pd.DataFrame({"article_id": ["a"]}), claims=pd.DataFrame({"claim_id": ["C01"]}),
                          evidence=pd.DataFrame({"study_key": []}))
    lede = _lede(one, pd.DataFrame({"verdict": ["unsupported"]}))
    assert lede.startswith("1 claim quoted from 1 popular article was checked against 0 studies.")
    two = SimpleNamespace(**{**vars(one), "claims": pd.DataFrame({"claim_id": ["C01", "C02"]})})
    assert " were checked " in _lede(two, pd.DataFrame({"verdict": ["unsupported"] * 2}))


def test_the_summary_says_none_once_instead_of_counting_zeros():
    from litreview.report.sections import _holds_sentence

    one = pd.DataFrame({"claim_id": ["C01"]})
    nothing = one.iloc[0:0]
    fresh = _holds_sentence(one, nothing, nothing, [], ["C01"])
    assert fresh == ("Of 1 testable claim, none reaches even partial support. 1 claim is not searched yet (C01).")
    assert "(none)" not in fresh and "for 0" not in fresh.lower()
    three = pd.DataFrame({"claim_id": ["C01", "C02", "C03"]})
    mixed = _holds_sentence(three, three.iloc[[0]], three.iloc[[1]], ["C03"], [])
    assert mixed == ("Of 3 testable claims, 1 reaches at least partial support (C01); for 1 the best evidence "
                     "leans against the claim (C02). For 1 no study was found (C03), which the grade counts "
                     "against the claim.")
    assert _holds_sentence(nothing, nothing, nothing, [], []) == "No testable claims yet."


def test_the_methods_state_the_certainty_rules_in_force(review_root):
    """The Methods name the rules the engine applies now: some concerns count, reviews are judged
    by their trials, I² has two thresholds, events for dichotomous outcomes."""
    from litreview.grade import certainty_rules, grading

    methods = " ".join(report_context(Assessment.of(Review.load("ginger")), with_figures=False)["methods"])
    assert "one level unless most of the weight is at low risk" in methods
    assert "when the high-risk studies carried" not in methods
    assert f"two levels above {grading.I2_VERY_SERIOUS:.0%} when the estimates also point different ways" in methods
    assert f"powered for a {certainty_rules.RELATIVE_RISK_REDUCTION:.0%} relative risk reduction" in methods
    assert "two levels when it reaches appreciable benefit and appreciable harm" in methods
    assert f"two levels below {grading.VERY_SMALL_BODY} participants in all" in methods
    assert "a review that reports none of these leaves its trials' consistency unknown" in methods
    assert "below the participants such a trial needs at the control group's risk the rows report" in methods
