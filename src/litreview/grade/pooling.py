"""Random-effects pooling (statsmodels ``combine_effects``) with I², τ² and a prediction
interval, in the style of an estimator: settings checked in ``__init__``, ``fit`` returns
``self``, results on trailing-underscore attributes.

Effects come to us as a point estimate with a 95% confidence interval; the standard error is
recovered from the interval (on the log scale for ratio measures). Which rows may be pooled
is a review decision, made by :func:`poolable_groups`: only independent primary studies (a
systematic review's estimate already pools trials, and two reviews may share them), with the
same measure, and for mean differences the same outcome scale. The grading calls it on the
rows the grade rests on (one design stratum, after study status and the rows set aside), so
the pooled estimate, the forest plot's diamond and the grade are the same numbers.

With fewer than :data:`HKSJ_BELOW` studies the interval is Hartung-Knapp-Sidik-Jonkman's
(t with k - 1 degrees of freedom on a rescaled variance) instead of the Wald z interval.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects

from ..tables.schema import RATIO_MEASURES, REVIEW_DESIGNS

# designs whose estimate is not one study's: reviews pool trials already (and two may share them);
# a narrative review or a guideline reports no estimate of its own
SECONDARY_DESIGNS = (*REVIEW_DESIGNS, "narrative-review", "guideline")

METHODS = {"dl": "DerSimonian-Laird", "pm": "Paule-Mandel (iterated)"}
TESTS = {"z": "Wald z interval", "hksj": "Hartung-Knapp-Sidik-Jonkman interval (t, variance scale floored at 1)"}
Z975 = stats.norm.ppf(0.975)
# Small samples: with few studies the Wald z interval of a random-effects mean is far too narrow
# (IntHout, Ioannidis & Borm 2014, BMC Med Res Methodol 14:25, found its error rate well above 5%
# with few studies, and HKSJ's close to nominal); below five studies pooled, the interval is
# HKSJ's. Its variance scale q is floored at 1 (Röver, Knapp & Friede 2015, BMC Med Res Methodol
# 15:99, the "ad hoc" modification; metafor's test="adhoc"), so the interval is never narrower
# than the Wald interval on the same τ² would be with a t quantile.
HKSJ_BELOW = 5


def interval_test(k: int) -> str:
    """The interval a pool of ``k`` studies uses: ``"hksj"`` below :data:`HKSJ_BELOW`, else ``"z"``."""
    return "hksj" if k < HKSJ_BELOW else "z"


def to_analysis_scale(measure: str, effect: float, ci_low: float, ci_high: float) -> tuple[float, float]:
    """``(y, variance)`` on the scale pooling works on: log for ratios, as given otherwise.
    The standard error is the 95% interval's half-width over 1.96."""
    if measure in RATIO_MEASURES:
        y, lo, hi = math.log(effect), math.log(ci_low), math.log(ci_high)
    else:
        y, lo, hi = effect, ci_low, ci_high
    se = (hi - lo) / (2 * Z975)
    return y, se * se


def from_analysis_scale(measure: str, value: float) -> float:
    return math.exp(value) if measure in RATIO_MEASURES else value


class RandomEffectsMeta:
    """Random-effects meta-analysis of ``k`` effects ``y`` with within-study variances ``v``.

    ``method``: ``"dl"`` (DerSimonian-Laird, one step) or ``"pm"`` (Paule-Mandel, iterated).
    ``test``: ``"z"`` (Wald), ``"hksj"`` (Hartung-Knapp-Sidik-Jonkman, t on k - 1 degrees of
    freedom; ``floor`` keeps its variance scale at 1 or more, as metafor's ``test="adhoc"``;
    without it the interval is metafor's ``test="knha"``), or ``None`` to choose by the number
    of studies (:func:`interval_test`).
    After :meth:`fit`: ``estimate_``, ``se_`` (of the interval used), ``ci_`` (95%), ``tau2_``,
    ``i2_`` (0-1, from the τ² used), ``q_``, ``k_``, ``test_``, ``pi_`` (95% prediction interval,
    Higgins et al. 2009, needs k >= 3), all on the analysis scale (log for ratio measures)."""

    def __init__(self, method: str = "dl", alpha: float = 0.05, test: str | None = "z", floor: bool = True):
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
        if not 0 < alpha < 1:
            raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
        if test is not None and test not in TESTS:
            raise ValueError(f"test must be one of {', '.join(TESTS)} or None, got {test!r}")
        self.method = method
        self.alpha = alpha
        self.test = test
        self.floor = floor

    def fit(self, y, v, labels: list[str] | None = None) -> RandomEffectsMeta:
        y = np.asarray(y, dtype=float)
        v = np.asarray(v, dtype=float)
        if y.shape != v.shape or y.ndim != 1:
            raise ValueError("y and v must be one-dimensional and of equal length")
        if len(y) < 2:
            raise ValueError("pooling needs at least two effects")
        if np.any(v <= 0) or not np.all(np.isfinite(np.r_[y, v])):
            raise ValueError("variances must be positive and all values finite")
        with warnings.catch_warnings():
            # statsmodels takes the square root of a negative τ² and divides by a zero Q before
            # we truncate; those intermediate values are not used
            warnings.simplefilter("ignore", RuntimeWarning)
            res = combine_effects(y, v, method_re=self.method, row_names=labels, use_t=False, alpha=self.alpha)
        self.k_ = len(y)
        self.q_ = float(res.q)
        # τ² is a variance: a negative estimate (DerSimonian-Laird when Q < k - 1) is truncated at
        # zero before anything uses it, as metafor and PyMARE do; statsmodels keeps the negative
        # value in its weights, which would give an interval narrower than the fixed-effect one
        self.tau2_ = max(0.0, float(res.tau2)) if np.isfinite(res.tau2) else 0.0
        w = 1.0 / (v + self.tau2_)
        self.estimate_ = float(np.sum(w * y) / np.sum(w))
        wald_se = float(math.sqrt(1.0 / np.sum(w)))
        self.test_ = self.test or interval_test(self.k_)
        if self.test_ == "hksj":
            # Hartung & Knapp 2001, Sidik & Jonkman 2002: the variance of the mean rescaled by the
            # weighted residual variance, with a t quantile on k - 1 degrees of freedom
            scale = float(np.sum(w * (y - self.estimate_) ** 2) / (self.k_ - 1))
            self.hksj_scale_ = max(1.0, scale) if self.floor else scale
            self.se_ = wald_se * math.sqrt(self.hksj_scale_)
            crit = stats.t.ppf(1 - self.alpha / 2, self.k_ - 1)
        else:
            self.hksj_scale_ = math.nan
            self.se_ = wald_se
            crit = stats.norm.ppf(1 - self.alpha / 2)
        self.ci_ = (self.estimate_ - crit * self.se_, self.estimate_ + crit * self.se_)
        # I² from the τ² used (Higgins & Thompson 2002, eq. 9; metafor's I²): τ² over τ² plus the
        # typical within-study variance (k - 1) Σw / ((Σw)² - Σw²). For DerSimonian-Laird it equals
        # (Q - df) / Q; for Paule-Mandel it does not.
        w0 = 1.0 / v
        typical = (self.k_ - 1) * np.sum(w0) / (np.sum(w0) ** 2 - np.sum(w0 ** 2))
        self.i2_ = float(self.tau2_ / (self.tau2_ + typical)) if self.tau2_ > 0 else 0.0
        if self.k_ >= 3:
            t = stats.t.ppf(1 - self.alpha / 2, self.k_ - 2)
            half = t * math.sqrt(self.tau2_ + wald_se ** 2)
            self.pi_ = (self.estimate_ - half, self.estimate_ + half)
        else:
            self.pi_ = (math.nan, math.nan)
        self.fe_estimate_ = float(np.sum(y / v) / np.sum(1.0 / v))
        self.fe_se_ = float(math.sqrt(1.0 / np.sum(1.0 / v)))
        self.labels_ = list(labels) if labels is not None else [f"study {i + 1}" for i in range(self.k_)]
        self.y_, self.v_ = y, v
        return self


@dataclass(frozen=True)
class Pooled:
    """One pooled comparison of a claim, back on the reporting scale."""

    claim_id: str
    measure: str
    outcome: str
    evidence_ids: tuple[str, ...]
    k: int
    estimate: float
    ci_low: float
    ci_high: float
    pi_low: float
    pi_high: float
    tau2: float
    i2: float
    method: str
    model: RandomEffectsMeta
    interval: str = TESTS["z"]
    left_out: tuple[str, ...] = ()   # further rows of a study already in the pool (:func:`one_row_per_study`)

    def as_row(self) -> dict:
        """The comparison as a row of ``pooled.csv``."""
        return {"claim_id": self.claim_id, "measure": self.measure, "outcome": self.outcome,
                "evidence_ids": " ".join(self.evidence_ids), "k": self.k, "estimate": self.estimate,
                "ci_low": self.ci_low, "ci_high": self.ci_high, "pi_low": self.pi_low, "pi_high": self.pi_high,
                "tau2": self.tau2, "i2": self.i2, "method": self.method, "interval": self.interval,
                "left_out": " ".join(self.left_out)}


POOLED_COLUMNS = ["claim_id", "measure", "outcome", "evidence_ids", "k", "estimate", "ci_low", "ci_high", "pi_low",
                  "pi_high", "tau2", "i2", "method", "interval", "left_out"]


def one_row_per_study(rows: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """``(kept, left out)``: a study enters a pool once (its rows are not independent). When a
    study has several rows in one comparison, the row with the most participants stands (a row
    without a number counts as none), then the lowest evidence id; the others are named."""
    n = pd.to_numeric(rows["n"], errors="coerce").fillna(-1) if "n" in rows else pd.Series(-1, index=rows.index)
    order = rows.assign(_n=n).sort_values(["_n", "evidence_id"], ascending=[False, True])
    first = ~order["study_key"].duplicated()
    kept = rows.loc[order.index[first]].sort_values("evidence_id")
    return kept, sorted(order.loc[~first, "evidence_id"])


def comparisons(evidence: pd.DataFrame) -> list[tuple[pd.DataFrame, list[str]]]:
    """Rows that may be pooled together, each with the rows left out of it: per claim and
    measure (and outcome, for MD), only primary studies, one row per study
    (:func:`one_row_per_study`), at least two studies, each with an estimate and its interval."""
    needed = ["effect", "ci_low", "ci_high"]
    if not set(needed) <= set(evidence.columns):
        return []
    rows = evidence.dropna(subset=needed)
    rows = rows[~rows["design"].isin(SECONDARY_DESIGNS)]
    groups = []
    keys = ["claim_id", "effect_measure"]
    for _, g in rows.groupby(keys, sort=True):
        parts = g.groupby("outcome", sort=True) if g["effect_measure"].iloc[0] == "MD" else [(None, g)]
        for _, part in parts:
            kept, left_out = one_row_per_study(part)
            if len(kept) >= 2:
                groups.append((kept, left_out))
    return groups


def poolable_groups(evidence: pd.DataFrame) -> list[pd.DataFrame]:
    """The rows of each comparison that may be pooled (:func:`comparisons`)."""
    return [kept for kept, _ in comparisons(evidence)]


def pool_claims(evidence: pd.DataFrame, method: str = "dl") -> list[Pooled]:
    """Pool every comparison of ``evidence``: the grading passes the rows a claim's grade rests
    on. The interval is HKSJ's below :data:`HKSJ_BELOW` studies (:func:`interval_test`)."""
    pooled = []
    for g, left_out in comparisons(evidence):
        measure = g["effect_measure"].iloc[0]
        yv = [to_analysis_scale(measure, r.effect, r.ci_low, r.ci_high) for r in g.itertuples()]
        model = RandomEffectsMeta(method, test=None).fit([a for a, _ in yv], [b for _, b in yv], list(g["study_key"]))
        back = lambda x, m=measure: from_analysis_scale(m, x)
        pooled.append(Pooled(g["claim_id"].iloc[0], measure, "; ".join(sorted(set(g["outcome"]))),
                             tuple(g["evidence_id"]), model.k_, back(model.estimate_), back(model.ci_[0]),
                             back(model.ci_[1]), back(model.pi_[0]), back(model.pi_[1]),  # NaN below k = 3
                             model.tau2_, model.i2_,
                             METHODS[method], model, TESTS[model.test_], tuple(left_out)))
    return pooled
