"""Double extraction (litreview.appraise.double): which rows need two extractions, what one
reviewer sees of the other's, settling conflicts into the consensus row, what `litreview check`
lists and refuses, and the Methods paragraph computed from extractions.csv and reconciliation.csv.

Run on a copy of the fixture review in tests/fixtures/workbook with a fourth evidence row and,
written here, two reviewers' extractions of all four rows and the settlement of three of their
four conflicts (:func:`double_review`)."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pytest

from conftest import copy_project
from litreview.appraise import double
from litreview.checks import check_review
from litreview.cli import main
from litreview.grade.assessment import Assessment
from litreview.report.missing import gaps
from litreview.report.sections import extraction_agreement_methods, report_context
from litreview.tables.review import Review
from litreview.tables.schema import EXTRACTIONS, RECONCILIATION, SchemaError

FIXTURE = Path(__file__).parent / "fixtures" / "workbook"
NAME = "after-exercise"

# a fourth row: a review of recovery techniques for the lactate claim, seriously indirect
E004 = ('E004,M02,dupuy2018evidencebased,meta-analysis,exercisers in trials of recovery techniques,,'
        'post-exercise massage among other techniques,passive recovery,perceived fatigue,no-effect,,,,,serious,'
        '"fatigue, not lactate",No lactate outcome was reported for massage.,abstract,\n')
# reviewer A gave what evidence.csv holds; reviewer B differs on E002's direction and intervention
# answer and on E003's design and n (4 conflicts)
ANSWERS = {"some": ("same", "related", "fits", "same"), "none": ("same", "same", "fits", "same"),
           "serious": ("same", "related", "fits", "different")}
EXTRACTED = [
    # evidence_id, claim, study, reviewer, design, n, direction, answers
    ("E001", "M01", "davis2020effect", "reviewer A", "meta-analysis", "1012", "supports", "some"),
    ("E001", "M01", "davis2020effect", "reviewer B", "meta-analysis", "1012", "supports", "some"),
    ("E002", "M01", "dupuy2018evidencebased", "reviewer A", "meta-analysis", "", "supports", "some"),
    ("E002", "M01", "dupuy2018evidencebased", "reviewer B", "meta-analysis", "", "no-effect", "none"),
    ("E003", "M01", "guo2017massage", "reviewer A", "meta-analysis", "504", "supports", "none"),
    ("E003", "M01", "guo2017massage", "reviewer B", "systematic-review", "540", "supports", "none"),
    ("E004", "M02", "dupuy2018evidencebased", "reviewer A", "meta-analysis", "", "no-effect", "serious"),
    ("E004", "M02", "dupuy2018evidencebased", "reviewer B", "meta-analysis", "", "no-effect", "serious"),
]
SETTLED = [
    ("E002", "M01", "direction", "supports", "no-effect", "supports", "first-kept",
     "a test settlement: the first reading kept"),
    ("E002", "M01", "intervention", "related", "same", "same", "second-taken",
     "a test settlement: the second reading taken"),
    ("E003", "M01", "design", "meta-analysis", "systematic-review", "meta-analysis", "first-kept",
     "a test settlement: the first design kept"),
]
# the consensus answers, as indirectness.csv holds them
CONSENSUS_ANSWERS = {"E001": ANSWERS["some"], "E002": ANSWERS["none"], "E003": ANSWERS["none"],
                     "E004": ANSWERS["serious"]}


def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def extraction_row(eid, cid, key, reviewer, design, n, direction, judged) -> dict:
    row = dict.fromkeys(EXTRACTIONS.names, "")
    row.update(evidence_id=eid, claim_id=cid, study_key=key, reviewer=reviewer, design=design, n=n,
               direction=direction, note=f"{reviewer}'s reading")
    row.update(zip(("population", "intervention", "comparator", "outcome"), ANSWERS[judged]))
    return row


def write_double(data: Path, share: float = 0.5) -> None:
    """The fourth row, the extractions, the settlements, the consensus answers and review.toml."""
    with open(data / "evidence.csv", "a", encoding="utf-8") as handle:
        handle.write(E004)
    (data / "extractions.csv").write_text(_csv(EXTRACTIONS.names, [list(extraction_row(*r).values())
                                                                   for r in EXTRACTED]), encoding="utf-8")
    (data / "reconciliation.csv").write_text(_csv(RECONCILIATION.names, [list(r) for r in SETTLED]), encoding="utf-8")
    (data / "indirectness.csv").write_text(_csv(
        ["evidence_id", "population", "intervention", "comparator", "outcome", "override", "override_reason", "note"],
        [[eid, *answers, "", "", "as settled"] for eid, answers in CONSENSUS_ANSWERS.items()]), encoding="utf-8")
    (data / "review.toml").write_text(f"[reviewers]\nextraction = 2\nextraction_share = {share}\n", encoding="utf-8")


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = copy_project(FIXTURE, tmp_path, monkeypatch)
    write_double(root / "data" / NAME)
    return root


def data(root: Path) -> Path:
    return root / "data" / NAME


# --- which rows need two extractions ---------------------------------------------------------------

def test_sample_is_the_hash_rule_and_draws_about_its_share():
    ids = [f"E{i:03d}" for i in range(1, 1001)]
    for eid in ("E001", "E123", "E999"):
        fraction = int(hashlib.sha256(f"rv:{eid}".encode()).hexdigest()[:8], 16) / 16 ** 8
        assert double.sampled("rv", eid, 0.3) == (fraction < 0.3)
    assert not any(double.sampled("rv", e, 0) for e in ids)
    assert all(double.sampled("rv", e, 1) for e in ids)
    drawn = sum(double.sampled("rv", e, 0.2) for e in ids)
    assert 150 < drawn < 250  # 0.2 of 1000, within sampling error (binomial sd 12.6)
    # another review draws other rows
    assert [double.sampled("rv", e, 0.2) for e in ids] != [double.sampled("other", e, 0.2) for e in ids]


def test_due_rows_are_the_sample_and_every_row_that_grades(root):
    rv = Review.load(NAME)
    a = Assessment.of(rv)
    aside = {eid for g in a.by_claim.values() for eid in g.set_aside}
    assert "E004" in aside and a.claim("M02").verdict == "unsupported"  # the fixture's premise
    (data(root) / "review.toml").write_text("[reviewers]\nextraction = 2\nextraction_share = 0\n")
    rv = Review.load(NAME)
    assert Assessment.of(rv).double_extraction_due() == ["E001", "E002", "E003"]  # M01's rows grade it
    (data(root) / "review.toml").write_text("[reviewers]\nextraction = 2\nextraction_share = 1\n")
    assert Assessment.of(Review.load(NAME)).double_extraction_due() == ["E001", "E002", "E003", "E004"]
    (data(root) / "review.toml").write_text("[reviewers]\nextraction = 1\n")
    assert Assessment.of(Review.load(NAME)).double_extraction_due() == []


# --- what one reviewer sees ----------------------------------------------------------------------

def test_a_reviewer_sees_only_their_own_extraction(root):
    rv = Review.load(NAME)
    mine = double.own_extraction(rv, "E002", "reviewer B")
    assert mine["direction"] == "no-effect" and mine["reviewer"] == "reviewer B"
    assert double.own_extraction(rv, "E002", "reviewer C") is None
    assert double.rows_to_extract(rv, "reviewer C") == []  # every row has its two extractions
    listed = double.rows_to_extract(rv, "reviewer B")
    assert [r["evidence_id"] for r in listed] == ["E001", "E002", "E003", "E004"]
    assert all(set(r) == {"evidence_id", "claim_id", "study_key", "mine"} and r["mine"] for r in listed)
    with open(data(root) / "evidence.csv", "a") as handle:  # a row nobody has extracted yet
        handle.write(E004.replace("E004", "E005", 1))
    listed = double.rows_to_extract(Review.load(NAME), "reviewer C")
    assert listed == [{"evidence_id": "E005", "claim_id": "M02", "study_key": "dupuy2018evidencebased",
                       "mine": False}]


def test_saving_an_extraction_numbers_a_new_row_and_replaces_ones_own(root):
    row = extraction_row("", "M04", "guo2017massage", "ignored", "meta-analysis", "504", "no-effect", "some")
    eid = double.save_extraction(NAME, "reviewer C", row)
    assert eid == "E005"  # past E004 of evidence.csv and extractions.csv
    before = (data(root) / "extractions.csv").read_text()
    double.save_extraction(NAME, "reviewer C", {**row, "evidence_id": "E005", "direction": "supports"})
    rv = Review.load(NAME)
    rows = rv.extractions[rv.extractions["evidence_id"] == "E005"]
    assert list(rows["direction"]) == ["supports"] and list(rows["reviewer"]) == ["reviewer C"]
    assert (data(root) / "extractions.csv").read_text().splitlines()[:-1] == before.splitlines()[:-1]


@pytest.mark.parametrize("change, column", [({"claim_id": "M09"}, "claim_id"),
                                            ({"claim_id": "M04"}, "claim_id"),  # E001 is M01's row
                                            ({"direction": "perhaps"}, "direction"),
                                            ({"outcome": ""}, "outcome")])
def test_saving_refuses_a_bad_extraction_and_writes_nothing(root, change, column):
    row = {**extraction_row("E001", "M01", "davis2020effect", "x", "meta-analysis", "1012", "supports", "some"),
           **change}
    before = (data(root) / "extractions.csv").read_bytes()
    with pytest.raises(SchemaError) as caught:
        double.save_extraction(NAME, "reviewer C", row)
    assert any(p.column == column for p in caught.value.problems), caught.value
    assert (data(root) / "extractions.csv").read_bytes() == before


# --- settling -------------------------------------------------------------------------------------

def test_conflicts_are_the_fields_that_differ(root):
    rv = Review.load(NAME)
    found = {(c.evidence_id, c.field): (c.first, c.second, bool(c.settled)) for c in double.conflicts(rv)}
    assert found == {("E002", "direction"): ("supports", "no-effect", True),
                     ("E002", "intervention"): ("related", "same", True),
                     ("E003", "design"): ("meta-analysis", "systematic-review", True),
                     ("E003", "n"): ("504", "540", False)}


def test_settling_the_last_conflict_writes_the_consensus_and_its_settlement(root):
    evidence = (data(root) / "evidence.csv").read_text().splitlines(keepends=True)
    after = double.settle(NAME, "E003", {"n": ("540", "a test settlement: the second count taken")})
    assert not after.unsettled
    rv = Review.load(NAME)
    row = rv.evidence.set_index("evidence_id").loc["E003"]
    assert row["n"] == 540 and row["design"] == "meta-analysis"
    new = (data(root) / "evidence.csv").read_text().splitlines(keepends=True)
    assert [line for i, line in enumerate(new) if i != 3] == [line for i, line in enumerate(evidence) if i != 3]
    settled = rv.reconciliation.set_index(["evidence_id", "field"]).loc[("E003", "n")]
    assert (settled["first"], settled["second"], settled["consensus"], settled["settled_by"]) == \
        ("504", "540", "540", "second-taken")
    assert check_review(rv) == []


def test_a_partial_settlement_leaves_the_consensus_row_alone(root):
    # reviewer B changes their mind on E001's direction: a new conflict, the evidence row untouched until settled
    row = extraction_row("E001", "M01", "davis2020effect", "", "meta-analysis", "1012", "mixed", "serious")
    double.save_extraction(NAME, "reviewer B", row)
    before = {p: (data(root) / p).read_bytes() for p in ("evidence.csv", "indirectness.csv")}
    after = double.settle(NAME, "E001", {"direction": ("first", "a test settlement: the first reading kept")})
    assert [c.field for c in after.unsettled] == ["outcome"]
    assert {p: (data(root) / p).read_bytes() for p in before} == before
    assert any("not yet settled" in g for g in gaps(Review.load(NAME)))
    after = double.settle(NAME, "E001", {"outcome": ("surrogate", "a test settlement: a third answer")})
    rv = Review.load(NAME)
    answers = rv.indirectness.set_index("evidence_id").loc["E001"]
    assert answers["outcome"] == "surrogate"
    assert rv.evidence.set_index("evidence_id").loc["E001", "indirectness"] == "serious"  # related + surrogate
    settled = rv.reconciliation.set_index(["evidence_id", "field"])
    assert settled.loc[("E001", "outcome"), "settled_by"] == "third-answer"
    assert settled.loc[("E001", "direction"), "settled_by"] == "first-kept"


def test_a_new_row_is_appended_from_the_extractions(root):
    row = extraction_row("", "M04", "guo2017massage", "reviewer A", "meta-analysis", "504", "no-effect", "some")
    row.update(population_text="adults after exercise", intervention_text="massage", outcome_text="soreness",
               finding="A finding typed for the test.", locator="abstract")
    eid = double.save_extraction(NAME, "reviewer A", row)
    double.save_extraction(NAME, "reviewer B", {**row, "evidence_id": eid, "n": "500", "finding": "Other words.",
                                                    "note": "B's words"})
    double.settle(NAME, eid, {"n": ("first", "a test settlement: the first count kept")})
    rv = Review.load(NAME)
    new = rv.evidence.set_index("evidence_id").loc[eid]
    assert (new["claim_id"], new["n"], new["indirectness"], new["finding"]) == \
        ("M04", 504, "some", "A finding typed for the test.")
    assert new["indirectness_note"] == "reviewer A's reading"
    assert check_review(rv) == []


@pytest.mark.parametrize("decisions, words", [
    ({"n": ("540", "")}, "give the reason"),
    ({"design": ("first", "again")}, "agree"),
    ({"n": ("many", "typed")}, "whole number"),
])
def test_settling_refuses_and_writes_nothing(root, decisions, words):
    before = {p.name: p.read_bytes() for p in data(root).glob("*.csv")}
    with pytest.raises(ValueError, match=words):
        double.settle(NAME, "E003" if "n" in decisions else "E001", decisions)
    assert {p.name: p.read_bytes() for p in data(root).glob("*.csv")} == before


# --- the check --------------------------------------------------------------------------------------

def test_check_lists_gaps_and_passes_a_review_in_progress(root):
    rv = Review.load(NAME)
    assert check_review(rv) == []
    said = " ".join(gaps(rv))
    assert "1 conflict between two extractions not yet settled in 1 row (E003)" in said
    # a row due a second extraction that has one only
    text = (data(root) / "extractions.csv").read_text().splitlines(keepends=True)
    (data(root) / "extractions.csv").write_text("".join(line for line in text if not line.startswith("E001,M01,davis2020effect,reviewer B")))
    said = " ".join(gaps(Review.load(NAME)))
    assert "1 evidence row to be extracted by a second reviewer" in said and "E001." in said
    assert main(["check", "--review", NAME]) == 0


def test_a_consensus_that_contradicts_a_settlement_is_an_error(root):
    path = data(root) / "evidence.csv"
    lines = path.read_text().splitlines(keepends=True)
    lines[3] = lines[3].replace(",meta-analysis,", ",systematic-review,", 1)  # E003, settled as meta-analysis
    path.write_text("".join(lines))
    problems = check_review(Review.load(NAME))
    assert [(p.path, p.row, p.column) for p in problems] == [(f"data/{NAME}/evidence.csv", 4, "design")]
    assert "reconciliation.csv:4" in problems[0].message
    assert main(["check", "--review", NAME]) == 1


def test_a_settlement_without_two_extractions_and_a_wrong_settled_by_are_errors(root):
    path = data(root) / "reconciliation.csv"
    path.write_text(path.read_text() + 'E004,M02,n,1,2,2,first-kept,typed\n')
    problems = check_review(Review.load(NAME))
    assert [(p.row, p.column) for p in problems] == [(5, "settled_by")]
    path.write_text(path.read_text().replace("E004,M02,n,1,2,2,first-kept", "E009,M02,n,1,2,2,second-taken"))
    problems = check_review(Review.load(NAME))
    assert [(p.row, p.column) for p in problems] == [(5, "evidence_id")]


def test_a_review_without_the_tables_checks_and_says_nothing_of_them(tmp_path, monkeypatch):
    copy_project(FIXTURE, tmp_path, monkeypatch)
    rv = Review.load(NAME)
    assert check_review(rv) == [] and not any("extract" in g for g in gaps(rv))
    assert extraction_agreement_methods(rv) is None
    assert not any("extractions" in m for m in rv.missing)


# --- the Methods ----------------------------------------------------------------------------------------

def test_methods_report_the_agreement_from_the_tables(root):
    # direction: A supports x3, no-effect x1; B supports x2, no-effect x2; 3 of 4 alike.
    # po = 0.75, pe = (3*2 + 1*2) / 16 = 0.5, kappa = (0.75 - 0.5) / 0.5 = 0.50
    # derived indirectness: A some x2, none, serious; B some, none x2, serious; 3 of 4 alike.
    # pe = (2*1 + 1*2 + 1*1) / 16 = 5/16, kappa = (0.75 - 5/16) / (11/16) = 7/11 = 0.64
    text = extraction_agreement_methods(Review.load(NAME))
    assert text == ("Double extraction. Two reviewers extracted 4 of 4 evidence rows independently (the plan: "
                    "every row that grades a claim, and a 50% sample of the rest drawn by hashing each row's id), "
                    "each blind to the other's answers. Agreement: direction κ 0.50 over 4 rows "
                    "both judged; indirectness, derived from each reviewer's four answers, κ 0.64 over 4 rows; "
                    "design identical in 75% and n in 75% of the rows. 4 fields differed; 3 were settled with a "
                    "reason (2 by keeping the first reviewer's answer, 1 by taking the second's); 1 is not settled "
                    "yet. The consensus is what was graded.")
    assert text in report_context(Assessment.of(Review.load(NAME)), with_figures=False)["methods"]


# --- the command ------------------------------------------------------------------------------------

def test_reconcile_command_lists_settles_and_refuses(root, capsys):
    assert main(["reconcile", "--review", NAME]) == 0
    out = capsys.readouterr().out
    assert "E003 M01 guo2017massage [reviewer A / reviewer B]: n (504 / 540)" in out and "E002" not in out
    before = (data(root) / "evidence.csv").read_bytes()
    assert main(["reconcile", "--review", NAME, "--evidence", "E003", "--field", "n", "--take", "second"]) == 2
    assert "give the reason" in capsys.readouterr().err
    assert (data(root) / "evidence.csv").read_bytes() == before
    assert main(["reconcile", "--review", NAME, "--evidence", "E003", "--field", "n", "--take", "first",
                 "--reason", "a test settlement: the first count kept"]) == 0
    assert "consensus written" in capsys.readouterr().out
    settled = Review.load(NAME).reconciliation.set_index(["evidence_id", "field"]).loc[("E003", "n")]
    assert (settled["consensus"], settled["settled_by"]) == ("504", "first-kept")
    assert main(["reconcile", "--review", NAME]) == 0
    assert "no conflict to settle" in capsys.readouterr().out


def test_an_unknown_claim_in_an_extraction_is_reported_once(root):
    # once as unknown (the review's link check), once as not the claim evidence.csv gives the row
    path = data(root) / "extractions.csv"
    lines = path.read_text().splitlines(keepends=True)
    lines[1] = lines[1].replace("E001,M01,", "E001,M09,", 1)
    path.write_text("".join(lines))
    problems = check_review(Review.load(NAME))
    assert [(p.row, p.column) for p in problems] == [(2, "claim_id"), (2, "claim_id")]
    assert "unknown claim (not in claims.csv) 'M09'" in problems[0].message and "evidence.csv gives 'M01'" in problems[1].message
