"""PRISMA 2020 flow counts, computed from the search log and the screening record.

Every search logs how many records it returned (``hits``) and how many were read beyond the
title (``screened``); every record read beyond its title has a row in ``screening.csv``
with its decision. The counts are derived, never typed:

- identified: the sum of hits over all searches (for a search whose export was imported,
  ``litreview check`` holds its hits equal to the records imported);
- duplicates removed: records the de-duplication of imported exports removed (its log,
  ``imports/dedup_log.csv``), plus the same record met again in another search's screening;
- excluded on title: hits neither read beyond the title nor removed as duplicates;
- assessed: distinct records read beyond the title;
- excluded after assessment, with the reasons tallied; included: distinct included records;
- studies in the review: distinct studies with evidence rows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from ..tables.schema import EXCLUSION_REASONS

NOT_RETRIEVED = "not-retrieved"  # the exclusion reason of a report sought and not found (its own PRISMA box)


@dataclass(frozen=True)
class PrismaCounts:
    searches: int
    identified: int
    excluded_on_title: int
    screening_rows: int
    duplicates: int
    assessed: int
    excluded: int
    included_records: int
    studies_in_review: int
    exclusion_reasons: dict[str, int] = field(default_factory=dict)
    # PRISMA 2020's full-text boxes, from the screening rows at stage full-text
    reports_sought: int = 0
    reports_not_retrieved: int = 0
    reports_assessed: int = 0
    reports_excluded: int = 0
    # records imported by a search and not yet decided at title/abstract (imports only)
    not_yet_screened: int = 0
    imports: bool = False
    # the reasons of the records that left at each stage, one box each: at title/abstract, and at
    # full text once retrieved (the reports not retrieved have a box of their own, counted once)
    full_text_reasons: dict[str, int] = field(default_factory=dict)
    title_abstract_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def excluded_at_title_abstract(self) -> int:
        """Records whose last decision, an exclusion, was made at title/abstract (the full-text
        exclusions and the reports not retrieved have boxes of their own)."""
        return self.excluded - self.reports_excluded - self.reports_not_retrieved

    def as_frame(self) -> pd.DataFrame:
        labels = [("searches run", self.searches), ("records identified", self.identified),
                  ("excluded on title", self.excluded_on_title),
                  *([("records not yet screened", self.not_yet_screened)] if self.imports else []),
                  ("duplicates removed", self.duplicates), ("records assessed", self.assessed),
                  ("records excluded after assessment", self.excluded),
                  ("records included", self.included_records),
                  ("reports sought for retrieval", self.reports_sought),
                  ("reports not retrieved", self.reports_not_retrieved),
                  ("reports assessed for eligibility", self.reports_assessed),
                  ("reports excluded", self.reports_excluded),
                  ("studies in the evidence table", self.studies_in_review)]
        return pd.DataFrame(labels, columns=["stage", "count"])


def counts(search_log: pd.DataFrame, screening: pd.DataFrame, evidence: pd.DataFrame,
           removed_on_import: int = 0, imported: dict[str, int] | None = None) -> PrismaCounts:
    """``removed_on_import``: the rows of the imports' dedup log (0 when nothing was imported);
    ``imported``: the records imported per search id.

    A search logged by hand counts its ``screened`` records as read and the rest of its hits as
    excluded on title. A search whose records were imported (``litreview search`` or
    ``litreview import``) counts as read the records with a title/abstract decision; the rest
    are not yet screened, never excluded."""
    identified = int(search_log["hits"].sum())
    imported = imported or {}
    stage = screening["stage"] if "stage" in screening else pd.Series("title-abstract", index=screening.index)
    title_stage = screening[stage == "title-abstract"]
    read = awaiting = 0
    for sid, screened in zip(search_log["search_id"], search_log["screened"]):
        if sid in imported:
            decided = title_stage.loc[title_stage["search_id"] == sid, "record_key"].nunique()
            read += decided
            awaiting += imported[sid] - decided
        else:
            read += int(screened)
    awaiting = max(0, awaiting - removed_on_import) if imported else 0
    # a record's decision is the one of its last stage (full text over title/abstract); within a
    # stage, an include by any search stands
    last = screening[stage == stage.groupby(screening["record_key"]).transform(
        lambda s: "full-text" if (s == "full-text").any() else "title-abstract")]
    included = set(last.loc[last["decision"] == "include", "record_key"])
    excluded_rows = last[(last["decision"] == "exclude") & ~last["record_key"].isin(included)]
    excluded = set(excluded_rows["record_key"])
    leaving = excluded_rows.drop_duplicates("record_key")
    reasons = Counter(_reason_class(r) for r in leaving["reason"])
    at_full_text = stage[leaving.index] == "full-text"
    retrieved = leaving["reason"] != NOT_RETRIEVED
    full_text_reasons = Counter(_reason_class(r) for r in leaving.loc[at_full_text & retrieved, "reason"])
    title_abstract_reasons = Counter(_reason_class(r) for r in leaving.loc[~at_full_text, "reason"])
    assessed = len(set(screening["record_key"]))
    # one record read at title/abstract and again at full text is one record at two stages;
    # only the same record met again at the same stage (another search found it) is a duplicate
    readings = len(set(zip(screening["record_key"], stage)))
    full = screening[stage == "full-text"]
    sought = set(full["record_key"])
    not_retrieved = set(full.loc[(full["decision"] == "exclude") & (full["reason"] == NOT_RETRIEVED), "record_key"])
    full_included = set(full.loc[full["decision"] == "include", "record_key"])
    reports_excluded = set(full.loc[full["decision"] == "exclude", "record_key"]) - not_retrieved - full_included
    return PrismaCounts(
        searches=len(search_log), identified=identified,
        excluded_on_title=identified - read - removed_on_import - awaiting, not_yet_screened=awaiting,
        imports=bool(imported),
        screening_rows=len(screening), duplicates=len(screening) - readings + removed_on_import, assessed=assessed,
        excluded=len(excluded), included_records=len(included),
        studies_in_review=int(evidence["study_key"].nunique()),
        exclusion_reasons=dict(reasons.most_common()), full_text_reasons=dict(full_text_reasons.most_common()),
        title_abstract_reasons=dict(title_abstract_reasons.most_common()),
        reports_sought=len(sought), reports_not_retrieved=len(not_retrieved - full_included),
        reports_assessed=len(sought - (not_retrieved - full_included)), reports_excluded=len(reports_excluded))


_REASON_CLASSES = (
    ("duplicate", ("duplicate", "same trial", "already included", "covered by")),
    ("not a study", ("blog", "news", "press", "not a study", "commercial", "promotional", "book", "website")),
    ("record incomplete", ("no abstract", "not displayed", "not shown", "not visible", "no author", "missing",
                           "could not", "cannot", "unverif", "truncated", "no identif", "no year")),
    ("wrong intervention", ("intervention", "drug", "needle", "exercise", "surgery")),
    ("wrong population", ("population", "children", "infant", "animal")),
    ("wrong outcome or topic", ("outcome", "topic", "unrelated", "irrelevant", "off-topic", "not relevant")),
)


def _reason_class(reason: str | None) -> str:
    """A reason of the screening vocabulary (litreview.tables.schema.EXCLUSION_REASONS, what the
    screen command and widget write) is taken as it stands; only older free-text reasons are
    classed by the words they contain."""
    if reason in EXCLUSION_REASONS:
        return reason.replace("-", " ")
    text = (reason or "").lower()
    for name, words in _REASON_CLASSES:
        if any(w in text for w in words):
            return name
    return "other"


def counts_of(review) -> PrismaCounts:
    """The PRISMA 2020 counts of a loaded review, its imports' de-duplication included, from
    each record's final decisions (with two reviewers: agreed or settled; a record still awaiting
    one is not screened yet)."""
    imports = review.imports
    return counts(review.search_log, review.final_screening, review.evidence, imports.removed, imports.by_search())
