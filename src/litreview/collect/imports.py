"""Collect database exports into a review: ``litreview import`` and ``litreview dedup``.

A review's imported records live in ``data/<review>/imports/``:

- ``manifest.csv``: one row per imported file (name, SHA-256, format, search id, records,
  blocks skipped, date), so the same export is never imported twice;
- ``records.csv``: every record read, in the normalised columns of
  :data:`litreview.collect.importers.RECORD_COLUMNS`, none removed;
- ``dedup_log.csv``: one row per record judged a duplicate, with the record kept, the rule,
  the score and the evidence (:func:`litreview.collect.dedup.find_duplicates`);
- ``dedup_decisions.csv``: the reviewer's reversals (``keep-apart``) and forced merges, which
  every later de-duplication honours.

The log is recomputed from all records and the decisions at every import, so it always
describes the whole library. The folder is written beside its final place and swapped in
only when everything succeeded: a bad export stops the import with nothing written. An
import or de-duplication holds the folder's lock (``.imports.lock`` beside it,
:func:`litreview.paths.locked`) from reading the tables to swapping the new ones in, so two at
once run one after the other and neither loses the other's records. Files of the folder
that are not these tables (an export the reviewer keeps there) are carried into the new
folder unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import paths
from ..tables.imports import (
    COLUMNS,
    DECISIONS,
    FILES,
    FOLDER,
    MANIFEST_COLUMNS,
    Imports,
    folder,
    load,
)
from ..tables.review import Review
from ..tables.schema import Problem
from .dedup import find_duplicates
from .importers import detect_format, read_files


class ImportRefused(ValueError):
    """The import cannot go ahead; nothing was written."""


@dataclass
class ImportSummary:
    """What one import read (a row per file), skipped, and left in the library."""

    files: list[dict]
    skipped: list[Problem]
    warnings: list[Problem]
    before: int
    library: Imports
    seconds: float


def import_files(review: str, files: Sequence[Path], *, search_id: str = "", skip_bad: bool = False,
                 root: Path | None = None, progress: bool = True,
                 say: Callable[[str], None] = lambda s: None) -> ImportSummary:
    """Read the exports, add their records to the review, de-duplicate the whole library."""
    started = time.perf_counter()
    root = root or paths.project_root()
    with _locked(review, root):
        return _import_files(review, files, search_id, skip_bad, root, progress, say, started)


def _import_files(review: str, files: Sequence[Path], search_id: str, skip_bad: bool, root: Path,
                  progress: bool, say: Callable[[str], None], started: float) -> ImportSummary:
    """:func:`import_files` under the imports' lock."""
    review_obj = Review.load(review, root)
    if not search_id:
        raise ImportRefused(f"no --search-id: every export comes from a logged search. Log it first with "
                            f"litreview log-search --review {review} --source DATABASE --query QUERY --hits N "
                            "--claims C01, then import under the id it prints; nothing was written")
    if search_id not in set(review_obj.search_log["search_id"]):
        raise ImportRefused(f"search {search_id!r} is not in data/{review}/search_log.csv: log the search "
                            "first (its source, query, date and hits), then import its export")
    current = load(review, root)
    files = [Path(f) for f in files]
    for f in files:
        if f.is_dir():
            raise ImportRefused(f"{f}: is a folder; name the export files in it")
        if not f.is_file():
            raise ImportRefused(f"{f}: no such file")
    digests = {}
    for f in files:
        with f.open("rb") as handle:  # streamed: an export may be hundreds of megabytes
            digests[f] = hashlib.file_digest(handle, "sha256").hexdigest()
    seen = dict(zip(current.manifest["sha256"], current.manifest["file"]))
    names = set(current.manifest["file"])
    for f in files:
        if digests[f] in seen:
            raise ImportRefused(f"{f}: already imported (as {seen[digests[f]]}); nothing was written")
        if f.name in names:
            raise ImportRefused(f"{f}: a file named {f.name!r} was imported before, and record ids are "
                                "<file name>:<n>; rename this export (nothing was written)")
    result = read_files(files, search_id=search_id, skip_bad=skip_bad, progress=progress)
    records = pd.concat([current.records, result.records], ignore_index=True)
    say(f"de-duplicating {len(records):,} records ...")
    log = find_duplicates(records, current.decisions if len(current.decisions) else None, progress=progress)
    today = dt.date.today().isoformat()
    counts = result.records.groupby("source_file").size()
    rows = [{"file": f.name, "sha256": digests[f], "format": detect_format(f), "search_id": search_id,
             "records": int(counts.get(f.name, 0)),
             "skipped": sum(1 for p in result.skipped if p.path == f.name), "imported": today} for f in files]
    manifest = pd.concat([current.manifest, pd.DataFrame(rows, columns=list(MANIFEST_COLUMNS))], ignore_index=True)
    updated = Imports(manifest, records, log, current.decisions)
    _write(folder(review, root), updated)
    return ImportSummary(rows, result.skipped, result.warnings, before=len(current.records), library=updated,
                         seconds=time.perf_counter() - started)


def decide(review: str, record_id: str, duplicate_of: str, decision: str, root: Path | None = None) -> Imports:
    """Record a reviewer's decision on a pair and de-duplicate again under it."""
    if decision not in DECISIONS:
        raise ImportRefused(f"decision {decision!r}: expected one of {', '.join(DECISIONS)}")
    with _locked(review, root):
        return _decide(review, record_id, duplicate_of, decision, root)


def _decide(review: str, record_id: str, duplicate_of: str, decision: str, root: Path | None) -> Imports:
    current = load(review, root)
    known = set(current.records["record_id"])
    for rid in (record_id, duplicate_of):
        if rid not in known:
            raise ImportRefused(f"no imported record {rid!r} in data/{review}/{FOLDER}/records.csv")
    pair = {record_id, duplicate_of}
    kept = current.decisions[current.decisions.apply(
        lambda r: {r["record_id"], r["duplicate_of"]} != pair, axis=1)] if len(current.decisions) else current.decisions
    decisions = pd.concat([kept, pd.DataFrame([{"record_id": record_id, "duplicate_of": duplicate_of,
                                                "decision": decision}])], ignore_index=True)
    return rededup(review, root, decisions)


def rededup(review: str, root: Path | None = None, decisions: pd.DataFrame | None = None) -> Imports:
    """De-duplicate the imported records again (after the decisions changed)."""
    with _locked(review, root):
        current = load(review, root)
        decisions = current.decisions if decisions is None else decisions
        log = find_duplicates(current.records, decisions if len(decisions) else None)
        updated = Imports(current.manifest, current.records, log, decisions)
        _write(folder(review, root), updated)
        return updated


def _locked(review: str, root: Path | None):
    """The imports folder's lock, for a review that exists (a lock never creates one)."""
    if not paths.data_dir(review, root).is_dir():
        raise FileNotFoundError(f"no review named {review!r}: data/{review} does not exist "
                                f"(reviews: {', '.join(paths.reviews(root)) or 'none'})")
    return paths.locked(folder(review, root))


def _write(target: Path, imports: Imports) -> None:
    """Write every table into a new folder, with the folder's other files (hard links, or
    copies across file systems), then swap it in for the old one."""
    with paths.staged(target) as tmp:
        for kept in (target.iterdir() if target.is_dir() else ()):
            if kept.name not in FILES.values() and not kept.name.startswith("."):
                if kept.is_dir():
                    shutil.copytree(kept, tmp / kept.name)
                else:
                    try:
                        os.link(kept, tmp / kept.name)
                    except OSError:
                        shutil.copy2(kept, tmp / kept.name)
        for name, filename in FILES.items():
            getattr(imports, name).to_csv(tmp / filename, index=False, columns=list(COLUMNS[name]),
                                          encoding="utf-8", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
