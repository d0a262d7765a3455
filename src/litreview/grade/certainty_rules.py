"""The GRADE rules that read what a row reports beyond its direction: a review's account of its
own trials, the comparator, the outcome type and events, and rows that share participants.

:mod:`litreview.grade.grading` calls these from its domain functions. Every column they read
is optional in ``evidence.csv`` (:data:`litreview.tables.schema.EVIDENCE`); a row without it
is graded as the engine graded it before these columns existed.

Sources, each read on the page named:

- Cochrane Handbook, version 5.1, Table 12.2.d (Higgins & Green, eds.), as reproduced in Table 1
  of https://pmc.ncbi.nlm.nih.gov/articles/PMC5393017/table/Tab1 : across studies, *low* risk of
  bias when most information is from studies at low risk; *unclear* when most is from studies at
  low or unclear risk, "serious limitations, downgrade one level" when the limitations are likely
  to lower confidence; *high* when the share of information at high risk can change the
  interpretation, one level, or two ("very serious limitations") for a crucial limitation.
- GRADE guidelines 4 (Guyatt et al. 2011, J Clin Epidemiol 64:407), rating down for study
  limitations across the body of trials, and Cochrane Handbook chapter 14 (Schünemann et al.,
  version 6.4, 2023, key points): certainty is judged for the body of evidence per outcome, over
  risk of bias, inconsistency, indirectness, imprecision and publication bias.
- GRADE guidelines 6 (Guyatt et al. 2011, J Clin Epidemiol 64:1283), abstract: the optimal
  information size (OIS) is the number of patients an adequately powered single trial needs; a
  review is precise when its 95% interval excludes no effect and the events or patients exceed
  the OIS; an interval that includes appreciable benefit or harm, "RR of under 0.75 or over 1.25
  as a rough guide", may rate down even when the OIS is met.
- GRADE guidelines 7 (Guyatt et al. 2011, J Clin Epidemiol 64:1294): point estimates on both
  sides of no effect are inconsistency (cited in grading.py for the weighted rule); its criteria
  for inconsistency include a statistical test for heterogeneity with a low P value, besides a
  large I², so a review that gives no I² is read by its test or its own words.
- Higgins, Thompson, Deeks & Altman 2003, BMJ 327:557 ("Measuring inconsistency in meta-analyses",
  read at http://pubmedcentralcanada.ca/pmcc/articles/PMC192859/): the test for heterogeneity has
  low power when trials are few, and a cut-off of 10% for its significance ameliorates this.
- GRADE guidelines 5 (Guyatt et al. 2011, J Clin Epidemiol 64:1277), publication bias: rate down
  one level when it is strongly suspected, e.g. when a funnel plot or a test for small-study effects
  shows asymmetry.
- AMSTAR 2 (Shea et al. 2017, BMJ 358:j4008): a review with more than one critical flaw has
  critically low confidence and "should not be relied on to provide an accurate and comprehensive
  summary" of its studies. AMSTAR 2 maps to no GRADE level; its trials are still randomised, so
  when the review reports them (their risk-of-bias shares), the engine uses them and starts one
  level lower (:data:`FLAWED_REVIEW_START_DOWN`, the smallest step GRADE takes) for what the
  review's flaws may have missed or mis-summarised, instead of setting the review aside whole.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from statistics import NormalDist

import pandas as pd

from ..tables.schema import RATIO_MEASURES, REVIEW_DESIGNS

# --- risk of bias across the body (Cochrane Handbook 5.1 Table 12.2.d, GRADE guidelines 4) ------
# "most information": more than half of the weight. The body is at low risk only when most of its
# weight is at low risk; otherwise some concerns or worse carry at least half of it: one level
MOST = 0.5
SOME_CONCERNS_DOWN = 1
# most of the weight at high risk: "very serious limitations, downgrade two levels"
HIGH_RISK_DOWN = 2

# --- imprecision (GRADE guidelines 6) ----------------------------------------------------------
# the OIS of a single trial powered at α 0.05 (two-sided) and β 0.2, as for the continuous OIS of
# 400 participants in grading.py, to detect a relative risk reduction of 25% (the abstract's
# rough guide to an appreciable effect, RR 0.75)
ALPHA, POWER, RELATIVE_RISK_REDUCTION = 0.05, 0.80, 0.25
# an interval of a ratio reaching below 0.75 or above 1.25 includes appreciable benefit or harm
APPRECIABLE_RATIO = (1 - RELATIVE_RISK_REDUCTION, 1 + RELATIVE_RISK_REDUCTION)

# a review that says nothing about its trials' risk of bias leaves it unknown, and unknown is not
# low: the burden is on the evidence to show its limitations are not serious (GRADE handbook 5.2.1,
# as for a study with no rob.csv rows in grading.py). Its weight counts as unclear, which is RoB 1's
# word for insufficient information and which Cochrane Handbook 5.1 Table 12.2.d treats with "some
# doubt" (the engine's some concerns), not as the review's own AMSTAR 2 judgement of its conduct
# (rob_shares)
# a critically low review (AMSTAR 2) that reports its trials starts one level below its design
FLAWED_REVIEW_START_DOWN = 1

# --- inconsistency (GRADE guidelines 7; Higgins et al. 2003, BMJ 327:557) -----------------------
# the P value below which a review's test for heterogeneity counts, when it gives no I²
HETEROGENEITY_P = 0.10

# comparisons against a sham or placebo isolate the specific effect; those against no treatment,
# a waiting list or usual care add the effects of attention and expectation
SHAM = "sham-placebo"
UNBLINDED_CONTROLS = ("no-treatment", "usual-care")


def column(rows: pd.DataFrame, name: str) -> pd.Series:
    """``rows[name]``, or all None when a table written before the column lacks it."""
    return rows[name] if name in rows else pd.Series([None] * len(rows), index=rows.index, dtype=object)


def _number(rows: pd.DataFrame, name: str) -> pd.Series:
    return pd.to_numeric(column(rows, name), errors="coerce")


# --- participants once --------------------------------------------------------------------------

def overlap_groups(rows: pd.DataFrame) -> pd.Series:
    """A label per row; rows that share participants share a label. A row's ``overlaps`` names
    evidence ids or study keys of other rows (a trial that a review includes, two outcomes of
    one review); the relation is taken both ways and transitively."""
    ids = list(rows.index)
    parent = {i: i for i in ids}

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_name: dict[str, list] = {}
    for i, eid, key in zip(ids, rows["evidence_id"], rows["study_key"]):
        by_name.setdefault(eid, []).append(i)
        by_name.setdefault(key, []).append(i)
    for i, named in zip(ids, column(rows, "overlaps")):
        for name in _names(named):
            for j in by_name.get(name, []):
                parent[find(j)] = find(i)
    # rows of one study key are one population too (several outcomes of one trial or review)
    for same in rows.groupby("study_key").groups.values():
        first = same[0]
        for j in same[1:]:
            parent[find(j)] = find(first)
    return pd.Series([find(i) for i in ids], index=rows.index)


def _names(value) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    return list(value) if isinstance(value, (list, tuple)) else str(value).replace(";", " ").split()


def once(rows: pd.DataFrame, n: pd.Series) -> pd.Series:
    """Weights ``n`` scaled so that each group of overlapping rows (:func:`overlap_groups`)
    weighs its largest population once, shared among its rows in proportion to their own."""
    if rows.empty:
        return n
    group = overlap_groups(rows)
    largest, total = n.groupby(group).transform("max"), n.groupby(group).transform("sum")
    return (n * largest / total.where(total > 0, 1.0)).astype(float)


def participants_once(rows: pd.DataFrame) -> int:
    """Participants of the rows with each population counted once: the largest reported ``n``
    of each group of overlapping rows. Rows without ``n`` add nothing and are listed by
    :func:`without_n`."""
    if rows.empty:
        return 0
    n = _number(rows, "n")
    return int(n.groupby(overlap_groups(rows)).max().fillna(0).sum())


# designs whose participants weigh in a grade: trials, observational studies and their reviews
WEIGHED_DESIGNS = (*REVIEW_DESIGNS, "rct", "non-randomised-trial", "cohort", "case-control", "cross-sectional")


def without_n(evidence: pd.DataFrame) -> pd.DataFrame:
    """Rows of studies of people (:data:`WEIGHED_DESIGNS`) that report no number of participants:
    they weigh what the median row of their claim weighs and add nothing to its participants."""
    if evidence.empty:
        return evidence
    return evidence[evidence["design"].isin(WEIGHED_DESIGNS) & _number(evidence, "n").isna()]


# --- risk of bias from what a review reports about its trials -----------------------------------

def has_trial_shares(rows: pd.DataFrame) -> pd.Series:
    """Review rows that report the shares of their trials at high or unclear risk of bias."""
    return rows["design"].isin(REVIEW_DESIGNS) & (_number(rows, "rob_high_share").notna()
                                                  | _number(rows, "rob_unclear_share").notna())


def _flag(rows: pd.DataFrame, name: str, value: bool) -> pd.Series:
    """Rows whose optional yes/no column ``name`` holds ``value`` (empty cells hold neither)."""
    return column(rows, name).map(lambda v: v is value or (isinstance(v, str) and v.lower() == str(value).lower()))


def rob_unreported(rows: pd.DataFrame) -> pd.Series:
    """Review rows that say nothing about their trials' risk of bias (``rob_reported`` false and no
    shares): their trials' risk of bias is unknown, and their own rob.csv judgement (the review's
    conduct) does not stand for it."""
    return rows["design"].isin(REVIEW_DESIGNS) & _flag(rows, "rob_reported", False) & ~has_trial_shares(rows)


def flawed_review(rows: pd.DataFrame) -> pd.Series:
    """Reviews judged at high risk (AMSTAR 2 critically low) that report their trials' shares: kept,
    graded by their trials, starting one level lower (:data:`FLAWED_REVIEW_START_DOWN`)."""
    return has_trial_shares(rows) & rows["rob"].eq("high")


def rob_shares(rows: pd.DataFrame, w: pd.Series) -> dict[str, float]:
    """Shares of the weight at ``low``, ``some-concerns`` and ``high`` risk of bias. A trial row
    (or a review row without trial shares) carries its own judgement (``rob``); a review row that
    reports its trials' shares splits its weight by them, since AMSTAR 2 judges how the review
    was done, not the trials inside it."""
    total = float(w.sum())
    if not total:
        return {"low": 0.0, "some-concerns": 0.0, "high": 0.0}
    split = has_trial_shares(rows)
    high = _number(rows, "rob_high_share").fillna(0).where(split, (rows["rob"] == "high").astype(float))
    some = _number(rows, "rob_unclear_share").fillna(0).where(split, (rows["rob"] == "some-concerns").astype(float))
    unknown = rob_unreported(rows)  # unclear (some concerns), whatever the review's conduct: see above
    high, some = high.where(~unknown, 0.0), some.where(~unknown, 1.0)
    out = {"high": float((w * high).sum() / total), "some-concerns": float((w * some).sum() / total)}
    out["low"] = max(0.0, 1.0 - out["high"] - out["some-concerns"])
    return out


def body_risk_of_bias(rows: pd.DataFrame, w: pd.Series) -> tuple[int, str]:
    """``(levels down, reason)`` for the body the grade rests on, from :func:`rob_shares`:
    two levels when most of the weight is at high risk, one when most of it is not at low risk
    (Cochrane Handbook 5.1 Table 12.2.d; GRADE guidelines 4). The table summarises studies of
    effects, so only rows of :data:`WEIGHED_DESIGNS` count: a mechanistic study, a guideline or a
    reference standard has no trial risk of bias to summarise (and is rated down only as before,
    when high-risk rows set aside carried most of the weight)."""
    studies = rows["design"].isin(WEIGHED_DESIGNS)
    if not studies.any():
        return 0, "no trial, observational study or review among the rows, so no risk of bias across studies"
    rows, w = rows[studies], w[studies]
    unknown = rob_unreported(rows)
    untold = (f"; {', '.join(rows.loc[unknown, 'evidence_id'])} report(s) nothing about their trials' risk of bias, "
              "so their weight counts as unclear (some concerns)") if unknown.any() else ""
    shares = rob_shares(rows, w)
    split = has_trial_shares(rows)
    via = f"; the trials' risk of bias as {', '.join(rows.loc[split, 'evidence_id'])} reports it" if split.any() else ""
    some = rows.loc[~split & ~unknown & rows["rob"].eq("some-concerns"), "evidence_id"]
    named = f"; some concerns in {', '.join(some)}" if len(some) else ""
    spread = (f"{shares['low']:.0%} of the weight at low risk of bias, {shares['some-concerns']:.0%} with some "
              f"concerns, {shares['high']:.0%} at high risk{named}{via}{untold}")
    if shares["high"] > MOST:
        return HIGH_RISK_DOWN, f"most of the weight is at high risk of bias: {spread}"
    if shares["low"] <= MOST:
        return SOME_CONCERNS_DOWN, f"most of the weight is not at low risk of bias: {spread}"
    return 0, spread


# --- imprecision by outcome type ----------------------------------------------------------------

def _z() -> float:
    return NormalDist().inv_cdf(1 - ALPHA / 2) + NormalDist().inv_cdf(POWER)


def participants_ois(control_risk: float) -> float:
    """Participants an adequately powered single trial needs (GRADE guidelines 6: the optimal
    information size is a conventional sample size calculation): two-proportion sample size, both
    arms, at :data:`ALPHA`, :data:`POWER`, a control risk ``control_risk`` (0 < risk < 1) and a
    relative risk reduction of :data:`RELATIVE_RISK_REDUCTION`."""
    p0, p1 = control_risk, control_risk * (1 - RELATIVE_RISK_REDUCTION)
    return 2 * _z() ** 2 * (p0 * (1 - p0) + p1 * (1 - p1)) / (p0 - p1) ** 2


def events_ois(baseline_risk: float | None = None) -> float:
    """Events an adequately powered single trial accrues (GRADE guidelines 6):
    :func:`participants_ois` at a control risk ``baseline_risk``, times the mean risk. Without a
    baseline risk, the limit as the risk becomes small, z²(2 − r)²/r² (about 385 events), which no
    baseline risk exceeds."""
    r = RELATIVE_RISK_REDUCTION
    if baseline_risk is None or not 0 < baseline_risk < 1:
        return _z() ** 2 * (2 - r) ** 2 / r ** 2
    return participants_ois(baseline_risk) * baseline_risk * (1 - r / 2)


def is_dichotomous(rows: pd.DataFrame) -> bool:
    """Whether the body measures an event: every row that states its outcome type says dichotomous."""
    kinds = column(rows, "outcome_type").dropna()
    return bool(len(kinds)) and kinds.eq("dichotomous").all()


def control_risk_check(rows: pd.DataFrame) -> tuple[bool, str] | None:
    """``(too few, reason)`` for a dichotomous body without every row's events but with every row's
    participants and its control group's risk (``control_risk``, as a summary-of-findings table
    prints it): the participants, each population once, against :func:`participants_ois` at their
    participant-weighted control risk. None when a risk or a participant count is missing (the
    caller then judges by participants against the continuous size, and says so)."""
    risk, n = _number(rows, "control_risk"), _number(rows, "n")
    if rows.empty or risk.isna().any() or n.isna().any():
        return None
    largest = n.groupby(overlap_groups(rows)).idxmax()   # each population once, with its own risk
    total = float(n[largest].sum())
    baseline = float((risk[largest] * n[largest]).sum() / total) if total else 0.0
    if not 0 < baseline < 1:
        return None
    ois = participants_ois(baseline)
    reason = (f"{total:.0f} participants ({', '.join(rows['evidence_id'])}), events not reported; at the control "
              f"risk of {baseline:.0%} they report, the optimal information size is {ois:.0f} participants")
    return total < ois, reason


def events_check(rows: pd.DataFrame) -> tuple[bool, str] | None:
    """``(too few, reason)`` for a dichotomous body whose rows all report events: the events,
    each population once, against :func:`events_ois` at the body's baseline risk (its event
    rate, when every row gives participants, read as the control risk under a 25% reduction).
    None when an event count is missing (the caller judges by participants and says so)."""
    events = _number(rows, "events")
    if events.isna().any():
        return None
    group = overlap_groups(rows)
    e = int(events.groupby(group).max().sum())
    n = _number(rows, "n")
    baseline = None
    if n.notna().all() and n.sum() > 0:
        baseline = (e / n.groupby(group).max().sum()) / (1 - RELATIVE_RISK_REDUCTION / 2)
    ois = events_ois(baseline)
    at = f"at a control risk of {baseline:.0%}" if baseline is not None else "for a rare event"
    reason = f"{e} events ({', '.join(rows['evidence_id'])}); the optimal information size {at} is {ois:.0f}"
    return e < ois, reason


def crosses_threshold(measure: str, low: float, high: float) -> bool:
    """Whether an interval crosses the decision threshold (GRADE guidelines 6): for a ratio, it
    includes no effect and reaches appreciable benefit or harm (:data:`APPRECIABLE_RATIO`); for a
    difference, it includes no effect."""
    if measure in RATIO_MEASURES:
        return low < 1 < high and (low < APPRECIABLE_RATIO[0] or high > APPRECIABLE_RATIO[1])
    return low < 0 < high


def crosses_both_ways(measure: str, low: float, high: float) -> bool:
    """Whether a ratio's interval reaches appreciable benefit and appreciable harm at once (below
    and above :data:`APPRECIABLE_RATIO`): very serious imprecision, two levels (GRADE guidance 34,
    Zeng et al. 2022, J Clin Epidemiol 150:216). A difference has no appreciable size here, so its
    interval crosses one way at most."""
    return measure in RATIO_MEASURES and low < APPRECIABLE_RATIO[0] and high > APPRECIABLE_RATIO[1]


def reported_intervals(rows: pd.DataFrame, pooled_ids: set[str]) -> pd.DataFrame:
    """Review rows with a reported interval that no pooled estimate covers: a review's interval
    is its own pooled estimate."""
    have = rows["design"].isin(REVIEW_DESIGNS) & _number(rows, "ci_low").notna() & _number(rows, "ci_high").notna()
    return rows[have & ~rows["evidence_id"].isin(pooled_ids)]


# --- inconsistency ------------------------------------------------------------------------------

def reported_i2(rows: pd.DataFrame) -> tuple[float, str] | None:
    """The largest I² (as a fraction) that a review row reports, with its evidence id."""
    i2 = _number(rows, "i2")
    if i2.notna().any():
        at = i2.idxmax()
        return float(i2[at]) / 100, str(rows.loc[at, "evidence_id"])
    return None


def heterogeneity_unreported(rows: pd.DataFrame) -> pd.Series:
    """Review rows that pool more than one trial (or do not say how many) and report nothing on
    heterogeneity among them: no I², no test for heterogeneity, no words either way. The engine
    cannot judge their trials' consistency (GRADE guidelines 7) and does not rate it down for the
    unknown; the grade's reason and the review's "What is missing" say so instead."""
    if rows.empty:
        return pd.Series(dtype=bool)
    return (rows["design"].isin(REVIEW_DESIGNS) & _number(rows, "trials").ne(1) & _number(rows, "i2").isna()
            & _number(rows, "heterogeneity_p").isna() & column(rows, "substantial_heterogeneity").isna())


def comparator_split(rows: pd.DataFrame, direction_of: Callable[[pd.DataFrame], str]) -> str | None:
    """When the sham- or placebo-controlled rows and those against no treatment or usual care
    lean different ways (``direction_of`` each part), the sentence that says which comparisons
    carry the effect; None otherwise. Estimates on both sides of no effect are inconsistency
    (GRADE guidelines 7), however the weight falls between the two kinds of comparison."""
    kinds = column(rows, "comparator_type")
    sham, other = rows[kinds.eq(SHAM)], rows[kinds.isin(UNBLINDED_CONTROLS)]
    if sham.empty or other.empty:
        return None
    d_sham, d_other = direction_of(sham), direction_of(other)
    if d_sham == d_other or "mixed" in (d_sham, d_other) or "supports" not in (d_sham, d_other):
        return None
    word = {"supports": "show an effect", "no-effect": "show none", "contradicts": "point the other way"}
    return (f"against sham or placebo the rows {word[d_sham]} ({', '.join(sham['evidence_id'])}); against no "
            f"treatment or usual care they {word[d_other]} ({', '.join(other['evidence_id'])}): the effect is "
            f"carried by the {'sham-controlled' if d_sham == 'supports' else 'unblinded'} comparisons")


def reported_heterogeneity(rows: pd.DataFrame) -> str | None:
    """The reason to rate down one level for inconsistency from what a review says when it gives no
    I²: its test for heterogeneity below :data:`HETEROGENEITY_P`, or its own words that the trials
    differ substantially (GRADE guidelines 7); None when no row says so."""
    p = _number(rows, "heterogeneity_p")
    low_p = rows[p < HETEROGENEITY_P]
    said = rows[_flag(rows, "substantial_heterogeneity", True)]
    parts = [f"the test for heterogeneity {r} reports (P = {v:g}) is below {HETEROGENEITY_P:g}"
             for r, v in zip(low_p["evidence_id"], p[low_p.index])]
    if not said.empty:
        parts.append(f"{', '.join(said['evidence_id'])} report(s) substantial heterogeneity among the trials")
    return "; ".join(parts) or None


def reported_small_study_effects(rows: pd.DataFrame) -> tuple[bool, str] | None:
    """``(suspected, reason)`` from what reviews report of funnel-plot asymmetry or a small-study
    test (GRADE guidelines 5): suspected when any row reports small-study effects; not when rows
    report looking and finding none; None when no row says."""
    found, none = _flag(rows, "small_study_effects", True), _flag(rows, "small_study_effects", False)
    if found.any():
        return True, f"{', '.join(rows.loc[found, 'evidence_id'])} report(s) small-study effects (funnel asymmetry)"
    if none.any():
        return False, f"{', '.join(rows.loc[none, 'evidence_id'])} looked for small-study effects and found none"
    return None
