"""GRADE rules on small constructed evidence sets, and properties that must always hold."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from litreview.grading import (LEVELS, POINTS, START_BY_DESIGN, VERDICTS, grade_claim, grade_review,
                               rating, study_rob, verdict_table)
from litreview.review import Review

from conftest import ROOT

CLAIM = {"claim_id": "X01", "testable": True, "category": "efficacy"}


def ev(*specs) -> pd.DataFrame:
    """specs: (design, n, direction, rob, indirectness)."""
    columns = ["evidence_id", "claim_id", "study_key", "design", "n", "direction", "rob", "indirectness"]
    return pd.DataFrame([{"evidence_id": f"E{i:03d}", "claim_id": "X01", "study_key": f"s{i}", "design": d,
                          "n": n, "direction": dr, "rob": rob, "indirectness": ind}
                         for i, (d, n, dr, rob, ind) in enumerate(specs, 1)], columns=columns)


GOOD_RCT = ("rct", 500, "supports", "low", "none")


def test_large_direct_low_risk_trials_give_high_certainty_and_supported():
    g = grade_claim(CLAIM, ev(GOOD_RCT, GOOD_RCT), {})
    assert g.start == "high" and g.certainty == "high" and g.verdict == "supported"
    assert all(d.down == 0 for d in g.domains)


def test_observational_evidence_starts_low():
    g = grade_claim(CLAIM, ev(("cohort", 800, "supports", "low", "none")), {})
    assert g.start == "low" and g.certainty == "low" and g.verdict == "partly supported"


def test_case_reports_start_very_low():
    g = grade_claim(CLAIM, ev(("case-report", 1, "supports", "low", "none")), {})
    assert g.start == "very low" and g.certainty == "very low" and g.verdict == "unsupported"


def test_mechanistic_human_study_starts_low_for_a_mechanism_claim_only():
    rows = ev(("mechanistic-human", 600, "supports", "low", "none"))
    assert grade_claim({**CLAIM, "category": "mechanism"}, rows, {}).start == "low"
    assert grade_claim(CLAIM, rows, {}).start == "very low"


def test_some_concerns_in_most_rows_rates_down_once_and_cites_the_rows():
    g = grade_claim(CLAIM, ev(("rct", 500, "supports", "some-concerns", "none"), GOOD_RCT,
                              ("rct", 500, "supports", "some-concerns", "none")), {})
    rob = g.domains[0]
    assert rob.down == 1 and "E001" in rob.reason and "E003" in rob.reason and "E002" not in rob.reason
    assert g.certainty == "moderate"


def test_conflicting_directions_rate_down_for_inconsistency():
    g = grade_claim(CLAIM, ev(GOOD_RCT, ("rct", 500, "no-effect", "low", "none")), {})
    assert g.domains[1].name == "inconsistency" and g.domains[1].down == 1
    assert g.direction == "mixed"


def test_indirect_evidence_rates_down():
    g = grade_claim(CLAIM, ev(("rct", 500, "supports", "low", "some"), ("rct", 500, "supports", "low", "some")), {})
    assert g.domains[2].down == 1 and g.certainty == "moderate"


@pytest.mark.parametrize("n, down", [(50, 2), (150, 1), (1000, 0)])
def test_imprecision_follows_the_information_size(n, down):
    g = grade_claim(CLAIM, ev(("rct", n, "supports", "low", "none")), {})
    assert g.domains[3].down == down


def test_unknown_sample_size_is_imprecise_but_not_counted_as_zero():
    g = grade_claim(CLAIM, ev(("rct", None, "supports", "low", "none")), {})
    assert g.domains[3].down == 1 and "not reported" in g.domains[3].reason


def test_small_favourable_studies_only_suggest_publication_bias():
    g = grade_claim(CLAIM, ev(("rct", 40, "supports", "low", "none"), ("rct", 30, "supports", "low", "none")), {})
    assert g.domains[4].down == 1


def test_high_certainty_of_no_effect_contradicts_the_claim():
    g = grade_claim(CLAIM, ev(*[("rct", 500, "no-effect", "low", "none")] * 2), {})
    assert g.verdict == "contradicted"


def test_no_evidence_is_unsupported_and_says_so():
    g = grade_claim(CLAIM, ev(), {})
    assert g.verdict == "unsupported" and g.certainty == "very low" and "No study was found" in g.rationale


def test_traditional_theory_is_not_testable():
    g = grade_claim({**CLAIM, "testable": False}, ev(GOOD_RCT), {})
    assert g.verdict == "not testable" and g.certainty is None


def test_only_flawed_evidence_is_very_low():
    g = grade_claim(CLAIM, ev(("rct", 5000, "supports", "high", "none"), ("rct", 5000, "supports", "low", "serious")), {})
    assert g.certainty == "very low" and g.flawed_ids == ["E001", "E002"]


def test_study_rob_derivation():
    rob = pd.DataFrame([
        ("t1", "rob2", "randomisation", "low"), ("t1", "rob2", "measurement", "some-concerns"),
        ("t2", "rob2", "randomisation", "low"), ("t2", "rob2", "selection", "high"),
        ("r1", "amstar2", "protocol", "no"), ("r1", "amstar2", "search", "no"),
        ("r2", "amstar2", "protocol", "no"), ("r2", "amstar2", "search", "yes"),
        ("r3", "amstar2", "protocol", "yes"), ("r3", "amstar2", "search", "partial-yes"),
        ("c1", "design", "overall", "high")], columns=["study_key", "tool", "domain", "judgement"])
    assert study_rob(rob) == {"t1": "some-concerns", "t2": "high", "r1": "high", "r2": "some-concerns",
                              "r3": "low", "c1": "high"}


def test_verdict_table_covers_every_direction_and_level():
    table = verdict_table()
    assert list(table.columns) == ["high", "moderate", "low", "very low"]
    assert set(table.index) == set(VERDICTS)
    assert "supported" not in set(table.loc["none"])


def test_ratings_map_every_verdict():
    assert rating("supported", "high") == (5, "Supported (high certainty)")
    assert rating("contradicted", "low")[0] == 1
    assert rating("not testable", None) == (None, "Not testable")
    values = [rating(VERDICTS[d][c], c)[0] for d in VERDICTS for c in LEVELS]
    assert all(1 <= v <= 5 for v in values)


def test_override_is_kept_beside_the_computed_value():
    claims = pd.DataFrame([{**CLAIM, "article_id": "a", "group": "g"}])
    evidence = ev(GOOD_RCT, GOOD_RCT).assign(study_key=["s1", "s2"])
    rob = pd.DataFrame([("s1", "rob2", "randomisation", "low"), ("s2", "rob2", "randomisation", "low")],
                       columns=["study_key", "tool", "domain", "judgement"])
    overrides = pd.DataFrame([{"claim_id": "X01", "field": "certainty", "value": "low",
                               "justification": "trials were sponsored by the device maker", "reviewer": "AB",
                               "date": "2026-11-21"}])
    row = grade_review(claims, evidence.drop(columns="rob"), rob, overrides).iloc[0]
    assert row["computed_certainty"] == "high" and row["certainty"] == "low"
    assert row["computed_verdict"] == "supported" and row["verdict"] == "partly supported"
    assert row["overridden"] and "sponsored" in row["override_note"]


# --- properties -----------------------------------------------------------------------------

designs = st.sampled_from(sorted(START_BY_DESIGN))
row = st.tuples(designs, st.one_of(st.none(), st.integers(1, 3000)),
                st.sampled_from(["supports", "contradicts", "mixed", "no-effect"]),
                st.sampled_from(["low", "some-concerns", "high"]), st.sampled_from(["none", "some", "serious"]))
flawed_row = st.one_of(
    st.tuples(designs, st.one_of(st.none(), st.integers(1, 3000)),
              st.sampled_from(["supports", "contradicts", "mixed", "no-effect"]), st.just("high"),
              st.sampled_from(["none", "some", "serious"])),
    st.tuples(designs, st.one_of(st.none(), st.integers(1, 3000)),
              st.sampled_from(["supports", "contradicts", "mixed", "no-effect"]),
              st.sampled_from(["low", "some-concerns", "high"]), st.just("serious")))


@settings(max_examples=300, deadline=None)
@given(st.lists(row, max_size=6), flawed_row, st.sampled_from(["efficacy", "mechanism"]))
def test_adding_a_flawed_study_never_raises_certainty(rows, extra, category):
    claim = {**CLAIM, "category": category}
    before = grade_claim(claim, ev(*rows), {})
    after = grade_claim(claim, ev(*rows, extra), {})
    assert POINTS[after.certainty] <= POINTS[before.certainty]


@settings(max_examples=300, deadline=None)
@given(st.lists(row, min_size=1, max_size=6))
def test_certainty_never_exceeds_the_start_without_an_upgrade(rows):
    g = grade_claim(CLAIM, ev(*rows), {})
    assert g.upgrade == 0  # no pooled effects here, so no upgrade is possible
    assert POINTS[g.certainty] <= POINTS[g.start]


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["efficacy", "mechanism", "safety", "dosage", "anatomy"]))
def test_no_evidence_is_never_supported(category):
    g = grade_claim({**CLAIM, "category": category}, ev(), {})
    assert g.verdict not in ("supported", "partly supported")


def test_every_claim_of_the_shipped_review_is_graded_with_reasons():
    rv = Review.load("calf-massage", ROOT)
    grades = grade_review(rv.claims, rv.evidence, rv.rob, rv.overrides)
    assert len(grades) == len(rv.claims)
    testable = grades[grades["testable"]]
    assert testable["verdict"].isin(["supported", "partly supported", "unsupported", "contradicted"]).all()
    assert (grades.loc[~grades["testable"], "verdict"] == "not testable").all()
    with_rows = testable[testable["evidence_rows"] > 0]
    assert with_rows["risk_of_bias_reason"].str.contains(r"E\d{3}").all()
