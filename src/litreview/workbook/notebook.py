"""The first cell of every notebook: load the review, stop on any problem ``litreview check``
would report, and show what the review does not have yet; the notebooks that show grades take
the review's assessment instead (:func:`open_assessment`), the build's own when it ran them."""

from __future__ import annotations

from pathlib import Path

from ..checks import check_review
from ..grade.assessment import Assessment, blocking
from ..tables.review import Review
from ..tables.schema import Problem
from .views import show_gaps


class ReviewProblems(AssertionError):
    """The review has problems; the notebook stops before computing on bad tables."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


def open_review(review: str, root: Path | None = None) -> Review:
    """The loaded review, once it passes the check; its gaps are shown below the cell."""
    rv = Review.load(review, root)
    problems = check_review(rv)
    if problems:
        raise ReviewProblems(problems)
    show_gaps(rv)
    return rv


def open_assessment(review: str, output_dir: str | Path = "", root: Path | None = None) -> Assessment:
    """The review's assessment: the one the build computed when it runs the notebook (saved in
    ``output_dir``; the build checked the review first), else the review loaded, checked and
    assessed here. Its gaps are shown below the cell."""
    assessment = Assessment.saved(output_dir)
    if assessment is None:
        rv = Review.load(review, root)
        assessment = None if blocking(rv) else Assessment.of(rv)
        problems = check_review(rv, assessment)
        if problems:
            raise ReviewProblems(problems)
    show_gaps(assessment.review)
    return assessment


__all__ = ["ReviewProblems", "open_assessment", "open_review"]
