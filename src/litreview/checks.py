"""``litreview check``: every problem of a review, the tables' own and those only a later
stage can see.

- :meth:`litreview.tables.review.Review.check`: schemas, quotes at their offsets, ids that
  exist where they are defined, imports against the search log;
- study status (:mod:`litreview.collect.status`): every key it names is a study;
- explanations (:mod:`litreview.grade`): an explanation that names a verdict names the
  computed one, so the prose cannot contradict the grade.

A claim without an explanation is a gap (:func:`litreview.report.missing.gaps`), not an
error: a review in progress must still build while its screening and extraction go on.
This module sits between the grading and the report in the pipeline: the report and the
workbook call it, and it calls nothing later than the grading.
"""

from __future__ import annotations

from pathlib import Path

from . import paths
from .appraise import double, double_rob
from .collect.status import dangling
from .collect.status import warnings as status_warnings
from .grade.assessment import Assessment, blocking
from .grade.verdicts import verdicts_named
from .tables.review import ROB_MISSING, Review
from .tables.schema import EVIDENCE, EXPLANATIONS, STUDY_STATUS, Problem


def check_review(review: Review, assessment: Assessment | None = None, explanations: bool = True) -> list[Problem]:
    """Every problem of a loaded review, each naming ``file:row:column``. ``assessment``: the
    review's assessment when the caller has it (the explanations are checked against its
    grades); otherwise it is computed when there are explanations to check. Without the checks
    of the explanations against the grades when ``explanations`` is false."""
    return (review.check() + double.problems(review) + double_rob.problems(review) + study_status_problems(review)
            + (explanation_problems(review, assessment) if explanations else []))


STALE_EXPLANATION = "names-another-verdict"  # the code of an explanation the grade has moved away from


def check(name: str, root: Path | None = None) -> list[Problem]:
    return check_review(Review.load(name, root))


def explanation_problems(review: Review, assessment: Assessment | None = None) -> list[Problem]:
    """An explanation names the computed verdict (either scale) if it names one, and explains
    a testable claim of claims.csv."""
    if blocking(review) or EXPLANATIONS.filename in review.failed:
        return []
    label, rows = review.rows_of(EXPLANATIONS)
    rows = list(rows)
    if not rows:
        return []
    problems: list[Problem] = []
    grades = (assessment or Assessment.of(review)).grades.set_index("claim_id")
    testable = set(review.claims.loc[review.claims["testable"], "claim_id"])
    for line, row in rows:
        cid = row["claim_id"]
        if cid not in grades.index:
            problems.append(Problem(label, line, "claim_id", f"unknown claim {cid!r} (not in claims.csv)",
                                    code="unknown-claim", subject=cid))
            continue
        if cid not in testable:
            problems.append(Problem(label, line, "claim_id", f"{cid} is not testable: nothing to explain",
                                    code="explains-untestable", subject=cid))
            continue
        g = grades.loc[cid]
        wrong = sorted(verdicts_named(row["explanation"]) - allowed_verdicts(g))
        if wrong:
            problems.append(Problem(label, line, "explanation",
                                    f"{cid}: names the verdict {', '.join(map(repr, wrong))}, but the computed "
                                    f"verdict is {g['verdict']!r} ({g['expert_verdict']})",
                                    code=STALE_EXPLANATION, subject=cid))
    return problems


def allowed_verdicts(grade) -> set[str]:
    """The verdict labels an explanation of this grade may name: the verdict, its expert label
    (without ", a little"), and "overstated" when the wording goes beyond the evidence."""
    allowed = {grade["verdict"], str(grade["expert_verdict"]).removesuffix(", a little")}
    return allowed | ({"overstated"} if grade["overstated"] else set())


def study_status_problems(review: Review) -> list[Problem]:
    """Every key of study_status.csv is a study of library.bib or cited.bib."""
    if STUDY_STATUS.filename not in review.loaded or {"library.bib", "cited.bib"} & review.failed:
        return []
    return dangling(review.study_status, review.library, review.cited,
                    review.study_status.attrs.get("path", STUDY_STATUS.filename))


def warnings(review: Review) -> list[Problem]:
    """What `check` reports without failing: library entries with no DOI or PMID, and
    entries never verified against their records (``litreview verify-library``)."""
    if STUDY_STATUS.filename in review.failed or "library.bib" in review.failed:
        return []
    path = paths.data_dir(review.name, review.root) / STUDY_STATUS.filename
    return status_warnings(review.library, review.study_status,
                           review.label(paths.references_dir(review.name, review.root) / "library.bib"),
                           review.label(path), STUDY_STATUS.filename in review.loaded)


WARNINGS_SHOWN_ONE_BY_ONE = 5  # more warnings of one kind than this are shown as one line


def summarised(warned: list[Problem], limit: int = WARNINGS_SHOWN_ONE_BY_ONE) -> list[str]:
    """The warnings as lines to print: each kind (file, column and the words after the study
    key) one line per study while there are few, else one line naming how many and which."""
    groups: dict[tuple, list[Problem]] = {}
    for w in warned:
        said = w.message.removeprefix(f"{w.subject}: ") if w.subject else w.message
        groups.setdefault((w.path, w.column, w.code or said, said if w.subject else w.message), []).append(w)
    lines = []
    for (path, _, _, said), items in groups.items():
        if len(items) <= limit or not all(w.subject for w in items):
            lines += [str(w) for w in items]
            continue
        keys = [w.subject for w in items]
        lines.append(f"{path}: {len(keys)} studies: {said}: {', '.join(keys[:10])}"
                     + (f" and {len(keys) - 10} more (all: litreview check --all-warnings)" if len(keys) > 10 else ""))
    return lines


def still_needed(review: str | Review, claim_id: str, study_key: str, root: Path | None = None) -> list[str]:
    """The follow-ups a saved evidence row may leave, as ``file:row:column: message``: what
    the check reports about this study's risk of bias (a new study has no ``rob.csv`` rows
    yet) and this claim's explanation (it names a verdict the new row changed), and, from the
    review's gaps, a claim now worked on that has no explanation yet."""
    rv = review if isinstance(review, Review) else Review.load(review, root)
    label = rv.label(paths.data_dir(rv.name, rv.root) / EVIDENCE.filename)
    study_lines = {line for line, key in zip(rv.evidence.attrs.get("lines", []), rv.evidence["study_key"])
                   if key == study_key}
    explained = rv.explanations
    claim_lines = {line for line, cid in zip(explained.attrs.get("lines", []), explained["claim_id"])
                   if cid == claim_id}
    explanations = explained.attrs.get("path", rv.label(paths.data_dir(rv.name, rv.root) / EXPLANATIONS.filename))
    # the two checks that can speak of them, not the whole check
    out = [str(p) for p in rv.rob_coverage_problems()
           if p.path == label and p.row in study_lines and p.code == ROB_MISSING]
    out += [str(p) for p in explanation_problems(rv) if p.path == explanations and (
        p.row in claim_lines or (p.row is None and p.subject == claim_id))]
    if claim_id in rv.unexplained_claims():
        out.append(f"{explanations}:claim_id: {claim_id}: no explanation yet for this graded claim (two to four "
                   "sentences in your own words)")
    return out


__all__ = ["allowed_verdicts", "check", "check_review", "explanation_problems", "still_needed",
           "study_status_problems", "summarised", "warnings"]
