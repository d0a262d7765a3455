"""Grading rules on small constructed evidence sets, one claim kind at a time, and properties
that must always hold."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT
from litreview.grade import verdicts
from litreview.grade.grading import (
    LEVELS,
    POINTS,
    START_BY_KIND,
    grade_claim,
    grade_claims,
    grade_review,
    study_rob,
    verdict_table,
)
from litreview.tables.review import Review
from litreview.tables.schema import CERTAINTIES, EXPERT_VERDICTS, KINDS, VERDICTS

CLAIM = {"claim_id": "X01", "testable": True, "category": "efficacy", "kind": "intervention",
         "quote": "Calf massage helps recovery"}


def ev(*specs) -> pd.DataFrame:
    """specs: (design, n, direction, rob, indirectness[, review_certainty])."""
    columns = ["evidence_id", "claim_id", "study_key", "design", "n", "direction", "rob", "indirectness",
               "review_certainty"]
    return pd.DataFrame([{"evidence_id": f"E{i:03d}", "claim_id": "X01", "study_key": f"s{i}", "design": s[0],
                          "n": s[1], "direction": s[2], "rob": s[3], "indirectness": s[4],
                          "review_certainty": s[5] if len(s) > 5 else None}
                         for i, s in enumerate(specs, 1)], columns=columns)


GOOD_RCT = ("rct", 500, "supports", "low", "none")


def domain(g, name):
    return next(d for d in g.domains if d.name == name)


# --- interventions: GRADE as the handbook states it ------------------------------------------

def test_large_direct_low_risk_trials_give_high_certainty_and_supported():
    g = grade_claim(CLAIM, ev(GOOD_RCT, GOOD_RCT), {})
    assert g.start == "high" and g.certainty == "high" and g.verdict == "supported" and g.expert == "yes"
    assert all(d.down == 0 for d in g.domains)


def test_observational_evidence_starts_low_and_reads_possibly_yes():
    g = grade_claim(CLAIM, ev(("cohort", 800, "supports", "low", "none")), {})
    assert g.start == "low" and g.certainty == "low"
    assert g.expert == "possibly yes" and g.verdict == "partly supported"


def test_case_reports_start_very_low_and_evidence_is_lacking():
    g = grade_claim(CLAIM, ev(("case-report", 1, "supports", "low", "none")), {})
    assert g.start == "very low" and g.expert == "evidence lacking" and g.verdict == "unsupported"


def test_some_concerns_carrying_most_weight_rate_down_one_and_are_named():
    # Cochrane Handbook 5.1 Table 12.2.d: not at low risk unless most information is at low risk
    g = grade_claim(CLAIM, ev(("rct", 500, "supports", "some-concerns", "none"), GOOD_RCT,
                              ("rct", 500, "supports", "some-concerns", "none")), {})
    rob = domain(g, "risk of bias")
    assert rob.down == 1 and "some concerns in E001, E003" in rob.reason
    assert g.certainty == "moderate"
    minority = domain(grade_claim(CLAIM, ev(("rct", 500, "supports", "some-concerns", "none"), GOOD_RCT,
                                            GOOD_RCT), {}), "risk of bias")
    assert minority.down == 0 and "some concerns in E001" in minority.reason


def test_high_risk_rows_carrying_most_weight_are_set_aside_and_rate_down():
    g = grade_claim(CLAIM, ev(("rct", 2000, "supports", "high", "none"), GOOD_RCT), {})
    assert g.flawed_ids == ["E001"] and g.primary_ids == ["E002"]
    rob = domain(g, "risk of bias")
    assert rob.down == 1 and "E001" in rob.reason and "80%" in rob.reason


def test_one_small_null_among_many_agreeing_trials_is_not_inconsistent():
    rows = [("rct", 60, "supports", "low", "none")] * 7 + [("rct", 40, "no-effect", "low", "none"),
                                                          ("rct", 60, "mixed", "low", "none")]
    g = grade_claim(CLAIM, ev(*rows), {})
    assert domain(g, "inconsistency").down == 0 and g.direction == "supports"


def test_a_material_share_of_weight_the_other_way_rates_down_for_inconsistency():
    g = grade_claim(CLAIM, ev(("rct", 600, "supports", "low", "none"), ("rct", 300, "no-effect", "low", "none")), {})
    inc = domain(g, "inconsistency")
    assert inc.down == 1 and "33%" in inc.reason and g.direction == "supports"


def test_balanced_conflict_is_contradictory_and_disputed():
    g = grade_claim(CLAIM, ev(GOOD_RCT, ("rct", 500, "no-effect", "low", "none")), {})
    assert g.direction == "mixed" and g.expert == "contradictory" and g.verdict == "disputed"


def test_indirectness_rates_down_only_when_most_of_the_weight_is_indirect():
    most = grade_claim(CLAIM, ev(("rct", 500, "supports", "low", "some"), ("rct", 100, "supports", "low", "none")), {})
    few = grade_claim(CLAIM, ev(("rct", 100, "supports", "low", "some"), ("rct", 500, "supports", "low", "none")), {})
    assert domain(most, "indirectness").down == 1 and domain(few, "indirectness").down == 0


@pytest.mark.parametrize("n, down", [(150, 1), (399, 1), (400, 0), (1000, 0)])
def test_imprecision_follows_the_optimal_information_size(n, down):
    g = grade_claim(CLAIM, ev(("rct", n, "supports", "low", "none")), {})
    assert domain(g, "imprecision").down == down


def test_unknown_sample_size_is_imprecise_but_not_counted_as_zero():
    g = grade_claim(CLAIM, ev(("rct", None, "supports", "low", "none")), {})
    imp = domain(g, "imprecision")
    assert imp.down == 1 and "not reported" in imp.reason


def test_publication_bias_needs_several_small_favourable_studies():
    two = grade_claim(CLAIM, ev(("rct", 40, "supports", "low", "none"), ("rct", 30, "supports", "low", "none")), {})
    one = grade_claim(CLAIM, ev(("rct", 40, "supports", "low", "none")), {})
    assert domain(two, "publication bias").down == 1 and domain(one, "publication bias").down == 0


def test_a_review_reporting_its_own_grade_is_the_start_rated_down_only_for_indirectness():
    direct = grade_claim(CLAIM, ev(("systematic-review", 40, "supports", "low", "none", "moderate")), {})
    assert direct.start == "moderate" and direct.certainty == "moderate" and direct.review_rated == "E001"
    assert direct.expert == "probably yes" and direct.verdict == "supported"
    indirect = grade_claim(CLAIM, ev(("systematic-review", 40, "supports", "low", "some", "moderate")), {})
    assert indirect.certainty == "low" and domain(indirect, "indirectness").down == 1
    assert domain(indirect, "imprecision").down == 0  # the review's own rating covers it


def test_high_certainty_of_no_effect_contradicts_the_claim():
    g = grade_claim(CLAIM, ev(*[("rct", 500, "no-effect", "low", "none")] * 2), {})
    assert g.expert == "no" and g.verdict == "contradicted"


def test_low_certainty_against_is_possibly_no_not_evidence_lacking():
    low = grade_claim(CLAIM, ev(("cohort", 900, "contradicts", "low", "none")), {})
    very_low = grade_claim(CLAIM, ev(("case-series", 20, "contradicts", "low", "none")), {})
    assert low.expert == "possibly no" and low.verdict == "contradicted"
    assert very_low.expert == "evidence lacking" and very_low.verdict == "unsupported"


# --- the direction gate --------------------------------------------------------------------

def test_seriously_indirect_rows_alone_cannot_set_the_direction():
    g = grade_claim(CLAIM, ev(*[("rct", 5000, "supports", "low", "serious")] * 3), {})
    assert g.direction == "none" and g.context_direction == "supports"
    assert g.certainty == "very low" and g.verdict == "unsupported" and "context" in g.rationale


def test_direct_evidence_decides_even_against_much_indirect_support():
    g = grade_claim(CLAIM, ev(*[("rct", 5000, "supports", "low", "serious")] * 3,
                              ("case-report", 1, "contradicts", "low", "none")), {})
    assert g.direction == "contradicts" and g.context_direction == "supports"


# --- other kinds ----------------------------------------------------------------------------

def test_physiology_from_direct_human_measurement_can_be_high_without_trials():
    claim = {**CLAIM, "kind": "physiology", "category": "anatomy"}
    rows = ev(("mechanistic-human", 20, "supports", "low", "none"), ("reference-standard", None, "supports", "low", "none"))
    g = grade_claim(claim, rows, {})
    assert g.start == "high" and g.certainty == "high" and g.verdict == "supported"
    assert [d.name for d in g.domains] == ["risk of bias", "inconsistency", "indirectness"]
    # the same study for an intervention claim is very low
    assert grade_claim(CLAIM, rows.iloc[:1], {}).certainty == "very low"


def test_a_tradition_is_judged_against_its_reference_standard_and_never_reads_as_support():
    claim = {**CLAIM, "kind": "tradition", "category": "anatomy"}
    right = grade_claim(claim, ev(("reference-standard", None, "supports", "low", "none")), {})
    wrong = grade_claim(claim, ev(("reference-standard", None, "contradicts", "low", "none")), {})
    second_hand = grade_claim(claim, ev(("rct", 80, "supports", "low", "none")), {})
    assert right.verdict == "accurate description" and right.certainty == "high"
    assert wrong.verdict == "inaccurate description"
    assert second_hand.certainty == "moderate" and second_hand.verdict == "accurate description"
    assert "supported" not in {right.verdict, wrong.verdict, second_hand.verdict}


def test_advice_and_safety_rest_on_guidance_and_harm_reports():
    claim = {**CLAIM, "kind": "advice-safety", "category": "safety"}
    g = grade_claim(claim, ev(("guideline", None, "supports", "low", "none")), {})
    harms = grade_claim(claim, ev(("case-report", 1, "supports", "low", "none"), ("case-report", 1, "supports", "low", "none")), {})
    assert g.certainty == "high" and g.verdict == "supported"
    assert harms.start == "low" and harms.verdict == "partly supported"


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_its_standard(kind):
    assert kind == "traditional-theory" or set(START_BY_KIND[kind].values()) <= set(LEVELS)


# --- overstatement ---------------------------------------------------------------------------

def test_strong_wording_beyond_low_certainty_is_overstated():
    claim = {**CLAIM, "quote": "Acupressure can effectively relieve pain"}
    g = grade_claim(claim, ev(("cohort", 800, "supports", "low", "none")), {})
    assert g.verdict == "overstated" and "effectively" in g.overstated and "low certainty" in g.overstated
    assert g.expert == "possibly yes"


def test_strong_wording_is_not_overstated_when_the_evidence_is_strong():
    claim = {**CLAIM, "quote": "It will help you heal faster"}
    assert grade_claim(claim, ev(GOOD_RCT, GOOD_RCT), {}).verdict == "supported"


def test_strong_wording_against_the_evidence_is_contradicted_not_overstated():
    claim = {**CLAIM, "quote": "It significantly reduces stress"}
    g = grade_claim(claim, ev(*[("rct", 500, "no-effect", "low", "none")] * 2), {})
    assert g.verdict == "contradicted" and g.overstated == ""


def test_a_small_effect_behind_strong_wording_is_overstated_even_at_high_certainty():
    claim = {**CLAIM, "quote": "massage significantly improves flexibility"}
    rows = ev(GOOD_RCT, GOOD_RCT).assign(effect_measure="SMD", effect=[0.3, 0.25])
    g = grade_claim(claim, rows, {})
    assert g.certainty == "high" and g.small_effect and g.expert == "yes, a little"
    assert g.verdict == "overstated" and "small effect" in g.overstated


def test_overstatement_cues_are_whole_words():
    assert verdicts.overstatement_cues("The best, quickest way; effectively and definitely") == [
        "best", "effectively", "definitely"]
    assert verdicts.overstatement_cues("an ineffective bestseller") == []


# --- no evidence, traditional theory ---------------------------------------------------------

def test_no_evidence_is_unsupported_and_says_so():
    g = grade_claim(CLAIM, ev(), {})
    assert g.verdict == "unsupported" and g.certainty == "very low" and "No study was found" in g.rationale
    assert g.expert == "evidence lacking"


def test_traditional_theory_is_not_testable():
    g = grade_claim({**CLAIM, "testable": False, "kind": "traditional-theory"}, ev(GOOD_RCT), {})
    assert g.verdict == "not testable" and g.certainty is None and g.expert == "not applicable"


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
    assert table.loc["supports", "moderate"] == "supported (probably yes)"
    assert table.loc["contradicts", "low"] == "contradicted (possibly no)"
    assert not table.loc["none"].str.startswith("supported").any()


def test_every_verdict_maps_to_a_rating_and_every_expert_label_to_a_verdict():
    for row in verdicts.scale_table():
        assert row["verdict"] in VERDICTS and 1 <= row["rating"] <= 5
    assert {r["expert"] for r in verdicts.scale_table()} >= set(EXPERT_VERDICTS) - {"not applicable"}
    assert verdicts.rating("not testable", "not applicable", None) == (None, "Not testable")
    assert verdicts.rating("contradicted", "possibly no", "low") == (1, "Contradicted: possibly no (low certainty)")


# --- overrides ---------------------------------------------------------------------------------

def _review_of(evidence):
    claims = pd.DataFrame([{**CLAIM, "article_id": "a", "group": "g"}])
    keys = sorted(set(evidence["study_key"]))
    rob = pd.DataFrame([(k, "rob2", "randomisation", r) for k, r in zip(evidence["study_key"], evidence["rob"])],
                       columns=["study_key", "tool", "domain", "judgement"]).drop_duplicates("study_key")
    assert sorted(rob["study_key"]) == keys
    return claims, evidence.drop(columns="rob"), rob


def test_override_is_kept_beside_the_computed_value():
    claims, evidence, rob = _review_of(ev(GOOD_RCT, GOOD_RCT))
    overrides = pd.DataFrame([{"claim_id": "X01", "field": "certainty", "value": "low",
                               "justification": "trials were sponsored by the device maker", "reviewer": "AB",
                               "date": "2026-11-21"}])
    row = grade_review(claims, evidence, rob, overrides).iloc[0]
    assert row["computed_certainty"] == "high" and row["certainty"] == "low"
    assert row["computed_verdict"] == "supported" and row["verdict"] == "partly supported"
    assert row["expert_verdict"] == "possibly yes"
    assert row["overridden"] and "sponsored" in row["override_note"]


@pytest.mark.parametrize("certainty", CERTAINTIES)
@pytest.mark.parametrize("verdict", [v for v in VERDICTS if v != "not testable"])
def test_every_override_verdict_at_every_certainty_has_a_rating(verdict, certainty):
    claims, evidence, rob = _review_of(ev(GOOD_RCT, GOOD_RCT))
    overrides = pd.DataFrame([{"claim_id": "X01", "field": f, "value": v, "justification": "j", "reviewer": "AB",
                               "date": "2026-11-21"} for f, v in (("verdict", verdict), ("certainty", certainty))])
    row = grade_review(claims, evidence, rob, overrides).iloc[0]
    assert row["verdict"] == verdict and row["certainty"] == certainty
    assert 1 <= row["rating_value"] <= 5 and row["rating_label"].startswith(verdict.capitalize())


# --- pooling takes only the rows the grade rests on -------------------------------------------

def _cohorts(*specs):
    """specs: (rob, RR, low, high)."""
    rows = ev(*[("cohort", 300, "supports", rob, "none") for rob, *_ in specs])
    return rows.assign(effect_measure="RR", effect=[s[1] for s in specs], ci_low=[s[2] for s in specs],
                       ci_high=[s[3] for s in specs], outcome="clots")


def test_a_high_risk_cohort_never_enters_a_pooled_estimate_or_raises_certainty():
    sound = [("low", 0.7, 0.5, 0.98), ("low", 0.65, 0.45, 0.94)]
    before = grade_review(*_review_of(_cohorts(*sound))).iloc[0]
    with_flawed = _cohorts(*sound, ("high", 0.05, 0.03, 0.08))
    after = grade_review(*_review_of(with_flawed)).iloc[0]
    assert after["upgrade"] == 0 and POINTS[after["certainty"]] <= POINTS[before["certainty"]]
    grades, _, _ = grade_claims(*_review_of(with_flawed))
    assert [p.evidence_ids for p in grades[0].pooled] == [("E001", "E002")]


def _smd(design, smd, low, high):
    return (design, 60, "supports", "low", "none", smd, low, high)


def _effects(*specs):
    rows = ev(*[s[:5] for s in specs])
    return rows.assign(effect_measure="SMD", outcome="pain", effect=[s[5] for s in specs],
                       ci_low=[s[6] for s in specs], ci_high=[s[7] for s in specs])


def test_pooling_stays_inside_the_design_stratum_the_grade_rests_on():
    """Two low-risk trials that agree and one animal study with a far larger effect: the grade
    rests on the trials, so only they are pooled; the animal SMD (I² near 90% if pooled with
    them) neither rates inconsistency down nor enters the pooled estimate."""
    rows = _effects(_smd("rct", -0.40, -0.70, -0.10), _smd("rct", -0.35, -0.65, -0.05),
                    _smd("animal", -2.50, -3.00, -2.00))
    grades, table, _ = grade_claims(*_review_of(rows))
    g = grades[0]
    assert g.primary_ids == ["E001", "E002"]
    assert [p.evidence_ids for p in g.pooled] == [("E001", "E002")]
    assert g.pooled[0].i2 < 0.5
    assert table.iloc[0]["inconsistency"] == "not serious"


# --- properties ------------------------------------------------------------------------------

designs = st.sampled_from(sorted(START_BY_KIND["intervention"]))
directions = st.sampled_from(["supports", "contradicts", "mixed", "no-effect"])
sizes = st.one_of(st.none(), st.integers(1, 3000))
certainties = st.one_of(st.none(), st.sampled_from(CERTAINTIES))
row = st.tuples(designs, sizes, directions, st.sampled_from(["low", "some-concerns", "high"]),
                st.sampled_from(["none", "some", "serious"]), certainties)
flawed_row = st.one_of(
    st.tuples(designs, sizes, directions, st.just("high"), st.sampled_from(["none", "some", "serious"]), certainties),
    st.tuples(designs, sizes, directions, st.sampled_from(["low", "some-concerns", "high"]), st.just("serious"),
              certainties))
kinds = st.sampled_from(sorted(START_BY_KIND))


def _valid(specs):
    """review_certainty only on reviews, as the schema requires."""
    return [s if s[0] in ("systematic-review", "meta-analysis") else (*s[:5], None) for s in specs]


@settings(max_examples=300, deadline=None)
@given(st.lists(row, max_size=6), flawed_row, kinds)
def test_adding_a_flawed_study_never_raises_certainty(rows, extra, kind):
    claim = {**CLAIM, "kind": kind}
    before = grade_claim(claim, ev(*_valid(rows)), {})
    after = grade_claim(claim, ev(*_valid(rows + [extra])), {})
    assert POINTS[after.certainty] <= POINTS[before.certainty]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["low", "some-concerns"]), st.floats(0.2, 3.0)), min_size=0, max_size=4),
       st.floats(0.05, 5.0))
def test_adding_a_high_risk_effect_never_raises_certainty_through_pooling(sound, flawed_rr):
    specs = [(rob, rr, rr * 0.7, rr * 1.4) for rob, rr in sound]
    before = grade_review(*_review_of(_cohorts(*specs))) if specs else None
    after = grade_review(*_review_of(_cohorts(*specs, ("high", flawed_rr, flawed_rr * 0.7, flawed_rr * 1.4)))).iloc[0]
    baseline = before.iloc[0]["certainty"] if before is not None else "very low"
    assert POINTS[after["certainty"]] <= POINTS[baseline]


@settings(max_examples=300, deadline=None)
@given(st.lists(row, min_size=1, max_size=6), kinds)
def test_certainty_never_exceeds_the_start_without_an_upgrade(rows, kind):
    g = grade_claim({**CLAIM, "kind": kind}, ev(*_valid(rows)), {})
    assert g.upgrade == 0  # no pooled effects here, so no upgrade is possible
    if g.start is not None:
        assert POINTS[g.certainty] <= POINTS[g.start]


@settings(max_examples=200, deadline=None)
@given(st.lists(row, max_size=6), kinds)
def test_seriously_indirect_rows_never_make_a_claim_supported(rows, kind):
    serious = [(*s[:4], "serious", s[5]) for s in rows]
    g = grade_claim({**CLAIM, "kind": kind}, ev(*_valid(serious)), {})
    assert g.verdict not in ("supported", "partly supported", "overstated", "accurate description")


@settings(max_examples=100, deadline=None)
@given(kinds)
def test_no_evidence_is_never_supported(kind):
    g = grade_claim({**CLAIM, "kind": kind}, ev(), {})
    assert g.verdict == "unsupported"


def test_every_claim_of_the_shipped_review_is_graded_with_reasons():
    rv = Review.load("calf-massage", ROOT)
    grades = grade_review(rv.claims, rv.evidence, rv.rob, rv.overrides, explanations=rv.explanations)
    assert len(grades) == len(rv.claims)
    testable = grades[grades["testable"]]
    assert testable["verdict"].isin(set(VERDICTS) - {"not testable"}).all()
    assert (grades.loc[~grades["testable"], "verdict"] == "not testable").all()
    rated = testable[(testable["evidence_rows"] > 0) & (testable["starting_certainty"].notna())]
    assert rated["inconsistency_reason"].str.contains(r"E\d{3}").all()
    assert testable["explanation"].notna().all()


# --- study status: retractions and expressions of concern -----------------------------------

def _status(key, status):
    return pd.DataFrame([{"key": key, "bib": "library", "doi": "", "pmid": "1", "status": status,
                          "notice_doi": ["10.1/notice"], "notice_pmid": [], "notice_date": "2024-01-01",
                          "source": "crossref", "checked_on": "2026-11-30", "differences": "", "note": ""}])


def test_a_retracted_study_is_graded_as_if_absent_and_listed_with_its_notice():
    claims, evidence, rob = _review_of(ev(GOOD_RCT, ("rct", 500, "no-effect", "low", "none")))
    without = grade_review(claims, evidence[evidence["study_key"] == "s1"], rob).iloc[0]
    retracted = grade_review(claims, evidence, rob, study_status=_status("s2", "retracted")).iloc[0]
    assert retracted["certainty"] == without["certainty"] and retracted["verdict"] == without["verdict"]
    assert retracted["retracted_evidence"].startswith("E002: retracted") and "10.1/notice" in retracted["retracted_evidence"]


def test_an_expression_of_concern_rates_risk_of_bias_down():
    claims, evidence, rob = _review_of(ev(GOOD_RCT, GOOD_RCT))
    row = grade_review(claims, evidence, rob, study_status=_status("s1", "expression-of-concern")).iloc[0]
    assert row["risk_of_bias"] == "serious" and "expression of concern" in row["risk_of_bias_reason"]
    assert row["certainty"] == "moderate"


def test_the_verdict_table_of_a_tradition_never_says_yes():
    table = verdict_table("tradition")
    assert table.loc["supports", "high"] == "accurate description (not applicable)"
    assert not table.stack().str.contains(r"\(.*yes").any()
