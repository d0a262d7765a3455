"""PRISMA counts from the logs, and the figures drawn from real tables."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd

from litreview import plots, prisma
from litreview.grading import grade_review
from litreview.review import Review

from conftest import ROOT

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
