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
