"""The risk-of-bias form and its writer: rows derived from answers, one study replaced in
rob.csv with every other byte kept, bad input refused with nothing written, and the widget
driven headless (answers set on its menus, Save clicked)."""

from __future__ import annotations

from pathlib import Path

import pytest

from litreview.appraise.rob import load_rob, parse_support, save_rob, support_text
from litreview.appraise.rob2 import AnswerError
from litreview.tables.schema import SchemaError
from litreview.workbook.rob_form import RobForm

REVIEW = "calf-massage"
TRIAL = "ao2021effects"          # a trial with RoB 2 rows in the shipped rob.csv
REVIEW_STUDY = "ang2021acupressure"  # a review with AMSTAR 2 rows

# a trial report where: allocation concealment not described (1.2 NI) but groups comparable
# (1.3 N); participants aware, no trial-context deviations; ITT; nearly complete data; an
# objective laboratory outcome; no registered analysis plan seen
TRIAL_ANSWERS = {"1.1": "Y", "1.2": "NI", "1.3": "N", "2.1": "Y", "2.2": "Y", "2.3": "N", "2.6": "Y",
                 "3.1": "Y", "4.1": "N", "4.2": "N", "4.3": "Y", "4.4": "N", "5.1": "NI", "5.2": "N", "5.3": "N"}
# by the guidance's flow: 1.2 NI with 1.3 N → some concerns; 2.3 N and 2.6 Y → low; 3.1 Y → low;
# 4.4 N → low; 5.1 NI with 5.2/5.3 N → some concerns
TRIAL_JUDGEMENTS = {"randomisation": "some-concerns", "deviations": "low", "missing-data": "low",
                    "measurement": "low", "selection": "some-concerns"}
AMSTAR = {"2": "no", "4": "partial-yes", "7": "no", "9": "yes", "11": "yes", "13": "yes", "15": "no"}


def rob_file(root: Path) -> Path:
    return root / "data" / REVIEW / "rob.csv"


def lines_of_others(text: str, key: str) -> list[str]:
    return [line for line in text.splitlines(keepends=True) if not line.startswith(key + ",")]


def test_support_text_round_trips_and_hand_written_support_is_left_alone():
    text = support_text({"1.1": "Y", "1.2": "PY"}, "sealed\nenvelopes")
    assert text == "1.1 Y; 1.2 PY | sealed envelopes"
    assert parse_support(text) == ({"1.1": "Y", "1.2": "PY"}, "sealed envelopes")
    assert parse_support("7 partial-yes") == ({"7": "partial-yes"}, "")
    assert parse_support("Cochrane RoB 2.0 used") is None


def test_save_replaces_only_that_study_and_reads_back(shipped_copy):
    before = rob_file(shipped_copy).read_text(encoding="utf-8")
    rows = save_rob(REVIEW, TRIAL, "rob2", TRIAL_ANSWERS, "abstract and methods read", root=shipped_copy)
    assert {r["domain"]: r["judgement"] for r in rows} == TRIAL_JUDGEMENTS
    after = rob_file(shipped_copy).read_text(encoding="utf-8")
    assert lines_of_others(after, TRIAL) == lines_of_others(before, TRIAL)   # every other row, byte for byte
    mine = [line for line in after.splitlines() if line.startswith(TRIAL + ",")]
    assert mine[0] == "ao2021effects,rob2,randomisation,some-concerns,1.1 Y; 1.2 NI; 1.3 N | abstract and methods read"
    # in the place the study's rows had
    assert after.splitlines().index(mine[0]) == [i for i, line in enumerate(before.splitlines())
                                                 if line.startswith(TRIAL + ",")][0]
    tool, answers, notes = load_rob(REVIEW, TRIAL, root=shipped_copy)
    assert (tool, answers) == ("rob2", TRIAL_ANSWERS)
    assert set(notes.values()) == {"abstract and methods read"}
    assert not [p for p in rob_file(shipped_copy).parent.iterdir() if p.name.endswith(".new")]


def test_a_study_without_rows_goes_last_and_tools_can_change(shipped_copy):
    before = rob_file(shipped_copy).read_text(encoding="utf-8")
    rows = save_rob(REVIEW, REVIEW_STUDY, "amstar2", AMSTAR, {"excluded-studies": "no list of exclusions"},
                    root=shipped_copy)
    assert [r["domain"] for r in rows] == ["protocol", "search", "excluded-studies", "rob-assessment",
                                          "meta-methods", "rob-in-interpretation", "publication-bias"]
    assert [r["judgement"] for r in rows] == ["no", "partial-yes", "no", "yes", "yes", "yes", "no"]
    text = rob_file(shipped_copy).read_text(encoding="utf-8")
    assert "ang2021acupressure,amstar2,excluded-studies,no,7 no | no list of exclusions\n" in text
    assert lines_of_others(text, REVIEW_STUDY) == lines_of_others(before, REVIEW_STUDY)
    # a trial assessed with RoB 2 instead of its design-based row
    keys = [line.split(",")[0] for line in before.splitlines()]
    design_only = "airaksinen1989changes"
    assert keys.count(design_only) == 1
    save_rob(REVIEW, design_only, "rob2", TRIAL_ANSWERS, root=shipped_copy)
    text = rob_file(shipped_copy).read_text(encoding="utf-8")
    assert "airaksinen1989changes,design" not in text
    assert sum(line.startswith(design_only + ",rob2,") for line in text.splitlines()) == 5


def test_a_new_study_is_appended_after_the_existing_rows(review_root):
    path = review_root / "data" / "ginger" / "rob.csv"
    # rows kept byte for byte: a CRLF line, a quoted note over two lines, no final newline
    path.write_bytes(b"study_key,tool,domain,judgement,support\n"
                     b"viljoen2014systematic,amstar2,protocol,no,no protocol mentioned\r\n"
                     b'other2019,design,overall,high,"case series;\nno control"')
    before = path.read_bytes().decode("utf-8")
    with open(review_root / "references" / "ginger" / "library.bib", "a") as bib:
        bib.write("@article{trial2020,\n  author = {Doe, J.},\n  title = {A trial},\n  journal = {J},\n"
                  "  year = {2020},\n  url = {https://example.org/trial},\n}\n")
    save_rob("ginger", "trial2020", "rob2", TRIAL_ANSWERS)
    after = path.read_bytes().decode("utf-8")
    assert after.startswith(before + "\n") and after.count("\ntrial2020,rob2,") == 5
    save_rob("ginger", "viljoen2014systematic", "amstar2", AMSTAR)
    again = path.read_bytes().decode("utf-8")
    assert again.startswith("study_key,tool,domain,judgement,support\nviljoen2014systematic,amstar2,protocol,no,"
                            "2 no\n")
    assert again.endswith(after[after.index("other2019"):])


@pytest.mark.parametrize("study, tool, answers, error, named", [
    (TRIAL, "rob2", {**TRIAL_ANSWERS, "1.2": "probably"}, AnswerError, "1.2"),
    (TRIAL, "rob2", {k: v for k, v in TRIAL_ANSWERS.items() if k != "4.3"}, AnswerError, "4.3"),
    (TRIAL, "rob2", {**TRIAL_ANSWERS, "2.4": "Y"}, AnswerError, "2.4"),   # 2.4 is not asked after 2.3 N
    (TRIAL, "rob2", {**TRIAL_ANSWERS, "6.1": "Y"}, AnswerError, "6.1"),
    (REVIEW_STUDY, "amstar2", {**AMSTAR, "13": "partial-yes"}, AnswerError, "13"),
    (REVIEW_STUDY, "amstar2", {k: v for k, v in AMSTAR.items() if k != "7"}, AnswerError, "7"),
    (TRIAL, "robins", TRIAL_ANSWERS, ValueError, "robins"),
    ("nosuchstudy2020", "rob2", TRIAL_ANSWERS, ValueError, "nosuchstudy2020"),
])
def test_bad_input_is_refused_and_nothing_is_written(shipped_copy, study, tool, answers, error, named):
    before = rob_file(shipped_copy).read_bytes()
    with pytest.raises(error, match=named.replace(".", "[.]")):
        save_rob(REVIEW, study, tool, answers, root=shipped_copy)
    assert rob_file(shipped_copy).read_bytes() == before


def test_a_table_that_would_fail_the_schema_is_not_written(shipped_copy):
    path = rob_file(shipped_copy)
    broken = path.read_text(encoding="utf-8") + "zz2020,rob2,randomisation,unclear,typed by hand\n"
    path.write_text(broken, encoding="utf-8")
    line = broken.count("\n")
    with pytest.raises(SchemaError, match=rf"data/{REVIEW}/rob.csv:{line}:judgement"):
        save_rob(REVIEW, TRIAL, "rob2", TRIAL_ANSWERS, root=shipped_copy)
    assert path.read_text(encoding="utf-8") == broken
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".new")]


def test_the_widget_shows_the_flow_derives_live_and_saves(shipped_copy):
    form = RobForm(REVIEW, study_key=TRIAL)
    # the shipped rows were typed by hand: their notes load, their answers cannot
    assert form.study.value == TRIAL and "typed by hand" in form.message.value
    assert form.notes["deviations"].value == "sham TEAS control"
    q = form.questions
    for key in q:
        q[key].value = ""
    assert form.rows["2.3"].layout.display == "none" and form.rows["2.7"].layout.display == "none"
    q["2.1"].value = "Y"
    assert form.rows["2.3"].layout.display == ""          # someone knew: trial-context deviations asked
    q["2.3"].value = "Y"
    assert form.rows["2.4"].layout.display == ""
    q["2.3"].value = "N"
    assert form.rows["2.4"].layout.display == "none"
    for key, value in TRIAL_ANSWERS.items():
        q[key].value = value
    q["2.4"].value = ""
    for domain, judgement in TRIAL_JUDGEMENTS.items():
        assert judgement in form.judgements[domain].value
    assert "some-concerns" in form.overall.value
    form.notes["randomisation"].value = "concealment not described"
    form.save_button.click()
    assert "saved 5 rows" in form.message.value
    text = rob_file(shipped_copy).read_text(encoding="utf-8")
    assert "ao2021effects,rob2,randomisation,some-concerns,1.1 Y; 1.2 NI; 1.3 N | concealment not described\n" in text
    assert ("ao2021effects,rob2,selection,some-concerns,5.1 NI; 5.2 N; 5.3 N | many cytokines and timepoints "
            "tested\n") in text
    # an unanswered question is reported, not saved
    q["1.3"].value = ""
    assert "to answer: 1.3" in form.judgements["randomisation"].value
    form.save_button.click()
    assert "not saved" in form.message.value and "1.3" in form.message.value
    assert rob_file(shipped_copy).read_text(encoding="utf-8") == text
    # a new form loads the saved answers back for editing
    again = RobForm(REVIEW, study_key=TRIAL)
    assert {k: m.value for k, m in again.questions.items() if m.value} == TRIAL_ANSWERS
    assert again.notes["randomisation"].value == "concealment not described"
    assert "loaded the saved rob2 assessment" in again.message.value


def test_the_widget_rates_a_review_by_its_critical_items(shipped_copy):
    form = RobForm(REVIEW, study_key=REVIEW_STUDY, tool="amstar2")
    assert form.rob2_box.layout.display == "none"
    for number, answer in AMSTAR.items():
        form.questions[number].value = answer
    assert "critically low" in form.overall.value          # three critical flaws
    form.questions["2"].value = "yes"
    form.questions["15"].value = "yes"
    assert "low" in form.overall.value and "critically" not in form.overall.value
    form.save_button.click()
    text = rob_file(shipped_copy).read_text(encoding="utf-8")
    # the hand-typed notes of the shipped rows came along; item 7 had none
    assert "ang2021acupressure,amstar2,protocol,yes,2 yes | protocol not reported in abstract\n" in text
    assert "ang2021acupressure,amstar2,excluded-studies,no,7 no\n" in text


def test_a_design_neither_tool_covers_gets_one_judgement_with_its_reason(shipped_copy):
    """An uncontrolled before-after study (the shipped review judged iwamoto2017effects so by
    hand): one overall row, tool design; without a reason nothing is written."""
    key = "iwamoto2017effects"
    before = rob_file(shipped_copy).read_text(encoding="utf-8")
    assert load_rob(REVIEW, key) == ("design", {"overall": "high"},
                                     {"overall": "uncontrolled before-after measurement, n=15"})
    form = RobForm(REVIEW, study_key=key, tool="design")
    assert form.questions["overall"].value == "high"
    assert form.rob2_box.layout.display == "none" and form.design_box.layout.display == ""
    form.notes["overall"].value = ""
    form.save_button.click()
    assert "not saved" in form.message.value and "reason" in form.message.value
    assert rob_file(shipped_copy).read_text(encoding="utf-8") == before
    form.questions["overall"].value = "some-concerns"
    form.notes["overall"].value = "before-after without a control; outcome measured by Doppler"
    form.save_button.click()
    after = rob_file(shipped_copy).read_text(encoding="utf-8")
    assert lines_of_others(after, key) == lines_of_others(before, key)
    assert (f"{key},design,overall,some-concerns,before-after without a control; outcome measured by Doppler\n"
            in after)
    with pytest.raises(AnswerError, match="one of low, some-concerns, high"):
        save_rob(REVIEW, key, "design", {"overall": "moderate"}, "a reason")


def test_a_review_without_studies_gets_a_note_not_an_error(review_root):
    (review_root / "references/ginger/library.bib").write_text("")
    form = RobForm("ginger")
    assert "No study in" in form.box.value and "litreview include" in form.box.value
