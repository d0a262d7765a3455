"""RoB 2's domain algorithms path by path, as the guidance's flowcharts for the effect of
assignment draw them (Higgins et al. 2019, RoB 2 full guidance; Sterne et al. 2019, BMJ
366:l4898), and AMSTAR 2's confidence rating (Shea et al. 2017, BMJ 358:j4008, Box 2).

Every expected judgement below is read off the published flow, not taken from the code."""

from __future__ import annotations

import pandas as pd
import pytest

from litreview.appraise import rob2
from litreview.grade.grading import study_rob
from litreview.tables.schema import ROB, SchemaError, read_table

LOW, SOME, HIGH = "low", "some-concerns", "high"


def answers(spec: str) -> dict[str, str]:
    """ "1.1 Y, 1.2 PN" → {"1.1": "Y", "1.2": "PN"}"""
    return dict(part.split() for part in spec.split(",")) if spec.strip() else {}


DOMAIN_PATHS = [
    # domain 1: concealment (1.2) first; no information on it lets baseline imbalance decide
    ("randomisation", "1.1 Y, 1.2 N, 1.3 N", HIGH),
    ("randomisation", "1.1 Y, 1.2 PN, 1.3 NI", HIGH),
    ("randomisation", "1.1 Y, 1.2 NI, 1.3 Y", HIGH),
    ("randomisation", "1.1 NI, 1.2 NI, 1.3 PY", HIGH),
    ("randomisation", "1.1 Y, 1.2 NI, 1.3 N", SOME),
    ("randomisation", "1.1 NI, 1.2 NI, 1.3 NI", SOME),
    ("randomisation", "1.1 Y, 1.2 Y, 1.3 N", LOW),
    ("randomisation", "1.1 PY, 1.2 PY, 1.3 PN", LOW),
    ("randomisation", "1.1 NI, 1.2 Y, 1.3 NI", LOW),
    ("randomisation", "1.1 Y, 1.2 Y, 1.3 Y", SOME),
    ("randomisation", "1.1 NI, 1.2 Y, 1.3 PY", SOME),
    ("randomisation", "1.1 N, 1.2 Y, 1.3 N", SOME),
    ("randomisation", "1.1 PN, 1.2 PY, 1.3 Y", SOME),
    # domain 2, part 1 (awareness and trial-context deviations), with part 2 low (2.6 Y)
    ("deviations", "2.1 N, 2.2 PN, 2.6 Y", LOW),
    ("deviations", "2.1 Y, 2.2 N, 2.3 N, 2.6 Y", LOW),
    ("deviations", "2.1 N, 2.2 NI, 2.3 PN, 2.6 PY", LOW),
    ("deviations", "2.1 Y, 2.2 Y, 2.3 NI, 2.6 Y", SOME),
    ("deviations", "2.1 Y, 2.2 Y, 2.3 Y, 2.4 N, 2.6 Y", SOME),
    ("deviations", "2.1 Y, 2.2 Y, 2.3 PY, 2.4 Y, 2.5 Y, 2.6 Y", SOME),
    ("deviations", "2.1 Y, 2.2 Y, 2.3 Y, 2.4 NI, 2.5 PY, 2.6 Y", SOME),
    ("deviations", "2.1 Y, 2.2 Y, 2.3 Y, 2.4 Y, 2.5 N, 2.6 Y", HIGH),
    ("deviations", "2.1 Y, 2.2 Y, 2.3 Y, 2.4 PY, 2.5 NI, 2.6 Y", HIGH),
    ("deviations", "2.1 Y, 2.2 Y, 2.3 Y, 2.4 NI, 2.5 PN, 2.6 Y", HIGH),
    # domain 2, part 2 (the analysis), with part 1 low
    ("deviations", "2.1 N, 2.2 N, 2.6 N, 2.7 N", SOME),
    ("deviations", "2.1 N, 2.2 N, 2.6 NI, 2.7 PN", SOME),
    ("deviations", "2.1 N, 2.2 N, 2.6 PN, 2.7 Y", HIGH),
    ("deviations", "2.1 N, 2.2 N, 2.6 N, 2.7 NI", HIGH),
    # the two parts combine: the worse one wins
    ("deviations", "2.1 Y, 2.2 Y, 2.3 NI, 2.6 N, 2.7 N", SOME),
    ("deviations", "2.1 Y, 2.2 Y, 2.3 NI, 2.6 N, 2.7 Y", HIGH),
    ("deviations", "2.1 Y, 2.2 Y, 2.3 Y, 2.4 Y, 2.5 N, 2.6 N, 2.7 N", HIGH),
    # domain 3
    ("missing-data", "3.1 Y", LOW),
    ("missing-data", "3.1 PY", LOW),
    ("missing-data", "3.1 N, 3.2 Y", LOW),
    ("missing-data", "3.1 NI, 3.2 PY", LOW),
    ("missing-data", "3.1 N, 3.2 N, 3.3 N", LOW),
    ("missing-data", "3.1 PN, 3.2 PN, 3.3 PN", LOW),
    ("missing-data", "3.1 N, 3.2 N, 3.3 Y, 3.4 N", SOME),
    ("missing-data", "3.1 NI, 3.2 N, 3.3 NI, 3.4 PN", SOME),
    ("missing-data", "3.1 N, 3.2 N, 3.3 Y, 3.4 Y", HIGH),
    ("missing-data", "3.1 N, 3.2 PN, 3.3 PY, 3.4 NI", HIGH),
    # domain 4: an inappropriate or differing measurement is high at once; with no
    # information on whether measurement differed (4.2 NI) the best is some concerns
    ("measurement", "4.1 Y, 4.2 N", HIGH),
    ("measurement", "4.1 N, 4.2 PY", HIGH),
    ("measurement", "4.1 N, 4.2 N, 4.3 N", LOW),
    ("measurement", "4.1 NI, 4.2 PN, 4.3 PN", LOW),
    ("measurement", "4.1 N, 4.2 N, 4.3 Y, 4.4 N", LOW),
    ("measurement", "4.1 N, 4.2 N, 4.3 NI, 4.4 PN", LOW),
    ("measurement", "4.1 N, 4.2 N, 4.3 Y, 4.4 Y, 4.5 N", SOME),
    ("measurement", "4.1 N, 4.2 N, 4.3 Y, 4.4 NI, 4.5 PN", SOME),
    ("measurement", "4.1 N, 4.2 N, 4.3 Y, 4.4 Y, 4.5 Y", HIGH),
    ("measurement", "4.1 N, 4.2 N, 4.3 Y, 4.4 Y, 4.5 NI", HIGH),
    ("measurement", "4.1 N, 4.2 NI, 4.3 N", SOME),
    ("measurement", "4.1 N, 4.2 NI, 4.3 Y, 4.4 N", SOME),
    ("measurement", "4.1 N, 4.2 NI, 4.3 Y, 4.4 Y, 4.5 N", SOME),
    ("measurement", "4.1 N, 4.2 NI, 4.3 Y, 4.4 Y, 4.5 PY", HIGH),
    # domain 5
    ("selection", "5.1 Y, 5.2 N, 5.3 N", LOW),
    ("selection", "5.1 PY, 5.2 PN, 5.3 PN", LOW),
    ("selection", "5.1 N, 5.2 N, 5.3 N", SOME),
    ("selection", "5.1 NI, 5.2 N, 5.3 PN", SOME),
    ("selection", "5.1 Y, 5.2 NI, 5.3 N", SOME),
    ("selection", "5.1 Y, 5.2 N, 5.3 NI", SOME),
    ("selection", "5.1 N, 5.2 NI, 5.3 NI", SOME),
    ("selection", "5.1 Y, 5.2 Y, 5.3 N", HIGH),
    ("selection", "5.1 Y, 5.2 N, 5.3 PY", HIGH),
    ("selection", "5.1 NI, 5.2 NI, 5.3 Y", HIGH),
]


@pytest.mark.parametrize("domain, spec, expected", DOMAIN_PATHS,
                         ids=[f"{d}: {s} -> {e}" for d, s, e in DOMAIN_PATHS])
def test_each_path_of_each_domain_algorithm(domain, spec, expected):
    assert rob2.judge(domain, answers(spec)) == expected


def test_skipped_questions_may_be_given_as_na_and_answers_are_case_insensitive():
    assert rob2.judge("deviations", answers("2.1 n, 2.2 pn, 2.3 NA, 2.4 NA, 2.5 NA, 2.6 y, 2.7 NA")) == LOW
    assert rob2.check_answers("missing-data", answers("3.1 y, 3.2 NA")) == {"3.1": "Y"}


@pytest.mark.parametrize("domain, spec, named", [
    ("randomisation", "1.1 Y, 1.3 N", "1.2"),                        # required answer missing
    ("randomisation", "1.1 Y, 1.2 maybe, 1.3 N", "1.2"),             # not an answer
    ("randomisation", "1.1 Y, 1.2 NA, 1.3 N", "1.2"),                # NA only where the flow skips
    ("deviations", "2.1 N, 2.2 N, 2.3 Y, 2.6 Y", "2.3"),             # not asked when nobody knew
    ("deviations", "2.1 Y, 2.2 N, 2.6 Y", "2.3"),                    # asked, but left out
    ("deviations", "2.1 Y, 2.2 N, 2.3 Y, 2.6 Y", "2.4"),
    ("deviations", "2.1 N, 2.2 N, 2.6 N", "2.7"),
    ("missing-data", "3.1 N, 3.2 NI", "3.2"),                        # 3.2 has no NI answer
    ("missing-data", "3.1 Y, 3.2 N", "3.2"),
    ("measurement", "4.1 Y, 4.2 N, 4.3 N", "4.3"),                   # 4.3 only after N/PN/NI to 4.1 and 4.2
    ("selection", "5.1 Y, 5.2 N, 5.3 N, 1.1 Y", "1.1"),              # a question of another domain
])
def test_a_missing_or_invalid_answer_is_refused_naming_the_question(domain, spec, named):
    with pytest.raises(ValueError, match=rf"\b{named.replace('.', '[.]')}\b"):
        rob2.judge(domain, answers(spec))


def test_asked_follows_the_flow_of_the_guidance():
    assert rob2.asked("deviations", {}) == ["2.1", "2.2", "2.6"]
    assert rob2.asked("deviations", answers("2.1 N, 2.2 N, 2.6 Y")) == ["2.1", "2.2", "2.6"]
    assert rob2.asked("deviations", answers("2.1 N, 2.2 NI")) == ["2.1", "2.2", "2.3", "2.6"]
    assert rob2.asked("deviations", answers("2.1 Y, 2.2 N, 2.3 Y, 2.4 NI, 2.6 N")) == [
        "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7"]
    # an answer left behind on a question no longer asked does not open the next one
    assert rob2.asked("deviations", answers("2.1 N, 2.2 N, 2.3 Y, 2.4 Y")) == ["2.1", "2.2", "2.6"]
    assert rob2.asked("missing-data", answers("3.1 NI, 3.2 N, 3.3 PN")) == ["3.1", "3.2", "3.3"]
    assert rob2.asked("measurement", answers("4.1 N, 4.2 Y")) == ["4.1", "4.2"]
    assert rob2.asked("measurement", answers("4.1 NI, 4.2 NI, 4.3 Y, 4.4 Y")) == ["4.1", "4.2", "4.3", "4.4", "4.5"]
    assert rob2.asked("selection", {}) == ["5.1", "5.2", "5.3"]


def test_questions_are_numbered_as_in_the_guidance():
    assert [q.id for qs in rob2.QUESTIONS.values() for q in qs] == [
        "1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7",
        "3.1", "3.2", "3.3", "3.4", "4.1", "4.2", "4.3", "4.4", "4.5", "5.1", "5.2", "5.3"]


def test_overall_is_the_worst_domain_and_multiple_concerns_only_on_request():
    assert rob2.overall([LOW] * 5) == LOW
    assert rob2.overall([LOW, SOME, LOW, LOW, LOW]) == SOME
    assert rob2.overall([LOW, SOME, HIGH, SOME, LOW]) == HIGH
    several = {"randomisation": SOME, "deviations": SOME, "missing-data": LOW, "measurement": SOME,
               "selection": LOW}
    assert rob2.overall(several) == SOME
    assert rob2.overall(several, multiple_concerns_high=True) == HIGH
    assert rob2.overall([LOW, SOME, LOW], multiple_concerns_high=True) == SOME
    with pytest.raises(ValueError, match="unclear"):
        rob2.overall([LOW, "unclear"])


# --- AMSTAR 2 -------------------------------------------------------------------------------

ALL_YES = dict.fromkeys(("2", "4", "7", "9", "11", "13", "15"), "yes")


def test_amstar2_box_2_from_flaws_and_weaknesses():
    assert rob2.amstar2_confidence(0, 0) == "high"
    assert rob2.amstar2_confidence(0, 1) == "high"          # no or one non-critical weakness
    assert rob2.amstar2_confidence(0, 2) == "moderate"      # more than one non-critical weakness
    assert rob2.amstar2_confidence(0, 9) == "moderate"
    assert rob2.amstar2_confidence(1, 0) == "low"           # one critical flaw, with or without weaknesses
    assert rob2.amstar2_confidence(1, 5) == "low"
    assert rob2.amstar2_confidence(2, 0) == "critically low"
    assert rob2.amstar2_confidence(4, 3) == "critically low"
    with pytest.raises(ValueError):
        rob2.amstar2_confidence(-1)


def test_amstar2_rating_from_the_critical_items():
    assert rob2.amstar2_rating(ALL_YES) == "high"
    assert rob2.amstar2_rating({**ALL_YES, "7": "no"}) == "low"
    assert rob2.amstar2_rating({**ALL_YES, "2": "no", "15": "no"}) == "critically low"
    # partial yes marks partial adherence and weighs nothing in Box 2
    partial = {**ALL_YES, "2": "partial-yes", "4": "partial-yes", "7": "partial-yes", "9": "partial-yes"}
    assert rob2.amstar2_rating(partial) == "high"
    assert rob2.amstar2_rating(partial, noncritical_weaknesses=2) == "moderate"


@pytest.mark.parametrize("given, named", [
    ({k: v for k, v in ALL_YES.items() if k != "7"}, "7"),          # every critical item is needed
    ({**ALL_YES, "13": "partial-yes"}, "13"),                       # no partial yes for item 13
    ({**ALL_YES, "11": "maybe"}, "11"),
    ({**ALL_YES, "3": "yes"}, "3"),                                 # item 3 is not critical
])
def test_amstar2_answers_are_checked_naming_the_item(given, named):
    with pytest.raises(ValueError, match=rf"item '?{named}\b"):
        rob2.amstar2_rating(given)


def test_item_7_has_its_own_domain_in_rob_csv(tmp_path):
    path = tmp_path / "rob.csv"
    path.write_text("study_key,tool,domain,judgement,support\n"
                    "rev2020,amstar2,excluded-studies,partial-yes,item 7 partial-yes\n")
    assert list(read_table(path, ROB)["domain"]) == ["excluded-studies"]
    path.write_text("study_key,tool,domain,judgement,support\nrev2020,amstar2,excluded,yes,x\n")
    with pytest.raises(SchemaError, match=r"rob.csv:2:domain"):
        read_table(path, ROB)


def test_study_rob_reads_reviews_by_shea_et_al():
    rows = [("two", "protocol", "no"), ("two", "search", "no"), ("two", "meta-methods", "yes"),
            ("one", "protocol", "no"), ("one", "search", "yes"),
            ("partial", "protocol", "partial-yes"), ("partial", "search", "partial-yes"),
            ("partial", "excluded-studies", "partial-yes"), ("partial", "rob-assessment", "yes")]
    rob = pd.DataFrame([{"study_key": k, "tool": "amstar2", "domain": d, "judgement": j, "support": "x"}
                        for k, d, j in rows])
    assert study_rob(rob) == {"two": HIGH, "one": SOME, "partial": LOW}
