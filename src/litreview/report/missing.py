"""What a review does not have yet, in plain words, most basic first: the notebooks and the
report show these instead of failing on an empty table."""

from __future__ import annotations

from .. import paths
from ..claims.scaffold import SUGGESTED
from ..tables.review import ROB_MISSING, Review


def gaps(review: Review) -> list[str]:
    """What the review does not have yet, in plain words, most basic first."""
    claims = review.claims
    if claims.empty:
        suggested = paths.data_dir(review.name, review.root) / SUGGESTED
        hint = (f" The claim finder's candidates are in {review.label(suggested)}: copy the ones you "
                "confirm into claims.csv.") if suggested.is_file() else ""
        return [f"No claims confirmed yet: claims.csv has no rows, so there is nothing to grade.{hint}"]
    found = []
    testable = claims.loc[claims["testable"], "claim_id"]
    unsearched = sorted(set(testable) - review.searched_claims())
    if unsearched:
        found.append(f"{counted(len(unsearched), 'testable claim')} not searched yet (no row of "
                    f"search_log.csv names {_them(unsearched)}): {', '.join(unsearched)}. "
                    "Until it is searched, a claim is graded unsupported for want of evidence.")
    if review.evidence.empty and len(testable):
        found.append("No evidence rows yet: evidence.csv is empty, so no claim can be supported.")
    if not review.library:
        found.append("No studies in library.bib yet.")
    unjudged = sorted({p.message.removesuffix(f" {ROB_MISSING}") for p in review.rob_coverage_problems()})
    if unjudged:
        found.append(f"{counted(len(unjudged), 'study', 'studies')} with evidence but no risk-of-bias judgement "
                    f"in rob.csv yet: {', '.join(unjudged)}. Until judged (notebook 04's risk-of-bias form), "
                    f"{'its' if len(unjudged) == 1 else 'their'} evidence rows are set aside from every grade.")
    unexplained = review.unexplained_claims()
    if unexplained:
        found.append(f"{counted(len(unexplained), 'graded claim')} without the reviewer's explanation in "
                    f"explanations.csv: {', '.join(unexplained)}.")
    return found


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``1 claim``, ``2 claims``."""
    return f"{count} {noun if count == 1 else (plural or noun + 's')}"


def _them(ids: list[str]) -> str:
    return "it" if len(ids) == 1 else "them"
