"""One claim's grade in brief, and how it changed: what a form shows after a save, so a
reviewer sees what a new row or judgement changes (the claim explorer shows the whole grade).
:func:`litreview.grade.assessment.claim_grade` computes it."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .grading import DOMAINS


def grade_label(verdict: str, certainty) -> str:
    """``partly supported, low``; the verdict alone for a claim with no certainty."""
    return f"{verdict}, {certainty}" if isinstance(certainty, str) and certainty else str(verdict)


@dataclass(frozen=True)
class ClaimGrade:
    """What the assessment says about one claim, in brief."""

    claim_id: str
    verdict: str
    certainty: str | None
    expert_verdict: str
    rationale: str
    reasons: tuple[str, ...] = ()  # the GRADE domains rated down, each with its reason
    flawed_evidence: str = ""      # ids of the rows set aside from the rating (context)

    @property
    def label(self) -> str:
        return grade_label(self.verdict, self.certainty)

    def short(self) -> str:
        """``C01: partly supported, low``."""
        return f"{self.claim_id}: {self.label}"


def claim_grade_of(g: pd.Series) -> ClaimGrade:
    """The brief of one row of ``grades.csv``."""
    reasons = tuple(f"{d}: {g[d.replace(' ', '_') + '_reason']}" for d in DOMAINS
                    if g[d.replace(" ", "_")] in ("serious", "very serious"))
    certainty = g["certainty"] if isinstance(g["certainty"], str) else None
    return ClaimGrade(g["claim_id"], g["verdict"], certainty, g["expert_verdict"], g["rationale"], reasons,
                      g["flawed_evidence"] or "")


def grade_change(before: ClaimGrade, after: ClaimGrade) -> str:
    """``C01: unsupported, very low -> partly supported, low``, or ``C01: unchanged
    (supported, moderate)``."""
    if before.label == after.label:
        return f"{after.claim_id}: unchanged ({after.label})"
    return f"{before.short()} -> {after.label}"


__all__ = ["ClaimGrade", "claim_grade_of", "grade_change", "grade_label"]
