"""Agreement between two reviewers, as Cochrane reviews report it: the share of items they
answered alike and Cohen's kappa (Cohen 1960, Educ Psychol Meas 20:37), unweighted for
nominal answers and weighted (Cohen 1968, Psychol Bull 70:213) for ordered ones.

Kappa is computed by scikit-learn's ``cohen_kappa_score``; ``tests/test_agreement.py``
checks it against published reference values (the SAS PROC FREQ agreement example and R's
``irr::kappa2`` on the ``anxiety`` data).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from sklearn.metrics import cohen_kappa_score


def kappa(first: Sequence[str], second: Sequence[str], categories: Sequence[str],
          weights: str | None = None) -> float | None:
    """Cohen's kappa of two reviewers' answers over ``categories`` (in their order, which
    matters for ``weights`` = "linear" or "quadratic"); None when chance agreement is
    complete (both reviewers gave one and the same answer throughout), where kappa is
    undefined."""
    if not first or len(first) != len(second):
        raise ValueError(f"expected two equally long, non-empty lists; found {len(first)} and {len(second)}")
    if len(set(first) | set(second)) == 1:
        return None
    value = cohen_kappa_score(list(first), list(second), labels=list(categories), weights=weights)
    return None if math.isnan(value) else float(value)


def percent_agreement(first: Sequence, second: Sequence) -> float:
    """Share of items both reviewers answered alike (0 to 1)."""
    if not first or len(first) != len(second):
        raise ValueError(f"expected two equally long, non-empty lists; found {len(first)} and {len(second)}")
    return sum(a == b for a, b in zip(first, second)) / len(first)
