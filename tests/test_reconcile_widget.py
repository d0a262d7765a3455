"""The extraction form with two extraction reviewers and the reconcile view of notebook 04, driven
headless on the double-extraction fixture of tests/test_double_extraction.py."""

from __future__ import annotations

from litreview.checks import check_review
from litreview.tables.review import Review
from litreview.workbook.extraction_form import ExtractionForm
from litreview.workbook.reconcile_view import ReconcileView
from test_double_extraction import NAME, data, root  # noqa: F401  (fixture)


def test_the_form_hides_the_other_reviewers_answers_and_saves_under_the_name(root):  # noqa: F811
    path = data(root) / "extractions.csv"
    path.write_text("".join(line for line in path.read_text().splitlines(keepends=True)
                            if not line.startswith("E002,M01,dupuy2018evidencebased,reviewer B")))
    form = ExtractionForm(NAME, reviewer="reviewer C")
    assert form.reviewer.value == "reviewer C" and form.copy_from.layout.display == "none"
    shown = [form.claim, *form.fields.values(), *form.questions.values()]
    assert all(w.layout.display != "none" for w in shown)  # hiding the copy picker hides nothing else
    assert [v for _, v in form.extract_row.options] == [None, "E002"]  # the others have two extractions
    evidence = (data(root) / "evidence.csv").read_bytes()
    form.extract_row.value = "E002"  # extracted by reviewer A: their answers stay hidden
    assert form.claim.value == "M01" and form.fields["study_key"].value == "dupuy2018evidencebased"
    assert form.fields["direction"].value is None and form.fields["design"].value is None
    assert all(w.value is None for w in form.questions.values())
    form.fields["design"].value = "meta-analysis"
    form.fields["direction"].value = "mixed"
    form.save.click()
    assert "Saved your extraction of E002" in form.message.value, form.message.value
    rv = Review.load(NAME)
    mine = rv.extractions[(rv.extractions["evidence_id"] == "E002") & (rv.extractions["reviewer"] == "reviewer C")]
    assert list(mine["direction"]) == ["mixed"]
    assert (data(root) / "evidence.csv").read_bytes() == evidence  # the consensus is written only by reconciling
    # the reviewer's own answers come back; reviewer B sees their own, and not E002, extracted twice now
    form.extract_row.value = "E002"
    assert form.fields["direction"].value == "mixed"
    form.reviewer.value = "reviewer B"
    assert [v for _, v in form.extract_row.options] == [None, "E001", "E003", "E004"]
    form.extract_row.value = "E003"
    assert form.fields["design"].value == "systematic-review" and form.fields["n"].value == "540"


def test_the_form_with_one_reviewer_is_unchanged(tmp_path, monkeypatch):
    from conftest import copy_project
    from test_double_extraction import FIXTURE

    copy_project(FIXTURE, tmp_path, monkeypatch)
    form = ExtractionForm(NAME)
    assert not form.double and not hasattr(form, "extract_row")


def test_the_reconcile_view_settles_the_open_conflict_and_writes_the_consensus(root):  # noqa: F811
    view = ReconcileView(NAME)
    assert view.row.value == ("evidence", "E003")  # the row with a conflict to settle comes first
    assert "540" in view.table.value and "504" in view.table.value
    take, third, reason = view.takes["n"]
    assert set(view.takes) == {"design", "n"}  # design settled already, shown with its settlement
    assert view.takes["design"][2].value == "a test settlement: the first design kept"
    take.value = "third"
    third.value = "522"
    view.settle()
    assert "Not settled" not in view.message.value  # no reason given: n stays open
    assert "1 left" in view.message.value
    reason.value = "a test settlement: a third count"
    view.settle()
    assert "the consensus is in" in view.message.value, view.message.value
    rv = Review.load(NAME)
    assert rv.evidence.set_index("evidence_id").loc["E003", "n"] == 522
    assert rv.reconciliation.set_index(["evidence_id", "field"]).loc[("E003", "n"), "settled_by"] == "third-answer"
    assert check_review(rv) == []


def test_the_reconcile_view_settles_a_studys_risk_of_bias(root):  # noqa: F811
    from litreview.appraise import double_rob

    (data(root) / "review.toml").write_text("[reviewers]\nrob = 2\n")
    answers = {"2": "no", "4": "partial-yes", "7": "no", "9": "partial-yes", "11": "yes", "13": "no", "15": "no"}
    double_rob.save_rob_extraction(NAME, "reviewer A", "guo2017massage", "amstar2", answers)
    double_rob.save_rob_extraction(NAME, "reviewer B", "guo2017massage", "amstar2", {**answers, "2": "yes"})
    view = ReconcileView(NAME)
    view.row.value = ("rob", "guo2017massage")
    assert set(view.takes) == {"protocol"} and "amstar2" in view.table.value
    take, _, reason = view.takes["protocol"]
    take.value, reason.value = "second", "a test settlement: the second judgement taken"
    view.settle()
    assert "the consensus is in <code>rob.csv</code>" in view.message.value, view.message.value
    rob = Review.load(NAME).rob.set_index(["study_key", "domain"])
    assert rob.loc[("guo2017massage", "protocol"), "judgement"] == "yes"


def test_a_row_one_reviewer_extracted_is_written_unless_it_is_in_the_sample(root):  # noqa: F811
    from litreview.appraise import double
    from test_double_extraction import extraction_row

    row = extraction_row("", "M04", "guo2017massage", "reviewer A", "meta-analysis", "504", "no-effect", "some")
    row.update(population_text="adults", intervention_text="massage", outcome_text="soreness",
               finding="A finding typed for the test.", locator="abstract")
    for share, eid in ((1, "E005"), (0, "E005")):
        (data(root) / "review.toml").write_text(f"[reviewers]\nextraction = 2\nextraction_share = {share}\n")
        assert double.save_extraction(NAME, "reviewer A", {**row, "evidence_id": eid if share == 0 else None}) == eid
        view = ReconcileView(NAME)
        assert ("evidence", eid) in [v for _, v in view.row.options]
        view.row.value = ("evidence", eid)
        assert "(none yet)" in view.table.value and not view.takes
        view.settle()
        if share == 1:  # every row is in the sample: it waits for the second reviewer
            assert "a second reviewer extracts it first" in view.message.value
            assert eid not in set(Review.load(NAME).evidence["evidence_id"])
        else:
            assert "the consensus is in" in view.message.value, view.message.value
            assert eid in set(Review.load(NAME).evidence["evidence_id"])
