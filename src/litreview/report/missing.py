"""What a review does not have yet, in plain words, most basic first: the notebooks and the
report show these instead of failing on an empty table."""

from __future__ import annotations

from .. import paths
from ..appraise import double, double_rob
from ..claims.scaffold import SUGGESTED
from ..grade.assessment import Assessment, blocking
from ..grade.certainty_rules import heterogeneity_unreported, without_n
from ..tables.review import Review
from ..tables.words import counted, first_ids


def gaps(review: Review, assessment: Assessment | None = None) -> list[str]:
    """What the review does not have yet, in plain words, most basic first. ``assessment``:
    the review's, when the caller has it (which rows need a second extraction depends on the
    grades; it is computed here only for a review extracted by two reviewers)."""
    claims = review.claims
    if claims.empty:
        suggested = paths.data_dir(review.name, review.root) / SUGGESTED
        hint = (f" The claim finder's candidates are in {review.label(suggested)}: confirm them with "
                "notebook 01's claims form or litreview claims.") if suggested.is_file() else ""
        return [f"No claims confirmed yet: claims.csv has no rows, so there is nothing to grade.{hint}"]
    found = []
    testable = claims.loc[claims["testable"], "claim_id"]
    unsearched = sorted(set(testable) - review.searched_claims())
    if unsearched:
        found.append(f"{counted(len(unsearched), 'testable claim')} not searched yet (no row of "
                    f"search_log.csv names {_them(unsearched)}): {', '.join(unsearched)}. "
                    "Until it is searched, a claim is graded unsupported for want of evidence.")
    found += _screening_gaps(review)
    if review.evidence.empty and len(testable):
        found.append("No evidence rows yet: evidence.csv is empty, so no claim can be supported.")
    if not review.library:
        found.append("No studies in library.bib yet.")
    unanswered = review.unanswered_indirectness()
    if unanswered and not review.evidence.empty:
        found.append(f"{counted(len(unanswered), 'evidence row')} without answers to the indirectness questions "
                     f"in indirectness.csv ({first_ids(unanswered)}); until answered, the row's recorded "
                     "indirectness counts.")
    unweighed = without_n(review.evidence)
    if len(unweighed):
        found.append(f"{counted(len(unweighed), 'evidence row')} of trials or reviews report no number of "
                     f"participants ({', '.join(unweighed['evidence_id'])}): each weighs what the median row of its "
                     "claim weighs and adds nothing to the participants counted; fill n from the article.")
    silent = review.evidence[heterogeneity_unreported(review.evidence)]
    if len(silent):
        found.append(f"{counted(len(silent), 'evidence row')} of reviews pooling trials report no I² or test for "
                     f"heterogeneity ({first_ids(list(silent['evidence_id']))}): the consistency of their trials "
                     "is not judged, and nothing is rated down for it; fill i2 (or heterogeneity_p) from the "
                     "review's forest plot or results.")
    unjudged = sorted({p.subject for p in review.rob_coverage_problems()})
    if unjudged:
        found.append(f"{counted(len(unjudged), 'study', 'studies')} with evidence but no risk-of-bias judgement "
                    f"in rob.csv yet: {', '.join(unjudged)}. Until judged (notebook 04's risk-of-bias form), "
                    f"{'its' if len(unjudged) == 1 else 'their'} evidence rows are set aside from every grade.")
    found += _double_extraction_gaps(review, assessment) + double_rob.gaps(review)
    unexplained = review.unexplained_claims()
    if unexplained:
        found.append(f"{counted(len(unexplained), 'graded claim')} without the reviewer's explanation in "
                    f"explanations.csv: {', '.join(unexplained)}.")
    return found


def _screening_gaps(review: Review) -> list[str]:
    """With two screening reviewers: the records the other reviewer has still to decide, and
    the conflicts not settled yet; neither has a final decision, so neither counts as screened."""
    if review.reviewers_needed("screening") < 2:
        return []
    found = []
    clash = review.screening_conflicts()
    unsettled = clash[clash["settled"].isna()]
    waiting = review.screening_pending()
    disputed = set(zip(clash["record_key"], clash["stage"]))
    waiting = waiting[[(k, s) not in disputed for k, s in zip(waiting["record_key"], waiting["stage"])]]
    for stage in sorted(set(waiting["stage"]), reverse=True):
        ids = list(waiting.loc[waiting["stage"] == stage, "record_key"])
        found.append(f"{counted(len(ids), 'record')} decided at {stage} by one of the two reviewers only "
                     f"({first_ids(ids)}): {'its' if len(ids) == 1 else 'their'} final decision waits for the other's.")
    for stage in sorted(set(unsettled["stage"]), reverse=True):
        ids = list(unsettled.loc[unsettled["stage"] == stage, "record_key"])
        found.append(f"{counted(len(ids), 'screening conflict')} at {stage} not settled yet ({first_ids(ids)}): the "
                     "two reviewers decided differently; settle each in notebook 03's Conflicts view or with "
                     "litreview screen settle. Until settled, a conflict has no final decision.")
    return found


def _double_extraction_gaps(review: Review, assessment: Assessment | None) -> list[str]:
    """Rows still owed a second extraction, conflicts not yet settled (:func:`litreview.appraise.double.gaps`)."""
    due: list[str] = []
    if review.reviewers_needed("extraction") == 2 and not blocking(review):
        due = (assessment or Assessment.of(review)).double_extraction_due()
    if not due and review.extractions.empty:
        return []
    return double.gaps(review, due)


def _them(ids: list[str]) -> str:
    return "it" if len(ids) == 1 else "them"
