"""The first cell of every notebook: load the review, stop on any problem ``litreview check``
would report, and show what the review does not have yet."""

from __future__ import annotations

from pathlib import Path

from ..checks import check_review, explanation_problems
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
    grade): the explorer in notebook 05 is where it is rewritten, so it is shown as a note to
    act on, while ``litreview check`` and the build still refuse it."""
    rv = Review.load(review, root)
    problems = check_review(rv, explanations=False)
    stale = explanation_problems(rv)
    if problems:
        raise ReviewProblems(problems)
    show_gaps(rv)
    show_notes([f"{p} (rewrite it in notebook 05's claim explorer)" for p in stale])
    return rv


__all__ = ["ReviewProblems", "open_review"]
