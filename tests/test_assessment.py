"""The one assessment of a review: study status applied before anything is graded, pooled or
plotted; the exports, the forest plot and the grades are the same numbers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT
from litreview.grade.assessment import Assessment
from litreview.report import plots
from litreview.report.build import write_tables
from litreview.tables.review import OPTIONAL_TABLES, REQUIRED_TABLES, Review
from litreview.tables.schema import CLAIMS, EVIDENCE, ROB, STUDY_STATUS


def _review(evidence: list[dict], rob: list[tuple], status: list[dict] = ()) -> Review:
    """A review held in memory: one testable intervention claim and the rows given."""
    tables = {s.filename: s.empty() for s in REQUIRED_TABLES + OPTIONAL_TABLES}
    tables[CLAIMS.filename] = pd.DataFrame([{"claim_id": "X01", "article_id": "a", "group": "g", "category": "efficacy",
                                             "kind": "intervention", "testable": True, "quote": "It helps"}])
    tables[EVIDENCE.filename] = pd.DataFrame(evidence)
    tables[ROB.filename] = pd.DataFrame(rob, columns=["study_key", "tool", "domain", "judgement"])
    if status:
        tables[STUDY_STATUS.filename] = pd.DataFrame(list(status))
    return Review("t", Path("."), tables=tables)


def _trial(i: int, smd: float, low: float, high: float) -> dict:
    return {"evidence_id": f"E00{i}", "claim_id": "X01", "study_key": f"s{i}", "design": "rct", "n": 80,
            "direction": "supports", "indirectness": "none", "review_certainty": None, "effect_measure": "SMD",
            "outcome": "pain", "effect": smd, "ci_low": low, "ci_high": high}


RETRACTED = {"key": "s3", "bib": "library", "doi": "", "pmid": "1", "status": "retracted",
             "notice_doi": ["10.1/notice"], "notice_pmid": [], "notice_date": "2024-01-01", "source": "crossref",
             "checked_on": "2026-11-30", "differences": "", "note": ""}


def test_a_retracted_study_is_in_neither_the_grade_nor_the_pooled_estimate_nor_the_forest_plot():
    rv = _review([_trial(1, -0.4, -0.7, -0.1), _trial(2, -0.3, -0.6, 0.0), _trial(3, -1.9, -2.3, -1.5)],
                 [(f"s{i}", "rob2", "randomisation", "low") for i in (1, 2, 3)], [RETRACTED])
    a = Assessment.of(rv)
    assert [p.evidence_ids for p in a.pooled] == [("E001", "E002")]
    assert list(a.effects["evidence_id"]) == ["E001", "E002"]
    assert a.grades.iloc[0]["retracted_evidence"].startswith("E003: retracted")
    fig = plots.forest(a.effects, pooled=a.pooled)
    labels = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    assert labels and not any("E003" in label for label in labels)


def test_one_claim_alone_grades_as_it_does_in_the_whole_review():
    rv = _review([_trial(1, -0.4, -0.7, -0.1), _trial(2, -0.3, -0.6, 0.0)],
                 [(f"s{i}", "rob2", "randomisation", "low") for i in (1, 2)])
    whole = Assessment.of(rv).grades.iloc[0]
    brief = Assessment.of(rv, claim_ids=["X01"]).claim("X01")
    assert (brief.verdict, brief.certainty) == (whole["verdict"], whole["certainty"])
    with pytest.raises(KeyError, match="no claim 'X99'"):
        Assessment.of(rv).claim("X99")


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    a = Assessment.of(Review.load("calf-massage", ROOT))
    folder = tmp_path_factory.mktemp("exports")
    write_tables(a, folder)
    return a, folder


def test_pooled_csv_the_forest_plot_and_grades_csv_agree_on_every_claim_of_the_shipped_review(shipped):
    a, folder = shipped
    grades = pd.read_csv(folder / "grades.csv", keep_default_na=False).set_index("claim_id")
    pooled = pd.read_csv(folder / "pooled.csv", keep_default_na=False)
    pooled_claims = set(pooled["claim_id"])
    for cid, g in grades.iterrows():
        rows = pooled[pooled["claim_id"] == cid]
        primary = set(g["primary_evidence"].split())
        retracted = {part.split(":")[0] for part in g["retracted_evidence"].split("; ") if part}
        for ids in rows["evidence_ids"]:
            assert set(ids.split()) <= primary, cid  # pooled only from the rows the grade rests on
            assert not set(ids.split()) & retracted, cid
        # a grade speaks of a pooled estimate only when pooled.csv has one for the claim
        mentions = "pooled" in g["inconsistency_reason"] + g["imprecision_reason"] + g["upgrade_reason"]
        assert not mentions or cid in pooled_claims, cid
    retracted_ids = {i for g in a.grades["retracted_evidence"] for i in
                     (part.split(":")[0] for part in g.split("; ") if part)}
    assert not retracted_ids & set(a.effects["evidence_id"])
    assert len(pooled) == len(a.pooled)
    fig = plots.forest(a.effects, pooled=a.pooled)
    diamonds = sum(len(ax.patches) for ax in fig.axes)
    assert diamonds == len(a.pooled)


def test_the_exported_grades_are_the_assessments(shipped):
    a, folder = shipped
    exported = pd.read_csv(folder / "grades.csv")
    assert list(exported["claim_id"]) == list(a.grades["claim_id"])
    assert list(exported["verdict"]) == list(a.grades["verdict"])
    set_aside = pd.read_csv(folder / "set_aside.csv")
    flawed = {i for ids in a.grades["flawed_evidence"] for i in ids.split()}
    assert set(set_aside["evidence_id"]) == flawed
    assert set_aside["why"].isin(["high risk of bias", "seriously indirect",
                                  "high risk of bias; seriously indirect"]).all()


def test_a_notebook_run_by_the_build_reads_the_builds_assessment_and_grades_nothing(shipped, tmp_path, monkeypatch):
    from litreview.grade import assessment as module
    from litreview.workbook import notebook

    a, _ = shipped
    a.save(tmp_path)

    def no_grading(*args, **kwargs):
        raise AssertionError("graded again")

    monkeypatch.setattr(module, "grade_claims", no_grading)
    monkeypatch.setattr(notebook, "show_gaps", lambda review, assessment=None: None)
    again = notebook.open_assessment("calf-massage", str(tmp_path))
    assert again.grades.equals(a.grades) and again.prisma == a.prisma
    with pytest.raises(AssertionError, match="graded again"):  # a notebook run by hand assesses for itself
        notebook.open_assessment("calf-massage", "")
