"""Risk of bias by two reviewers (litreview.appraise.double_rob): each reviewer's rows kept beside
the other's, compared domain by domain (or by tool), settled into rob.csv; what the check lists
and refuses; the form showing only one's own answers; kappa per domain in the Methods. Run on a
copy of the fixture review in tests/fixtures/workbook (three reviews with AMSTAR 2 rows)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import copy_project
from litreview.appraise import double_rob
from litreview.checks import check_review
from litreview.cli import main
from litreview.report.missing import gaps
from litreview.report.sections import rob_agreement_methods
from litreview.tables.review import Review
from litreview.workbook.rob_form import RobForm

FIXTURE = Path(__file__).parent / "fixtures" / "workbook"
NAME = "after-exercise"
# AMSTAR 2's critical items by number: 2 protocol, 4 search, 7 excluded studies, 9 risk-of-bias
# assessment, 11 meta-analytic methods, 13 risk of bias in interpretation, 15 publication bias
A = {"2": "no", "4": "partial-yes", "7": "no", "9": "partial-yes", "11": "yes", "13": "no", "15": "no"}
B_GUO = {**A, "2": "yes", "13": "yes"}  # B differs on the protocol and the interpretation


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = copy_project(FIXTURE, tmp_path, monkeypatch)
    (root / "data" / NAME / "review.toml").write_text("[reviewers]\nrob = 2\n", encoding="utf-8")
    for key, b in (("guo2017massage", B_GUO), ("davis2020effect", A)):
        double_rob.save_rob_extraction(NAME, "reviewer A", key, "amstar2", A, "A's note")
        double_rob.save_rob_extraction(NAME, "reviewer B", key, "amstar2", b, "B's note")
    return root


def rob_file(root: Path) -> Path:
    return root / "data" / NAME / "rob.csv"


def test_conflicts_are_the_domains_judged_differently(root):
    [guo] = [p for p in double_rob.pairs(Review.load(NAME)) if p.study_key == "guo2017massage"]
    assert guo.reviewers == ["reviewer A", "reviewer B"]
    assert [(c.field, c.first, c.second) for c in guo.conflicts] == [("protocol", "no", "yes"),
                                                                    ("rob-in-interpretation", "no", "yes")]


def test_settling_writes_rob_csv_only_once_every_conflict_is_settled(root):
    before = rob_file(root).read_bytes()
    double_rob.settle(NAME, "guo2017massage", {"protocol": ("first", "a test settlement: the first judgement kept")})
    assert rob_file(root).read_bytes() == before
    assert any("risk-of-bias conflict between two reviewers not yet settled (guo2017massage)" in g
               for g in gaps(Review.load(NAME)))
    double_rob.settle(NAME, "guo2017massage", {"rob-in-interpretation": ("second", "a test settlement: the second judgement taken")})
    rv = Review.load(NAME)
    guo = rv.rob[rv.rob["study_key"] == "guo2017massage"].set_index("domain")
    assert guo.loc["protocol", "judgement"] == "no" and guo.loc["protocol", "support"] == "2 no | A's note"
    assert guo.loc["rob-in-interpretation", "judgement"] == "yes"
    assert guo.loc["rob-in-interpretation", "support"] == "13 yes | B's note"
    assert len(guo) == 7  # every AMSTAR 2 critical item
    others = [line for line in before.decode().splitlines() if not line.startswith("guo2017massage,")]
    assert [line for line in rob_file(root).read_text().splitlines() if not line.startswith("guo2017massage,")] \
        == others
    settled = rv.rob_reconciliation.set_index("field")
    assert list(settled["settled_by"]) == ["first-kept", "second-taken"]
    assert check_review(rv) == []


def test_a_tool_conflict_takes_one_reviewers_whole_assessment(root):
    double_rob.save_rob_extraction(NAME, "reviewer A", "dupuy2018evidencebased", "amstar2", A)
    double_rob.save_rob_extraction(NAME, "reviewer B", "dupuy2018evidencebased", "design", {"overall": "high"},
                                   "a review of many recovery techniques, no risk-of-bias assessment")
    [p] = [p for p in double_rob.pairs(Review.load(NAME)) if p.study_key == "dupuy2018evidencebased"]
    assert [(c.field, c.first, c.second) for c in p.conflicts] == [("tool", "amstar2", "design")]
    with pytest.raises(ValueError, match="take first or second"):
        double_rob.settle(NAME, "dupuy2018evidencebased", {"tool": ("rob2", "neither")})
    double_rob.settle(NAME, "dupuy2018evidencebased", {"tool": ("second", "a test settlement: the second tool taken")})
    rows = Review.load(NAME).rob
    assert list(rows.loc[rows["study_key"] == "dupuy2018evidencebased", "judgement"]) == ["high"]


def test_check_refuses_rob_csv_that_contradicts_a_settlement(root):
    double_rob.settle(NAME, "guo2017massage", {"protocol": ("first", "a test settlement"),
                                               "rob-in-interpretation": ("first", "a test settlement")})
    path = rob_file(root)
    lines = path.read_text().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("guo2017massage,amstar2,protocol,"))
    lines[at] = lines[at].replace(",protocol,no,", ",protocol,yes,")
    path.write_text("".join(lines))
    problems = check_review(Review.load(NAME))
    assert [(p.path, p.row, p.column) for p in problems] == [(f"data/{NAME}/rob.csv", at + 1, "judgement")]


def test_gaps_name_the_studies_owed_a_second_reviewer(root):
    said = " ".join(gaps(Review.load(NAME)))
    assert "1 study with evidence to be judged for risk of bias by a second reviewer" in said
    assert "dupuy2018evidencebased" in said


def test_gaps_count_several_studies_in_plain_english(root):
    path = root / "data" / NAME / "rob_extractions.csv"
    kept = [line for line in path.read_text(encoding="utf-8").splitlines(keepends=True)
            if not line.startswith("davis2020effect,reviewer B,")]
    path.write_text("".join(kept), encoding="utf-8")
    said = " ".join(gaps(Review.load(NAME)))
    assert "2 studies with evidence to be judged for risk of bias by a second reviewer" in said
    assert "studys" not in said


def test_the_form_shows_only_the_reviewers_own_rows_and_saves_beside_the_others(root):
    before = rob_file(root).read_bytes()
    form = RobForm(NAME, study_key="guo2017massage", tool="amstar2", reviewer="reviewer B")
    assert form.questions["2"].value == "yes" and form.questions["13"].value == "yes"
    form.reviewer.value = "reviewer C"
    assert form.questions["2"].value == ""  # nothing of A's or B's
    form.reviewer.value = "reviewer B"
    form.questions["4"].value = "yes"
    form.save()
    assert "as reviewer B in rob_extractions.csv" in form.message.value
    assert rob_file(root).read_bytes() == before
    rows = Review.load(NAME).rob_extractions
    mine = rows[(rows["reviewer"] == "reviewer B") & (rows["study_key"] == "guo2017massage")].set_index("domain")
    assert mine.loc["search", "judgement"] == "yes"


def test_methods_give_kappa_per_domain(root):
    # protocol: A no, no; B yes, no. po = 1/2; pe = (0*1 + 2*1)/4 = 1/2 (yes: A 0, B 1; no: A 2, B 1); kappa 0
    # search and the others: one answer throughout from both, kappa undefined
    text = rob_agreement_methods(Review.load(NAME))
    assert text.startswith("Risk of bias by two reviewers. 2 studies were judged by two reviewers independently")
    assert "protocol κ 0.00 (2 studies)" in text and "search κ undefined (one answer throughout) (2 studies)" in text
    assert text.endswith("2 judgements differed; 0 settled with a reason.")


def test_reconcile_command_settles_a_domain(root, capsys):
    assert main(["reconcile", "--review", NAME]) == 0
    assert "risk of bias guo2017massage [reviewer A / reviewer B]: protocol (no / yes)" in capsys.readouterr().out
    assert main(["reconcile", "--review", NAME, "--study", "guo2017massage", "--field", "protocol", "--take",
                 "low", "--reason", "wrong scale"]) == 2  # not an AMSTAR 2 answer
    assert "for tool amstar2 expected one of yes, partial-yes, no" in capsys.readouterr().err
    assert not (root / "data" / NAME / "rob_reconciliation.csv").exists()
    for domain in ("protocol", "rob-in-interpretation"):
        assert main(["reconcile", "--review", NAME, "--study", "guo2017massage", "--field", domain, "--take",
                     "partial-yes" if domain == "protocol" else "first", "--reason", "read again"]) == 0
    assert "consensus written to data/after-exercise/rob.csv" in capsys.readouterr().out
    rob = Review.load(NAME).rob.set_index(["study_key", "domain"])
    assert rob.loc[("guo2017massage", "protocol"), "judgement"] == "partial-yes"
    assert rob.loc[("guo2017massage", "protocol"), "support"] == "reconciled: read again"
