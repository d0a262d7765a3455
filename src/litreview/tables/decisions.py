"""A record's final screening decision, with one reviewer or two.

With one reviewer (review.toml's ``[reviewers] screening``, 1 unless it says 2), every row of
``screening.csv`` is final, as it always was.

With two, each reviewer decides each record on their own, and ``screening.csv`` keeps one row
per record, search, stage and reviewer. A record's decision at a stage is final when two
reviewers decided it alike (the agreed decision; its exclusion reason the first reviewer's),
or, when they disagree (a conflict), once ``screening_settlements.csv`` holds the settlement
(decided by consensus or by a third reviewer, with a note). A record only one reviewer has
decided, or a conflict not yet settled, has no final decision: it is not screened yet.

:func:`final_decisions` is the one rule: PRISMA counts, the full-text queue, inclusion and the
search log's screened count all read its frame, which has the columns of ``screening.csv``
and one row per record, search and stage.
"""

from __future__ import annotations

import pandas as pd

from .schema import SCREENING

STEP = ["record_key", "search_id", "stage"]  # one decision to make: a record at a stage
SIDES = ("reviewer", "decision", "reason")


def paired(screening: pd.DataFrame) -> pd.DataFrame:
    """The records two reviewers decided at a stage: one row each, with ``first_reviewer``,
    ``first_decision``, ``first_reason`` and the same of ``second_`` (in the order they were
    written) and ``agree``."""
    columns = [*STEP, *(f"{side}_{c}" for side in ("first", "second") for c in SIDES), "agree"]
    rows = screening.reset_index(drop=True)
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype=bool if c == "agree" else object) for c in columns})
    rank = rows.groupby(STEP, sort=False).cumcount()
    first, second = rows[rank == 0], rows[rank == 1]
    both = first.merge(second, on=STEP, suffixes=("_first", "_second"))
    out = both[STEP].copy()
    for side in ("first", "second"):
        for c in SIDES:
            out[f"{side}_{c}"] = both[f"{c}_{side}"] if f"{c}_{side}" in both else None
    out["agree"] = (out["first_decision"] == out["second_decision"]).astype(bool)
    return out[columns].reset_index(drop=True)


def conflicts(screening: pd.DataFrame, settlements: pd.DataFrame) -> pd.DataFrame:
    """The records two reviewers decided differently, side by side (:func:`paired`), each with
    its settlement if there is one: ``settled`` (the decision, or None), ``settled_reason``,
    ``how``, ``note`` and ``settled_by``."""
    return _settled(paired(screening), settlements)


def _settled(pairs: pd.DataFrame, settlements: pd.DataFrame) -> pd.DataFrame:
    """:func:`conflicts` from the pairs already found."""
    pairs = pairs.loc[~pairs["agree"]].drop(columns="agree")
    settled = settlements[[*STEP, "decision", "reason", "how", "note", "settled_by"]].rename(
        columns={"decision": "settled", "reason": "settled_reason"})
    out = pairs.merge(settled, on=STEP, how="left")
    return out.astype(object).where(out.notna(), None).reset_index(drop=True)


def final_decisions(screening: pd.DataFrame, settlements: pd.DataFrame, reviewers: int) -> pd.DataFrame:
    """The final decision of every record at every stage it has one (see the module docstring):
    ``screening`` itself with one reviewer; with two, the agreed and the settled decisions, in
    the order of their first rows."""
    if reviewers < 2:
        return screening
    pairs = paired(screening)
    agreed = pairs.loc[pairs["agree"]]
    settled = _settled(pairs, settlements)
    settled = settled.loc[settled["settled"].notna()]
    both = agreed["first_reviewer"].fillna("") + " + " + agreed["second_reviewer"].fillna("")
    rows = [pd.DataFrame({**{c: agreed[c] for c in STEP}, "decision": agreed["first_decision"],
                          "reason": agreed["first_reason"], "reviewer": both}),
            pd.DataFrame({**{c: settled[c] for c in STEP}, "decision": settled["settled"],
                          "reason": settled["settled_reason"],
                          "reviewer": settled["how"] + ": " + settled["settled_by"].fillna("")})]
    out = pd.concat([r for r in rows if len(r)], ignore_index=True) if any(len(r) for r in rows) else SCREENING.empty()
    first = screening.reset_index(drop=True).reset_index(names="_at").drop_duplicates(STEP)[[*STEP, "_at"]]
    out = out.merge(first, on=STEP, how="left").sort_values("_at", kind="stable")
    out = out.drop(columns="_at").reindex(columns=SCREENING.names).reset_index(drop=True)
    return out.astype(object).where(out.notna(), None)


__all__ = ["STEP", "conflicts", "final_decisions", "paired"]
