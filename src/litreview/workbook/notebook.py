"""The first cell of every notebook: load the review, stop on any problem ``litreview check``
would report, and show what the review does not have yet; the notebooks that show grades take
the review's assessment instead (:func:`open_assessment`), the build's own when it ran them."""

from __future__ import annotations

from pathlib import Path

from ..checks import STALE_EXPLANATION, check_review, explanation_problems
from ..grade.assessment import Assessment, blocking
from ..tables.review import Review
from ..tables.schema import Problem
from .views import show_gaps, show_notes


class ReviewProblems(AssertionError):
    """The review has problems; the notebook stops before computing on bad tables."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


def open_review(review: str, root: Path | None = None) -> Review:
    """The loaded review, once it passes the check; its gaps are shown below the cell.

    An incomplete review never raises: what is not done yet is a gap. Neither does an
    explanation that no longer names the computed verdict (a saved evidence row changed the
    grade; here and in :func:`open_assessment`): the explorer in notebook 05 is where it is
    rewritten, so it is shown as a note to act on, while ``litreview check`` and the build still refuse it."""
    rv = Review.load(review, root)
    problems, stale = _split(check_review(rv, explanations=False), explanation_problems(rv))
    if problems:
        raise ReviewProblems(problems)
    show_gaps(rv)
    _show_stale(stale)
    return rv


def open_assessment(review: str, output_dir: str | Path = "", root: Path | None = None) -> Assessment:
    """The review's assessment: the one the build computed when it runs the notebook (saved in
    ``output_dir``; the build checked the review first), else the review loaded, checked and
    assessed here. Its gaps are shown below the cell."""
    assessment = Assessment.saved(output_dir)
    if assessment is None:
        rv = Review.load(review, root)
        assessment = None if blocking(rv) else Assessment.of(rv)
        problems, stale = _split(check_review(rv, assessment, explanations=False),
                                 explanation_problems(rv, assessment))
        if problems:
            raise ReviewProblems(problems)
        _show_stale(stale)
    show_gaps(assessment.review, assessment)
    return assessment


def _split(problems: list[Problem], explained: list[Problem]) -> tuple[list[Problem], list[Problem]]:
    """The problems that stop a notebook, and the stale explanations shown as notes."""
    stale = [p for p in explained if p.code == STALE_EXPLANATION]
    return problems + [p for p in explained if p.code != STALE_EXPLANATION], stale


def _show_stale(stale: list[Problem]) -> None:
    show_notes([f"{p} (rewrite it in notebook 05's claim explorer)" for p in stale])


__all__ = ["ReviewProblems", "open_assessment", "open_review"]
