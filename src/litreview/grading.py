"""GRADE certainty and a verdict per claim, computed from the evidence table.

The method, in the order it runs (every threshold is a constant below, printed by the
report):

1. **Risk of bias per study** from ``rob.csv``: RoB 2 (any domain high → high; else any
   some-concerns → some-concerns; else low), AMSTAR 2 (two or more critical items "no" →
   high; one "no" or two or more "partial-yes" → some-concerns; else low), or the single
   design-based judgement.
2. **Flawed rows** — at high risk of bias or seriously indirect — are set aside from the
   rating (a sensitivity analysis restricted to trustworthy, direct evidence) and listed
   beside it. So adding such a study never raises certainty; when only flawed rows exist,
   certainty is very low and their direction is reported.
3. **Starting level** from the best design among the remaining rows: randomised trials and
   reviews of them start high; observational designs low; case reports, mechanistic,
   animal, in-vitro and narrative sources very low. The *primary body* is the rows of that
   best design; the direction and every domain are judged on it.
4. **Rate down** (−1 serious, −2 very serious):
   risk of bias, inconsistency (directions disagree; I² of a pooled effect),
   indirectness, imprecision (participants in unflawed rows against the information-size
   thresholds; a pooled interval crossing no effect), publication bias (only small studies,
   all favourable).
5. **Rate up** only an observational body not rated down, for a large pooled effect.
6. **Direction** of the body and the **verdict** from the table :data:`VERDICTS`. A claim with
   no evidence is never supported; a traditional-theory claim is not testable.
7. **Overrides** from ``overrides.csv`` replace the computed certainty or verdict; both
   values are kept side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .meta import Pooled
from .schema import RATIO_MEASURES

LEVELS = ("very low", "low", "moderate", "high")  # index = points - 1
POINTS = {name: i + 1 for i, name in enumerate(LEVELS)}

START_BY_DESIGN = {
    "systematic-review": "high", "meta-analysis": "high", "rct": "high",
    "non-randomised-trial": "low", "cohort": "low", "case-control": "low", "cross-sectional": "low",
    "case-series": "very low", "case-report": "very low", "mechanistic-human": "very low",
    "animal": "very low", "in-vitro": "very low", "narrative-review": "very low", "guideline": "very low",
}

# For a claim about mechanism or anatomy, an experiment in humans is the fitting design: it
# starts where GRADE puts observational evidence, not at the floor.
START_FOR_MECHANISM = {"mechanistic-human": "low"}
MECHANISM_CATEGORIES = ("mechanism", "anatomy")

# imprecision: total participants in unflawed rows of the primary body
OPTIMAL_INFORMATION_SIZE = 400   # GRADE's rule of thumb for a continuous outcome
VERY_SMALL_INFORMATION = 100
SMALL_STUDY = 100                # publication bias suspected when every study is below this
SHARE_FOR_VERY_SERIOUS = 0.5     # more than half the rows affected → −2
DISAGREEMENT_SHARE = 1 / 3       # minority direction at least this share → inconsistent
I2_SERIOUS, I2_VERY_SERIOUS = 0.50, 0.75
LARGE_RATIO = 2.0                # rate up an observational body for RR/OR ≥ 2 or ≤ 0.5

NO_STUDY_FOUND = "No study was found for this claim; the searches are logged, and no evidence cannot support it."
NOT_SEARCHED = ("Not searched yet: no logged search names this claim and no evidence is recorded; "
                "no evidence cannot support it.")

DOMAIN_MARKS = {"not serious": "✓", "serious": "▼", "very serious": "▼▼"}  # as Summary-of-Findings tables print them

# direction of the body × final certainty → verdict
VERDICTS: dict[str, dict[str, str]] = {
    "supports":    {"high": "supported", "moderate": "supported", "low": "partly supported", "very low": "unsupported"},
    "mixed":       {"high": "partly supported", "moderate": "partly supported", "low": "unsupported", "very low": "unsupported"},
    "no-effect":   {"high": "contradicted", "moderate": "contradicted", "low": "unsupported", "very low": "unsupported"},
    "contradicts": {"high": "contradicted", "moderate": "contradicted", "low": "contradicted", "very low": "unsupported"},
    "none":        {"high": "unsupported", "moderate": "unsupported", "low": "unsupported", "very low": "unsupported"},
}

# the verdict on a 1-5 scale for schema.org ClaimReview (bestRating 5, worstRating 1)
RATINGS = {
    ("supported", "high"): (5, "Supported (high certainty)"),
    ("supported", "moderate"): (4, "Supported (moderate certainty)"),
    "partly supported": (3, "Partly supported"),
    "unsupported": (2, "Unsupported by the evidence"),
    "contradicted": (1, "Contradicted by the evidence"),
}

DOMAINS = ("risk of bias", "inconsistency", "indirectness", "imprecision", "publication bias")


def rating(verdict: str, certainty: str) -> tuple[int | None, str]:
    """``(ratingValue, alternateName)``; not-testable claims carry no number."""
    if verdict == "not testable":
        return None, "Not testable"
    return RATINGS.get((verdict, certainty)) or RATINGS[verdict]


# --- risk of bias per study -------------------------------------------------------------------

def study_rob(rob: pd.DataFrame) -> dict[str, str]:
    """Overall risk of bias per study key, derived from its domain rows."""
    out = {}
    for key, rows in rob.groupby("study_key", sort=True):
        tool = rows["tool"].iloc[0]
        judged = list(rows["judgement"])
        if tool == "rob2":
            out[key] = "high" if "high" in judged else "some-concerns" if "some-concerns" in judged else "low"
        elif tool == "amstar2":
            no, partial = judged.count("no"), judged.count("partial-yes")
            out[key] = "high" if no >= 2 else "some-concerns" if no == 1 or partial >= 2 else "low"
        else:
            out[key] = judged[0]
    return out


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
    domains: list[Domain] = field(default_factory=list)
    upgrade: int = 0
    upgrade_reason: str = ""
    certainty: str | None = None
    direction: str = "none"
    verdict: str = "unsupported"
    rationale: str = ""
    primary_ids: list[str] = field(default_factory=list)
    flawed_ids: list[str] = field(default_factory=list)
    participants: int = 0
    pooled: list[Pooled] = field(default_factory=list)


def _ids(rows: pd.DataFrame) -> str:
    return ", ".join(rows["evidence_id"])


def body_direction(rows: pd.DataFrame) -> str:
    """supports / contradicts / no-effect / mixed, by majority of rows (a "mixed" row counts
    half for and half against); ``none`` without rows."""
    if rows.empty:
        return "none"
    d = rows["direction"].value_counts()
    pro = d.get("supports", 0) + 0.5 * d.get("mixed", 0)
    contra = d.get("contradicts", 0)
    null = d.get("no-effect", 0)
    against = contra + null + 0.5 * d.get("mixed", 0)
    total = pro + against
    if pro / total >= 2 / 3:
        return "supports"
    if against / total >= 2 / 3:
        return "contradicts" if contra >= null else "no-effect"
    return "mixed"


def grade_claim(claim: dict, rows: pd.DataFrame, rob_by_study: dict[str, str],
                pooled: list[Pooled] = (), searched: set[str] | None = None) -> Grade:
    """The GRADE assessment of one claim from its evidence rows (``evidence.csv`` columns
    plus ``rob``, which this function adds when missing). ``searched``: the claims some logged
    search names, when known; a claim without evidence is then told apart as not yet searched."""
    cid = claim["claim_id"]
    if not claim["testable"]:
        return Grade(cid, False, len(rows), None, certainty=None, direction="none", verdict="not testable",
                     rationale="A statement of traditional theory, not testable by experiment.")
    rows = rows.copy()
    if "rob" not in rows:
        rows["rob"] = [rob_by_study.get(k, "high") for k in rows["study_key"]]
    if rows.empty:
        rationale = (NO_STUDY_FOUND if searched is None or cid in searched else NOT_SEARCHED)
        return Grade(cid, True, 0, None, certainty="very low", direction="none", verdict="unsupported",
                     rationale=rationale)
    starts = dict(START_BY_DESIGN)
    if claim.get("category") in MECHANISM_CATEGORIES:
        starts.update(START_FOR_MECHANISM)
    flawed = (rows["rob"] == "high") | (rows["indirectness"] == "serious")
    sound = rows[~flawed]
    basis = sound if not sound.empty else rows
    start = max((starts[d] for d in basis["design"]), key=POINTS.__getitem__)
    primary = basis[basis["design"].map(starts) == start]
    g = Grade(cid, True, len(rows), start, primary_ids=list(primary["evidence_id"]),
              flawed_ids=list(rows.loc[flawed, "evidence_id"]), pooled=list(pooled))
    g.domains = [_risk_of_bias(primary), _inconsistency(primary, pooled), _indirectness(primary),
                 _imprecision(primary if not sound.empty else primary.iloc[0:0], pooled),
                 _publication_bias(primary)]
    g.participants = int(primary["n"].fillna(0).sum()) if not sound.empty else 0
    down = sum(d.down for d in g.domains)
    if POINTS[start] <= POINTS["low"] and down == 0:
        g.upgrade, g.upgrade_reason = _large_effect(pooled)
    points = POINTS[start] - down + g.upgrade
    if sound.empty:
        points = POINTS["very low"]  # only flawed evidence: set aside, nothing else remains
    g.certainty = LEVELS[max(points, 1) - 1]
    g.direction = body_direction(primary)
    g.verdict = VERDICTS[g.direction][g.certainty]
    g.rationale = _rationale(g, rows)
    return g


def _share(mask: pd.Series) -> float:
    return float(mask.mean()) if len(mask) else 0.0


def _risk_of_bias(rows: pd.DataFrame) -> Domain:
    high, some = rows["rob"] == "high", rows["rob"] == "some-concerns"
    if _share(high) > SHARE_FOR_VERY_SERIOUS:
        return Domain("risk of bias", 2, f"most of the best evidence is at high risk of bias ({_ids(rows[high])})")
    if high.any() or _share(some) > SHARE_FOR_VERY_SERIOUS:
        flagged = rows[high | some]
        return Domain("risk of bias", 1, f"high risk or some concerns in {_ids(flagged)}")
    return Domain("risk of bias", 0, f"low risk of bias in {_ids(rows)}")


def _inconsistency(rows: pd.DataFrame, pooled) -> Domain:
    i2 = max((p.i2 for p in pooled), default=None)
    if i2 is not None and i2 > I2_VERY_SERIOUS:
        return Domain("inconsistency", 2, f"pooled I² {i2:.0%} ({', '.join(sum((list(p.evidence_ids) for p in pooled), []))})")
    favour = rows["direction"].eq("supports")
    against = rows["direction"].isin(["contradicts", "no-effect"])
    mixed = rows["direction"].eq("mixed")
    minority = min(favour.sum(), against.sum())
    if len(rows) >= 2 and (minority / len(rows) >= DISAGREEMENT_SHARE or (mixed.any() and minority > 0)):
        return Domain("inconsistency", 1, f"directions disagree: for {_ids(rows[favour]) or 'none'}; "
                                          f"against {_ids(rows[against]) or 'none'}")
    if i2 is not None and i2 > I2_SERIOUS:
        return Domain("inconsistency", 1, f"pooled I² {i2:.0%}")
    if len(rows) == 1:
        return Domain("inconsistency", 0, f"a single source ({_ids(rows)}); consistency cannot be judged")
    return Domain("inconsistency", 0, f"directions agree across {_ids(rows)}")


def _indirectness(rows: pd.DataFrame) -> Domain:
    serious, some = rows["indirectness"] == "serious", rows["indirectness"] == "some"
    if _share(serious) > SHARE_FOR_VERY_SERIOUS:
        return Domain("indirectness", 2, f"most of the best evidence studies another intervention, site, population "
                                         f"or outcome ({_ids(rows[serious])})")
    if serious.any() or _share(some) > SHARE_FOR_VERY_SERIOUS:
        return Domain("indirectness", 1, f"indirect evidence in {_ids(rows[serious | some])}")
    return Domain("indirectness", 0, f"direct evidence in {_ids(rows)}")


def _imprecision(sound_primary: pd.DataFrame, pooled) -> Domain:
    n = int(sound_primary["n"].fillna(0).sum())
    ids = _ids(sound_primary) or "no unflawed row"
    unknown = sound_primary[sound_primary["n"].isna()]
    crosses = [p for p in pooled if (p.ci_low < (1 if p.measure in RATIO_MEASURES else 0) < p.ci_high)]
    if not sound_primary.empty and n < OPTIMAL_INFORMATION_SIZE and not unknown.empty:
        return Domain("imprecision", 1, f"{n} participants known; the number is not reported for "
                                        f"{_ids(unknown)}, so the information size cannot be shown to suffice")
    if n < VERY_SMALL_INFORMATION:
        return Domain("imprecision", 2, f"{n} participants in the unflawed best evidence ({ids}), "
                                        f"far below {OPTIMAL_INFORMATION_SIZE}")
    if n < OPTIMAL_INFORMATION_SIZE or crosses:
        why = f"{n} participants ({ids}), below {OPTIMAL_INFORMATION_SIZE}" if n < OPTIMAL_INFORMATION_SIZE \
            else "the pooled interval includes no effect"
        return Domain("imprecision", 1, why)
    return Domain("imprecision", 0, f"{n} participants in {ids}")


def _publication_bias(rows: pd.DataFrame) -> Domain:
    if rows.empty:
        return Domain("publication bias", 0, "no unflawed rows to judge")
    small = rows["n"].fillna(0) < SMALL_STUDY
    if small.all() and rows["direction"].eq("supports").all():
        return Domain("publication bias", 1, f"only small studies, all favourable ({_ids(rows)})")
    return Domain("publication bias", 0, "not suspected")


def _large_effect(pooled) -> tuple[int, str]:
    for p in pooled:
        if p.measure in RATIO_MEASURES and (p.ci_high <= 1 / LARGE_RATIO or p.ci_low >= LARGE_RATIO):
            return 1, f"large pooled effect ({p.measure} {p.estimate:.2f})"
    return 0, ""


def _rationale(g: Grade, rows: pd.DataFrame) -> str:
    downs = [d.name for d in g.domains if d.down]
    designs = rows["design"].value_counts()
    what = ", ".join(f"{n} {d.replace('-', ' ')}" for d, n in designs.items())
    lowered = f"; rated down for {', '.join(downs)}" if downs else ""
    return (f"{g.n_rows} row(s) ({what}); the best evidence leans {g.direction.replace('-', ' ')}, "
            f"{g.certainty} certainty{lowered}.")


# --- all claims, overrides ---------------------------------------------------------------------

GRADE_COLUMNS = ["claim_id", "article_id", "group", "category", "testable", "evidence_rows", "studies",
                 "participants", "starting_certainty",
                 *[f"{d.replace(' ', '_')}{suffix}" for d in DOMAINS for suffix in ("", "_reason")],
                 "upgrade", "upgrade_reason", "computed_certainty", "direction", "computed_verdict", "certainty",
                 "verdict", "overridden", "override_note", "rating_value", "rating_label", "rationale",
                 "primary_evidence", "flawed_evidence"]


def grade_review(claims: pd.DataFrame, evidence: pd.DataFrame, rob: pd.DataFrame,
                 overrides: pd.DataFrame | None = None, pooled: list[Pooled] = (),
                 searched: set[str] | None = None) -> pd.DataFrame:
    """One row per claim: computed and final certainty and verdict, each domain with its
    reason, the direction, the rating, the rationale (``grades.csv``)."""
    rob_by_study = study_rob(rob)
    ev = evidence.copy()
    ev["rob"] = [rob_by_study.get(k, "high") for k in ev["study_key"]]
    ov = {} if overrides is None or overrides.empty else {
        (r["claim_id"], r["field"]): r for r in overrides.to_dict("records")}
    out = []
    for claim in claims.to_dict("records"):
        rows = ev[ev["claim_id"] == claim["claim_id"]]
        g = grade_claim(claim, rows, rob_by_study, [p for p in pooled if p.claim_id == claim["claim_id"]],
                        searched)
        row = {"claim_id": g.claim_id, "article_id": claim["article_id"], "group": claim["group"],
               "category": claim["category"], "testable": g.testable, "evidence_rows": g.n_rows,
               "studies": rows["study_key"].nunique(), "participants": g.participants,
               "starting_certainty": g.start}
        for d in DOMAINS:
            dom = next((x for x in g.domains if x.name == d), None)
            key = d.replace(" ", "_")
            row[key] = dom.judgement if dom else None
            row[f"{key}_reason"] = dom.reason if dom else None
        row.update({"upgrade": g.upgrade, "upgrade_reason": g.upgrade_reason,
                    "computed_certainty": g.certainty, "direction": g.direction,
                    "computed_verdict": g.verdict})
        certainty, verdict, notes = g.certainty, g.verdict, []
        for fieldname in ("certainty", "verdict"):
            o = ov.get((g.claim_id, fieldname))
            if o:
                notes.append(f"{fieldname} overridden by {o['reviewer']} on {o['date']}: {o['justification']}")
                if fieldname == "certainty":
                    certainty = o["value"]
                else:
                    verdict = o["value"]
        if (g.claim_id, "verdict") not in ov and certainty != g.certainty and g.testable:
            verdict = VERDICTS[g.direction][certainty]
        value, label = rating(verdict, certainty)
        row.update({"certainty": certainty, "verdict": verdict, "overridden": bool(notes),
                    "override_note": " | ".join(notes), "rating_value": value, "rating_label": label,
                    "rationale": g.rationale, "primary_evidence": " ".join(g.primary_ids),
                    "flawed_evidence": " ".join(g.flawed_ids)})
        out.append(row)
    return pd.DataFrame(out, columns=GRADE_COLUMNS).astype({"testable": bool, "overridden": bool})


def domain_mark(judgement: str | None) -> str:
    """✓, ▼ or ▼▼ for a domain's judgement; — when the domain was not assessed."""
    return DOMAIN_MARKS.get(judgement or "", "—")


def verdict_table() -> pd.DataFrame:
    """The direction × certainty → verdict mapping, as the report prints it."""
    return pd.DataFrame(VERDICTS).T.loc[:, list(reversed(LEVELS))]


def summary_of_findings(grades: pd.DataFrame, claims: pd.DataFrame, group: str) -> pd.DataFrame:
    """A GRADE Summary-of-Findings table for one group of claims: the claim, what the
    evidence is, each domain's judgement, certainty and verdict."""
    g = grades[(grades["group"] == group) & grades["testable"]].merge(
        claims[["claim_id", "claim"]], on="claim_id")
    cols = ["claim_id", "claim", "studies", "participants", "starting_certainty",
            *[d.replace(" ", "_") for d in DOMAINS], "certainty", "direction", "verdict"]
    return g[cols].rename(columns=lambda c: c.replace("_", " "))
