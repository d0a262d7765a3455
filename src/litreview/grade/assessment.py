"""One assessment of a review, computed once from its tables: the grades, the pooled estimates
(inside the grades: each pools the rows its claim's grade rests on), the rows set aside and
the rows of retracted studies, the PRISMA counts and the reference audit.

The build computes it once and writes every export from it; the notebooks, ``litreview check``,
the claim explorer and the forms read it, or ask it for one claim (:meth:`Assessment.claim`),
and never compute another version. Study status is applied before anything is graded, pooled
or plotted: a retracted study is in none of them.
"""

from __future__ import annotations

import functools
import pickle
from pathlib import Path

import pandas as pd

from .. import paths
from ..appraise.double import sampled
from ..appraise.indirectness import effective
from ..collect.audit import audit_table
from ..collect.prisma import PrismaCounts, counts_of
from ..tables.review import Review
from ..tables.schema import CLAIMS, EVIDENCE, INDIRECTNESS_ANSWERS, OVERRIDES, ROB, STUDY_STATUS, Problem, SchemaError
from .claim import ClaimGrade, claim_grade_of
from .grading import Grade, grade_claims, study_rob, with_rob
from .pooling import POOLED_COLUMNS, Pooled

# the tables a grade is computed from: a problem in any of them blocks grading
GRADED_FROM = frozenset({CLAIMS.filename, EVIDENCE.filename, INDIRECTNESS_ANSWERS.filename, ROB.filename,
                         OVERRIDES.filename, STUDY_STATUS.filename})
UNSUPPORTED = "unsupported"  # the verdict (litreview.tables.schema.VERDICTS) of a claim no evidence supports
SET_ASIDE_COLUMNS = ["claim_id", "evidence_id", "study_key", "why"]
# the file the build leaves in its staging folder while the notebooks run, so that each reads
# the assessment the build computed instead of computing its own; removed before the swap
SAVED_NAME = ".assessment.pickle"


def blocking(review: Review) -> list[Problem]:
    """The problems that keep the review from being graded: those of the tables it is graded
    from (:data:`GRADED_FROM`)."""
    return [p for p in review.problems if Path(p.path).name in GRADED_FROM]


class Assessment:
    """The assessment of one loaded review (:meth:`of`). ``grades`` is ``grades.csv``;
    ``by_claim`` each claim's :class:`~litreview.grade.grading.Grade`; ``retracted`` the
    evidence rows of retracted or withdrawn studies, with the notice."""

    def __init__(self, review: Review, method: str, grades: list[Grade], table: pd.DataFrame,
                 retracted: pd.DataFrame, judged: pd.DataFrame):
        self.review = review
        self.judged = judged
        self.method = method
        self.grades = table
        self.by_claim = {g.claim_id: g for g in grades}
        self.retracted = retracted

    @classmethod
    def of(cls, review: Review, method: str = "dl", claim_ids: list[str] | None = None) -> Assessment:
        """Grade every claim of ``review`` (only ``claim_ids`` when given: a claim's grade
        depends on no other claim's rows). :class:`SchemaError` when a table a grade reads has
        problems."""
        blocked = blocking(review)
        if blocked:
            raise SchemaError(blocked)
        # each row's indirectness as it grades: derived from its answered questions, or overridden
        judged = effective(review.evidence, review.indirectness)
        claims, evidence = review.claims, judged
        if claim_ids is not None:
            claims = claims[claims["claim_id"].isin(claim_ids)]
            evidence = evidence[evidence["claim_id"].isin(claim_ids)]
        grades, table, retracted = grade_claims(
            claims, evidence, review.rob, review.overrides, method, searched=review.searched_claims(),
            explanations=review.explanations, study_status=review.study_status)
        return cls(review, method, grades, table, retracted, judged)

    # --- what the grades rest on -------------------------------------------------------------

    @functools.cached_property
    def rob_by_study(self) -> dict[str, str]:
        """Each study's overall risk of bias (:func:`~litreview.grade.grading.study_rob`)."""
        return study_rob(self.review.rob)

    @functools.cached_property
    def evidence(self) -> pd.DataFrame:
        """The evidence rows the grades read: retracted studies removed, each row's overall
        risk of bias in ``rob``."""
        gone = set(self.retracted["evidence_id"])
        ev = self.judged
        return with_rob(ev[~ev["evidence_id"].isin(gone)], self.rob_by_study)

    @property
    def effects(self) -> pd.DataFrame:
        """The rows with an effect estimate, as the forest plot shows them (retracted studies
        removed)."""
        return self.evidence.dropna(subset=["effect"])

    @property
    def pooled(self) -> list[Pooled]:
        """Every pooled comparison, each from the rows its claim's grade rests on."""
        return [p for g in self.by_claim.values() for p in g.pooled]

    def pooled_table(self) -> pd.DataFrame:
        """``pooled.csv``: one row per pooled comparison."""
        return pd.DataFrame([p.as_row() for p in self.pooled], columns=POOLED_COLUMNS)

    def set_aside_table(self) -> pd.DataFrame:
        """The rows set aside from the rating, claim by claim, and why (high risk of bias,
        seriously indirect)."""
        keys = dict(zip(self.evidence["evidence_id"], self.evidence["study_key"]))
        return pd.DataFrame([{"claim_id": cid, "evidence_id": eid, "study_key": keys.get(eid), "why": why}
                             for cid, g in self.by_claim.items() for eid, why in g.set_aside.items()],
                            columns=SET_ASIDE_COLUMNS)

    def double_extraction_due(self) -> list[str]:
        """The evidence rows that need two independent extractions: none with one extraction
        reviewer (review.toml's ``[reviewers] extraction``); with two, the rows in the review's
        deterministic sample of ``extraction_share`` (:func:`litreview.appraise.double.sampled`)
        and always every row that grades a claim: a row not set aside (nor of a retracted study),
        or any row of a claim whose verdict is not "unsupported". The one rule."""
        rv = self.review
        if rv.reviewers_needed("extraction") < 2:
            return []
        aside = {eid for g in self.by_claim.values() for eid in g.set_aside} | set(self.retracted["evidence_id"])
        verdicts = dict(zip(self.grades["claim_id"], self.grades["verdict"]))
        return [eid for eid, cid in zip(rv.evidence["evidence_id"], rv.evidence["claim_id"])
                if sampled(rv.name, eid, rv.extraction_share) or eid not in aside
                or verdicts.get(cid, UNSUPPORTED) != UNSUPPORTED]

    # --- the rest of the review --------------------------------------------------------------

    @functools.cached_property
    def audit(self) -> pd.DataFrame:
        """The reference audit of the articles' citations."""
        rv = self.review
        return audit_table(rv.cited, rv.library, rv.reference_audit)

    @functools.cached_property
    def prisma(self) -> PrismaCounts:
        """The PRISMA 2020 flow counts."""
        return counts_of(self.review)

    # --- handed from the build to its notebooks ------------------------------------------------

    def save(self, folder: Path) -> Path:
        """Write the assessment into ``folder`` (:data:`SAVED_NAME`), whole: the grades and
        everything computed lazily so far."""
        for lazy in ("audit", "prisma", "evidence"):  # computed once, here, for every reader
            getattr(self, lazy)
        path = Path(folder) / SAVED_NAME
        with paths.replacing(path) as tmp:
            tmp.write_bytes(pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL))
        return path

    @staticmethod
    def saved(folder: str | Path | None) -> Assessment | None:
        """The assessment a build saved into ``folder`` (:meth:`save`), or None when there is
        none (a notebook run by hand computes its own)."""
        path = Path(folder) / SAVED_NAME if folder else None
        if path is None or not path.is_file():
            return None
        return pickle.loads(path.read_bytes())

    # --- one claim ------------------------------------------------------------------------------

    def claim(self, claim_id: str) -> ClaimGrade:
        """One claim's grade in brief; :class:`KeyError` naming claims.csv for an unknown id."""
        rows = self.grades[self.grades["claim_id"] == claim_id]
        if rows.empty:
            rv = self.review
            raise KeyError(f"no claim {claim_id!r} in {rv.label(paths.data_dir(rv.name, rv.root) / CLAIMS.filename)}")
        return claim_grade_of(rows.iloc[0])


def claim_grade(review: str | Review, claim_id: str, root: Path | None = None) -> ClaimGrade:
    """One claim's current grade, as the report computes it (overrides, study status and the
    searched claims included): the assessment of that claim alone, since a claim's grade
    depends on no other claim's rows and a save then costs one claim's grading."""
    rv = review if isinstance(review, Review) else Review.load(review, root)
    return Assessment.of(rv, claim_ids=[claim_id]).claim(claim_id)


__all__ = ["GRADED_FROM", "Assessment", "blocking", "claim_grade"]
