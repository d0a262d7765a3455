"""Read database exports (RIS, PubMed MEDLINE, BibTeX, CSV) into one normalised record table.

Method
------
Every file is read as a stream of text, a megabyte at a time, never whole: UTF-8 (a leading BOM
is dropped; a file that starts with a UTF-16 BOM is read as UTF-16, the one documented
fallback), with CR, LF and CRLF all ending a line, in any mix. Line numbers count lines that
way, so they match what an editor shows. A byte that is not UTF-8 stops the import with the
file and line where it sits; there is no guessing of other encodings.

The format is told from the content (:func:`detect_format`): ``TY  -`` starts RIS,
``PMID-`` starts MEDLINE, an ``@type{`` line BibTeX, and a header line with a title column
CSV; the file extension only breaks a tie when the content says nothing.

Each reader cuts its file into blocks (one per record) and tracks the line where each
block starts:

- RIS: a record runs from ``TY  -`` to ``ER  -``; a line of another shape continues the
  previous tag (for rispy's list tags such as ``KW`` and ``AU`` it adds an item, otherwise
  it is joined with a space). Tag names follow rispy's mapping (``rispy.config``). The lines
  are split here rather than by ``rispy.load``, which accepts a record without ``ER`` or a
  misspelt tag without a word and cannot say on which line a record starts; splitting here
  also keeps the read of 100,000 records within a few seconds.
- MEDLINE (.nbib): records are separated by blank lines; a line is a tag (``TI  - ``) or a
  continuation indented by six spaces.
- BibTeX: parsed by bibtexparser v2's splitter in chunks of whole blocks (large files in
  worker processes, as the splitter is pure Python). A line whose first non-blank character
  is ``%`` is a TeX comment and is blanked first (line numbers are kept), so commented-out
  fields do not break an entry. Entries with a duplicate key, and entries repeating a field
  (the first value is kept, as BibTeX does), are kept: nothing is dropped for being a
  duplicate, which is de-duplication's job. The parser accepts a value that runs on into
  the next ``name =`` line (a missing comma); that entry is reported here. ``@string``
  macros are resolved; ``#`` concatenation is not. Any entry type is kept as written
  (``@thesis``, ``@online``). LaTeX in values becomes plain text through the project's one
  decoder (:func:`litreview.tables.latex.to_text`, pylatexenc: ``\\emph{In vivo}`` is ``In vivo``).
- CSV: comma, semicolon or tab separated (tab files are read without quote handling, as
  Web of Science writes them); columns are found through aliases (:data:`CSV_ALIASES`),
  case and surrounding spaces ignored. A file without a title column is an error naming the
  columns found.

A block that cannot be read (a RIS record without ``ER  -`` before the next ``TY  -``, a
line shaped like a misspelt tag, a BibTeX block the parser rejects, a CSV row with the wrong
number of fields, a MEDLINE record with neither title nor PMID ...) becomes a
:class:`~litreview.tables.schema.Problem` naming ``file:line``. Without ``skip_bad`` the whole list
is raised as :class:`~litreview.tables.schema.SchemaError` once the file is read; with it the good
records are returned and :attr:`ImportResult.skipped` lists every skipped block. Nothing is
written anywhere.

Normalisation: authors as written, joined by ``"; "``; DOI through
:func:`litreview.tables.bib.normalise_doi` (kept only when it is a DOI); PMID digits, taken
only where the export marks it (MEDLINE ``PMID``, a ``pmid`` field or column, ``PMID: n`` or
``PUBMED-n`` in a note, a RIS accession number of a PubMed record, a PubMed address); year
the first four-digit year of the date field; pages as written (``SP``/``EP`` and start/end
columns joined with ``-``, BibTeX ``--`` as ``-``). Every value is a string, ``""`` when missing.
``record_id`` is ``<file name>:<n>`` where ``n`` counts every block of the file, read or
skipped, so an id does not change when ``skip_bad`` is used.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ...tables.imports import RECORD_COLUMNS
from ...tables.schema import Problem, SchemaError
from . import bibtex, delimited, medline, ris  # noqa: F401  (each registers its reader)
from .base import CONTENT_COLUMNS, FORMATS, PROGRESS_BYTES, READERS, ImportResult, Reader, Record, _text_lines
from .delimited import CSV_ALIASES

# --- format detection ---------------------------------------------------------------------------

# the formats a content line can announce, in the order they are tried on each line
_ANNOUNCED = ("ris", "medline", "bibtex")


def detect_format(path: Path | str) -> str:
    """``"ris"``, ``"medline"``, ``"bibtex"`` or ``"csv"``, told from the first lines.

    RIS and MEDLINE are recognised by their first tag (RIS may follow ``Name: value`` header
    lines some databases write), BibTeX by the first ``@type{`` line (after comments or
    free text), CSV by a header line with a title column. ``""`` for an empty file; a
    :class:`SchemaError` when nothing fits."""
    path = Path(path)
    label = path.name
    first = ""
    for line in itertools.islice(_text_lines(path, label, False), 200):
        if not line.strip():
            continue
        if not first:
            first = line
            if READERS["csv"].recognises(line):
                return "csv"
        for name in _ANNOUNCED:
            if READERS[name].recognises(line):
                return name
    if not first:
        return ""
    extensions = {ext: r.name for r in READERS.values() for ext in r.extensions}
    if path.suffix.lower() in extensions:
        return extensions[path.suffix.lower()]
    if "," in first or "\t" in first:
        return "csv"  # whose reader names the columns it found
    raise SchemaError([Problem(label, None, None,
                               "cannot tell the format: expected RIS ('TY  - '), MEDLINE "
                               "('PMID- '), BibTeX ('@article{...') or CSV with a title column; "
                               f"the file starts with {first.strip()[:80]!r}")])


class BadBlocks(SchemaError):
    """Records that could not be read, each named; ``--skip-bad`` imports the others."""


# --- the record table -------------------------------------------------------------------------

# formats whose last record has no closing tag: a file cut short ends inside it unnoticed,
# unless the missing line end gives it away (every export ends its last line)
_ENDS_AT_LINE_END = ("medline", "csv")


def _ends_with_line_end(path: Path) -> bool:
    with open(path, "rb") as handle:
        handle.seek(-1, 2)
        last = handle.read(1)
        if last == b"\x00":  # UTF-16 (little-endian): the last character's second byte
            handle.seek(-2, 2)
            last = handle.read(1)
    return last in (b"\n", b"\r")


def _no_records(path: Path, fmt: str) -> SchemaError:
    """An export that holds no record is refused whole: an empty file, white space, prose or a
    web page saved in place of the export would otherwise be recorded as imported, and the
    real export of the same name refused later."""
    head = next((line.strip() for line in itertools.islice(_text_lines(path, path.name, False), 50)
                 if line.strip()), "")
    if not head:
        what = "is empty" if path.stat().st_size == 0 else "holds only white space"
    elif head.lstrip().lower().startswith(("<!doctype html", "<html", "<?xml", "<head", "<body")):
        what = f"is a web page, not an export (it starts with {head[:60]!r}; an error page saved in its place?)"
    else:
        what = f"holds no {fmt or 'readable'} record (it starts with {head[:60]!r})"
    return SchemaError([Problem(path.name, None, None, f"{what}; nothing was imported")])


def _read(path: Path, search_id: str, progress: bool) -> tuple[list[tuple[str, ...]], list[Problem]]:
    """All rows of one file and all its bad blocks; a file with no record at all is refused."""
    label = path.name
    if not path.is_file():
        raise SchemaError([Problem(label, None, None, "is a folder, not an export" if path.is_dir()
                                   else "file is missing")])
    fmt = detect_format(path)
    rows: list[tuple[str, ...]] = []
    problems: list[Problem] = []
    if not fmt:
        raise _no_records(path, fmt)
    last_is_record = False
    for n, (line, item) in enumerate(READERS[fmt].items(path, label, progress), 1):
        last_is_record = not isinstance(item, str)
        if isinstance(item, str):
            problems.append(Problem(label, line, None, item))
        else:
            rows.append((f"{path.name}:{n}", label, str(line), search_id, *item))
    if not rows and not problems:
        raise _no_records(path, fmt)
    if fmt in _ENDS_AT_LINE_END and last_is_record and not _ends_with_line_end(path):
        cut = rows.pop()
        problems.append(Problem(label, int(cut[2]), None, "the file ends inside this record, without a line end: "
                                "the export looks cut short (download it again)"))
    return rows, problems


def _table(rows: list[tuple[str, ...]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(RECORD_COLUMNS), dtype=object)


def read_files(paths: Sequence[Path | str], *, search_id: str = "", skip_bad: bool = False,
               progress: bool = True) -> ImportResult:
    """Read several exports into one record table (see :func:`read_file`). Two files of the
    same name (from different folders) would give the same record ids and are refused."""
    paths = [Path(p) for p in paths]
    names: dict[str, Path] = {}
    clashes = []
    for path in paths:
        other = names.setdefault(path.name, path)
        if other is not path:
            clashes.append(Problem(path.name, None, None,
                                   f"has the same name as {other}: the record ids would collide; "
                                   "rename one of them"))
    if clashes:
        raise SchemaError(clashes)
    rows: list[tuple[str, ...]] = []
    problems: list[Problem] = []
    for path in paths:
        file_rows, file_problems = _read(path, search_id, progress)
        rows += file_rows
        problems += file_problems
    if problems and not skip_bad:
        raise BadBlocks(problems)
    table = _table(rows)
    untitled = [Problem(label, int(line), "title", "a record without a title; screening shows it by its other "
                                                  "fields")
                for label, line, title in zip(table["source_file"], table["source_line"], table["title"]) if not title]
    return ImportResult(table, problems, untitled)


def read_file(path: Path | str, *, search_id: str = "", skip_bad: bool = False,
              progress: bool = True) -> ImportResult:
    """Read one export (RIS, MEDLINE, BibTeX or CSV, told from its content) into the record
    table.

    Every bad block is collected; without ``skip_bad`` they are raised together as a
    :class:`SchemaError` (``file:line: message`` each), with it the good records are returned
    and the bad blocks listed in :attr:`ImportResult.skipped`. ``progress`` shows a bar on
    stderr for files over :data:`PROGRESS_BYTES`."""
    return read_files([path], search_id=search_id, skip_bad=skip_bad, progress=progress)


__all__ = ["BadBlocks", "CONTENT_COLUMNS", "CSV_ALIASES", "FORMATS", "PROGRESS_BYTES", "READERS", "RECORD_COLUMNS",
           "ImportResult", "Reader", "Record", "detect_format", "read_file", "read_files"]
