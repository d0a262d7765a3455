"""The certainty rules of issue 28, one constructed case per finding: a review graded by its
trials, some concerns, imprecision by outcome type, participants counted once, and comparators
told apart; and the optional columns that carry them."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from conftest import ROOT
from litreview.grade import certainty_rules
from litreview.grade.grading import grade_claim
from litreview.report.missing import gaps
from litreview.tables.review import Review
from litreview.tables.schema import EVIDENCE, SchemaError, parse_table

CLAIM = {"claim_id": "X01", "testable": True, "category": "efficacy", "kind": "intervention",
         "quote": "Cupping relieves neck pain"}
COLUMNS = ["evidence_id", "claim_id", "study_key", "design", "n", "direction", "rob", "indirectness",
           "review_certainty"]


def ev(*rows: dict) -> pd.DataFrame:
    """Rows with defaults: a direct trial at low risk that supports the claim."""
    out = []
    for i, r in enumerate(rows, 1):
        row = {"evidence_id": f"E{i:03d}", "claim_id": "X01", "study_key": f"s{i}", "design": "rct", "n": 500,
               "direction": "supports", "rob": "low", "indirectness": "none", "review_certainty": None}
        out.append({**row, **r})
    return pd.DataFrame(out)


def domain(g, name):
    return next(d for d in g.domains if d.name == name)


# 1. a review without its own rating carries what it reports about its trials

def test_review_of_trials_mostly_at_high_risk_is_rated_down_two_though_its_conduct_is_sound():
    # a well-conducted review (AMSTAR 2: low risk) of small unblinded trials, 80% at high risk
    review = {"design": "meta-analysis", "n": 1200, "rob": "low", "trials": 9, "rob_high_share": 0.8,
              "rob_unclear_share": 0.2}
    g = grade_claim(CLAIM, ev(review), {})
    rob = domain(g, "risk of bias")
    assert rob.down == 2 and "80% at high risk" in rob.reason and "the trials' risk of bias as E001 reports it" in rob.reason
    assert g.certainty == "low"


def test_review_whose_trials_are_mostly_at_low_risk_is_not_rated_down_whatever_its_amstar_rating():
    review = {"design": "systematic-review", "n": 1200, "rob": "some-concerns", "rob_high_share": 0.1,
              "rob_unclear_share": 0.2}
    g = grade_claim(CLAIM, ev(review), {})
    assert domain(g, "risk of bias").down == 0 and g.certainty == "high"


def test_review_reported_i2_above_75_rates_down_one_level_when_nothing_shows_estimates_pointing_apart():
    # Cochrane CD009172's decision matrix: considerable I² with estimates the same way is one level
    g = grade_claim(CLAIM, ev({"design": "meta-analysis", "n": 1200, "i2": 80.0}), {})
    inc = domain(g, "inconsistency")
    assert inc.down == 1 and "I² 80% reported by E001" in inc.reason and "pooled" not in inc.reason
    assert "one level" in inc.reason


def test_considerable_i2_with_estimates_pointing_different_ways_rates_down_two_levels():
    # two reviews of the same question, one for and one against, the larger reporting I² 85%
    rows = ev({"design": "meta-analysis", "n": 1200, "i2": 85.0},
              {"design": "meta-analysis", "n": 800, "direction": "contradicts"})
    inc = domain(grade_claim(CLAIM, rows, {}), "inconsistency")
    assert inc.down == 2 and "I² 85% reported by E001" in inc.reason and "points the other way" in inc.reason


def test_estimates_pointing_different_ways_without_a_large_i2_rate_down_one_level():
    rows = ev({"design": "meta-analysis", "n": 1200, "i2": 30.0},
              {"design": "meta-analysis", "n": 800, "direction": "contradicts"})
    inc = domain(grade_claim(CLAIM, rows, {}), "inconsistency")
    assert inc.down == 1 and "points the other way" in inc.reason


# 2. some concerns count

def test_five_trials_with_some_concerns_in_three_are_not_high():
    trials = [{"n": 200, "rob": "some-concerns"}] * 3 + [{"n": 200}] * 2
    g = grade_claim(CLAIM, ev(*trials), {})
    rob = domain(g, "risk of bias")
    assert rob.down == 1 and "60% with some concerns" in rob.reason
    assert g.certainty == "moderate"


def test_some_concerns_of_a_mechanistic_study_or_guideline_are_not_a_risk_of_bias_across_trials():
    physiology = {**CLAIM, "kind": "physiology", "quote": "The calf muscles pump venous blood"}
    rows = ev({"design": "mechanistic-human", "n": 600, "rob": "some-concerns"},
              {"design": "guideline", "n": None, "rob": "some-concerns"})
    assert domain(grade_claim(physiology, rows, {}), "risk of bias").down == 0
    # the same judgement on a trial counts
    trial = ev({"design": "rct", "n": 600, "rob": "some-concerns"})
    assert domain(grade_claim(CLAIM, trial, {}), "risk of bias").down == 1


# 3. imprecision by outcome type

def test_dichotomous_outcome_with_few_events_is_imprecise_though_participants_exceed_400():
    # "labour started": 600 participants, 40 events; the continuous size of 400 would pass it
    g = grade_claim(CLAIM, ev({"n": 600, "outcome_type": "dichotomous", "events": 40}), {})
    imp = domain(g, "imprecision")
    assert imp.down == 1 and "40 events" in imp.reason and "optimal information size" in imp.reason


def test_dichotomous_outcome_with_enough_events_is_precise():
    g = grade_claim(CLAIM, ev({"n": 3000, "outcome_type": "dichotomous", "events": 900}), {})
    assert domain(g, "imprecision").down == 0


def test_events_ois_follows_the_two_proportion_sample_size():
    # α 0.05, power 0.8, control risk 20%, 25% reduction: 903 per arm, 1806 in all, 17.5% with the event
    assert certainty_rules.events_ois(0.2) == pytest.approx(1806 * 0.175, rel=0.01)
    assert certainty_rules.events_ois() == pytest.approx(7.849 * 49, rel=0.001)


def test_participants_ois_is_the_two_proportion_sample_size():
    # α 0.05, power 0.8, control risk 20%, 25% reduction: 903 per arm (the case above)
    assert certainty_rules.participants_ois(0.2) == pytest.approx(1806, rel=0.01)
    # the rarer the event, the larger the trial
    assert certainty_rules.participants_ois(0.05) > certainty_rules.participants_ois(0.2)


def test_a_reported_control_risk_sizes_a_dichotomous_body_without_events():
    # 1,046 participants, events not given, control risk 20%: a trial powered for a 25% reduction
    # needs about 1,806, so the body is imprecise though it passes the continuous 400
    row = {"design": "meta-analysis", "n": 1046, "outcome_type": "dichotomous", "control_risk": 0.2}
    imp = domain(grade_claim(CLAIM, ev(row), {}), "imprecision")
    assert imp.down == 1 and "control risk of 20%" in imp.reason
    needed = int(re.search(r"optimal information size is (\d+) participants", imp.reason).group(1))
    assert needed == pytest.approx(1806, abs=2)
    assert domain(grade_claim(CLAIM, ev({**row, "n": 3000}), {}), "imprecision").down == 0
    without = domain(grade_claim(CLAIM, ev({**row, "control_risk": None}), {}), "imprecision")
    assert without.down == 0 and "events not reported, so judged by participants" not in without.reason
    # events, when given, decide as before
    events = domain(grade_claim(CLAIM, ev({**row, "n": 3000, "events": 900}), {}), "imprecision")
    assert events.down == 0 and "900 events" in events.reason


def test_a_control_risk_counts_each_population_once():
    # two outcomes of one review (overlapping) and a trial: the review's larger row and the trial
    rows = ev({"design": "meta-analysis", "n": 1000, "outcome_type": "dichotomous", "control_risk": 0.3},
              {"design": "meta-analysis", "n": 800, "outcome_type": "dichotomous", "control_risk": 0.3,
               "overlaps": ["E001"]},
              {"n": 1000, "outcome_type": "dichotomous", "control_risk": 0.1})
    small, reason = certainty_rules.control_risk_check(rows)
    assert "2000 participants" in reason and "control risk of 20%" in reason
    assert small is (2000 < certainty_rules.participants_ois(0.2))
    assert certainty_rules.control_risk_check(rows.assign(control_risk=[0.3, None, 0.1])) is None


def test_a_review_interval_crossing_the_decision_threshold_rates_down_whatever_the_size():
    row = {"design": "meta-analysis", "n": 5000, "outcome_type": "dichotomous", "events": 1500,
           "effect_measure": "RR", "effect": 0.8, "ci_low": 0.55, "ci_high": 1.15, "direction": "no-effect"}
    imp = domain(grade_claim(CLAIM, ev(row), {}), "imprecision")
    assert imp.down == 1 and "E001 reports (RR 0.55 to 1.15) crosses the decision threshold" in imp.reason
    # an interval around no effect that excludes appreciable benefit and harm is precise
    narrow = {**row, "effect": 0.95, "ci_low": 0.86, "ci_high": 1.09}
    assert domain(grade_claim(CLAIM, ev(narrow), {}), "imprecision").down == 0


def test_an_interval_reaching_appreciable_benefit_and_harm_rates_down_two_levels():
    # GRADE guidance 34: an interval that crosses appreciably both ways is very serious imprecision,
    # here with events well above the optimal information size
    row = {"design": "meta-analysis", "n": 5000, "outcome_type": "dichotomous", "events": 1500,
           "effect_measure": "RR", "effect": 1.0, "ci_low": 0.6, "ci_high": 1.6, "direction": "no-effect"}
    imp = domain(grade_claim(CLAIM, ev(row), {}), "imprecision")
    assert imp.down == 2 and "reaches appreciable benefit and appreciable harm" in imp.reason


def test_a_crossing_interval_decides_so_too_few_events_do_not_add_a_second_level():
    # 54 events against an information size of about 370, and an interval from benefit to no effect:
    # the interval is the criterion (GRADE guidance 34); the shortfall is named, not counted again
    row = {"design": "meta-analysis", "n": 1184, "outcome_type": "dichotomous", "events": 54,
           "effect_measure": "RR", "effect": 0.57, "ci_low": 0.31, "ci_high": 1.03, "direction": "no-effect"}
    imp = domain(grade_claim(CLAIM, ev(row), {}), "imprecision")
    assert imp.down == 1 and "crosses the decision threshold" in imp.reason and "54 events" in imp.reason


def test_a_body_far_below_the_information_size_is_very_serious_imprecision():
    # one trial of 60 at low risk, its interval clear of no effect: fewer than 100 participants
    # is two levels (Pollock et al. 2016's rules; GRADE guidance 34's "far less than the OIS")
    g = grade_claim(CLAIM, ev({"n": 60}), {})
    imp = domain(g, "imprecision")
    assert imp.down == 2 and "only 60 participants in all" in imp.reason and g.certainty == "low"
    # 100 or more, still below 400: one level; a row without n is not taken as tiny
    assert domain(grade_claim(CLAIM, ev({"n": 100}), {}), "imprecision").down == 1
    assert domain(grade_claim(CLAIM, ev({"n": 50}, {"n": None, "study_key": "s2"}), {}), "imprecision").down == 1


# 4. no participant counted twice; a row without n is named

def test_two_outcomes_of_a_review_and_a_trial_it_includes_count_the_review_once():
    rows = ev({"study_key": "rev", "design": "systematic-review", "n": 3400},
              {"study_key": "rev", "design": "systematic-review", "n": 3400},
              {"study_key": "trial", "n": 314, "overlaps": ["rev"]})
    assert grade_claim(CLAIM, rows, {}).participants == 3400


def test_overlapping_rows_do_not_outvote_an_independent_trial():
    # one review, two outcome rows, both for; an independent trial of the same size against
    rows = ev({"study_key": "rev", "design": "meta-analysis", "n": 1000},
              {"study_key": "rev", "design": "meta-analysis", "n": 1000},
              {"study_key": "other", "design": "meta-analysis", "n": 1000, "direction": "no-effect"})
    assert grade_claim(CLAIM, rows, {}).direction == "mixed"


def test_rows_without_n_are_listed_and_are_a_gap_of_the_review():
    rows = ev({"n": None}, {"n": 300}, {"design": "animal", "n": None})
    assert list(certainty_rules.without_n(rows)["evidence_id"]) == ["E001"]
    shipped = Review.load("calf-massage", ROOT)
    unweighed = certainty_rules.without_n(shipped.evidence)
    assert len(unweighed) and unweighed["n"].isna().all()
    gap = next(g for g in gaps(shipped) if "report no number of participants" in g)
    assert all(eid in gap for eid in unweighed["evidence_id"])


# 5. comparators told apart

def test_sham_and_no_treatment_comparisons_that_disagree_rate_down_and_say_which_carries_the_effect():
    rows = ev({"n": 100, "comparator_type": "sham-placebo", "direction": "no-effect"},
              {"n": 100, "comparator_type": "sham-placebo", "direction": "no-effect"},
              {"n": 400, "comparator_type": "no-treatment"},
              {"n": 400, "comparator_type": "no-treatment"})
    inc = domain(grade_claim(CLAIM, rows, {}), "inconsistency")
    assert inc.down == 1
    assert "against sham or placebo the rows show none (E001, E002)" in inc.reason
    assert "carried by the unblinded comparisons" in inc.reason


def test_sham_and_no_treatment_comparisons_that_agree_are_consistent():
    rows = ev({"comparator_type": "sham-placebo"}, {"comparator_type": "no-treatment"})
    assert domain(grade_claim(CLAIM, rows, {}), "inconsistency").down == 0


# the optional columns

HEADER = ("evidence_id,claim_id,study_key,design,population,n,intervention,comparator,outcome,direction,"
          "effect_measure,effect,ci_low,ci_high,indirectness,indirectness_note,finding,locator,review_certainty")
ROW = "E001,X01,s1,rct,adults,40,cupping,sham,pain,supports,,,,,none,,less pain,abstract,"


def test_a_table_without_the_new_columns_still_reads():
    table = parse_table(f"{HEADER}\n{ROW}\n", EVIDENCE, "evidence.csv")
    assert table.loc[0, "comparator_type"] is None and table.loc[0, "overlaps"] is None


def test_trial_shares_on_a_trial_row_are_refused_with_the_column_named():
    header = HEADER + ",comparator_type,outcome_type,events,trials,rob_high_share,rob_unclear_share,i2,overlaps"
    with pytest.raises(SchemaError) as err:
        parse_table(f"{header}\n{ROW},sham-placebo,continuous,,,0.5,,,\n", EVIDENCE, "evidence.csv")
    assert "evidence.csv:2:rob_high_share: only a systematic review or meta-analysis" in str(err.value)


# 6. what a review reports beyond shares: nothing about its trials, its own flaws, heterogeneity
#    without I², small-study effects

def test_a_review_that_reports_nothing_about_its_trials_risk_of_bias_counts_as_unclear_not_as_its_conduct():
    # a well-conducted review (AMSTAR 2 high confidence, read as low) that says nothing of its trials:
    # unknown is not low, so its weight is unclear and the body is rated down one level
    silent = {"design": "meta-analysis", "n": 1200, "rob": "low", "rob_reported": False}
    rob = domain(grade_claim(CLAIM, ev(silent), {}), "risk of bias")
    assert rob.down == 1 and "report(s) nothing about their trials' risk of bias" in rob.reason
    assert "100% with some concerns" in rob.reason
    # the same row without the statement is read by its own judgement, as before
    said = {**silent, "rob_reported": None}
    assert domain(grade_claim(CLAIM, ev(said), {}), "risk of bias").down == 0


def test_a_silent_review_weighs_as_unclear_beside_trials_at_low_risk():
    rows = ev({"design": "meta-analysis", "n": 3000, "rob": "low", "rob_reported": False},
              {"n": 300, "rob": "low"}, {"n": 300, "rob": "low"})
    rob = domain(grade_claim(CLAIM, rows, {}), "risk of bias")
    # most of the weight (the review's) is unclear, so the body is not mostly at low risk
    assert rob.down == 1 and "E001 report(s) nothing" in rob.reason
    assert "17% of the weight at low risk" in rob.reason


def test_a_critically_low_review_that_reports_its_trials_starts_one_level_lower_instead_of_being_set_aside():
    # AMSTAR 2 critically low (read as high) but its trials mostly at low risk, as it reports them
    flawed = {"design": "meta-analysis", "n": 1200, "rob": "high", "rob_high_share": 0.1, "rob_unclear_share": 0.2,
              "review_certainty": "high"}
    g = grade_claim(CLAIM, ev(flawed), {})
    assert g.flawed_ids == [] and g.set_aside == {}
    assert g.start == "moderate" and g.certainty == "moderate" and g.review_rated == ""
    assert "critically low review (AMSTAR 2)" in g.rationale and "starting moderate instead of high" in g.rationale
    assert domain(g, "risk of bias").down == 0
    # without the trials' shares the review is set aside whole, as before
    bare = {k: v for k, v in flawed.items() if k not in ("rob_high_share", "rob_unclear_share")}
    g = grade_claim(CLAIM, ev(bare), {})
    assert g.flawed_ids == ["E001"] and g.certainty == "very low"


def test_a_sound_body_beside_a_critically_low_review_keeps_its_start():
    rows = ev({"design": "meta-analysis", "n": 400, "rob": "high", "rob_high_share": 0.0, "rob_unclear_share": 0.0},
              {"design": "meta-analysis", "n": 2000, "rob": "low"})
    g = grade_claim(CLAIM, rows, {})
    assert g.start == "high" and g.flawed_ids == []


def test_a_review_heterogeneity_test_below_ten_percent_rates_down_when_it_gives_no_i2():
    row = {"design": "meta-analysis", "n": 1200, "heterogeneity_p": 0.03}
    inc = domain(grade_claim(CLAIM, ev(row), {}), "inconsistency")
    assert inc.down == 1 and "(P = 0.03) is below 0.1" in inc.reason
    assert domain(grade_claim(CLAIM, ev({**row, "heterogeneity_p": 0.4}), {}), "inconsistency").down == 0
    # a reported I² is the measure when there is one
    assert domain(grade_claim(CLAIM, ev({**row, "i2": 20.0}), {}), "inconsistency").down == 0


def test_a_review_that_calls_its_trials_substantially_heterogeneous_rates_down_for_inconsistency():
    row = {"design": "systematic-review", "n": 1200, "substantial_heterogeneity": True}
    inc = domain(grade_claim(CLAIM, ev(row), {}), "inconsistency")
    assert inc.down == 1 and "E001 report(s) substantial heterogeneity" in inc.reason
    agree = {**row, "substantial_heterogeneity": False}
    assert domain(grade_claim(CLAIM, ev(agree), {}), "inconsistency").down == 0


def test_a_review_of_several_trials_that_reports_nothing_on_heterogeneity_says_so_and_is_a_gap():
    # GRADE guidelines 7 judges consistency from I², a test or the estimates: a lone review row that
    # gives none of them is not rated down, but its reason and the review's gaps say it is unknown
    row = {"design": "meta-analysis", "n": 1200, "trials": 3}
    inc = domain(grade_claim(CLAIM, ev(row), {}), "inconsistency")
    assert inc.down == 0 and "reports no I² or test for heterogeneity" in inc.reason
    for told in ({"i2": 10.0}, {"heterogeneity_p": 0.6}, {"substantial_heterogeneity": False}, {"trials": 1}):
        inc = domain(grade_claim(CLAIM, ev({**row, **told}), {}), "inconsistency")
        assert "no I²" not in inc.reason, told
    # beside a trial: the rows agree, and the review's own trials are still unknown
    inc = domain(grade_claim(CLAIM, ev(row, {"design": "rct", "n": 300}), {}), "inconsistency")
    assert inc.down == 0 and "E001 pool(s) trials but report(s) no I²" in inc.reason
    silent = certainty_rules.heterogeneity_unreported(ev(row, {**row, "i2": 40.0}, {"design": "rct"}))
    assert silent.tolist() == [True, False, False]


def test_review_rows_silent_on_heterogeneity_are_a_gap_of_the_shipped_review():
    shipped = Review.load("calf-massage", ROOT)
    silent = shipped.evidence[certainty_rules.heterogeneity_unreported(shipped.evidence)]
    assert len(silent) and silent["design"].isin(["meta-analysis", "systematic-review"]).all()
    gap = next(g for g in gaps(shipped) if "report no I² or test for heterogeneity" in g)
    assert gap.startswith(f"{len(silent)} evidence rows") and silent["evidence_id"].iloc[0] in gap


def test_small_study_effects_a_review_reports_rate_down_for_publication_bias():
    row = {"design": "meta-analysis", "n": 1200, "small_study_effects": True}
    pub = domain(grade_claim(CLAIM, ev(row), {}), "publication bias")
    assert pub.down == 1 and "E001 report(s) small-study effects" in pub.reason
    none = domain(grade_claim(CLAIM, ev({**row, "small_study_effects": False}), {}), "publication bias")
    assert none.down == 0 and "looked for small-study effects and found none" in none.reason


def test_the_new_review_columns_are_checked_like_the_others():
    header = HEADER + ",rob_high_share,rob_reported,heterogeneity_p,substantial_heterogeneity,small_study_effects"
    review = "E001,X01,s1,meta-analysis,adults,400,cupping,sham,pain,supports,,,,,none,,less pain,abstract,"
    ok = parse_table(f"{header}\n{review},,false,0.04,true,false\n", EVIDENCE, "evidence.csv")
    assert ok.loc[0, "rob_reported"] is False and ok.loc[0, "heterogeneity_p"] == 0.04
    assert ok.loc[0, "small_study_effects"] is False
    for cells, message in ((",0.5,false,,,", "evidence.csv:2:rob_reported: false, but the row gives shares"),
                           (",,,1.5,,", "evidence.csv:2:heterogeneity_p: expected at most 1"),
                           (",,,,maybe,", "evidence.csv:2:substantial_heterogeneity: expected true or false")):
        with pytest.raises(SchemaError) as err:
            parse_table(f"{header}\n{review}{cells}\n", EVIDENCE, "evidence.csv")
        assert message in str(err.value)
    with pytest.raises(SchemaError) as err:
        parse_table(f"{header}\n{ROW},,,,,true\n", EVIDENCE, "evidence.csv")
    assert "evidence.csv:2:small_study_effects: only a systematic review or meta-analysis" in str(err.value)
    risky = HEADER + ",control_risk"
    assert parse_table(f"{risky}\n{review},0.482\n", EVIDENCE, "evidence.csv").loc[0, "control_risk"] == 0.482
    with pytest.raises(SchemaError) as err:
        parse_table(f"{risky}\n{review},48.2\n", EVIDENCE, "evidence.csv")
    assert "evidence.csv:2:control_risk: expected at most 1" in str(err.value)
