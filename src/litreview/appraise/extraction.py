"""From an included study to an evidence row: numbering, pre-filling, validating and appending
one row of ``evidence.csv``, and the claim's grade before and after.

The functions here are what the extraction form (:mod:`litreview.workbook.extraction_form`) calls;
they hold no widget and can be driven from a script.

- A row is a dict of :data:`litreview.tables.schema.EVIDENCE` column names to values (``None`` or
  ``""`` for an empty cell; numbers as numbers or as the text a reviewer typed).
- :func:`validate_row` reports every problem of the row as ``file:row:column: message``, the
  row being the line the row will have once appended, in the words ``litreview check`` uses:
  the row is read by :func:`litreview.tables.schema.parse_table` in the text the file would have once
  written, so the column checks, the row checks and the unique id are the schema's own; then
  its claim and study are cross-checked by :class:`litreview.tables.review.Review`'s own link
  checks.
- :func:`append_row` refuses a row with any problem and writes nothing; otherwise it numbers
  the row and swaps the new file in at once (see its docstring), every other row kept byte
  for byte.
- What ``litreview check`` will still ask for after a save is not a reason to refuse the row,
  since a reviewer extracts before appraising: risk-of-bias rows of a new study
  (``rob.csv``) and the reviewer's explanation of a claim now worked on
  (``explanations.csv``), or an explanation that names a verdict the new row changed.
  :func:`litreview.checks.still_needed` lists those problems so the form can say what is left; nothing here
  writes them.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from pathlib import Path

import pandas as pd

from .. import paths
from ..tables.review import ROB_MISSING, Review
from ..tables.schema import CLAIMS, EVIDENCE, Problem, SchemaError, decode_text, parse_table, read_table

ID_PATTERN = re.compile(r"E([0-9]+)")
ID_LIMIT = 9999  # the schema's pattern, E[0-9]{3,4}

# Carried over by prefill_from: what the study is and found, which does not depend on the claim.
# Not carried: the direction and the indirectness (with its note), which are judged against
# the claim exactly as the article states it; a copy leaves them empty, so the row cannot be
# saved until the reviewer has judged them for the new claim.
COPIED = ("study_key", "design", "population", "n", "intervention", "comparator", "outcome", "effect_measure",
          "effect", "ci_low", "ci_high", "finding", "locator", "review_certainty")
REJUDGED = ("direction", "indirectness", "indirectness_note")
TEXT_COLUMNS = ("population", "intervention", "comparator", "outcome", "indirectness_note", "finding", "locator")



class RowRefused(SchemaError):
    """The row has problems and nothing was written; ``messages`` lists them as
    ``file:row:column: message``."""

    @property
    def messages(self) -> list[str]:
        return [str(p) for p in self.problems]


# --- reading ----------------------------------------------------------------------------------

def evidence_path(review: str, root: Path | None = None) -> Path:
    return paths.data_dir(review, root) / EVIDENCE.filename


def _load(review: str | Review, root: Path | None) -> Review:
    return review if isinstance(review, Review) else Review.load(review, root)


def _label(rv: Review) -> str:
    return rv.label(evidence_path(rv.name, rv.root))


def _read_evidence(rv: Review) -> pd.DataFrame:
    """``evidence.csv`` read now (empty when absent); a table that does not read is an error,
    since a row cannot be numbered or appended safely after rows that do not parse."""
    path = evidence_path(rv.name, rv.root)
    if not path.is_file():
        return EVIDENCE.empty()
    return read_table(path, EVIDENCE, _label(rv))


def _next_id(ids) -> str:
    numbers = [int(m.group(1)) for i in ids if i and (m := ID_PATTERN.fullmatch(str(i)))]
    n = max(numbers, default=0) + 1
    if n > ID_LIMIT:
        raise ValueError(f"evidence ids are used up to E{ID_LIMIT}; the schema allows no more")
    return f"E{n:03d}"


def next_evidence_id(review: str | Review, root: Path | None = None) -> str:
    """The id the next row gets: one past the highest ``E<number>`` in ``evidence.csv``
    (``E001`` for none). Gaps left by deleted rows are not reused, so an id never names two
    different rows over the review's history."""
    return _next_id(_read_evidence(_load(review, root))["evidence_id"])


# --- making a row -----------------------------------------------------------------------------

def blank_row(claim_id: str | None = None, study_key: str | None = None) -> dict:
    """A row with every column empty but the claim and the study."""
    row = dict.fromkeys(EVIDENCE.names)
    row.update(claim_id=claim_id, study_key=study_key)
    return row


def prefill_from(review: str | Review, evidence_id: str, claim_id: str, root: Path | None = None) -> dict:
    """A new row for ``claim_id`` copied from row ``evidence_id`` (another claim's row of the
    same study): the study, design, PICO, n, effect, finding and locator are copied; the
    direction, the indirectness and its note are left empty, to be judged afresh against
    the new claim as the article states it (see :data:`REJUDGED`). The row has no id until
    it is appended. ``claim_id`` may be the row's own claim, for another outcome of the
    same study."""
    evidence = _read_evidence(_load(review, root))
    found = evidence[evidence["evidence_id"] == evidence_id]
    if found.empty:
        raise KeyError(f"no evidence row {evidence_id!r} in {evidence.attrs.get('path', EVIDENCE.filename)}")
    source = found.iloc[0].to_dict()
    row = blank_row(claim_id, source["study_key"])
    row.update({c: source[c] for c in COPIED})
    if row["n"] is not None:
        row["n"] = int(row["n"])  # a count, though pandas holds the column as floats beside empty cells
    return row


# --- checking ---------------------------------------------------------------------------------

def cell_text(value) -> str:
    """A value as the text of its cell: empty for nothing, numbers without a stray ``.0`` for
    whole counts, text with its runs of whitespace (a text area's line breaks) made one space,
    so each row stays one tidy line."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return " ".join(str(value).split())


def _line(row: dict, names: list[str] | None = None) -> list[str]:
    """The row's cells in the order of ``names`` (a file's header; every column by default). A
    table written before a column was added has no cell for it: a value there is refused."""
    names = names or EVIDENCE.names
    unknown = [k for k in row if k not in EVIDENCE.names]
    if unknown:
        raise ValueError(f"unknown evidence column(s) {', '.join(unknown)}; expected only {', '.join(EVIDENCE.names)}")
    absent = [k for k in row if k not in names and cell_text(row.get(k))]
    if absent:
        raise ValueError(f"evidence.csv has no column {', '.join(absent)}; add it to the header to record a value")
    return [cell_text(row.get(name)) for name in names]


def _header_of(existing: bytes) -> list[str]:
    first = existing.split(b"\n", 1)[0].decode("utf-8", errors="replace").removeprefix("\ufeff")
    return [h.strip() for h in next(csv.reader([first.rstrip("\r")]))]


def _candidate(existing: bytes | None, row: dict) -> tuple[bytes, int]:
    """The bytes of ``evidence.csv`` with ``row`` appended, and the row's line number. The
    existing bytes are kept as they are; the new line follows the file's own line ending."""
    newline = "\r\n" if existing and existing.split(b"\n", 1)[0].endswith(b"\r") else "\n"
    text = io.StringIO()
    writer = csv.writer(text, lineterminator=newline)
    if not existing:
        writer.writerow(EVIDENCE.names)
        prefix = b""
    else:
        prefix = existing if existing.endswith(b"\n") else existing + newline.encode()
    writer.writerow(_line(row, _header_of(existing) if existing else None))
    line = prefix.count(b"\n") + 1 if existing else 2
    return prefix + text.getvalue().encode("utf-8"), line


def _problems(rv: Review, row: dict, data: bytes, line: int) -> list[Problem]:
    """Every problem that blocks appending ``row``: ``data`` is the candidate (the table with
    the row appended, at ``line``), read through the schema as the file would be."""
    label = _label(rv)
    problems: list[Problem] = []
    # the tables the cross-checks stand on must have loaded, or an unknown id would pass unseen
    needed = {rv.label(paths.data_dir(rv.name, rv.root) / CLAIMS.filename),
              rv.label(paths.references_dir(rv.name, rv.root) / "library.bib")}
    problems += [p for p in rv.problems if p.path in needed]
    try:
        parse_table(decode_text(data, label), EVIDENCE, label)
    except SchemaError as exc:
        problems += exc.problems
    # Review's own link checks, on the new row alone (the raw values, so an unknown claim or
    # study is reported even beside a schema problem of the same row)
    raw = dict(zip(EVIDENCE.names, _line(row)))
    alone = pd.DataFrame([raw], columns=EVIDENCE.names)
    alone.attrs.update(path=label, lines=[line])
    probe = dataclasses.replace(rv, tables={**rv.tables, EVIDENCE.filename: alone})
    problems += [p for p in probe._check_links()
                 if p.path == label and p.row == line and not _rob_follow_up(p, raw)]
    return problems


def _rob_follow_up(problem: Problem, raw: dict) -> bool:
    return problem.code == ROB_MISSING and problem.subject == raw["study_key"]


def validate_row(review: str | Review, row: dict, root: Path | None = None) -> list[str]:
    """Every problem of ``row`` as ``data/<review>/evidence.csv:<row>:<column>: message``, in
    the words of ``litreview check``; empty when the row can be appended. The row is checked
    as :func:`append_row` would write it: with the next id, after the rows there now (whose
    own problems are listed too: nothing is appended to a table that does not read).
    Nothing is written to the review."""
    rv = _load(review, root)
    path = evidence_path(rv.name, rv.root)
    existing = path.read_bytes() if path.is_file() else None
    row = {**row, "evidence_id": _next_id(_ids(rv, existing))}
    data, line = _candidate(existing, row)
    return [str(p) for p in _problems(rv, row, data, line)]


def _ids(rv: Review, existing: bytes | None) -> list[str]:
    """The evidence ids in ``existing``, read loosely (a table with problems is still
    numbered past its highest id, so validation can report those problems)."""
    if not existing:
        return []
    rows = csv.DictReader(io.StringIO(existing.decode("utf-8", "replace").lstrip("\ufeff"), newline=""))
    return [r.get("evidence_id") or "" for r in rows]


# --- writing ----------------------------------------------------------------------------------

def locked(review: str, root: Path | None = None):
    """Hold the review's evidence lock (``fcntl.flock``, exclusive, blocking) for the block."""
    return paths.locked(evidence_path(review, root))


def append_row(review: str | Review, row: dict, root: Path | None = None) -> str:
    """Append ``row`` to ``evidence.csv`` and return its id.

    Under the review's evidence lock the file is read again, the row numbered past its
    highest id (any id in ``row`` is replaced, so two open forms cannot take the same one)
    and validated as :func:`validate_row` does; a row with any problem raises
    :class:`RowRefused` and nothing is written. Otherwise the whole new file, the old bytes
    unchanged followed by the new line, is written beside it, flushed to disk and swapped in
    with ``os.replace`` (:func:`litreview.paths.replacing`): a crash leaves the old file or
    the new one, never half a row."""
    rv = _load(review, root)
    with locked(rv.name, rv.root) as path:
        existing = path.read_bytes() if path.is_file() else None
        row = {**row, "evidence_id": _next_id(_ids(rv, existing))}
        data, line = _candidate(existing, row)
        problems = _problems(rv, row, data, line)
        if problems:
            raise RowRefused(problems)
        with paths.replacing(path) as file:
            file.write_bytes(data)
    return row["evidence_id"]


# --- the claim's grade, before and after --------------------------------------------------------

__all__ = ["COPIED", "REJUDGED", "RowRefused", "append_row", "blank_row", "next_evidence_id",
           "prefill_from", "validate_row"]
