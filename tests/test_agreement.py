"""Cohen's kappa against published reference values, not against our own output."""

import pytest

from litreview.appraise.agreement import kappa, percent_agreement


def _pairs(table, categories):
    """Two raters' answers from a contingency table (rows: first rater, columns: second)."""
    first, second = [], []
    for i, row in enumerate(table):
        for j, count in enumerate(row):
            first += [categories[i]] * count
            second += [categories[j]] * count
    return first, second


def test_kappa_matches_the_sas_proc_freq_agreement_example():
    """SAS/STAT PROC FREQ's AGREE example, 3 x 3 table [[0,4,1],[0,8,0],[0,1,5]]: simple kappa
    0.4842 and weighted kappa (Cicchetti-Allison, i.e. linear weights) 0.4701, as SAS prints
    them (reproduced in statsmodels' stats/tests/test_inter_rater.py)."""
    first, second = _pairs([[0, 4, 1], [0, 8, 0], [0, 1, 5]], ("a", "b", "c"))
    assert kappa(first, second, ("a", "b", "c")) == pytest.approx(0.4842, abs=5e-5)
    assert kappa(first, second, ("a", "b", "c"), weights="linear") == pytest.approx(0.4701, abs=5e-5)


# R package irr, data set `anxiety` (20 subjects rated by three raters on a 1-6 scale)
ANXIETY = [3, 3, 3, 4, 5, 5, 2, 3, 5, 2, 2, 6, 1, 5, 2, 2, 1, 2, 4, 3,
           3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4,
           2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2]


@pytest.mark.parametrize(("weights", "expected"), [
    (None, -0.006289308),        # kappa2(anxiety[, 2:3])
    ("linear", 0.1459075),       # kappa2(anxiety[, 2:3], "equal")
    ("quadratic", 0.2520325),    # kappa2(anxiety[, 2:3], "squared")
])
def test_kappa_matches_r_irr_kappa2_on_the_anxiety_data(weights, expected):
    """R irr::kappa2 on raters 2 and 3 of `anxiety`; irr keeps only the levels used (1, 2, 3,
    4, 6), equally spaced, for the weights (values as statsmodels' tests record them)."""
    rater2, rater3 = ANXIETY[20:40], ANXIETY[40:60]
    assert kappa(rater2, rater3, (1, 2, 3, 4, 6), weights=weights) == pytest.approx(expected, abs=1e-6)


def test_kappa_is_undefined_when_both_reviewers_gave_one_answer_throughout():
    assert kappa(["none"] * 4, ["none"] * 4, ("none", "some", "serious")) is None


def test_kappa_and_agreement_refuse_lists_of_different_length():
    with pytest.raises(ValueError, match="equally long"):
        kappa(["a", "b"], ["a"], ("a", "b"))
    with pytest.raises(ValueError, match="equally long"):
        percent_agreement([], [])


def test_percent_agreement_counts_identical_answers():
    assert percent_agreement(list("aabb"), list("abbb")) == 0.75
