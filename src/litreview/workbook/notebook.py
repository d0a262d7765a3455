"""The first cell of every notebook: load the review, stop on any problem ``litreview check``
would report, and show what the review does not have yet."""

from __future__ import annotations

from pathlib import Path

from ..checks import check_review
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


__all__ = ["ReviewProblems", "open_review"]
