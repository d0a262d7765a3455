"""Random-effects pooling (statsmodels ``combine_effects``) with I², τ² and a prediction
interval, in the style of an estimator: settings checked in ``__init__``, ``fit`` returns
``self``, results on trailing-underscore attributes.

Effects come to us as a point estimate with a 95% confidence interval; the standard error is
recovered from the interval (on the log scale for ratio measures). Which rows may be pooled
is a review decision, made by :func:`poolable_groups`: only independent primary studies (a
systematic review's estimate already pools trials, and two reviews may share them), with the
same measure, and for mean differences the same outcome scale.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects

from ..tables.schema import RATIO_MEASURES

METHODS = {"dl": "DerSimonian-Laird", "pm": "Paule-Mandel (iterated)"}
SECONDARY_DESIGNS = ("systematic-review", "meta-analysis", "narrative-review", "guideline")
Z975 = stats.norm.ppf(0.975)


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
    After :meth:`fit`: ``estimate_``, ``se_``, ``ci_`` (95%), ``tau2_``, ``i2_`` (0-1),
    ``q_``, ``k_``, ``pi_`` (95% prediction interval, Higgins et al. 2009, needs k >= 3),
    all on the analysis scale (log for ratio measures)."""

    def __init__(self, method: str = "dl", alpha: float = 0.05):
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
        if not 0 < alpha < 1:
            raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
        self.method = method
        self.alpha = alpha

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
        self.se_ = float(math.sqrt(1.0 / np.sum(w)))
        z = stats.norm.ppf(1 - self.alpha / 2)
        self.ci_ = (self.estimate_ - z * self.se_, self.estimate_ + z * self.se_)
        # Higgins & Thompson (2002): I² = (Q - df) / Q, truncated at 0; 0 when Q is 0 (identical effects)
        self.i2_ = float(max(0.0, (self.q_ - (self.k_ - 1)) / self.q_)) if self.q_ > 0 else 0.0
        if self.k_ >= 3:
            t = stats.t.ppf(1 - self.alpha / 2, self.k_ - 2)
            half = t * math.sqrt(self.tau2_ + self.se_ ** 2)
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


def poolable_groups(evidence: pd.DataFrame) -> list[pd.DataFrame]:
    """Rows that may be pooled together: per claim and measure (and outcome, for MD), only
    primary studies, one row per study, at least two studies."""
    rows = evidence.dropna(subset=["effect"])
    rows = rows[~rows["design"].isin(SECONDARY_DESIGNS)]
    groups = []
    keys = ["claim_id", "effect_measure"]
    for _, g in rows.groupby(keys, sort=True):
        parts = g.groupby("outcome", sort=True) if g["effect_measure"].iloc[0] == "MD" else [(None, g)]
        for _, part in parts:
            part = part.drop_duplicates("study_key")
            if len(part) >= 2:
                groups.append(part)
    return groups


def pool_claims(evidence: pd.DataFrame, method: str = "dl") -> list[Pooled]:
    """Pool every poolable group of the evidence table."""
    pooled = []
    for g in poolable_groups(evidence):
        measure = g["effect_measure"].iloc[0]
        yv = [to_analysis_scale(measure, r.effect, r.ci_low, r.ci_high) for r in g.itertuples()]
        model = RandomEffectsMeta(method).fit([a for a, _ in yv], [b for _, b in yv], list(g["study_key"]))
        back = lambda x, m=measure: from_analysis_scale(m, x)
        pooled.append(Pooled(g["claim_id"].iloc[0], measure, "; ".join(sorted(set(g["outcome"]))),
                             tuple(g["evidence_id"]), model.k_, back(model.estimate_), back(model.ci_[0]),
                             back(model.ci_[1]), back(model.pi_[0]), back(model.pi_[1]),  # NaN below k = 3
                             model.tau2_, model.i2_,
                             METHODS[method], model))
    return pooled
