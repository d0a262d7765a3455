"""Risk of bias from signalling questions: RoB 2 for a trial, AMSTAR 2's critical items for a
review. The reviewer answers questions; the judgement is derived, never typed.

RoB 2 (version of 22 August 2019), for the effect of assignment to intervention in an
individually randomised parallel-group trial:

- Sterne JAC, Savović J, Page MJ, et al. RoB 2: a revised tool for assessing risk of bias in
  randomised trials. BMJ 2019;366:l4898. https://doi.org/10.1136/bmj.l4898 (its table of
  domains, signalling questions and response options; the overall judgement).
- Higgins JPT, Savović J, Page MJ, Elbers RG, Sterne JAC. Revised Cochrane risk-of-bias tool
  for randomized trials (RoB 2), full guidance document, 22 August 2019, and its algorithm
  figures for domains 1-5. https://www.riskofbias.info/welcome/rob-2-0-tool/current-version-of-rob-2
  The guidance's criteria for domain 1 were read as reproduced in Table 2 of Syst Rev
  2021;10:171, https://pmc.ncbi.nlm.nih.gov/articles/PMC8191126/table/Tab2

The questions below are short paraphrases in our own words, numbered as in the guidance;
read the guidance's elaborations before answering. Answers are Y, PY, PN, N and NI (no
information); a question the guidance asks only after certain earlier answers is not asked
otherwise and counts as NA. Question 3.2 has no NI answer in the tool: either there is
evidence that the result was not biased, or there is not.

AMSTAR 2:

- Shea BJ, Reeves BC, Wells G, et al. AMSTAR 2: a critical appraisal tool for systematic
  reviews that include randomised or non-randomised studies of healthcare interventions, or
  both. BMJ 2017;358:j4008. https://doi.org/10.1136/bmj.j4008 (critical domains, items 2, 4,
  7, 9, 11, 13 and 15; rating overall confidence in the results of the review, high /
  moderate / low / critically low; "partial yes" only for items 2, 4, 7, 8 and 9).

A "no" on a critical item is a critical flaw. Shea et al. add "partial yes" to record partial
adherence and give it no weight in the rating, so it is neither a flaw nor a weakness here.
The rating also counts weaknesses in the nine non-critical items; this workbook records only
the critical items, so their number is an argument (0 unless the reviewer has counted them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..tables.schema import AMSTAR2_DOMAINS, AMSTAR2_JUDGEMENTS, ROB2_DOMAINS, ROB_JUDGEMENTS

LOW, SOME, HIGH = ROB_JUDGEMENTS  # "low", "some-concerns", "high"
ANSWERS = ("Y", "PY", "PN", "N", "NI")
NOT_ASKED = "NA"
YES, NO = frozenset({"Y", "PY"}), frozenset({"N", "PN"})
YES_OR_NI, NO_OR_NI = YES | {"NI"}, NO | {"NI"}


@dataclass(frozen=True)
class Condition:
    """A question is asked only when ``questions`` (any of them, or all when ``every``) were
    answered with one of ``answers`` — the guidance's "If Y/PY/NI to 2.1 or 2.2"."""

    questions: tuple[str, ...]
    answers: frozenset[str]
    every: bool = False

    def met(self, answers: Mapping[str, str]) -> bool:
        hits = [answers.get(q) in self.answers for q in self.questions]
        return all(hits) if self.every else any(hits)

    def describe(self) -> str:
        joined = (" and " if self.every else " or ").join(self.questions)
        return f"asked only if {joined} is {'/'.join(a for a in ANSWERS if a in self.answers)}"


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    asked_if: Condition | None = None
    answers: tuple[str, ...] = ANSWERS


# The signalling questions of RoB 2 (effect of assignment), in our own words.
QUESTIONS: dict[str, tuple[Question, ...]] = {
    "randomisation": (
        Question("1.1", "Was the allocation sequence generated at random?"),
        Question("1.2", "Was the allocation kept concealed until participants were enrolled and assigned?"),
        Question("1.3", "Do baseline differences between the groups point to a problem with randomisation?"),
    ),
    "deviations": (
        Question("2.1", "Did participants know which intervention they were assigned during the trial?"),
        Question("2.2", "Did carers or those delivering the interventions know the assignment during the trial?"),
        Question("2.3", "Did deviations from the intended intervention arise because of the trial context?",
                 Condition(("2.1", "2.2"), YES_OR_NI)),
        Question("2.4", "Were those deviations likely to have affected the outcome?", Condition(("2.3",), YES)),
        Question("2.5", "Were those deviations balanced between the groups?", Condition(("2.4",), YES_OR_NI)),
        Question("2.6", "Was the analysis appropriate for the effect of assignment (e.g. intention to treat)?"),
        Question("2.7", "Could analysing participants outside their randomised group have changed the result "
                        "substantially?", Condition(("2.6",), NO_OR_NI)),
    ),
    "missing-data": (
        Question("3.1", "Were outcome data available for all or nearly all randomised participants?"),
        Question("3.2", "Is there evidence that missing outcome data did not bias the result?",
                 Condition(("3.1",), NO_OR_NI), answers=("Y", "PY", "PN", "N")),
        Question("3.3", "Could missingness depend on the true value of the outcome?", Condition(("3.2",), NO)),
        Question("3.4", "Is it likely that missingness depended on the true value of the outcome?",
                 Condition(("3.3",), YES_OR_NI)),
    ),
    "measurement": (
        Question("4.1", "Was the way the outcome was measured inappropriate?"),
        Question("4.2", "Could measurement or ascertainment of the outcome have differed between groups?"),
        Question("4.3", "Did the outcome assessors know which intervention participants received?",
                 Condition(("4.1", "4.2"), NO_OR_NI, every=True)),
        Question("4.4", "Could knowing the intervention have influenced the outcome assessment?",
                 Condition(("4.3",), YES_OR_NI)),
        Question("4.5", "Is it likely that knowing the intervention did influence the outcome assessment?",
                 Condition(("4.4",), YES_OR_NI)),
    ),
    "selection": (
        Question("5.1", "Was the analysis that produced the result set out in a plan finalised before unblinded "
                        "outcome data were available?"),
        Question("5.2", "Was the result likely chosen, on the basis of its results, from several eligible "
                        "outcome measurements (scales, definitions, time points)?"),
        Question("5.3", "Was the result likely chosen, on the basis of its results, from several eligible "
                        "analyses of the data?"),
    ),
}
assert tuple(QUESTIONS) == ROB2_DOMAINS
QUESTION = {q.id: q for qs in QUESTIONS.values() for q in qs}
DOMAIN_OF = {q.id: d for d, qs in QUESTIONS.items() for q in qs}


class AnswerError(ValueError):
    """An answer is missing, not allowed, or given to a question that is not asked."""


def asked(domain: str, answers: Mapping[str, str]) -> list[str]:
    """The questions of ``domain`` the guidance asks given the answers so far, in order: a
    conditional question appears once the answers it depends on call for it."""
    _domain(domain)
    shown: list[str] = []
    counted: dict[str, str] = {}   # an answer left on a question no longer asked does not count
    for q in QUESTIONS[domain]:
        if q.asked_if is None or q.asked_if.met(counted):
            shown.append(q.id)
            if answers.get(q.id):
                counted[q.id] = answers[q.id].strip().upper()
    return shown


def check_answers(domain: str, answers: Mapping[str, str]) -> dict[str, str]:
    """The answers of ``domain`` that count, keyed by question id (questions not asked are
    left out); :class:`AnswerError` naming the question when one is missing, not one of its
    allowed answers, or answered although the flow skips it (only NA is allowed there)."""
    _domain(domain)
    ids = {q.id for q in QUESTIONS[domain]}
    for qid in answers:
        if qid not in ids:
            where = f" (it belongs to {DOMAIN_OF[qid]})" if qid in DOMAIN_OF else ""
            raise AnswerError(f"RoB 2 {domain}: no question {qid!r} in this domain{where}")
    out: dict[str, str] = {}
    for q in QUESTIONS[domain]:
        given = (answers.get(q.id) or "").strip().upper()
        if q.asked_if is not None and not q.asked_if.met(out):
            if given not in ("", NOT_ASKED):
                raise AnswerError(f"RoB 2 question {q.id} ({q.text}) is {q.asked_if.describe()}; "
                                  f"found {given!r} where only NA fits")
            continue
        if not given:
            raise AnswerError(f"RoB 2 question {q.id} ({q.text}) needs an answer: one of {', '.join(q.answers)}")
        if given not in q.answers:
            raise AnswerError(f"RoB 2 question {q.id} ({q.text}): expected one of {', '.join(q.answers)}; "
                              f"found {given!r}")
        out[q.id] = given
    return out


# --- the domain algorithms (the guidance's figures), one small function each ------------------

def _randomisation(a: Mapping[str, str]) -> str:
    if a["1.2"] in NO:                       # allocation not concealed
        return HIGH
    if a["1.2"] == "NI":                     # no information on concealment: baseline decides
        return HIGH if a["1.3"] in YES else SOME
    if a["1.1"] in NO:                       # concealed, but the sequence was not random
        return SOME
    return SOME if a["1.3"] in YES else LOW


def _deviations(a: Mapping[str, str]) -> str:
    # part 1 (2.1-2.5): deviations that arose because of the trial context
    if a["2.1"] in NO and a["2.2"] in NO:
        part1 = LOW
    elif a["2.3"] in NO:
        part1 = LOW
    elif a["2.3"] == "NI" or a["2.4"] in NO or a["2.5"] in YES:
        part1 = SOME
    else:                                    # deviations likely to matter, not shown to be balanced
        part1 = HIGH
    # part 2 (2.6-2.7): the analysis
    if a["2.6"] in YES:
        part2 = LOW
    else:
        part2 = SOME if a["2.7"] in NO else HIGH
    return worst(part1, part2)


def _missing_data(a: Mapping[str, str]) -> str:
    if a["3.1"] in YES or a["3.2"] in YES or a["3.3"] in NO:
        return LOW
    return SOME if a["3.4"] in NO else HIGH


def _measurement(a: Mapping[str, str]) -> str:
    if a["4.1"] in YES or a["4.2"] in YES:
        return HIGH
    # with no information on whether measurement differed (4.2 NI) the best is some concerns
    best = LOW if a["4.2"] in NO else SOME
    if a["4.3"] in NO or a["4.4"] in NO:
        return best
    return SOME if a["4.5"] in NO else HIGH


def _selection(a: Mapping[str, str]) -> str:
    if a["5.2"] in YES or a["5.3"] in YES:
        return HIGH
    if a["5.1"] in YES and a["5.2"] in NO and a["5.3"] in NO:
        return LOW
    return SOME


ALGORITHMS = {"randomisation": _randomisation, "deviations": _deviations, "missing-data": _missing_data,
              "measurement": _measurement, "selection": _selection}


def worst(*judgements: str) -> str:
    """The least favourable of RoB 2 judgements."""
    return max(judgements, key=ROB_JUDGEMENTS.index)


def judge(domain: str, answers: Mapping[str, str]) -> str:
    """The domain's judgement (low / some-concerns / high) from its signalling-question
    answers by the guidance's algorithm; :class:`AnswerError` naming the question when an
    answer is missing or invalid."""
    checked = check_answers(domain, answers)
    return ALGORITHMS[domain]({q.id: checked.get(q.id, NOT_ASKED) for q in QUESTIONS[domain]})


def overall(judgements: Mapping[str, str] | list[str], multiple_concerns_high: bool = False) -> str:
    """RoB 2's overall judgement (Sterne et al. 2019): high if any domain is high; some
    concerns if any has some concerns; low when all are low. The guidance lets a reviewer
    call the result high when several domains with some concerns together substantially
    lower confidence in it: that is the reviewer's call, made with ``multiple_concerns_high``
    (two or more domains with some concerns then read as high)."""
    values = list(judgements.values()) if isinstance(judgements, Mapping) else list(judgements)
    for value in values:
        if value not in ROB_JUDGEMENTS:
            raise ValueError(f"expected one of {', '.join(ROB_JUDGEMENTS)}; found {value!r}")
    if not values:
        raise ValueError("no domain judgements to combine")
    if HIGH in values or (multiple_concerns_high and values.count(SOME) >= 2):
        return HIGH
    return SOME if SOME in values else LOW


# --- AMSTAR 2 ------------------------------------------------------------------------------------

AMSTAR2_ANSWERS = AMSTAR2_JUDGEMENTS  # "yes", "partial-yes", "no"


@dataclass(frozen=True)
class Item:
    number: int
    domain: str
    text: str
    answers: tuple[str, ...]


_YPN, _YN = AMSTAR2_ANSWERS, ("yes", "no")
# the critical items (Shea et al. 2017, Box 1), in our own words; "partial yes" where the
# checklist offers it
AMSTAR2_ITEMS: tuple[Item, ...] = (
    Item(2, "protocol", "Were the methods set down before the review began, and deviations from that plan "
                        "justified?", _YPN),
    Item(4, "search", "Was the literature search comprehensive?", _YPN),
    Item(7, "excluded-studies", "Is there a list of the studies excluded, with the reason for each?", _YPN),
    Item(9, "rob-assessment", "Was risk of bias in the included studies assessed with a satisfactory method?",
         _YPN),
    Item(11, "meta-methods", "If studies were pooled, were the statistical methods appropriate?", _YN),
    Item(13, "rob-in-interpretation", "Was risk of bias in the studies taken into account when interpreting "
                                      "the results?", _YN),
    Item(15, "publication-bias", "If studies were pooled, was publication bias investigated and its likely "
                                 "impact discussed?", _YN),
)
assert tuple(i.domain for i in AMSTAR2_ITEMS) == AMSTAR2_DOMAINS
ITEM = {str(i.number): i for i in AMSTAR2_ITEMS}
ITEM_BY_DOMAIN = {i.domain: i for i in AMSTAR2_ITEMS}
# Shea et al. 2017, Box 2
CONFIDENCE = ("high", "moderate", "low", "critically low")
# how each confidence rating reads on the workbook's risk-of-bias scale (a project choice,
# not Shea et al.'s: one critical flaw leaves the review usable with concerns; more than one
# sets it aside, as GRADE sets aside evidence at high risk of bias)
CONFIDENCE_AS_ROB = {"high": LOW, "moderate": SOME, "low": SOME, "critically low": HIGH}


def check_items(answers: Mapping[str, str]) -> dict[str, str]:
    """The critical items' answers keyed by item number ("2", "4", … "15"), every item
    required; :class:`AnswerError` naming the item otherwise."""
    for key in answers:
        if str(key) not in ITEM:
            raise AnswerError(f"AMSTAR 2: item {key!r} is not a critical item; expected one of {', '.join(ITEM)}")
    out = {}
    for number, item in ITEM.items():
        given = (answers.get(number) or "").strip().lower()
        if not given:
            raise AnswerError(f"AMSTAR 2 item {number} ({item.text}) needs an answer: one of {', '.join(item.answers)}")
        if given not in item.answers:
            raise AnswerError(f"AMSTAR 2 item {number} ({item.text}): expected one of {', '.join(item.answers)}; "
                              f"found {given!r}")
        out[number] = given
    return out


def amstar2_confidence(critical_flaws: int, noncritical_weaknesses: int = 0) -> str:
    """Overall confidence in the results of a review (Shea et al. 2017, Box 2): more than one
    critical flaw → critically low; one → low; none and more than one non-critical weakness
    → moderate; none and at most one → high."""
    if critical_flaws < 0 or noncritical_weaknesses < 0:
        raise ValueError("counts of flaws and weaknesses cannot be negative")
    if critical_flaws > 1:
        return "critically low"
    if critical_flaws == 1:
        return "low"
    return "moderate" if noncritical_weaknesses > 1 else "high"


def critical_flaws(judgements: list[str]) -> int:
    """Critical flaws among critical-item answers: each "no" (a "partial yes" is not one)."""
    return sum(j == "no" for j in judgements)


def amstar2_rating(answers: Mapping[str, str], noncritical_weaknesses: int = 0) -> str:
    """The confidence rating from the seven critical items' answers (see :func:`check_items`)."""
    return amstar2_confidence(critical_flaws(list(check_items(answers).values())), noncritical_weaknesses)


def amstar2_as_rob(judgements: list[str], noncritical_weaknesses: int = 0) -> str:
    """A review's overall risk of bias on the workbook's scale from its critical-item rows."""
    return CONFIDENCE_AS_ROB[amstar2_confidence(critical_flaws(judgements), noncritical_weaknesses)]


def _domain(domain: str) -> None:
    if domain not in QUESTIONS:
        raise AnswerError(f"RoB 2: no domain {domain!r}; expected one of {', '.join(ROB2_DOMAINS)}")
