"""Random-effects pooling against published worked examples."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from litreview.grade.pooling import RandomEffectsMeta, pool_claims, poolable_groups, to_analysis_scale

# BCG vaccine trials (Colditz et al. 1994), metafor's `dat.bcg`: tpos, tneg, cpos, cneg per
# trial, as copied in the JASP data library ("BCG Vaccine/BCG Vaccine.csv").
BCG = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
       (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
       (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
       (27, 16886, 29, 17825)]


def bcg_log_rr():
    """metafor escalc(measure="RR"): log risk ratio and its sampling variance."""
    y, v = [], []
    for a, b, c, d in BCG:
        y.append(math.log((a / (a + b)) / (c / (c + d))))
        v.append(1 / a - 1 / (a + b) + 1 / c - 1 / (c + d))
    return np.array(y), np.array(v)


# Kacker (2004), Metrologia 41:132-136, Table 1: nine interlaboratory results and their variances,
# the example statsmodels' tests ran through metafor (stats/tests/results/results_meta.py)
KACKER = ([61.00, 61.40, 62.21, 62.30, 62.34, 62.60, 62.70, 62.84, 65.90],
          [0.2025, 1.2100, 0.0900, 0.2025, 0.3844, 0.5625, 0.0676, 0.0225, 1.8225])
DATASETS = {"bcg": bcg_log_rr, "kacker": lambda: KACKER}
REFERENCE = pd.read_csv(Path(__file__).parent / "fixtures" / "meta" / "metafor_reference.csv")
# metafor's test="knha" is HKSJ without the floor; "hksj" is ours with it
TEST_ARGS = {"z": {"test": "z"}, "knha": {"test": "hksj", "floor": False}, "hksj": {"test": "hksj"}}


def fitted(dataset: str, method: str, test: str) -> dict:
    m = RandomEffectsMeta(method, **TEST_ARGS[test]).fit(*DATASETS[dataset]())
    return {"estimate": m.estimate_, "se": m.se_, "ci_low": m.ci_[0], "ci_high": m.ci_[1], "tau2": m.tau2_,
            "i2": m.i2_, "q": m.q_}


@pytest.mark.parametrize("row", REFERENCE.to_dict("records"),
                         ids=[f"{r.dataset}-{r.method}-{r.test}-{r.quantity}" for r in REFERENCE.itertuples()])
def test_pooling_matches_metafor_to_four_decimals(row):
    """Each value of tests/fixtures/meta/metafor_reference.csv (metafor's own output, source
    named on its row), to four decimals: DerSimonian-Laird and Paule-Mandel with the Wald
    interval, and Hartung-Knapp-Sidik-Jonkman (test="knha")."""
    assert fitted(row["dataset"], row["method"], row["test"])[row["quantity"]] == pytest.approx(
        row["value"], abs=5e-5 + 1e-12)


def test_bcg_summary_back_on_the_ratio_scale_matches_metafor():
    y, v = bcg_log_rr()
    m = RandomEffectsMeta("dl").fit(y, v)
    assert math.exp(m.estimate_) == pytest.approx(0.4896, abs=5e-4)
    assert m.fe_estimate_ == pytest.approx(-0.4303, abs=5e-4)


def _hksj_by_hand(y, v, tau2, floor):
    """The textbook HKSJ interval (Hartung & Knapp 2001; Sidik & Jonkman 2002), written out here
    independently of the code under test."""
    from scipy import stats
    w = 1 / (np.asarray(v) + tau2)
    mu = float(np.sum(w * y) / np.sum(w))
    q = float(np.sum(w * (np.asarray(y) - mu) ** 2) / (len(y) - 1))
    q = max(1.0, q) if floor else q
    half = stats.t.ppf(0.975, len(y) - 1) * math.sqrt(q / np.sum(w))
    return mu - half, mu + half


def test_two_studies_get_the_small_sample_interval_and_it_changes_imprecision():
    """Two trials that agree closely: the Wald interval excludes no effect, HKSJ (t with one
    degree of freedom) does not; with fewer than five studies the pool uses HKSJ."""
    y, v = [-0.40, -0.34], [0.012, 0.015]
    wald = RandomEffectsMeta("dl", test="z").fit(y, v)
    assert wald.ci_[1] < 0
    chosen = RandomEffectsMeta("dl", test=None).fit(y, v)
    assert chosen.test_ == "hksj"
    assert chosen.ci_ == pytest.approx(_hksj_by_hand(np.array(y), v, chosen.tau2_, floor=True))
    assert chosen.ci_[0] < 0 < chosen.ci_[1]
    assert RandomEffectsMeta("dl", test=None).fit(*bcg_log_rr()).test_ == "z"  # 13 trials


def test_the_floor_keeps_the_hksj_scale_at_one_when_studies_agree_more_than_chance():
    y, v = np.array([0.10, 0.12, 0.11]), [0.04, 0.05, 0.03]
    floored = RandomEffectsMeta("dl", test="hksj").fit(y, v)
    bare = RandomEffectsMeta("dl", test="hksj", floor=False).fit(y, v)
    assert bare.hksj_scale_ < 1 and floored.hksj_scale_ == 1
    assert floored.ci_ == pytest.approx(_hksj_by_hand(y, v, 0.0, floor=True))
    assert bare.ci_ == pytest.approx(_hksj_by_hand(y, v, 0.0, floor=False))
    assert floored.ci_[1] - floored.ci_[0] > bare.ci_[1] - bare.ci_[0]


def test_prediction_interval_is_wider_than_the_confidence_interval():
    y, v = bcg_log_rr()
    m = RandomEffectsMeta("dl").fit(y, v)
    assert m.pi_[0] < m.ci_[0] and m.pi_[1] > m.ci_[1]
    # by hand: t(11) quantile, sqrt(tau2 + se^2)
    from scipy import stats
    half = stats.t.ppf(0.975, 11) * math.sqrt(m.tau2_ + m.se_ ** 2)
    assert m.pi_[1] - m.estimate_ == pytest.approx(half)


def test_paule_mandel_matches_kacker_2004():
    """Kacker (2004), Metrologia 41:132-136, Table 1 first row: tau = 0.8399 (Paule-Mandel)
    and 0.5359 (DerSimonian-Laird) for nine interlaboratory results; the same example and
    figures are used in statsmodels' stats/tests/test_meta.py."""
    eff = [61.00, 61.40, 62.21, 62.30, 62.34, 62.60, 62.70, 62.84, 65.90]
    var = [0.2025, 1.2100, 0.0900, 0.2025, 0.3844, 0.5625, 0.0676, 0.0225, 1.8225]
    assert math.sqrt(RandomEffectsMeta("pm").fit(eff, var).tau2_) == pytest.approx(0.8399, abs=1e-3)
    assert math.sqrt(RandomEffectsMeta("dl").fit(eff, var).tau2_) == pytest.approx(0.5359, abs=1e-3)


def test_identical_effects_have_no_heterogeneity():
    m = RandomEffectsMeta().fit([0.5, 0.5, 0.5], [0.1, 0.2, 0.3])
    assert m.tau2_ == 0 and m.i2_ == 0 and m.estimate_ == pytest.approx(0.5)


@pytest.mark.parametrize("kwargs, message", [({"method": "reml"}, "method must be"), ({"alpha": 1.5}, "alpha")])
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RandomEffectsMeta(**kwargs)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="at least two"):
        RandomEffectsMeta().fit([0.1], [0.1])
    with pytest.raises(ValueError, match="positive"):
        RandomEffectsMeta().fit([0.1, 0.2], [0.1, 0.0])


def test_standard_error_is_recovered_from_the_interval():
    y, var = to_analysis_scale("RR", 0.5, 0.25, 1.0)
    assert y == pytest.approx(math.log(0.5))
    assert math.sqrt(var) == pytest.approx((math.log(1.0) - math.log(0.25)) / (2 * 1.959964), rel=1e-5)


def rows(*specs):
    cols = ["evidence_id", "claim_id", "study_key", "design", "outcome", "effect_measure", "effect", "ci_low", "ci_high"]
    return pd.DataFrame([dict(zip(cols, s)) for s in specs])


def test_only_independent_primary_studies_are_pooled():
    ev = rows(("E1", "A01", "s1", "rct", "pain", "SMD", -0.5, -0.9, -0.1),
              ("E2", "A01", "s2", "rct", "pain", "SMD", -0.3, -0.6, 0.0),
              ("E3", "A01", "r1", "meta-analysis", "pain", "SMD", -0.4, -0.6, -0.2),
              ("E4", "A02", "s3", "rct", "pain", "SMD", -0.4, -0.6, -0.2))
    groups = poolable_groups(ev)
    assert [list(g["evidence_id"]) for g in groups] == [["E1", "E2"]]
    [pooled] = pool_claims(ev)
    assert pooled.claim_id == "A01" and pooled.k == 2 and -0.5 < pooled.estimate < -0.3


def test_mean_differences_pool_only_on_the_same_outcome():
    ev = rows(("E1", "A01", "s1", "rct", "VAS 0-10", "MD", -1.0, -2.0, 0.0),
              ("E2", "A01", "s2", "rct", "ODI 0-100", "MD", -8.0, -12.0, -4.0))
    assert poolable_groups(ev) == []


# Homogeneous data (Q < k - 1): the DerSimonian-Laird τ² is negative before truncation. metafor
# (rma(method="DL")) and PyMARE truncate it at zero, so the random-effects model equals the
# fixed-effect one. The expected values are computed here by the textbook inverse-variance
# formulas, independently of the code under test.
HOMOGENEOUS = [
    # (effects, variances)
    ([0.10, 0.12, 0.11, 0.13], [0.04, 0.05, 0.03, 0.06]),
    ([-0.2, -0.25, -0.22], [0.02, 0.03, 0.025]),
    ([0.5, 0.5, 0.5], [0.1, 0.2, 0.3]),  # identical effects: Q = 0
]


def fixed_effect(y, v):
    w = 1 / np.asarray(v)
    est = float(np.sum(w * np.asarray(y)) / np.sum(w))
    q = float(np.sum(w * (np.asarray(y) - est) ** 2))
    return est, math.sqrt(1 / np.sum(w)), q


@pytest.mark.parametrize("method", ["dl", "pm"])
@pytest.mark.parametrize("y, v", HOMOGENEOUS)
def test_homogeneous_data_truncate_tau2_at_zero_and_equal_the_fixed_effect(y, v, method):
    est, se, q = fixed_effect(y, v)
    assert q < len(y) - 1
    m = RandomEffectsMeta(method).fit(y, v)
    assert m.tau2_ == 0 and m.i2_ == 0
    assert m.estimate_ == pytest.approx(est, abs=1e-12)
    assert m.se_ == pytest.approx(se, abs=1e-12) and np.isfinite(m.se_)
    # never narrower than the fixed-effect interval
    assert m.ci_[1] - m.ci_[0] >= 2 * 1.959963984540054 * se - 1e-12


def test_random_effects_interval_is_never_narrower_than_fixed_effect_on_bcg():
    y, v = bcg_log_rr()
    m = RandomEffectsMeta("dl").fit(y, v)
    assert m.se_ >= m.fe_se_


def test_a_study_with_two_rows_in_one_comparison_enters_once_by_the_stated_rule():
    """Two rows of study s2 (two pain scales of one trial): the row with more participants
    stands whichever comes first in the table, and the other is named, never dropped silently."""
    ev = rows(("E1", "A01", "s1", "rct", "pain", "SMD", -0.5, -0.9, -0.1),
              ("E2", "A01", "s2", "rct", "pain", "SMD", -0.1, -0.4, 0.2),
              ("E3", "A01", "s2", "rct", "pain", "SMD", -0.6, -0.9, -0.3)).assign(n=[80, 40, 120])
    [pooled] = pool_claims(ev)
    assert pooled.evidence_ids == ("E1", "E3") and pooled.left_out == ("E2",)
    assert pool_claims(ev.iloc[[0, 2, 1]])[0].evidence_ids == ("E1", "E3")
