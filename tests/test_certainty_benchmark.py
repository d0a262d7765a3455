"""The certainty benchmark's labelled set is well formed, and the script turns a row into
evidence without the review's rating and scores agreement as the definitions say."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from litreview.tables.schema import CERTAINTIES, EFFECT_MEASURES, RATIO_MEASURES

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
import certainty  # noqa: E402

COLUMNS = ["outcome_id", "review", "review_url", "doi", "pmid", "question", "outcome", "outcome_type",
           "comparator_type", "k", "n", "events", "control_risk", "effect_measure", "effect", "ci_low", "ci_high", "rob_low_share",
           "rob_high_share", "rob_summary", "rob_source", "rob_reported", "i2", "directness", "directness_note", "review_certainty",
           "review_reasons", "locator", "note", "batch"]


@pytest.fixture(scope="module")
def outcomes() -> pd.DataFrame:
    return certainty.load()


def test_columns_and_size(outcomes):
    assert list(outcomes.columns) == COLUMNS
    assert len(outcomes) >= 40
    assert outcomes["outcome_id"].is_unique
    assert outcomes["outcome_id"].str.fullmatch(r"C\d{2,3}").all()
    assert outcomes["review"].nunique() >= 10
    assert outcomes.groupby("review").size().max() <= 4
    # each batch was chosen by its own rule (README); the first is the set of the first run
    assert outcomes["batch"].isin(("1", "2")).all()
    assert (outcomes.loc[outcomes["outcome_id"].str[1:].astype(int) <= 44, "batch"] == "1").all()
    assert (outcomes.groupby("review")["batch"].nunique() == 1).all()


def test_every_row_has_its_source(outcomes):
    assert outcomes["review_url"].str.fullmatch(r"https?://\S+").all()
    assert (outcomes["locator"] != "").all() and (outcomes["question"] != "").all() and (outcomes["outcome"] != "").all()
    dois = outcomes.loc[outcomes["doi"] != "", "doi"]
    assert dois.str.fullmatch(r"10\.\d{4,9}/\S+").all()
    assert outcomes.loc[outcomes["pmid"] != "", "pmid"].str.fullmatch(r"\d+").all()
    # one review, one DOI
    assert (outcomes[outcomes["doi"] != ""].groupby("review")["doi"].nunique() == 1).all()


def test_values_in_vocabularies(outcomes):
    assert outcomes["review_certainty"].isin(CERTAINTIES).all()
    assert outcomes["outcome_type"].isin(certainty.OUTCOME_TYPES).all()
    assert outcomes["comparator_type"].isin(("", *certainty.COMPARATOR_TYPES)).all()
    assert outcomes["effect_measure"].isin(certainty.MEASURES).all()
    assert outcomes["rob_summary"].isin(("", *certainty.ROB_SUMMARIES)).all()
    assert outcomes["rob_source"].isin(("", *certainty.ROB_SOURCES)).all()
    # marked only where the page says something in words that no code holds; the note says what
    words = outcomes["rob_reported"] == "true"
    assert outcomes["rob_reported"].isin(("", "true")).all()
    assert outcomes.loc[words, "note"].str.contains("risk of bias in words only").all()
    assert outcomes["directness"].isin(tuple(certainty.DIRECTNESS)).all()
    assert (outcomes.loc[outcomes["directness"] != "direct", "directness_note"] != "").all()
    # a risk-of-bias statement names where it comes from, and a source has a statement
    stated = (outcomes["rob_summary"] != "") | outcomes["rob_low_share"].notna() | outcomes["rob_high_share"].notna()
    assert ((outcomes["rob_source"] != "") == stated).all()


def test_numbers_are_coherent(outcomes):
    assert (outcomes["ci_low"] <= outcomes["effect"]).all() and (outcomes["effect"] <= outcomes["ci_high"]).all()
    ratio = outcomes["effect_measure"].map(lambda m: certainty.AS_ENGINE_MEASURE.get(m, m)).isin(RATIO_MEASURES)
    assert (outcomes.loc[ratio, "ci_low"] > 0).all()
    continuous = outcomes["effect_measure"].isin(["SMD", "MD"])
    assert (outcomes.loc[continuous, "outcome_type"] == "continuous").all()
    assert (outcomes.loc[~continuous, "outcome_type"] != "continuous").all()
    for col in ("k", "n", "events"):
        known = outcomes[col].dropna()
        assert (known >= 1).all() and (known == known.round()).all(), col
    assert (outcomes["events"].dropna() <= outcomes.loc[outcomes["events"].notna(), "n"]).all()
    assert outcomes.loc[outcomes["events"].notna(), "outcome_type"].eq("dichotomous").all()
    # a control group's risk is a proportion, given for yes/no outcomes, and the note says how it was printed
    risk = outcomes["control_risk"].notna()
    assert outcomes.loc[risk, "control_risk"].between(0, 1, inclusive="neither").all()
    assert outcomes.loc[risk, "outcome_type"].isin(["dichotomous", "time-to-event"]).all()
    assert outcomes.loc[risk, "note"].str.contains("control_risk: ").all()
    assert (outcomes["n"].dropna() >= outcomes.loc[outcomes["n"].notna(), "k"]).all()
    for col in ("rob_low_share", "rob_high_share"):
        assert outcomes[col].dropna().between(0, 1).all()
    assert (outcomes["rob_low_share"].fillna(0) + outcomes["rob_high_share"].fillna(0) <= 1).all()
    assert outcomes["i2"].dropna().between(0, 100).all()


def test_engine_vocabulary_reaches_every_measure():
    assert set(certainty.MEASURES) - set(EFFECT_MEASURES) == set(certainty.AS_ENGINE_MEASURE)


def row(**kw) -> dict:
    base = dict(rob_low_share=float("nan"), rob_high_share=float("nan"), rob_summary="", rob_reported="")
    return {**base, **kw}


@pytest.mark.parametrize("kw, expected", [
    (dict(rob_high_share=0.67, rob_low_share=0.33), "high"),
    (dict(rob_low_share=0.8, rob_summary="mostly high"), "low"),     # numbers before words
    (dict(rob_low_share=0.5), "some-concerns"),                       # half is not most
    (dict(rob_high_share=0.0, rob_summary="low or unclear"), "some-concerns"),
    (dict(rob_summary="mostly low"), "low"),
    (dict(rob_summary="mostly high"), "high"),
    (dict(), "some-concerns"),
])
def test_rob_mapping(kw, expected):
    assert certainty.rob_judgement(row(**kw))[0] == expected


def test_inputs_complete_needs_participants_and_a_risk_of_bias_statement():
    nan = float("nan")
    table = pd.DataFrame([
        row(n=290.0, rob_low_share=0.5),                  # both given
        row(n=290.0, rob_summary="mostly low"),            # both given, risk of bias in words
        row(n=290.0, rob_reported="true"),                 # words no code holds still count
        row(n=nan, rob_summary="mostly low"),              # no participants
        row(n=964.0),                                      # nothing about the trials' risk of bias
    ])
    assert certainty.inputs_complete(table).tolist() == [True, True, True, False, False]


def test_the_sensitivity_reading_marks_only_outcomes_of_several_trials_without_i2(outcomes):
    _, plain, _ = certainty.as_review_tables(outcomes)
    _, read, _ = certainty.as_review_tables(outcomes, silent_heterogeneity_as_serious=True)
    assert plain["substantial_heterogeneity"].isna().all()
    marked = read["substantial_heterogeneity"].eq(True)
    assert marked.any()
    expected = outcomes["i2"].isna() & outcomes["k"].ne(1)
    assert marked.tolist() == expected.tolist()
    pd.testing.assert_frame_equal(read.drop(columns="substantial_heterogeneity"),
                                  plain.drop(columns="substantial_heterogeneity"))


def test_direction_by_interval():
    assert certainty.direction({"effect_measure": "RaR", "ci_low": 0.71, "ci_high": 0.83}) == "supports"
    assert certainty.direction({"effect_measure": "RR", "ci_low": 0.78, "ci_high": 1.01}) == "no-effect"
    assert certainty.direction({"effect_measure": "SMD", "ci_low": -0.8, "ci_high": -0.01}) == "supports"
    assert certainty.direction({"effect_measure": "MD", "ci_low": -0.68, "ci_high": 0.12}) == "no-effect"


def test_evidence_carries_no_review_rating(outcomes):
    claims, evidence, rob = certainty.as_review_tables(outcomes)
    assert len(claims) == len(evidence) == len(rob) == len(outcomes)
    assert evidence["review_certainty"].isna().all()
    assert (evidence["design"] == "meta-analysis").all()
    assert set(evidence["effect_measure"]) <= set(EFFECT_MEASURES)
    # the label and the review's reasons do not reach the engine: changing them changes no input
    relabelled = outcomes.assign(review_certainty="high", review_reasons="imprecision serious")
    for ours, theirs in zip((claims, evidence, rob), certainty.as_review_tables(relabelled)):
        pd.testing.assert_frame_equal(ours, theirs)


def test_agreement_on_a_hand_worked_example():
    review = ["high", "moderate", "low", "very low"]
    engine = ["high", "low", "very low", "high"]
    m = certainty.agreement(review, engine)
    assert m["exact"] == 0.25 and m["within_one"] == 0.75
    # linear weights |i - j| / 3: observed disagreement (0 + 1/3 + 1/3 + 1) / 4 = 5/12; expected from
    # the margins (review 1/4 on each level; engine 1/2 high, 1/4 low, 1/4 very low) is
    # 1/2 * 1/2 + 1/4 * 1/3 + 1/4 * 1/2 = 11/24, so kappa = 1 - (5/12) / (11/24) = 1/11
    assert m["kappa_linear"] == pytest.approx(1 / 11)
    assert certainty.agreement(review, review)["kappa_quadratic"] == pytest.approx(1.0)
    table = certainty.confusion(review, engine)
    assert table.loc["very low", "high"] == 1 and table.loc["moderate", "low"] == 1
    assert list(table.index) == list(CERTAINTIES) and list(table.columns) == list(CERTAINTIES)


def test_missed_domains_counts_what_the_review_names_and_the_engine_skips():
    graded = pd.DataFrame({
        "review_reasons": ["imprecision serious; publication bias suspected", "high risk of bias", "", "inconsistency"],
        "engine_down": [["imprecision"], ["set aside"], [], []],
    })
    missed = certainty.missed_domains(graded)
    assert missed["imprecision"] == 0           # the engine rated it down too
    assert missed["publication bias"] == 1
    assert missed["risk of bias"] == 0          # a row set aside for high risk counts as rated down
    assert missed["inconsistency"] == 1
    assert missed.sum() == 2


def test_what_the_review_reports_about_its_trials_reaches_the_engine(outcomes):
    _, evidence, rob = certainty.as_review_tables(outcomes)
    by_id = dict(zip(outcomes["outcome_id"], evidence.to_dict("records")))
    # one of two trials at low risk: the other is read as unclear, the milder reading
    assert (by_id["C01"]["rob_high_share"], by_id["C01"]["rob_unclear_share"]) == (0.0, 0.5)
    # a third of the trials at low risk, two thirds at high: shares, not a row set aside
    assert by_id["C22"]["rob_high_share"] == pytest.approx(0.67) and by_id["C22"]["rob_unclear_share"] == 0.0
    assert rob.loc[outcomes["outcome_id"].eq("C22").to_numpy(), "judgement"].item() == "some-concerns"
    assert by_id["C30"]["events"] == 54 and by_id["C30"]["outcome_type"] == "dichotomous"
    assert by_id["C08"]["outcome_type"] == "dichotomous"          # a rate of falls is judged by events
    assert by_id["C20"]["i2"] == 76.0 and by_id["C01"]["comparator_type"] == "sham-placebo"
    assert by_id["C01"]["trials"] == 2 and pd.isna(by_id["C08"]["comparator_type"])


def test_a_review_that_says_nothing_of_its_trials_reaches_the_engine_as_unreported(outcomes):
    _, evidence, _ = certainty.as_review_tables(outcomes)
    by_id = dict(zip(outcomes["outcome_id"], evidence.to_dict("records")))
    # TENS: nothing on the page read about the trials' risk of bias
    assert by_id["C12"]["rob_reported"] is False
    # a summary, shares, or words the codes cannot hold (massage: marked true) are not "nothing"
    assert by_id["C08"]["rob_reported"] is None and by_id["C16"]["rob_reported"] is None
    assert by_id["C06"]["rob_reported"] is None
    assert certainty.rob_reported(row(rob_reported="")) is False
    assert certainty.rob_reported(row(rob_reported="true")) is None
    assert certainty.rob_reported(row(rob_reported="", rob_summary="mostly low")) is None
