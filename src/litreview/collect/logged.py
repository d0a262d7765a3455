"""Searches run in a database's own interface, and imports taken back.

- :func:`log_search` (``litreview log-search``) records a search run elsewhere (Embase, Scopus,
  a registry's web page): its source, date, query, the count the interface reported and the
  claims it was for, as a new ``search_log.csv`` row with the next id. Its export is then
  imported under that id (``litreview import FILE --search-id S00N``).
- :func:`undo_import` (``litreview undo-import``) removes one imported file (or every file of a
  search) from ``data/<review>/imports/`` and de-duplicates what is left, so a wrong import can
  be done again; it refuses while screening decisions still name the file's records.

Both write beside the file and swap it in (``paths.replacing``, ``paths.staged``) under the
table's lock: an interrupted command leaves the old table or the new one, never half of either.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import paths
from ..tables.imports import Imports, folder, load
from ..tables.review import Review
from ..tables.schema import SCREENING, SEARCH_LOG
from .dedup import find_duplicates
from .imports import ImportRefused, _write
from .search import _next_search_id, append_log, claims_refusal


class LogRefused(ValueError):
    """The search cannot be logged; nothing was written."""


def log_search(review: str, source: str, query: str, claim_ids: list[str], hits: int, *, date: str = "",
               note: str = "", root: Path | None = None) -> str:
    """Append a search run elsewhere to ``search_log.csv``; return its new id. The row is read
    back through the table's schema before the file is replaced, so a bad date or count is
    refused with the file, row and column named and nothing written."""
    root = root or paths.project_root()
    rv = Review.load(review, root)
    refusal = claims_refusal(rv, claim_ids)
    if refusal:
        raise LogRefused(refusal)
    if not source.strip() or not query.strip():
        raise LogRefused("--source and --query: name the database and give the query as you ran it there")
    log_path = paths.data_dir(review, root) / SEARCH_LOG.filename
    label = rv.label(log_path)
    with paths.locked(log_path):
        search_id = _next_search_id(log_path)
        append_log(log_path, log_path.read_bytes() if log_path.is_file() else None,
                   [search_id, " ".join(claim_ids), source.strip(), query.strip(),
                    date or dt.date.today().isoformat(), hits, 0,
                    note or "run in the database's own interface; its export is imported under this id"], label)
    return search_id


@dataclass
class Undone:
    """What :func:`undo_import` took back."""

    files: list[str]
    search_ids: list[str]
    records: int
    left: Imports

    def describe(self, review: str) -> str:
        searches = ", ".join(s for s in self.search_ids if s) or "no search"
        return (f"removed {', '.join(self.files)} ({self.records:,} records, {searches}) from data/{review}/"
                f"imports/; left: {self.left.describe()}. The search_log.csv row stays: import the right "
                "export under its id, or remove the row by hand if the search itself was wrong")


def undo_import(review: str, target: str, root: Path | None = None) -> Undone:
    """Remove the imported file named ``target`` (its file name, as ``manifest.csv`` shows it)
    or every file imported under the search id ``target``, with their records and the
    reviewer's de-duplication decisions on them, and de-duplicate the rest again."""
    root = root or paths.project_root()
    current = load(review, root)
    manifest = current.manifest
    chosen = manifest[(manifest["file"] == target) | (manifest["search_id"] == target)]
    if chosen.empty:
        listed = ", ".join(f"{f} ({s or 'no search id'})" for f, s in zip(manifest["file"], manifest["search_id"]))
        raise ImportRefused(f"nothing imported as {target!r} in data/{review}/imports/manifest.csv; "
                            f"imported: {listed or 'nothing yet'}")
    files = list(chosen["file"])
    gone = current.records["source_file"].isin(files)
    ids = set(current.records.loc[gone, "record_id"])
    screening = paths.data_dir(review, root) / SCREENING.filename
    if screening.is_file():
        decided = pd.read_csv(screening, dtype=str, keep_default_na=False, encoding="utf-8")
        named = sorted(set(decided.get("record_key", pd.Series(dtype=str))) & ids)
        if named:
            raise ImportRefused(f"data/{review}/{SCREENING.filename} has decisions on {len(named)} of these records "
                                f"({', '.join(named[:5])}{' …' if len(named) > 5 else ''}): undo them first "
                                f"(litreview screen undo RECORD_ID --review {review}); nothing was removed")
    records = current.records[~gone].reset_index(drop=True)
    decisions = current.decisions
    if len(decisions):
        decisions = decisions[~(decisions["record_id"].isin(ids) | decisions["duplicate_of"].isin(ids))]
    log = find_duplicates(records, decisions if len(decisions) else None, progress=False)
    left = Imports(manifest[~manifest["file"].isin(files)].reset_index(drop=True), records, log,
                   decisions.reset_index(drop=True))
    _write(folder(review, root), left)
    return Undone(files, sorted(set(chosen["search_id"])), int(gone.sum()), left)


__all__ = ["LogRefused", "Undone", "log_search", "undo_import"]
