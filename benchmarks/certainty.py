"""Calibration of the engine's GRADE certainty against reviews that rated their own outcomes.

    PYTHONPATH=src python benchmarks/certainty.py [--set benchmarks/certainty/outcomes.csv] [--batch B] [--all]
        [--silent-heterogeneity-as-serious]

Each row of the labelled set (benchmarks/certainty/README.md) becomes one claim and one
``meta-analysis`` evidence row carrying what the review reports about its trials (participants,
effect and interval, a risk-of-bias judgement derived from the review's description) and *not*
the review's own rating; :func:`litreview.grade.grading.grade_review` grades it. Printed: the
confusion table (engine against review), exact agreement, agreement within one step, Cohen's
weighted kappa (linear and quadratic, scikit-learn), and every outcome where the two differ with
the domains the engine rated down and why (``--all`` lists the agreeing ones too). The same
figures follow for each batch of the set (``batch``: each chosen by its own rule before the engine
was run on it) and for the outcomes whose page gives what the engine needs to judge risk of bias
and imprecision (participants, and something about the trials' risk of bias).

The engine's constants come from the GRADE sources cited beside them in grading.py; nothing in
this script tunes them.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import pandas as pd
from sklearn.metrics import cohen_kappa_score

from litreview.grade.grading import DOMAINS, LEVELS, grade_review
from litreview.tables.schema import CERTAINTIES, RATIO_MEASURES

SET = Path(__file__).resolve().parent / "certainty" / "outcomes.csv"
ORDER = {name: i for i, name in enumerate(LEVELS)}   # very low 0 … high 3
OUTCOME_TYPES = ("continuous", "dichotomous", "rate", "time-to-event")
COMPARATOR_TYPES = ("sham-placebo", "active", "usual-care", "no-treatment", "none")
MEASURES = ("SMD", "MD", "RR", "OR", "HR", "RD", "RaR")
# a rate ratio is a ratio on the log scale with no effect at 1; the engine's vocabulary calls
# such a measure RR (litreview.tables.schema.RATIO_MEASURES)
AS_ENGINE_MEASURE = {"RaR": "RR"}
ROB_SUMMARIES = {"mostly low": "low", "low or unclear": "some-concerns", "mostly unclear": "some-concerns",
                 "unclear or high": "some-concerns", "mostly high": "high"}
ROB_SOURCES = ("trials", "grade-domain")
DIRECTNESS = {"direct": "none", "some": "some"}
# how a review names a GRADE domain in its reasons (review_reasons), to tally what the engine missed
REVIEW_DOMAIN_WORDS = {"risk of bias": ("risk of bias", "limitations"),
                       "inconsistency": ("inconsisten", "heterogeneity"), "indirectness": ("indirect",),
                       "imprecision": ("imprecision", "wide interval", "small"),
                       "publication bias": ("publication bias",)}
MAJORITY = 0.5   # "most" trials: more than half, the reading of the review's own words
# the engine's outcome types: a count of events per person-time or over time is judged, like a
# yes/no outcome, by its events (GRADE guidelines 6 speaks of events for all of them)
AS_ENGINE_OUTCOME = {"continuous": "continuous", "dichotomous": "dichotomous", "rate": "dichotomous",
                     "time-to-event": "dichotomous"}


def trial_shares(row) -> tuple[float, float] | None:
    """``(high, unclear)``: the shares of the review's trials at high and at unclear risk of bias,
    when the page gives the share at low risk (unclear is what is neither low nor high; a missing
    high share leaves the rest unclear, the milder reading); None otherwise."""
    low, high = row["rob_low_share"], row["rob_high_share"]
    if pd.isna(low):
        return None
    high = 0.0 if pd.isna(high) else float(high)
    return high, max(0.0, 1.0 - float(low) - high)


def load(path: Path = SET) -> pd.DataFrame:
    """The labelled set, numbers as numbers and empty cells as NaN (text cells as "")."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    for col in ("k", "n", "events", "control_risk", "effect", "ci_low", "ci_high", "rob_low_share", "rob_high_share",
                "i2"):
        table[col] = pd.to_numeric(table[col].replace("", None))
    return table


def rob_judgement(row) -> tuple[str, str]:
    """``(judgement, how)``: the row's risk of bias as one design-based judgement (README,
    "How a row becomes evidence"), and which rule gave it."""
    high, low = row["rob_high_share"], row["rob_low_share"]
    if pd.notna(high) and high > MAJORITY:
        return "high", f"{high:.0%} of trials at high risk"
    if pd.notna(low) and low > MAJORITY:
        return "low", f"{low:.0%} of trials at low risk"
    if row["rob_summary"]:
        return ROB_SUMMARIES[row["rob_summary"]], f"review: {row['rob_summary']}"
    if pd.notna(high) or pd.notna(low):
        return "some-concerns", "no majority at low or high risk"
    return "some-concerns", "not reported"


def rob_reported(row) -> bool | None:
    """False when the page read says nothing about the review's trials' risk of bias (no share, no
    summary, and ``rob_reported`` not marked true for a statement in words only): the engine then
    leaves it unknown (``litreview.grade.certainty_rules.rob_unreported``); None otherwise."""
    said = (pd.notna(row["rob_low_share"]) or pd.notna(row["rob_high_share"]) or bool(row["rob_summary"])
            or row["rob_reported"] == "true")
    return None if said else False


def review_rob(row) -> tuple[str, str]:
    """``(judgement, how)`` for rob.csv: when the review's trial shares go to the engine (which
    then rates risk of bias from them), the review's own conduct, not appraised here, is recorded
    as some concerns, which sets nothing aside; otherwise :func:`rob_judgement`."""
    if trial_shares(row) is not None:
        return "some-concerns", "trials' shares passed to the engine; the review's conduct not appraised"
    if rob_reported(row) is False:
        return "some-concerns", "not reported; the review's conduct not appraised, its trials' risk of bias unknown"
    if row["rob_reported"] == "true" and rob_judgement(row)[1] == "not reported":
        return "some-concerns", "reported in words only (see note)"
    return rob_judgement(row)


def direction(row) -> str:
    """``supports`` when the interval excludes no effect, else ``no-effect``."""
    null = 1.0 if AS_ENGINE_MEASURE.get(row["effect_measure"], row["effect_measure"]) in RATIO_MEASURES else 0.0
    return "no-effect" if row["ci_low"] <= null <= row["ci_high"] else "supports"


def as_review_tables(outcomes: pd.DataFrame, silent_heterogeneity_as_serious: bool = False
                     ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(claims, evidence, rob)`` for :func:`grade_review`: one claim and one meta-analysis
    row per outcome; the review's own certainty is left out on purpose.
    ``silent_heterogeneity_as_serious``: a sensitivity reading, not the engine's rule: an outcome
    of more than one trial whose page gives no I² is passed as one whose review reports
    substantial heterogeneity (Pollock et al. 2016, Table 2: "if I² not reported, assumed to be
    greater than 75%"), so the engine takes one level for it."""
    claims, evidence, rob = [], [], []
    for i, row in enumerate(outcomes.to_dict("records"), start=1):
        claim_id, key = f"B{i:03d}", row["outcome_id"].lower()
        shares = trial_shares(row)
        claims.append({"claim_id": claim_id, "article_id": "certainty-benchmark", "group": row["review"],
                       "category": "efficacy", "kind": "intervention", "testable": True, "quote": ""})
        evidence.append({"evidence_id": f"E{i:03d}", "claim_id": claim_id, "study_key": key,
                         "design": "meta-analysis", "population": row["question"],
                         "n": None if pd.isna(row["n"]) else int(row["n"]),
                         "intervention": row["question"], "comparator": row["comparator_type"],
                         "outcome": row["outcome"], "direction": direction(row),
                         "effect_measure": AS_ENGINE_MEASURE.get(row["effect_measure"], row["effect_measure"]),
                         "effect": row["effect"], "ci_low": row["ci_low"], "ci_high": row["ci_high"],
                         "indirectness": DIRECTNESS[row["directness"]],
                         "indirectness_note": row["directness_note"], "finding": row["outcome"],
                         "locator": row["locator"], "review_certainty": None,
                         "comparator_type": row["comparator_type"] or None,
                         "outcome_type": AS_ENGINE_OUTCOME[row["outcome_type"]],
                         "events": None if pd.isna(row["events"]) else int(row["events"]),
                         "control_risk": None if pd.isna(row["control_risk"]) else float(row["control_risk"]),
                         "trials": None if pd.isna(row["k"]) else int(row["k"]),
                         "rob_high_share": shares[0] if shares else None,
                         "rob_unclear_share": shares[1] if shares else None,
                         "i2": None if pd.isna(row["i2"]) else float(row["i2"]), "overlaps": None,
                         "substantial_heterogeneity": (True if silent_heterogeneity_as_serious and pd.isna(row["i2"])
                                                       and row["k"] != 1 else None),
                         "rob_reported": rob_reported(row)})
        judgement, how = review_rob(row)
        rob.append({"study_key": key, "tool": "design", "domain": "overall", "judgement": judgement, "support": how})
    return pd.DataFrame(claims), pd.DataFrame(evidence), pd.DataFrame(rob)


def grade(outcomes: pd.DataFrame, silent_heterogeneity_as_serious: bool = False) -> pd.DataFrame:
    """The outcomes with the engine's certainty and its reasons beside the review's."""
    claims, evidence, rob = as_review_tables(outcomes, silent_heterogeneity_as_serious)
    grades = grade_review(claims, evidence, rob)
    out = outcomes[["outcome_id", "batch", "review", "outcome", "review_certainty", "review_reasons"]].copy()
    out["engine_certainty"] = grades["computed_certainty"].to_numpy()
    out["rob"] = [" / ".join(review_rob(r)) for r in outcomes.to_dict("records")]
    out["engine_down"] = [[d for d in DOMAINS if g[d.replace(" ", "_")] in ("serious", "very serious")]
                          + (["set aside"] if g["flawed_evidence"] else [])
                          for g in grades.to_dict("records")]
    out["engine_reasons"] = ["; ".join(f"{d} {g[d.replace(' ', '_')]}: {g[d.replace(' ', '_') + '_reason']}"
                                       for d in DOMAINS if g[d.replace(" ", "_")] in ("serious", "very serious"))
                             or g["rationale"]
                             for g in grades.to_dict("records")]
    return out


def missed_domains(graded: pd.DataFrame) -> pd.Series:
    """Per GRADE domain, the outcomes whose review names it among its reasons for rating down
    and where the engine did not rate it down (a set-aside row counts as risk of bias)."""
    counts = dict.fromkeys(DOMAINS, 0)
    for r in graded.to_dict("records"):
        said = r["review_reasons"].lower()
        down = set(r["engine_down"]) | ({"risk of bias"} if "set aside" in r["engine_down"] else set())
        for domain, words in REVIEW_DOMAIN_WORDS.items():
            if any(w in said for w in words) and domain not in down:
                counts[domain] += 1
    return pd.Series(counts, name="review rated down, engine did not")


def agreement(review: list[str], engine: list[str]) -> dict[str, float]:
    """Exact agreement, agreement within one step, and Cohen's kappa weighted linearly and
    quadratically, on the ordinal scale very low < low < moderate < high."""
    a, b = [ORDER[x] for x in review], [ORDER[x] for x in engine]
    labels = list(range(len(LEVELS)))
    kappa = {w: cohen_kappa_score(a, b, labels=labels, weights=w) for w in ("linear", "quadratic")}
    return {"n": len(a), "exact": sum(x == y for x, y in zip(a, b)) / len(a),
            "within_one": sum(abs(x - y) <= 1 for x, y in zip(a, b)) / len(a),
            "kappa_linear": kappa["linear"], "kappa_quadratic": kappa["quadratic"]}


def inputs_complete(outcomes: pd.DataFrame) -> pd.Series:
    """True for the outcomes whose page gives their participants and says something about their
    trials' risk of bias: the inputs without which the engine rates down for what is unknown."""
    return outcomes["n"].notna() & outcomes.apply(lambda r: rob_reported(r) is None, axis=1)


def confusion(review: list[str], engine: list[str]) -> pd.DataFrame:
    """Rows: the review's certainty; columns: the engine's; high first, every level shown."""
    levels = list(CERTAINTIES)
    table = pd.crosstab(pd.Categorical(review, levels), pd.Categorical(engine, levels), dropna=False)
    table.index.name, table.columns.name = "review \\ engine", None
    return table


def _fmt(x: float) -> str:
    return "nan" if isinstance(x, float) and math.isnan(x) else f"{x:.3f}"


def _agreement_line(label: str, review: list[str], engine: list[str]) -> str:
    m = agreement(review, engine)
    return (f"{label:<36} {m['n']:>3}   exact {_fmt(m['exact'])}   within one {_fmt(m['within_one'])}   "
            f"kappa linear {_fmt(m['kappa_linear'])}   quadratic {_fmt(m['kappa_quadratic'])}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", type=Path, default=SET, help="the labelled outcomes (CSV)")
    ap.add_argument("--batch", help="only the outcomes of this batch (the set's batch column)")
    ap.add_argument("--all", action="store_true", help="list agreeing outcomes too")
    ap.add_argument("--silent-heterogeneity-as-serious", action="store_true",
                    help="sensitivity: read an outcome of several trials without I² as substantially heterogeneous")
    args = ap.parse_args()
    outcomes = load(args.set)
    if args.batch is not None:
        outcomes = outcomes[outcomes["batch"] == args.batch].reset_index(drop=True)
        if outcomes.empty:
            ap.error(f"no outcome of batch {args.batch} in {args.set}")
    graded = grade(outcomes, args.silent_heterogeneity_as_serious)
    review, engine = list(graded["review_certainty"]), list(graded["engine_certainty"])
    print(f"{len(graded)} outcomes from {graded['review'].nunique()} reviews; review certainties: "
          + ", ".join(f"{c} {review.count(c)}" for c in CERTAINTIES))
    print()
    print(confusion(review, engine).to_string())
    print()
    m = agreement(review, engine)
    print(f"exact agreement      {_fmt(m['exact'])}  ({round(m['exact'] * m['n'])}/{m['n']})")
    print(f"within one step      {_fmt(m['within_one'])}  ({round(m['within_one'] * m['n'])}/{m['n']})")
    print(f"weighted kappa, linear     {_fmt(m['kappa_linear'])}")
    print(f"weighted kappa, quadratic  {_fmt(m['kappa_quadratic'])}")
    diff = graded["engine_certainty"].map(ORDER) - graded["review_certainty"].map(ORDER)
    print(f"engine higher {int((diff > 0).sum())}, lower {int((diff < 0).sum())}, same {int((diff == 0).sum())}")
    print()
    print(f"{'by part of the set':<36} outcomes")
    parts = [(f"batch {b}", graded["batch"] == b) for b in sorted(graded["batch"].unique())]
    complete = inputs_complete(outcomes).to_numpy()
    parts += [("participants and risk of bias given", complete), ("either missing", ~complete)]
    for label, mask in parts:
        if mask.any():
            print(_agreement_line(label, review=list(graded.loc[mask, "review_certainty"]),
                                  engine=list(graded.loc[mask, "engine_certainty"])))
    print()
    named = (graded["review_reasons"] != "").sum()
    print(f"domains the review names ({named} outcomes name some) that the engine did not rate down:")
    print(missed_domains(graded).to_string())
    started = graded["engine_down"].map(len).eq(0)
    print(f"engine rated nothing down (stayed at its start, high): {int(started.sum())} outcomes, "
          f"of which the review rated {int((started & graded['review_certainty'].ne('high')).sum())} lower")
    print()
    shown = graded if args.all else graded[diff != 0]
    print("outcome  review -> engine   [risk of bias given]  engine's reasons | review's reasons")
    for r in shown.to_dict("records"):
        print(f"{r['outcome_id']}  {r['review_certainty']:>8} -> {r['engine_certainty']:<8}  {r['review']}: "
              f"{r['outcome']}\n      [{r['rob']}]  {r['engine_reasons']}"
              + (f" | review: {r['review_reasons']}" if r["review_reasons"] else ""))


if __name__ == "__main__":
    main()
