"""One claim's grade in brief, and how it changed: what a form shows after a save, so a
reviewer sees what a new row or judgement changes (the claim explorer shows the whole grade)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import paths
from ..appraise.indirectness import effective
from ..tables.review import Review
from ..tables.schema import CLAIMS, EVIDENCE, INDIRECTNESS_ANSWERS, SchemaError
from .grading import DOMAINS, grade_review


def grade_label(verdict: str, certainty) -> str:
    """``partly supported, low``; the verdict alone for a claim with no certainty."""
    return f"{verdict}, {certainty}" if isinstance(certainty, str) and certainty else str(verdict)


@dataclass(frozen=True)
class ClaimGrade:
    """What :func:`litreview.grade.grading.grade_review` says about one claim, in brief."""

    claim_id: str
    verdict: str
    certainty: str | None
    expert_verdict: str
    rationale: str
    reasons: tuple[str, ...] = ()  # the GRADE domains rated down, each with its reason
    set_aside: str = ""            # ids of rows set aside as context

    @property
    def label(self) -> str:
        return grade_label(self.verdict, self.certainty)

    def short(self) -> str:
        """``C01: partly supported, low``."""
        return f"{self.claim_id}: {self.label}"


def claim_grade(review: str | Review, claim_id: str, root: Path | None = None) -> ClaimGrade:
    """The claim's current grade, as the report computes it (overrides, study status and the
    searched claims included). Only the claim's own rows are graded: a claim's grade depends
    on no other claim's evidence, and a save then costs one claim's grading, not the review's."""
    rv = review if isinstance(review, Review) else Review.load(review, root)
    blocking = [p for p in rv.problems if Path(p.path).name in
                {CLAIMS.filename, EVIDENCE.filename, INDIRECTNESS_ANSWERS.filename, "rob.csv", "overrides.csv",
                 "study_status.csv"}]
    if blocking:
        raise SchemaError(blocking)
    claims = rv.claims[rv.claims["claim_id"] == claim_id]
    if claims.empty:
        raise KeyError(f"no claim {claim_id!r} in {rv.label(paths.data_dir(rv.name, rv.root) / CLAIMS.filename)}")
    evidence = effective(rv.evidence[rv.evidence["claim_id"] == claim_id], rv.indirectness)
    g = grade_review(claims, evidence, rv.rob, rv.overrides, searched=rv.searched_claims(),
                     study_status=rv.study_status).iloc[0]
    reasons = tuple(f"{d}: {g[d.replace(' ', '_') + '_reason']}" for d in DOMAINS
                    if g[d.replace(" ", "_")] in ("serious", "very serious"))
    certainty = g["certainty"] if isinstance(g["certainty"], str) else None
    return ClaimGrade(claim_id, g["verdict"], certainty, g["expert_verdict"], g["rationale"], reasons,
                      g["flawed_evidence"] or "")


def grade_change(before: ClaimGrade, after: ClaimGrade) -> str:
    """``C01: unsupported, very low -> partly supported, low``, or ``C01: unchanged
    (supported, moderate)``."""
    if before.label == after.label:
        return f"{after.claim_id}: unchanged ({after.label})"
    return f"{before.short()} -> {after.label}"


__all__ = ["ClaimGrade", "claim_grade", "grade_change", "grade_label"]
