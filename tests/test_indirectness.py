"""Indirectness derived from four questions (litreview.appraise.indirectness): the rule case by
case, GRADE's published examples, the table and its check, the override, the effective value
grading reads, agreement between two reviewers, and the command that answers a row."""

from __future__ import annotations

import pandas as pd
import pytest

from litreview.appraise.indirectness import (
    AnswerError,
    agreement,
    derive,
    effective,
    kappa,
    overrides,
    save_answers,
)
from litreview.cli import main
from litreview.grade.assessment import Assessment
from litreview.report.missing import gaps
from litreview.tables.review import Review
from litreview.tables.schema import INDIRECTNESS_ANSWERS, SchemaError

HEADER = INDIRECTNESS_ANSWERS.header()


def ask(population="same", intervention="same", comparator="fits", outcome="same") -> dict:
    return {"population": population, "intervention": intervention, "comparator": comparator, "outcome": outcome}


# --- the rule, case by case --------------------------------------------------------------------

def test_all_direct_is_none():
    """GRADE guidelines 8 (J Clin Epidemiol 2011;64:1303), abstract: direct evidence compares the
    interventions of interest in the population of interest on the outcomes of interest."""
    assert derive(ask()) == "none"


@pytest.mark.parametrize("question,answer", [("population", "related"), ("intervention", "related"),
                                             ("comparator", "does-not-fit"), ("outcome", "surrogate")])
def test_one_step_from_the_claim_rates_down_once(question, answer):
    """GRADE guidelines 8, abstract: indirect population, intervention, outcome or comparison each
    rate down; one source of indirectness is one level (this workbook's 'some')."""
    assert derive({**ask(), question: answer}) == "some"


@pytest.mark.parametrize("question", ["population", "intervention", "outcome"])
def test_different_answers_another_question(question):
    """GRADE guidelines 8, abstract: a difference in patients or intervention matters when one might
    expect substantial differences in the magnitude of effect; the row answers another question and
    is set aside ('serious')."""
    assert derive({**ask(), question: "different"}) == "serious"


def test_two_sources_of_indirectness_are_serious():
    """Syst Rev 2020 (doi 10.1186/s13643-020-01293-x) Table 1, summarising GRADE: indirectness of
    population or outcome rates down one level, of both two levels."""
    assert derive(ask(population="related", outcome="surrogate")) == "serious"
    assert derive(ask(intervention="related", comparator="does-not-fit")) == "serious"


def test_no_comparator_is_design_not_indirectness():
    """A case series or a reference standard has no comparison: GRADE carries that in the study
    design's starting certainty (GRADE handbook 5.1.1), not in indirectness."""
    assert derive(ask(comparator="none")) == "none"
    assert derive(ask(comparator="none", outcome="surrogate")) == "some"


def test_unknown_or_missing_answer_is_refused_naming_the_question():
    with pytest.raises(AnswerError, match="outcome"):
        derive(ask(outcome="indirect"))
    with pytest.raises(AnswerError, match="comparator"):
        derive({"population": "same", "intervention": "same", "outcome": "same"})


# --- calibration: GRADE's own worked examples ---------------------------------------------------

def test_grade_example_population_seasonal_for_avian_influenza():
    """GRADE guidelines 8, table of examples: oseltamivir trials in seasonal influenza as evidence
    for avian influenza — a difference in population, rated down (one source: one level)."""
    assert derive(ask(population="related")) == "some"


def test_grade_example_intervention_occult_blood_for_colonoscopy():
    """GRADE guidelines 8, table of examples: trials of faecal occult blood screening as indirect
    evidence for colonoscopic screening — a difference in intervention, rated down."""
    assert derive(ask(intervention="related")) == "some"


def test_grade_example_surrogate_calcification_for_vascular_events():
    """GRADE guidelines 8, table of examples: sevelamer vs calcium binders judged on
    calcium-phosphate load and vascular calcification in place of vascular events — a surrogate
    outcome, rated down (GRADE guidelines 2, J Clin Epidemiol 2011;64:395: a surrogate frequently
    requires rating down for indirectness)."""
    assert derive(ask(outcome="surrogate")) == "some"


def test_grade_example_population_and_outcome_together():
    """Syst Rev 2020 Table 1 (GRADE's criteria): both population and outcome indirect → two levels."""
    assert derive(ask(population="related", outcome="surrogate")) == "serious"


# --- the effective value, overrides --------------------------------------------------------------

EVIDENCE = pd.DataFrame({"evidence_id": ["E001", "E002", "E003"], "claim_id": ["A01"] * 3,
                         "indirectness": ["serious", "some", "none"]})


def _answers(*rows) -> pd.DataFrame:
    cols = INDIRECTNESS_ANSWERS.names
    return pd.DataFrame([dict(zip(cols, r)) for r in rows], columns=cols)


def test_effective_prefers_override_then_derived_then_recorded():
    answers = _answers(("E001", "same", "related", "fits", "same", None, None, "leg, not calf"),
                       ("E002", "same", "same", "fits", "same", "serious", "the trial's massage was of the back", "n"))
    ev = effective(EVIDENCE, answers)
    assert list(ev["indirectness"]) == ["some", "serious", "none"]
    assert list(ev["indirectness_recorded"]) == ["serious", "some", "none"]
    assert list(ev["indirectness_derived"]) == ["some", "none", None]
    over = overrides(ev)
    assert list(over["evidence_id"]) == ["E002"] and over.loc[0, "derived"] == "none"
    assert over.loc[0, "reason"] == "the trial's massage was of the back"


def test_grading_reads_the_derived_value(review_root):
    """The shipped fixture's one row is direct (recorded 'none'); answered 'different' it is set
    aside and the claim loses its support."""
    before = Assessment.of(Review.load("ginger")).grades.set_index("claim_id").loc["G01"]
    (review_root / "data/ginger/indirectness.csv").write_text(
        HEADER + 'E001,same,different,fits,same,,,"ginger capsules, not tea"\n')
    after = Assessment.of(Review.load("ginger")).grades.set_index("claim_id").loc["G01"]
    assert before["flawed_evidence"] == "" and after["flawed_evidence"] == "E001"
    assert after["verdict"] != before["verdict"]


# --- the table and its check -----------------------------------------------------------------------

def test_check_names_unknown_row_and_missing_reason(review_root):
    (review_root / "data/ginger/indirectness.csv").write_text(
        HEADER + "E009,same,same,fits,same,,,no such row\nE001,same,same,fits,same,serious,,why\n")
    problems = [str(p) for p in Review.load("ginger").check()]
    assert "data/ginger/indirectness.csv:3:override_reason: override 'serious' needs a reason" in problems
    rv = Review.load("ginger")
    (review_root / "data/ginger/indirectness.csv").write_text(HEADER + "E009,same,same,fits,same,,,no such row\n")
    rv = Review.load("ginger")
    assert ("data/ginger/indirectness.csv:2:evidence_id: unknown evidence row (not in evidence.csv) 'E009'"
            in [str(p) for p in rv.check()])


def test_unanswered_row_is_a_gap_not_an_error(review_root):
    rv = Review.load("ginger")
    assert rv.unanswered_indirectness() == ["E001"]
    assert not [p for p in rv.check() if "indirectness" in str(p)]
    assert any("without answers to the indirectness questions" in g and "E001" in g for g in gaps(rv))


# --- answering a row: the command and the writer ----------------------------------------------------

def test_command_writes_the_answers_and_prints_the_judgement(review_root, capsys):
    code = main(["indirectness", "E001", "--review", "ginger", "--population", "related", "--intervention", "same",
                 "--comparator", "fits", "--outcome", "surrogate", "--note", "pregnant women; nausea score"])
    assert code == 0
    assert "E001: indirectness serious" in capsys.readouterr().out
    text = (review_root / "data/ginger/indirectness.csv").read_text()
    assert text == HEADER + "E001,related,same,fits,surrogate,,,pregnant women; nausea score\n"
    # answering again replaces the row
    save_answers("ginger", "E001", ask(), "as the claim", override="some", override_reason="small dose")
    assert (review_root / "data/ginger/indirectness.csv").read_text() == (
        HEADER + "E001,same,same,fits,same,some,small dose,as the claim\n")


def test_writer_refuses_unknown_row_and_reasonless_override(review_root):
    with pytest.raises(KeyError, match="E404"):
        save_answers("ginger", "E404", ask(), "x")
    with pytest.raises(SchemaError, match="override_reason"):
        save_answers("ginger", "E001", ask(), "x", override="serious")
    assert not (review_root / "data/ginger/indirectness.csv").exists()


# --- agreement between two reviewers ----------------------------------------------------------------

def test_kappa_matches_a_worked_two_by_two():
    """Cohen's kappa by hand: 10 items, observed agreement 0.8; both raters say 'a' 5 times, so
    chance agreement is 0.5·0.5 + 0.5·0.5 = 0.5 and kappa = (0.8 − 0.5)/(1 − 0.5) = 0.6."""
    first = list("aaaaabbbbb")
    second = list("aaaabbbbba")
    assert kappa(first, second, ("a", "b")) == pytest.approx(0.6)
    assert kappa(list("aa"), list("aa"), ("a", "b")) is None


def test_agreement_per_question_and_for_the_judgement():
    one = _answers(("E001", "same", "related", "fits", "same", None, None, "n"),
                   ("E002", "same", "same", "none", "surrogate", None, None, "n"))
    two = _answers(("E001", "same", "different", "fits", "same", None, None, "n"),
                   ("E002", "related", "same", "none", "surrogate", None, None, "n"))
    table = agreement(one, two).set_index("question")
    assert table.loc["population", "agreement"] == 0.5
    assert table.loc["intervention", "agreement"] == 0.5
    assert table.loc["outcome", "agreement"] == 1.0
    # derived: E001 some vs serious; E002 some vs serious → no agreement on the judgement
    assert table.loc["judgement", "agreement"] == 0.0
