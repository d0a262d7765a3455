"""The tables of a review's imported records, under ``data/<review>/imports/``: their columns
(the vocabularies of the importers and of de-duplication live here, with every other table's)
and the loader. The writers are in :mod:`litreview.collect.imports`.

- ``manifest.csv``: one row per imported file (name, SHA-256, format, search id, records,
  blocks skipped, date);
- ``records.csv``: every record read, in :data:`RECORD_COLUMNS`, none removed;
- ``dedup_log.csv``: one row per record judged a duplicate (:data:`DEDUP_LOG_COLUMNS`);
- ``dedup_decisions.csv``: the reviewer's reversals and forced merges (:data:`DECISION_COLUMNS`).

These are read with pandas rather than :func:`litreview.tables.schema.read_table`: a library
holds 100,000 records, and cell-by-cell validation would cost seconds on every read. Their
header is checked against the columns here, with the file and column named.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import paths
from .schema import Problem, SchemaError

FOLDER = "imports"
RECORD_COLUMNS = ("record_id", "source_file", "source_line", "search_id", "entry_type", "authors",
                  "title", "journal", "year", "volume", "issue", "pages", "doi", "pmid", "abstract")
MANIFEST_COLUMNS = ("file", "sha256", "format", "search_id", "records", "skipped", "imported")
DEDUP_LOG_COLUMNS = ("record_id", "duplicate_of", "rule", "score", "detail")
DECISION_COLUMNS = ("record_id", "duplicate_of", "decision")
DECISIONS = ("keep-apart", "merge")
RULES = ("doi", "pmid", "title-year-author", "fuzzy-title")
REVIEWER = "reviewer"
FILES = {"manifest": "manifest.csv", "records": "records.csv", "log": "dedup_log.csv",
         "decisions": "dedup_decisions.csv"}
COLUMNS = {"manifest": MANIFEST_COLUMNS, "records": RECORD_COLUMNS, "log": DEDUP_LOG_COLUMNS,
           "decisions": DECISION_COLUMNS}


@dataclass
class Imports:
    """A review's imported records, their provenance and their de-duplication."""

    manifest: pd.DataFrame
    records: pd.DataFrame
    log: pd.DataFrame
    decisions: pd.DataFrame

    @property
    def removed(self) -> int:
        return len(self.log)

    def by_search(self) -> dict[str, int]:
        """Records imported per search id."""
        return {k: int(v) for k, v in self.records.groupby("search_id").size().items() if k}

    def by_rule(self) -> dict[str, int]:
        counts = self.log["rule"].value_counts()
        return {rule: int(counts.get(rule, 0)) for rule in (*RULES, REVIEWER) if counts.get(rule, 0)}

    def describe(self) -> str:
        """``3,822 records; duplicates 8 (doi 7, fuzzy-title 1); unique 3,814``"""
        rules = ", ".join(f"{rule} {n:,}" for rule, n in self.by_rule().items()) or "none"
        return (f"{len(self.records):,} records; duplicates {self.removed:,} ({rules}); "
                f"unique {len(self.records) - self.removed:,}")


def folder(review: str, root: Path | None = None) -> Path:
    return paths.data_dir(review, root) / FOLDER


def _read(path: Path, label: str) -> pd.DataFrame:
    """One table of the folder as strings (a leading BOM dropped); a file pandas cannot parse
    (cut inside a quoted field, not UTF-8) is a :class:`SchemaError` naming it."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.ParserError as exc:
        reason = str(exc).strip().removeprefix("Error tokenizing data. ")
        raise SchemaError([Problem(label, None, None, f"malformed CSV ({reason}); the file is damaged: "
                                   "restore it from a backup or version control, or import the exports again "
                                   "into an empty imports/ folder")]) from None
    except UnicodeDecodeError as exc:
        raise SchemaError([Problem(label, None, None, f"not UTF-8 text: byte 0x{exc.object[exc.start]:02x} "
                                   f"at byte {exc.start}")]) from None


def load(review: str, root: Path | None = None) -> Imports:
    """The imports of a review; empty tables when nothing was imported. A swap of the folder
    that a crash cut short is finished or rolled back first (:func:`litreview.paths.recovered`)."""
    base = paths.recovered(folder(review, root))
    frames = {}
    for name, filename in FILES.items():
        path = base / filename
        if path.is_file():
            label = f"data/{review}/{FOLDER}/{filename}"
            frame = _read(path, label)
            missing = [c for c in COLUMNS[name] if c not in frame.columns]
            if missing:
                raise SchemaError([Problem(label, 1, None, f"missing column(s) {', '.join(missing)}")])
        else:
            frame = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS[name]})
        frames[name] = frame[list(COLUMNS[name])]
    frames["log"]["score"] = pd.to_numeric(frames["log"]["score"])
    return Imports(**frames)


