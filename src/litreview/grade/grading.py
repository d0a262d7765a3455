"""GRADE certainty and the verdicts per claim, computed from the evidence table.

Each claim has a *kind* (``claims.csv``), and each kind its standard of evidence
(:data:`START_BY_KIND`, :data:`DOMAINS_BY_KIND`):

- **intervention** — GRADE for interventions as the GRADE handbook states it (Schünemann
  et al., eds., GRADE Handbook, 2013, section 5): trials and their reviews start high,
  observational studies low, everything else very low;
- **physiology** — an established fact of physiology or anatomy: consistent direct
  measurement in humans, a physiology reference or a consensus statement can carry high
  certainty without trials (the GRADE Working Group's point that certainty is about the
  question asked, and for a descriptive question the fitting design is direct observation:
  Guyatt et al. 2011, J Clin Epidemiol 64:383, GRADE guidelines 1);
- **tradition** — where a point lies or what a tradition holds, judged against the
  tradition's standard reference (for acupuncture points, the WHO Standard Acupuncture
  Point Locations, 2008); "accurate description" never reads as support for an effect;
- **advice-safety** — advice and safety statements, judged by clinical guidance and harm
  evidence (for rare harms, case reports are the evidence there is);
- **traditional theory** — not testable.

The method, in the order it runs:

1. **Set aside** rows at high risk of bias (GRADE guidelines 4, Guyatt et al. 2011,
   J Clin Epidemiol 64:407: restrict to the studies at lower risk when they differ) and rows
   seriously indirect to the claim (the *direction gate*: another intervention or body site is
   context, never support). They are listed beside the grade; adding one never raises the
   certainty (a property test checks this). A critically low review (AMSTAR 2) that reports its
   trials' risk of bias is not set aside: its trials are graded and the start is one level lower
   (:mod:`litreview.grade.certainty_rules`).
2. **Start** from the best design left (per kind). When a systematic review in that body
   reports its own GRADE certainty for the outcome, start from it and rate down only for
   indirectness to the article's claim (DESIGN.md, grading method 2).
3. **Rate down** only on GRADE's own triggers, each a constant below with its source: risk
   of bias when the high-risk rows carried most of the weight; inconsistency when a material
   share of the weight points the other way or a pooled I² is large; indirectness when most
   of the weight is indirect; imprecision against the optimal information size or a pooled
   interval crossing no effect; publication bias only with a reason.
4. **Rate up** an observational body not rated down for a large pooled effect.
5. **Direction** of the body by weight, and the two verdict scales (:mod:`litreview.grade.verdicts`).
6. **Overrides** from ``overrides.csv`` replace the computed certainty or verdict; both
   values are kept side by side.

A row's weight is its number of participants; a row that does not report one weighs what the
median row of its claim with a number weighs (1 when none has one).

Words. A row *set aside* is one kept out of the rating in step 1 (high risk of bias or serious
indirectness), listed as ``flawed_evidence``; a *retracted* row is one whose study was retracted
or withdrawn (``study_status.csv``), graded as if absent and listed as ``retracted_evidence``.
Effects are pooled from the rows the grade rests on (step 2's design stratum), never others.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..appraise.rob2 import amstar2_as_rob
from ..appraise.rob2 import overall as rob2_overall
from ..collect.status import concern_keys, withdrawn_rows
from ..tables.schema import CERTAINTIES, RATIO_MEASURES, REVIEW_DESIGNS
from . import certainty_rules, verdicts
from .pooling import Pooled, pool_claims

LEVELS = tuple(reversed(CERTAINTIES))  # "very low" … "high"; index = points - 1
POINTS = {name: i + 1 for i, name in enumerate(LEVELS)}

_GRADE_START = {
    "systematic-review": "high", "meta-analysis": "high", "rct": "high",
    "non-randomised-trial": "low", "cohort": "low", "case-control": "low", "cross-sectional": "low",
    "case-series": "very low", "case-report": "very low", "mechanistic-human": "very low",
    "animal": "very low", "in-vitro": "very low", "narrative-review": "very low", "guideline": "very low",
    "reference-standard": "very low",
}
START_BY_KIND: dict[str, dict[str, str]] = {
    # GRADE handbook 5.1: randomised trials high, observational studies low
    "intervention": _GRADE_START,
    # direct human measurement and the references that summarise it answer a question of
    # physiology; animal and cell work are a step removed, a single case two
    "physiology": {**_GRADE_START, "non-randomised-trial": "high", "cohort": "high", "case-control": "high",
                   "cross-sectional": "high", "mechanistic-human": "high", "guideline": "high",
                   "reference-standard": "high", "narrative-review": "moderate", "case-series": "low",
                   "animal": "low", "in-vitro": "low"},
    # the standard reference defines the tradition; a study or review that states the standard
    # location reports it second-hand
    "tradition": {**dict.fromkeys(_GRADE_START, "low"), "reference-standard": "high", "guideline": "high",
                  "systematic-review": "moderate", "meta-analysis": "moderate", "rct": "moderate",
                  "narrative-review": "moderate"},
    # clinical guidance is the standard for advice; harms are rare, so a case series or report
    # is evidence that a harm happens (GRADE handbook 5.1: observational evidence for harms)
    "advice-safety": {**_GRADE_START, "guideline": "high", "reference-standard": "high",
                      "case-series": "low", "case-report": "low", "narrative-review": "low"},
}
KINDS_GRADED = tuple(START_BY_KIND)

DOMAINS = ("risk of bias", "inconsistency", "indirectness", "imprecision", "publication bias")
# imprecision and publication bias are questions about estimates of an effect; a reference
# standard or a guideline carries none
DOMAINS_BY_KIND = {
    "intervention": DOMAINS,
    "advice-safety": ("risk of bias", "inconsistency", "indirectness"),
    "physiology": ("risk of bias", "inconsistency", "indirectness"),
    "tradition": ("inconsistency", "indirectness"),
}

# --- the triggers, each with its source ---------------------------------------------------------

# risk of bias: GRADE guidelines 4 (Guyatt et al. 2011, J Clin Epidemiol 64:407): rate down when
# the studies at high risk carry enough of the information to change the interpretation, taken
# here as more than half of the weight of the direct evidence
HIGH_RISK_WEIGHT = 0.5
# inconsistency: GRADE guidelines 7 (Guyatt et al. 2011, J Clin Epidemiol 64:1294): point
# estimates on both sides of no effect; rate down when a material share of the weight, a quarter
# or more, points the other way
OPPOSING_WEIGHT = 0.25
# … and on I² of a pooled estimate: Cochrane Handbook 10.10.2, "substantial" 50-90%,
# "considerable" 75-100%. How many levels: the decision matrix for inconsistency of Cochrane review
# CD009172 (2020; https://pmc.ncbi.nlm.nih.gov/articles/PMC7195185/table/CD009172-tblf-0008/):
# unexplained I² above 75% rates down one level when the studies' estimates point the same way,
# two when they point different ways (GRADE guidelines 7: point estimates on both sides of no effect)
I2_SERIOUS, I2_VERY_SERIOUS = 0.50, 0.75
# indirectness: GRADE guidelines 8 (Guyatt et al. 2011, J Clin Epidemiol 64:1303): rate down when
# most of the weight comes from evidence that differs from the question
INDIRECT_WEIGHT = 0.5
# imprecision: GRADE handbook 5.2.4.1 and GRADE guidelines 6 (Guyatt et al. 2011, J Clin
# Epidemiol 64:1283): an optimal information size of about 400 participants for a continuous
# outcome (α 0.05, β 0.2, a difference of 0.2 SD). Which decides, and how many levels: GRADE
# guidance 34 (Zeng et al. 2022, J Clin Epidemiol 150:216, abstract read at
# https://pubmed.ncbi.nlm.nih.gov/35934265/): the interval is the primary criterion; one that crosses
# the threshold rates down, two levels when it reaches appreciable effects on both sides; the
# information size is checked only when the interval does not cross, one level when it falls short
OPTIMAL_INFORMATION_SIZE = 400
# … and "far less than the OIS" may take more than one level (guidance 34): fewer than 100
# participants in all is very serious imprecision, two levels, in the concrete rules of Pollock et al.
# 2016 (J Clin Epidemiol 70:106, "An algorithm was developed to assign GRADE levels of evidence to
# comparisons within systematic reviews"; Table 2, read at
# https://pmc.ncbi.nlm.nih.gov/articles/PMC4742519/table/tbl2), whatever the interval
VERY_SMALL_BODY = 100
# publication bias: GRADE guidelines 5 (Guyatt et al. 2011, J Clin Epidemiol 64:1277): a body of
# only small studies, all positive, is the pattern to suspect; "small" as the trials in
# Nüesch et al. 2010 (BMJ 341:c3515), fewer than 100 participants per trial
SMALL_STUDY = 100
MIN_STUDIES_FOR_PUBLICATION_BIAS = 2
# rate up: GRADE guidelines 9 (Guyatt et al. 2011, J Clin Epidemiol 64:1311): a large effect,
# RR above 2 or below 0.5, in observational studies without serious limitations
LARGE_RATIO = 2.0
# direction: vote counting by direction of effect (Cochrane Handbook 12.2.2), weighted; a body
# leans one way when at least two thirds of its weight does, otherwise it is mixed
CLEAR_MAJORITY = 2 / 3

NO_STUDY_FOUND = "No study was found for this claim; the searches are logged, and no evidence cannot support it."
NOT_SEARCHED = ("Not searched yet: no logged search names this claim and no evidence is recorded; "
                "no evidence cannot support it.")
ONLY_SET_ASIDE = ("Only evidence set aside was found (high risk of bias, or another intervention, site or "
                  "population): it is context and cannot decide the claim.")

NO_ROB_YET = ("No risk-of-bias judgement yet for {} (no rows in rob.csv): a study not yet judged is set aside, "
              "so the claim cannot be decided until it is.")

DOMAIN_MARKS = {"not serious": "✓", "serious": "▼", "very serious": "▼▼"}  # as Summary-of-Findings tables print them


# --- risk of bias per study -------------------------------------------------------------------

# a study with no rob.csv rows: its risk of bias is unknown, and unknown is not low (GRADE
# handbook 5.2.1: the burden is on the evidence to show its limitations are not serious)
ROB_WHEN_UNASSESSED = "high"


def study_rob(rob: pd.DataFrame) -> dict[str, str]:
    """Overall risk of bias per study key, derived from its domain rows: RoB 2's overall
    judgement (:func:`litreview.appraise.rob2.overall`, Sterne et al. 2019, BMJ 366:l4898),
    AMSTAR 2's rating from its critical items
    (:func:`litreview.appraise.rob2.amstar2_as_rob`: Shea et al. 2017, BMJ 358:j4008, two or more
    critical flaws → critically low, read as high; one → low, read as some concerns; a
    "partial yes" is no flaw), or the single design-based judgement."""
    out = {}
    for key, rows in rob.groupby("study_key", sort=True):
        tool = rows["tool"].iloc[0]
        judged = list(rows["judgement"])
        if tool == "rob2":
            out[key] = rob2_overall(judged)
        elif tool == "amstar2":
            out[key] = amstar2_as_rob(judged)
        else:
            out[key] = judged[0]
    return out


def with_rob(evidence: pd.DataFrame, rob_by_study: dict[str, str]) -> pd.DataFrame:
    """The evidence with each row's overall risk of bias (:func:`study_rob`); a study without
    rob.csv rows counts as :data:`ROB_WHEN_UNASSESSED`."""
    ev = evidence.copy()
    ev["rob"] = [rob_by_study.get(k, ROB_WHEN_UNASSESSED) for k in ev["study_key"]]
    return ev


def effective_indirectness(rows: pd.DataFrame) -> pd.Series:
    """Each row's indirectness to its claim as the grading reads it (``none`` / ``some`` /
    ``serious``): the one place the grade reads it. The assessment hands the grading rows whose
    ``indirectness`` is already the derived judgement or the reviewer's override
    (:func:`litreview.appraise.indirectness.effective`)."""
    return rows["indirectness"]


def is_set_aside(rows: pd.DataFrame) -> pd.Series:
    """Rows set aside from the rating: at high risk of bias, or seriously indirect (rows as
    :func:`grade_claim` reads them, indirectness from :func:`effective_indirectness`). A critically
    low review that reports its trials' risk of bias is kept and starts lower instead
    (:func:`certainty_rules.flawed_review`)."""
    return ((rows["rob"] == "high") & ~certainty_rules.flawed_review(rows)) | (rows["indirectness"] == "serious")


def set_aside_reason(row) -> str:
    """Why a row set aside is (:func:`is_set_aside`): "high risk of bias", "seriously
    indirect", or both."""
    return "; ".join(why for why, on in (("high risk of bias", row["rob"] == "high"),
                                         ("seriously indirect", row["indirectness"] == "serious")) if on)


# --- the grade of one claim --------------------------------------------------------------------

@dataclass
class Domain:
    name: str
    down: int            # 0, 1 or 2 (upgrades are recorded separately)
    reason: str

    @property
    def judgement(self) -> str:
        return ("not serious", "serious", "very serious")[self.down]


@dataclass
class Grade:
    claim_id: str
    testable: bool
    n_rows: int
    start: str | None
    kind: str = "intervention"
    domains: list[Domain] = field(default_factory=list)
    upgrade: int = 0
    upgrade_reason: str = ""
    certainty: str | None = None
    direction: str = "none"
    context_direction: str = "none"   # the lean of the rows set aside, shown, never decisive
    expert: str = "evidence lacking"
    verdict: str = "unsupported"
    overstated: str = ""              # why the wording goes beyond the evidence, or ""
    small_effect: bool = False
    rationale: str = ""
    primary_ids: list[str] = field(default_factory=list)
    flawed_ids: list[str] = field(default_factory=list)
    participants: int = 0
    pooled: list[Pooled] = field(default_factory=list)
    review_rated: str = ""            # evidence id whose own GRADE rating was the start
    start_reason: str = ""            # why the start is below the best design's (a critically low review)
    set_aside: dict[str, str] = field(default_factory=dict)  # evidence id → why it was set aside


def _ids(rows: pd.DataFrame) -> str:
    return ", ".join(rows["evidence_id"])


def weights(rows: pd.DataFrame) -> pd.Series:
    """Participants per row; a row without a number weighs the median row that has one; rows that
    share participants weigh their population once (:func:`certainty_rules.once`)."""
    n = pd.to_numeric(rows["n"], errors="coerce")
    fill = n.median() if n.notna().any() else 1.0
    return certainty_rules.once(rows, n.fillna(fill).astype(float))


def leaning(rows: pd.DataFrame) -> tuple[float, float, float, float]:
    """``(for, against, contradicts, no effect)``: the weight of the rows by direction; a
    "mixed" row counts half for and half against, "contradicts" and "no effect" against."""
    w = weights(rows)
    d = rows["direction"]
    half = 0.5 * w[d == "mixed"].sum()
    contra, null = w[d == "contradicts"].sum(), w[d == "no-effect"].sum()
    return w[d == "supports"].sum() + half, contra + null + half, contra, null


def body_direction(rows: pd.DataFrame) -> str:
    """supports / contradicts / no-effect / mixed by weight (:func:`leaning`); ``none`` without
    rows."""
    if rows.empty:
        return "none"
    pro, against, contra, null = leaning(rows)
    total = pro + against
    if pro / total >= CLEAR_MAJORITY:
        return "supports"
    if against / total >= CLEAR_MAJORITY:
        return "contradicts" if contra >= null else "no-effect"
    return "mixed"


def grade_claim(claim: dict, rows: pd.DataFrame, rob_by_study: dict[str, str],
                searched: set[str] | None = None, concerns: frozenset[str] = frozenset(),
                method: str = "dl") -> Grade:
    """The grade of one claim from its evidence rows (``evidence.csv`` columns plus ``rob``,
    which this function adds when missing), retracted studies already removed. Effects are
    pooled (with ``method``) from the rows the grade rests on, the best design stratum left
    after the rows set aside, and from no others (:attr:`Grade.pooled`). ``searched``: the
    claims some logged search names, when known; a claim without evidence is then told apart
    as not yet searched. ``concerns``: studies under an editorial expression of concern
    (``study_status.csv``); they stay in the body and rate risk of bias down."""
    cid = claim["claim_id"]
    kind = claim.get("kind") or ("intervention" if claim["testable"] else "traditional-theory")
    if not claim["testable"]:
        return Grade(cid, False, len(rows), None, kind=kind, certainty=None, direction="none",
                     expert="not applicable", verdict="not testable",
                     rationale="A statement of traditional theory, not testable by experiment.")
    rows = rows.copy() if "rob" in rows else with_rob(rows, rob_by_study)
    rows["indirectness"] = effective_indirectness(rows)
    if "review_certainty" not in rows:
        rows["review_certainty"] = None
    if rows.empty:
        g = Grade(cid, True, 0, None, kind=kind, certainty="very low")
        g.rationale = NO_STUDY_FOUND if searched is None or cid in searched else NOT_SEARCHED
        return _verdict(g, claim)
    flawed = is_set_aside(rows)
    sound = rows[~flawed]
    g = Grade(cid, True, len(rows), None, kind=kind, flawed_ids=list(rows.loc[flawed, "evidence_id"]),
              context_direction=body_direction(rows[flawed]),
              set_aside={r["evidence_id"]: set_aside_reason(r) for _, r in rows[flawed].iterrows()})
    if sound.empty:
        g.certainty = "very low"
        # set aside only for want of a judgement (with_rob reads a study without rob.csv rows as high)
        unjudged = sorted(set(rows.loc[(rows["rob"] == "high") & (rows["indirectness"] != "serious"), "study_key"])
                          - set(rob_by_study))
        g.rationale = NO_ROB_YET.format(", ".join(unjudged)) if unjudged else ONLY_SET_ASIDE
        return _verdict(g, claim)
    starts = START_BY_KIND[kind]
    start = max((starts[d] for d in sound["design"]), key=POINTS.__getitem__)
    primary = sound[sound["design"].map(starts) == start]
    g.pooled = pool_claims(primary, method) if "effect" in primary else []
    g.primary_ids = list(primary["evidence_id"])
    g.start, g.start_reason = _flawed_review_start(primary, start)
    g.participants = certainty_rules.participants_once(primary)
    g.direction = body_direction(primary)
    g.small_effect = _small_effect(primary, g.pooled)
    rated = _review_rated(primary) if kind == "intervention" else None
    if rated is not None:
        g.review_rated = rated["evidence_id"]
        g.start = rated["review_certainty"]
        g.domains = _as_rated_by_review(rated)
    else:
        direct = rows[rows["indirectness"] != "serious"]
        checks = {"risk of bias": lambda: _risk_of_bias(direct, primary, concerns),
                  "inconsistency": lambda: _inconsistency(primary, g.pooled),
                  "indirectness": lambda: _indirectness(primary),
                  "imprecision": lambda: _imprecision(primary, g.pooled),
                  "publication bias": lambda: _publication_bias(primary)}
        g.domains = [checks[d]() for d in DOMAINS_BY_KIND[kind]]
    down = sum(d.down for d in g.domains)
    if kind == "intervention" and POINTS[g.start] <= POINTS["low"] and down == 0:
        g.upgrade, g.upgrade_reason = _large_effect(g.pooled)
    g.certainty = LEVELS[min(max(POINTS[g.start] - down + g.upgrade, 1), len(LEVELS)) - 1]
    g.rationale = _rationale(g, rows)
    return _verdict(g, claim)


def _verdict(g: Grade, claim: dict) -> Grade:
    """Both scales and the overstatement flag, from direction and certainty."""
    g.expert = verdicts.expert_label(g.direction, g.certainty, g.small_effect, g.kind)
    g.overstated = verdicts.overstatement(claim.get("quote", ""), g.kind, g.direction, g.certainty, g.small_effect)
    g.verdict = verdicts.fact_check(g.expert, g.kind, g.direction, bool(g.overstated), g.certainty)
    return g


def _share(mask: pd.Series, w: pd.Series) -> float:
    total = w.sum()
    return float(w[mask].sum() / total) if total else 0.0


def _flawed_review_start(primary: pd.DataFrame, start: str) -> tuple[str, str]:
    """``(start, reason)``: one level below ``start`` (:data:`certainty_rules.FLAWED_REVIEW_START_DOWN`)
    when critically low reviews that report their trials (:func:`certainty_rules.flawed_review`)
    carry most of the weight the grade rests on; ``start`` and "" otherwise."""
    flawed = certainty_rules.flawed_review(primary)
    if not flawed.any() or _share(flawed, weights(primary)) <= certainty_rules.MOST:
        return start, ""
    lower = LEVELS[max(POINTS[start] - certainty_rules.FLAWED_REVIEW_START_DOWN, 1) - 1]
    return lower, (f"{_ids(primary[flawed])}: a critically low review (AMSTAR 2) that reports its trials; graded by "
                   f"its trials, starting {lower} instead of {start}")


def _review_rated(rows: pd.DataFrame):
    """The review whose own GRADE rating the grade starts from: the most direct one, then the
    largest; None when no review in the body reports a rating. A critically low review's own
    rating is not relied on (AMSTAR 2)."""
    rated = rows[rows["design"].isin(REVIEW_DESIGNS) & rows["review_certainty"].notna()
                 & (rows["review_certainty"].fillna("") != "") & ~certainty_rules.flawed_review(rows)]
    if rated.empty:
        return None
    order = rated.assign(_ind=rated["indirectness"].map({"none": 0, "some": 1}), _w=weights(rated))
    return order.sort_values(["_ind", "_w", "evidence_id"], ascending=[True, False, True]).iloc[0]


def _as_rated_by_review(row) -> list[Domain]:
    by = f"as rated by the review's own GRADE assessment ({row['evidence_id']}: {row['review_certainty']})"
    out = [Domain(d, 0, by) for d in DOMAINS]
    if row["indirectness"] == "some":
        out[2] = Domain("indirectness", 1, f"the review answers a question close to, not the same as, the claim "
                                           f"({row['evidence_id']})")
    else:
        out[2] = Domain("indirectness", 0, f"the review answers the claim's question ({row['evidence_id']})")
    return out


def _risk_of_bias(direct: pd.DataFrame, primary: pd.DataFrame, concerns: frozenset[str] = frozenset()) -> Domain:
    """``direct``: every row not seriously indirect, including those at high risk (set aside).
    An expression of concern on a study the grade rests on rates down too: the editors doubt
    its data or conduct (GRADE handbook 5.2.1, limitations in design and execution)."""
    high = (direct["rob"] == "high") & ~certainty_rules.flawed_review(direct)
    share = _share(high, weights(direct))
    doubted = primary[primary["study_key"].isin(concerns)]
    if not doubted.empty:
        return Domain("risk of bias", 1, f"an expression of concern was published on {', '.join(doubted['study_key'])} "
                                         f"({_ids(doubted)})")
    # the body the grade rests on, with what reviews report about their trials (certainty_rules)
    down, why = certainty_rules.body_risk_of_bias(primary, weights(primary))
    if share > HIGH_RISK_WEIGHT:
        aside = (f"studies at high risk of bias carried {share:.0%} of the weight of the direct evidence "
                 f"({_ids(direct[high])}) and were set aside")
        return Domain("risk of bias", max(1, down), f"{aside}; the rest: {why}")
    return Domain("risk of bias", down, f"{_ids(primary)}: {why}")


def _inconsistency(rows: pd.DataFrame, pooled) -> Domain:
    i2 = max((p.i2 for p in pooled), default=None)
    reported = certainty_rules.reported_i2(rows)   # I² a review reports for its own pooled trials
    by = None  # the rows that report the I² used, when it is a review's own
    if reported and (i2 is None or reported[0] > i2):
        i2, by = reported
    # "pooled I²" only for this workbook's own pooling (pooled.csv); a review's own is "reported"
    i2_said = "" if i2 is None else (f"I² {i2:.0%} reported by {by}" if by else
                                     f"pooled I² {i2:.0%} ({', '.join(i for p in pooled for i in p.evidence_ids)})")
    split = certainty_rules.comparator_split(rows, body_direction)
    favour = rows["direction"].eq("supports")
    against = rows["direction"].isin(["contradicts", "no-effect"])
    mixed = rows["direction"].eq("mixed")
    pro, con, _, _ = leaning(rows)
    opposing = min(pro, con) / (pro + con) if pro + con else 0.0
    ways = None  # the estimates point different ways: a material share against, or comparators that disagree
    if len(rows) >= 2 and opposing >= OPPOSING_WEIGHT:
        ways = (f"{opposing:.0%} of the weight points the other way: for {_ids(rows[favour]) or 'none'}; "
                f"against {_ids(rows[against]) or 'none'}" + (f"; mixed {_ids(rows[mixed])}" if mixed.any() else ""))
    ways = split or ways
    if i2 is not None and i2 > I2_VERY_SERIOUS:  # CD009172's matrix: two levels only when the ways differ too
        return Domain("inconsistency", 2 if ways else 1, f"{i2_said}; {ways}" if ways else
                      f"{i2_said}; nothing shows the estimates pointing different ways, so one level")
    if ways:
        return Domain("inconsistency", 1, ways)
    if i2 is not None and i2 > I2_SERIOUS:
        return Domain("inconsistency", 1, i2_said)
    said = certainty_rules.reported_heterogeneity(rows) if i2 is None else None
    if said:   # no I²: the review's test for heterogeneity or its own words (GRADE guidelines 7)
        return Domain("inconsistency", 1, said)
    silent = certainty_rules.heterogeneity_unreported(rows) & (i2 is None)   # an I² of any source says it
    unknown = (f"; {_ids(rows[silent])} pool(s) trials but report(s) no I² or test for heterogeneity, so the "
               "consistency of those trials is not known") if silent.any() else ""
    if len(rows) == 1:
        return Domain("inconsistency", 0, f"a single source ({_ids(rows)}); " + (
            "a review of several trials that reports no I² or test for heterogeneity, so the consistency of its "
            "trials is not known" if silent.any() else "consistency cannot be judged"))
    minority = f"; {opposing:.0%} of the weight the other way" if opposing else ""
    return Domain("inconsistency", 0, f"directions agree across {_ids(rows)}{minority}{unknown}")


def _indirectness(rows: pd.DataFrame) -> Domain:
    some = rows["indirectness"] == "some"
    share = _share(some, weights(rows))
    if share > INDIRECT_WEIGHT:
        return Domain("indirectness", 1, f"{share:.0%} of the weight is indirect to the claim ({_ids(rows[some])})")
    note = f"; some indirectness in {_ids(rows[some])}" if some.any() else ""
    return Domain("indirectness", 0, f"most of the weight is direct ({_ids(rows[~some])}){note}")


def _imprecision(rows: pd.DataFrame, pooled) -> Domain:
    """An interval that crosses the decision threshold, or, when none does, too little information
    (GRADE guidelines 6; guidance 34, see :data:`OPTIMAL_INFORMATION_SIZE`). Intervals: the pooled
    ones, and those reviews report for estimates not pooled here (:func:`certainty_rules.crosses_threshold`);
    one level, two when one reaches appreciable benefit and appreciable harm
    (:func:`certainty_rules.crosses_both_ways`). Information: events against their optimal
    information size when every row of a dichotomous body reports them
    (:func:`certainty_rules.events_check`), or participants against the trial size at the control
    risk they report when they give it instead (:func:`certainty_rules.control_risk_check`), else
    participants, each population once, against :data:`OPTIMAL_INFORMATION_SIZE`; one level."""
    n_known = pd.to_numeric(rows["n"], errors="coerce")
    n = certainty_rules.participants_once(rows)
    unknown = rows[n_known.isna()]
    dichotomous = certainty_rules.is_dichotomous(rows)
    by_events = certainty_rules.events_check(rows) if dichotomous else None
    if by_events is None and dichotomous:   # no events, but the control risk sizes the trial needed
        by_events = certainty_rules.control_risk_check(rows)
    if by_events is not None:
        small, why = by_events
        why = why if small else ""
    else:
        small = n < OPTIMAL_INFORMATION_SIZE
        if small and not unknown.empty:
            why = (f"{n} participants known; the number is not reported for {_ids(unknown)}, so the information "
                   "size cannot be shown to suffice")
        else:
            why = f"{n} participants ({_ids(rows)}), below {OPTIMAL_INFORMATION_SIZE}" if small else ""
        if dichotomous:
            why = "; ".join(filter(None, [why, "events not reported, so judged by participants"]))
    reported = certainty_rules.reported_intervals(rows, {i for p in pooled for i in p.evidence_ids})
    intervals = [(f"the pooled interval ({p.measure} {p.ci_low:g} to {p.ci_high:g})", p.measure, p.ci_low, p.ci_high)
                 for p in pooled]
    intervals += [(f"the interval {r['evidence_id']} reports ({r['effect_measure']} {r['ci_low']:g} to "
                   f"{r['ci_high']:g})", r["effect_measure"], r["ci_low"], r["ci_high"])
                  for r in reported.to_dict("records")]
    # far below the information size: every row's participants known, fewer than VERY_SMALL_BODY in all
    tiny = unknown.empty and n < VERY_SMALL_BODY
    if tiny:
        why = "; ".join(filter(None, [f"only {n} participants in all ({_ids(rows)}), fewer than "
                                      f"{VERY_SMALL_BODY}: very serious", why if by_events is not None else ""]))
    crossing = [i for i in intervals if certainty_rules.crosses_threshold(*i[1:])]
    if crossing:  # the interval decides (GRADE guidance 34); the information size is context
        wide = [i for i in crossing if certainty_rules.crosses_both_ways(*i[1:])]
        said = (f"{' and '.join(i[0] for i in wide)} reaches appreciable benefit and appreciable harm" if wide else
                f"{' and '.join(i[0] for i in crossing)} crosses the decision threshold")
        return Domain("imprecision", 2 if wide or tiny else 1, "; ".join(filter(None, [said, why])))
    if small or tiny:
        return Domain("imprecision", 2 if tiny else 1, why)
    info = by_events[1] if by_events is not None else f"{n} participants in {_ids(rows)}"
    return Domain("imprecision", 0, info)


def _publication_bias(rows: pd.DataFrame) -> Domain:
    reported = certainty_rules.reported_small_study_effects(rows)   # what the reviews found (GRADE guidelines 5)
    if reported and reported[0]:
        return Domain("publication bias", 1, reported[1])
    n = pd.to_numeric(rows["n"], errors="coerce")
    if (len(rows) >= MIN_STUDIES_FOR_PUBLICATION_BIAS and n.notna().all() and (n < SMALL_STUDY).all()
            and rows["direction"].eq("supports").all()):
        return Domain("publication bias", 1, f"only small studies, all favourable ({_ids(rows)})")
    return Domain("publication bias", 0, f"not suspected: {reported[1]}" if reported else "not suspected")


def _large_effect(pooled) -> tuple[int, str]:
    for p in pooled:
        if p.measure in RATIO_MEASURES and (p.ci_high <= 1 / LARGE_RATIO or p.ci_low >= LARGE_RATIO):
            return 1, f"large pooled effect ({p.measure} {p.estimate:.2f})"
    return 0, ""


def _small_effect(rows: pd.DataFrame, pooled) -> bool:
    """Whether the best evidence measures a small standardised effect (|SMD| below
    :data:`litreview.grade.verdicts.SMALL_SMD`), pooled when it was pooled."""
    smd = [abs(p.estimate) for p in pooled if p.measure == "SMD"]
    if not smd and "effect_measure" in rows:
        smd = [abs(e) for m, e in zip(rows["effect_measure"], rows["effect"]) if m == "SMD" and pd.notna(e)]
    return bool(smd) and max(smd) < verdicts.SMALL_SMD


def _rationale(g: Grade, rows: pd.DataFrame) -> str:
    downs = [d.name for d in g.domains if d.down]
    designs = rows["design"].value_counts()
    what = ", ".join(f"{n} {d.replace('-', ' ')}" for d, n in designs.items())
    start = (f"starting from the review's own rating ({g.review_rated})" if g.review_rated
             else f"starting {g.start}" + (f" ({g.start_reason})" if g.start_reason else ""))
    lowered = f"; rated down for {', '.join(downs)}" if downs else ""
    aside = f"; {len(g.flawed_ids)} set aside" if g.flawed_ids else ""
    return (f"{g.n_rows} row(s) ({what}){aside}; the best evidence leans {g.direction.replace('-', ' ')}, "
            f"{start}, {g.certainty} certainty{lowered}.")


# --- all claims, overrides ---------------------------------------------------------------------

GRADE_COLUMNS = ["claim_id", "article_id", "group", "category", "kind", "testable", "evidence_rows", "studies",
                 "participants", "starting_certainty", "review_rated",
                 *[f"{d.replace(' ', '_')}{suffix}" for d in DOMAINS for suffix in ("", "_reason")],
                 "upgrade", "upgrade_reason", "computed_certainty", "direction", "context_direction",
                 "expert_verdict", "overstated", "overstatement", "small_effect", "computed_verdict", "certainty",
                 "verdict", "overridden", "override_note", "rating_value", "rating_label", "rationale",
                 "explanation", "primary_evidence", "flawed_evidence", "retracted_evidence"]


def grade_claims(claims: pd.DataFrame, evidence: pd.DataFrame, rob: pd.DataFrame,
                 overrides: pd.DataFrame | None = None, method: str = "dl",
                 searched: set[str] | None = None, explanations: pd.DataFrame | None = None,
                 study_status: pd.DataFrame | None = None) -> tuple[list[Grade], pd.DataFrame, pd.DataFrame]:
    """``(grades, table, retracted)``: each claim's :class:`Grade`, the table of them
    (``grades.csv``: computed and final certainty and verdicts, each domain with its reason,
    the direction, the rating, the rationale and the reviewer's explanation) and the evidence
    rows of retracted or withdrawn studies with the notice (``reason``). Those rows are graded
    as if absent and listed in ``retracted_evidence``; an expression of concern rates down.
    Each claim's effects are pooled with ``method`` inside its grade (:func:`grade_claim`)."""
    retracted = evidence.iloc[0:0].assign(reason="")
    concerns: frozenset[str] = frozenset()
    if study_status is not None and len(study_status):
        evidence, retracted = withdrawn_rows(evidence, study_status)
        concerns = frozenset(concern_keys(study_status))
    rob_by_study = study_rob(rob)
    ev = with_rob(evidence, rob_by_study)
    ov = {} if overrides is None or overrides.empty else {
        (r["claim_id"], r["field"]): r for r in overrides.to_dict("records")}
    explained = {} if explanations is None or explanations.empty else dict(
        zip(explanations["claim_id"], explanations["explanation"]))
    grades, out = [], []
    for claim in claims.to_dict("records"):
        rows = ev[ev["claim_id"] == claim["claim_id"]]
        g = grade_claim(claim, rows, rob_by_study, searched, concerns, method)
        grades.append(g)
        out.append(_grade_row(g, claim, rows, retracted[retracted["claim_id"] == claim["claim_id"]], ov, explained))
    table = pd.DataFrame(out, columns=GRADE_COLUMNS).astype(
        {"testable": bool, "overridden": bool, "overstated": bool, "small_effect": bool})
    return grades, table, retracted


def grade_review(claims: pd.DataFrame, evidence: pd.DataFrame, rob: pd.DataFrame,
                 overrides: pd.DataFrame | None = None, method: str = "dl",
                 searched: set[str] | None = None, explanations: pd.DataFrame | None = None,
                 study_status: pd.DataFrame | None = None) -> pd.DataFrame:
    """The table of :func:`grade_claims` (``grades.csv``), one row per claim."""
    return grade_claims(claims, evidence, rob, overrides, method, searched, explanations, study_status)[1]


def _grade_row(g: Grade, claim: dict, rows: pd.DataFrame, gone: pd.DataFrame, ov: dict, explained: dict) -> dict:
    """One row of ``grades.csv``: the grade, the overrides applied, the retracted rows named."""
    row = {"claim_id": g.claim_id, "article_id": claim["article_id"], "group": claim["group"],
           "category": claim["category"], "kind": g.kind, "testable": g.testable, "evidence_rows": g.n_rows,
           "studies": rows["study_key"].nunique(), "participants": g.participants,
           "starting_certainty": g.start, "review_rated": g.review_rated}
    for d in DOMAINS:
        dom = next((x for x in g.domains if x.name == d), None)
        key = d.replace(" ", "_")
        row[key] = dom.judgement if dom else None
        row[f"{key}_reason"] = dom.reason if dom else None
    row.update({"upgrade": g.upgrade, "upgrade_reason": g.upgrade_reason,
                "computed_certainty": g.certainty, "direction": g.direction,
                "context_direction": g.context_direction, "expert_verdict": g.expert,
                "overstated": bool(g.overstated), "overstatement": g.overstated, "small_effect": g.small_effect,
                "computed_verdict": g.verdict})
    certainty, verdict, expert, notes = g.certainty, g.verdict, g.expert, []
    for fieldname in ("certainty", "verdict"):
        o = ov.get((g.claim_id, fieldname))
        if o:
            notes.append(f"{fieldname} overridden by {o['reviewer']} on {o['date']}: {o['justification']}")
            if fieldname == "certainty":
                certainty = o["value"]
            else:
                verdict = o["value"]
    if g.testable and certainty != g.certainty:
        expert = verdicts.expert_label(g.direction, certainty, g.small_effect, g.kind)
        if (g.claim_id, "verdict") not in ov:
            verdict = verdicts.fact_check(expert, g.kind, g.direction, bool(g.overstated), certainty)
    value, label = verdicts.rating(verdict, expert, certainty)
    row.update({"certainty": certainty, "verdict": verdict, "expert_verdict": expert, "overridden": bool(notes),
                "override_note": " | ".join(notes), "rating_value": value, "rating_label": label,
                "rationale": g.rationale, "explanation": explained.get(g.claim_id),
                "primary_evidence": " ".join(g.primary_ids), "flawed_evidence": " ".join(g.flawed_ids),
                "retracted_evidence": "; ".join(f"{i}: {r}" for i, r in zip(gone["evidence_id"], gone["reason"]))})
    return row


def domain_mark(judgement: str | None) -> str:
    """✓, ▼ or ▼▼ for a domain's judgement; — when the domain was not assessed."""
    return DOMAIN_MARKS.get(judgement or "", "—")


def verdict_table(kind: str = "intervention") -> pd.DataFrame:
    """Direction × certainty → "fact-check verdict (expert label)" for a claim of ``kind``
    whose wording is not overstated, as the report prints it."""
    directions = ("supports", "mixed", "no-effect", "contradicts", "none")
    table = {}
    for d in directions:
        table[d] = {}
        for c in reversed(LEVELS):
            expert = verdicts.expert_label(d, c, kind=kind)
            table[d][c] = f"{verdicts.fact_check(expert, kind, d, False, c)} ({expert})"
    return pd.DataFrame(table).T.loc[:, list(reversed(LEVELS))]


def summary_of_findings(grades: pd.DataFrame, claims: pd.DataFrame, group: str) -> pd.DataFrame:
    """A GRADE Summary-of-Findings table for one group of claims: the claim, what the
    evidence is, each domain's judgement, certainty and verdict."""
    g = grades[(grades["group"] == group) & grades["testable"]].merge(
        claims[["claim_id", "claim"]], on="claim_id")
    cols = ["claim_id", "claim", "kind", "studies", "participants", "starting_certainty",
            *[d.replace(" ", "_") for d in DOMAINS], "certainty", "direction", "expert_verdict", "verdict"]
    return g[cols].rename(columns=lambda c: c.replace("_", " "))
