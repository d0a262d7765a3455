"""Agreement between two reviewers, as Cochrane reviews report it: the share of items they
answered alike and Cohen's kappa (Cohen 1960, Educ Psychol Meas 20:37), unweighted for
nominal answers and weighted (Cohen 1968, Psychol Bull 70:213) for ordered ones.

Kappa is computed by scikit-learn's ``cohen_kappa_score``; ``tests/test_agreement.py``
checks it against published reference values (the SAS PROC FREQ agreement example and R's
``irr::kappa2`` on the ``anxiety`` data).

:func:`screening_agreement` applies them to two reviewers' screening decisions, per stage, with
the conflicts and how they were settled (the report's Methods states them).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from sklearn.metrics import cohen_kappa_score

from ..tables.decisions import conflicts, paired
from ..tables.schema import SCREENING_DECISIONS, SCREENING_STAGES


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


@dataclass(frozen=True)
class ScreeningAgreement:
    """Two screening reviewers at one stage: the records both decided, how often alike, Cohen's
    kappa (None when undefined), and the conflicts by how they were settled."""

    stage: str
    records: int
    agreement: float
    kappa: float | None
    conflicts: int
    by_consensus: int
    by_third_reviewer: int

    @property
    def unsettled(self) -> int:
        return self.conflicts - self.by_consensus - self.by_third_reviewer


def screening_agreement(screening: pd.DataFrame, settlements: pd.DataFrame) -> list[ScreeningAgreement]:
    """Per stage, in the order of :data:`litreview.tables.schema.SCREENING_STAGES`, the agreement
    of two reviewers over the records both decided (``screening.csv`` and
    ``screening_settlements.csv``); stages no record reached two reviewers at are left out."""
    pairs = paired(screening)
    clash = conflicts(screening, settlements)
    out = []
    for stage in SCREENING_STAGES:
        here = pairs[pairs["stage"] == stage]
        if here.empty:
            continue
        first, second = list(here["first_decision"]), list(here["second_decision"])
        how = clash.loc[clash["stage"] == stage, "how"]
        out.append(ScreeningAgreement(stage, len(here), percent_agreement(first, second),
                                      kappa(first, second, SCREENING_DECISIONS), int((~here["agree"]).sum()),
                                      int((how == "consensus").sum()), int((how == "third-reviewer").sum())))
    return out
