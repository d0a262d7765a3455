"""PRISMA counts from the logs, and the figures drawn from real tables."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd

from conftest import ROOT
from litreview.collect import prisma
from litreview.grade.grading import grade_review
from litreview.report import plots
from litreview.tables.review import Review

LOG = pd.DataFrame({"search_id": ["S001", "S002"], "hits": [10, 8], "screened": [3, 2]})
SCREENING = pd.DataFrame({
    "record_key": ["a2020x", "10.1/b", "a2020x", "10.1/c", "10.1/b"],
    "search_id": ["S001", "S001", "S002", "S002", "S002"],
    "decision": ["include", "exclude", "include", "exclude", "exclude"],
    "reason": ["", "blog, not a study", "", "wrong population", "blog, not a study"]})
EVIDENCE = pd.DataFrame({"study_key": ["a2020x", "a2020x"]})


def test_counts_are_derived_from_the_logs():
    c = prisma.counts(LOG, SCREENING, EVIDENCE)
    assert (c.identified, c.excluded_on_title) == (18, 13)
    assert (c.screening_rows, c.assessed, c.duplicates) == (5, 3, 2)
    assert (c.excluded, c.included_records, c.studies_in_review) == (2, 1, 1)
    assert c.exclusion_reasons == {"not a study": 1, "wrong population": 1}


def test_a_record_included_by_one_search_is_not_counted_as_excluded():
    screening = pd.concat([SCREENING, pd.DataFrame([{"record_key": "a2020x", "search_id": "S003",
                                                     "decision": "exclude", "reason": "duplicate of a2020x"}])])
    assert prisma.counts(LOG, screening, EVIDENCE).excluded == 2


def test_shipped_counts_add_up():
    rv = Review.load("calf-massage", ROOT)
    c = prisma.counts(rv.search_log, rv.screening, rv.evidence)
    assert c.identified == c.excluded_on_title + c.screening_rows
    assert c.assessed == c.excluded + c.included_records
    assert c.studies_in_review == rv.evidence["study_key"].nunique()


def test_figures_draw_from_the_shipped_tables():
    rv = Review.load("calf-massage", ROOT)
    grades = grade_review(rv.claims, rv.evidence, rv.rob, rv.overrides)
    fig = plots.verdicts_by_certainty(grades)
    assert sum(len(c) for c in fig.axes[0].containers) >= 2
    fig = plots.forest(rv.evidence.dropna(subset=["effect"]))
    assert len(fig.axes) == rv.evidence["effect_measure"].nunique()
    fig = plots.evidence_map(rv.evidence, rv.claims)
    assert len(fig.axes[0].get_yticks()) == rv.evidence["claim_id"].nunique()
    fig = plots.prisma_flow(prisma.counts(rv.search_log, rv.screening, rv.evidence))
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert f"{rv.search_log['hits'].sum()} records" in texts


def test_two_stages_of_one_record_are_not_a_duplicate_and_fill_the_full_text_boxes():
    screening = pd.DataFrame({
        "record_key": ["r1", "r1", "r2", "r2", "r3", "r3", "r4", "r4"],
        "search_id": ["S001", "S001", "S001", "S001", "S001", "S001", "S001", "S002"],
        "stage": ["title-abstract", "full-text", "title-abstract", "full-text", "title-abstract", "full-text",
                  "title-abstract", "title-abstract"],
        "decision": ["include", "include", "include", "exclude", "include", "exclude", "exclude", "exclude"],
        "reason": ["", "", "", "not-retrieved", "", "wrong-population", "wrong-outcome", "wrong-outcome"]})
    c = prisma.counts(pd.DataFrame({"search_id": ["S001", "S002"], "hits": [20, 5], "screened": [7, 1]}),
                      screening, EVIDENCE)
    assert c.duplicates == 1          # r4 met again by S002; the two stages of r1, r2, r3 are not duplicates
    assert c.assessed == 4
    assert (c.reports_sought, c.reports_not_retrieved, c.reports_assessed, c.reports_excluded) == (3, 1, 2, 1)
    # vocabulary reasons are taken as they stand
    assert c.exclusion_reasons == {"not retrieved": 1, "wrong population": 1, "wrong outcome": 1}
    frame = c.as_frame().set_index("stage")["count"]
    assert frame["reports not retrieved"] == 1 and frame["reports assessed for eligibility"] == 2
    assert c.excluded_at_title_abstract == 1  # r4; r2 and r3 left at full text
    texts = [t.get_text() for t in plots.prisma_flow(c).axes[0].texts]
    for box in ("Reports sought for retrieval\n3", "Reports not retrieved\n1", "Reports assessed for eligibility\n2"):
        assert box in texts
    # each box lists the reasons of the records that left at its stage
    assert c.full_text_reasons == {"wrong population": 1}  # the report not retrieved has its own box
    excluded = next(t for t in texts if t.startswith("Reports excluded\n1\n"))
    assert "wrong population: 1" in excluded and "wrong outcome" not in excluded and "not retrieved" not in excluded
    title_abstract = next(t for t in texts if t.startswith("Excluded after assessment\n1\n"))
    assert "wrong outcome: 1" in title_abstract and "wrong population" not in title_abstract


def test_a_review_without_full_text_decisions_says_so_in_the_flow():
    screening = pd.DataFrame({"record_key": ["r1", "r2"], "search_id": ["S001", "S001"],
                              "stage": ["title-abstract"] * 2, "decision": ["include", "exclude"],
                              "reason": ["", "wrong-outcome"]})
    c = prisma.counts(pd.DataFrame({"search_id": ["S001"], "hits": [9], "screened": [2]}), screening, EVIDENCE)
    texts = [t.get_text() for t in plots.prisma_flow(c).axes[0].texts]
    assert "Reports sought for retrieval\n0\n(no full-text decisions recorded)" in texts
    assert any(t.startswith("Excluded after assessment\n1") and "wrong outcome: 1" in t for t in texts)


def test_risk_of_bias_lights_draw_only_the_domains_judged():
    rob = pd.DataFrame({"study_key": ["t1", "t1", "r1", "r1"], "tool": ["rob2", "rob2", "amstar2", "amstar2"],
                        "domain": ["randomisation", "selection", "protocol", "search"],
                        "judgement": ["low", "high", "no", "yes"], "support": [""] * 4})
    fig = plots.rob_traffic_lights(rob, {"t1": "high", "r1": "some-concerns"})
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels == ["randomisation", "selection", "protocol", "search", "overall"]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["t1", "r1"]  # trials first


def test_claims_are_counted_in_whole_numbers_on_the_verdict_chart():
    grades = pd.DataFrame({"certainty": ["very low"], "verdict": ["unsupported"]})
    fig = plots.verdicts_by_certainty(grades)
    fig.canvas.draw()
    shown = [t.get_text() for t in fig.axes[0].get_xticklabels()
             if fig.axes[0].get_xlim()[0] <= t.get_position()[0] <= fig.axes[0].get_xlim()[1]]
    assert shown and all(label.isdigit() for label in shown)
