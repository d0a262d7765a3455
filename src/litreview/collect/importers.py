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

import codecs
import csv
import io
import itertools
import logging
import multiprocessing
import os
import re
import string
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import pandas as pd
from bibtexparser.model import (
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    ImplicitComment,
    ParsingFailedBlock,
    String,
)
from bibtexparser.splitter import Splitter
from rispy.config import LIST_TYPE_TAGS, TAG_KEY_MAPPING
from tqdm import tqdm

from ..tables.bib import normalise_doi, split_authors
from ..tables.imports import RECORD_COLUMNS  # noqa: E402  (the records table's columns)
from ..tables.latex import to_text
from ..tables.schema import Problem, SchemaError

# the columns a reader fills; the first four are set by read_file
CONTENT_COLUMNS = RECORD_COLUMNS[4:]
FORMATS = ("ris", "medline", "bibtex", "csv")

PROGRESS_BYTES = 2_000_000    # a bar (over bytes) for files above this: about 2,000 records
PARALLEL_BYTES = 8_000_000    # BibTeX above this is parsed in worker processes
BIB_CHUNK = 1_000             # BibTeX blocks handed to the parser at a time

# A reader turns lines into items: (line, content) for a record, where content holds the values
# of CONTENT_COLUMNS in order, or (line, message) for a bad block.
Item = tuple[int, "tuple[str, ...] | str"]


@dataclass
class ImportResult:
    """The records read (a DataFrame with :data:`RECORD_COLUMNS`, all strings) and the blocks
    skipped (each a :class:`Problem` naming file, line and what was wrong)."""

    records: pd.DataFrame
    skipped: list[Problem] = field(default_factory=list)


# --- shared helpers -------------------------------------------------------------------------

_YEAR = re.compile(r"(?<!\d)([12]\d{3})(?!\d)")
_DOI = re.compile(r"10\.\d{4,9}/\S+")
_PMID_MARK = re.compile(r"\b(?:PMID|PUBMED(?:\s*ID)?)\s*[:#=-]?\s*(\d{1,9})\b", re.I)
_PUBMED_URL = re.compile(r"(?:ncbi\.nlm\.nih\.gov/pubmed|pubmed\.ncbi\.nlm\.nih\.gov)/(\d{1,9})\b")
_DOI_URL = re.compile(r"https?://(?:dx\.)?doi\.org/\S+", re.I)
_BOM = "\ufeff"


def _squash(text: str) -> str:
    """Runs of white space (line breaks of continued values included) as one space."""
    return " ".join(text.split())


def _year(text: str) -> str:
    m = _YEAR.search(text)
    return m.group(1) if m else ""


def _doi(text: str) -> str:
    """The DOI in a DOI field or doi.org address, normalised; "" when there is none."""
    m = _DOI.search(normalise_doi(unquote(text)))
    return m.group(0) if m else ""


def _marked_pmid(values: Iterable[str]) -> str:
    """A PMID written with its label (``PMID: 123``, ``PUBMED-123``) or as a PubMed address."""
    for value in values:
        m = _PMID_MARK.search(value) or _PUBMED_URL.search(value)
        if m:
            return m.group(1)
    return ""


def _pages(start: str, end: str) -> str:
    start, end = start.strip(), end.strip()
    if start and end and end != start and "-" not in start:
        return f"{start}-{end}"
    return start or end


def _content(*, entry_type: str = "", authors: str = "", title: str = "", journal: str = "",
             year: str = "", volume: str = "", issue: str = "", pages: str = "", doi: str = "",
             pmid: str = "", abstract: str = "") -> tuple[str, ...]:
    """A record's values in the order of :data:`CONTENT_COLUMNS`."""
    return (entry_type, authors, title, journal, year, volume, issue, pages, doi, pmid, abstract)


# --- reading text -----------------------------------------------------------------------------

def _encoding(head: bytes) -> str:
    return "utf-16" if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"


def _undecodable(path: Path, label: str, encoding: str) -> Problem:
    """Where the first byte that does not decode sits (line breaks counted as CR, LF or CRLF)."""
    data = path.read_bytes()
    try:
        data.decode("utf-8" if encoding == "utf-8-sig" else encoding)
    except UnicodeDecodeError as exc:
        before = data[:exc.start]
        line = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1
        return Problem(label, line, None, f"not {encoding.replace('-sig', '').upper()} text: "
                                          f"byte 0x{data[exc.start]:02x} at byte {exc.start}; "
                                          "save the export as UTF-8")
    return Problem(label, None, None, "cannot be decoded")  # pragma: no cover - decoded twice


def _text_blocks(path: Path, label: str, progress: bool) -> Iterator[str]:
    """The file's text about a megabyte at a time, each piece ending at a line end. Line ends
    are ``\\n`` whatever they were (CR, LF, CRLF, mixed); a BOM at the start of a line, left
    where exports were joined, is dropped. A progress bar over bytes for large files."""
    size = path.stat().st_size
    with open(path, "rb") as raw, tqdm(total=size, unit="B", unit_scale=True, desc=label,
                                       file=sys.stderr, leave=False,
                                       disable=not progress or size < PROGRESS_BYTES) as bar:
        encoding = _encoding(raw.peek(2)[:2])
        text = io.TextIOWrapper(raw, encoding=encoding, newline=None)
        try:
            while block := text.read(1 << 20):
                if block[-1] != "\n":
                    block += text.readline()  # finish the last line
                if _BOM in block:
                    block = block.replace("\n" + _BOM, "\n")
                bar.update(raw.tell() - bar.n)
                yield block
        except UnicodeDecodeError:
            raise SchemaError([_undecodable(path, label, encoding)]) from None


def _text_lines(path: Path, label: str, progress: bool) -> Iterator[str]:
    """The file's lines, without their ends (see :func:`_text_blocks`)."""
    for block in _text_blocks(path, label, progress):
        lines = block.split("\n")
        if block[-1] == "\n":
            lines.pop()
        yield from lines


# --- format detection ---------------------------------------------------------------------------

_BIB_START = re.compile(r"\s*@\s*\w+\s*[{(]")
_EXTENSIONS = {".ris": "ris", ".nbib": "medline", ".medline": "medline", ".bib": "bibtex",
               ".csv": "csv", ".tsv": "csv"}


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
            if _csv_header(line)[1]:
                return "csv"
        if line.startswith("TY  -"):
            return "ris"
        if line.startswith("PMID-"):
            return "medline"
        if _BIB_START.match(line):
            return "bibtex"
    if not first:
        return ""
    if path.suffix.lower() in _EXTENSIONS:
        return _EXTENSIONS[path.suffix.lower()]
    if "," in first or "\t" in first:
        return "csv"  # whose reader names the columns it found
    raise SchemaError([Problem(label, None, None,
                               "cannot tell the format: expected RIS ('TY  - '), MEDLINE "
                               "('PMID- '), BibTeX ('@article{...') or CSV with a title column; "
                               f"the file starts with {first.strip()[:80]!r}")])


# --- RIS --------------------------------------------------------------------------------------

_RIS_TAG = {name: tag for tag, name in TAG_KEY_MAPPING.items()}  # rispy's names -> tags
_RIS_LIST_TAGS = frozenset(LIST_TYPE_TAGS)
# rispy's test for a tag line (two characters, upper case, a letter first, then "  -") as a
# table from a line's first six characters to its tag, so that each line costs one look-up
_RIS_TAG_LINE = {f"{a}{b}  -{end}": f"{a}{b}" for a in string.ascii_uppercase
                 for b in string.ascii_uppercase + string.digits for end in ("", " ")}
# a line shaped like a tag but not exactly "XX  - value": wrong spacing or a lower-case tag
_RIS_MISSHAPEN = re.compile(r"[A-Z][A-Z0-9](?: ?| {3,4})-(?: |$)|[A-Z][A-Z0-9]  -\S"
                            r"|[a-z][A-Za-z0-9]  - ")
_RIS_HEADER = re.compile(r"[A-Za-z][\w ]*: ")  # "Provider: ..." lines before the first record
_RIS_PMID_TAGS = ("AN", "C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "M1", "M2", "N1", "UR", "L2")
_PUBMED_DATABASE = re.compile(r"\b(?:NLM|PubMed|MEDLINE)\b", re.I)


def _ris_first(record: dict[str, list[str]], *names: str) -> str:
    """The first value of the first of rispy's field names the record has."""
    for name in names:
        values = record.get(_RIS_TAG[name])
        if values and values[0]:
            return values[0]
    return ""


def _ris_pmid(record: dict[str, list[str]]) -> str:
    accession = record.get("AN", [""])[0].strip()
    database = " ".join(record.get("DP", []) + record.get("DB", []))
    if accession.isdigit() and _PUBMED_DATABASE.search(database):
        return accession
    return _marked_pmid(v for tag in _RIS_PMID_TAGS for v in record.get(tag, ()))


def _ris_fields(record: dict[str, list[str]]) -> tuple[str, ...]:
    authors = record.get("AU") or record.get("A1") or []
    doi = _doi(_ris_first(record, "doi")) or next(
        (_doi(u) for u in record.get("UR", []) if _DOI_URL.match(u)), "")
    return _content(
        entry_type=_ris_first(record, "type_of_reference"),
        authors="; ".join(a for a in authors if a),
        title=_ris_first(record, "title", "primary_title"),
        journal=_ris_first(record, "secondary_title", "journal_name", "alternate_title3",
                           "alternate_title2", "alternate_title1"),
        year=_year(_ris_first(record, "year", "publication_year", "date")),
        volume=_ris_first(record, "volume"),
        issue=_ris_first(record, "number"),
        pages=_pages(_ris_first(record, "start_page"), _ris_first(record, "end_page")),
        doi=doi,
        pmid=_ris_pmid(record),
        abstract=_ris_first(record, "abstract", "notes_abstract"),
    )


def _ris_continuation(record: dict[str, list[str]], tag: str, line: str, text: str, number: int,
                      start: int) -> str:
    """A line inside a record that starts no tag: the next value of a list tag (keywords,
    authors) or more of the last value; a line shaped almost like a tag is the record's fault."""
    if _RIS_MISSHAPEN.match(line):
        return (f"line {number} looks like a tag but is not 'XX  - value': "
                f"{text[:40]!r} (record starting at line {start})")
    if tag in _RIS_LIST_TAGS:
        record[tag].append(text)
    else:
        values = record[tag]
        values[-1] = f"{values[-1]} {text}" if values[-1] else text
    return ""


def _ris_items(lines: Iterable[str]) -> Iterator[Item]:
    """RIS records from ``TY  -`` to ``ER  -``; every malformed block reported."""
    record: dict[str, list[str]] | None = None
    start = stray = 0   # where the current record, or text outside any record, starts
    tag, fault, seen_record = "", "", False
    for number, line in enumerate(lines, 1):
        new_tag = _RIS_TAG_LINE.get(line[:6])
        if new_tag is None:
            text = line.strip()
            if not text:
                continue
            if record is not None:
                fault = _ris_continuation(record, tag, line, text, number, start) if not fault else fault
            elif not stray and (seen_record or not _RIS_HEADER.match(text)):
                stray = number
        elif new_tag == "TY":
            if stray:
                yield stray, f"text outside a record, up to line {number - 1} (no 'TY  - ' before it)"
            if record is not None:
                yield start, f"record has no 'ER  - ' before the next 'TY  - ' at line {number}"
            record, start, stray, tag, fault = {"TY": [line[6:].strip()]}, number, 0, "TY", ""
            seen_record = True
        elif record is None:
            stray = stray or number
            if new_tag == "ER":
                yield stray, f"text outside a record, up to line {number} (no 'TY  - ' before it)"
                stray = 0
        elif new_tag == "ER":
            yield start, fault or _ris_fields(record)
            record = None
        else:
            tag = new_tag
            values = record.get(tag)
            if values is None:
                record[tag] = [line[6:].strip()]
            else:
                values.append(line[6:].strip())
    if stray:
        yield stray, "text outside a record, up to the end of the file (no 'TY  - ' before it)"
    if record is not None:
        yield start, "record has no 'ER  - ' before the end of the file"


# --- MEDLINE ----------------------------------------------------------------------------------

def _medline_fields(record: dict[str, list[str]]) -> tuple[str, ...]:
    def first(*tags: str) -> str:
        return next((record[t][0] for t in tags if record.get(t)), "")

    doi = next((_doi(v) for t in ("LID", "AID") for v in record.get(t, [])
                if v.rstrip().endswith("[doi]")), "")
    return _content(
        entry_type=first("PT"),
        authors="; ".join(record.get("AU") or record.get("FAU") or record.get("CN") or []),
        title=first("TI", "BTI"),
        journal=first("JT", "TA"),
        year=_year(first("DP")),
        volume=first("VI"),
        issue=first("IP"),
        pages=first("PG"),
        doi=doi,
        pmid=first("PMID") if first("PMID").isdigit() else "",
        abstract=first("AB"),
    )


def _medline_record(record: dict[str, list[str]], start: int, fault: str) -> Item:
    if fault:
        return start, fault
    if not record.get("TI") and not record.get("BTI") and not record.get("PMID"):
        return start, "MEDLINE record has neither a title (TI) nor a PMID"
    return start, _medline_fields(record)


def _medline_items(lines: Iterable[str]) -> Iterator[Item]:
    """MEDLINE records separated by blank lines; tags ``XXXX- value``, continuations
    indented by six spaces."""
    record: dict[str, list[str]] | None = None
    start, tag, fault = 0, "", ""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            if record is not None:
                yield _medline_record(record, start, fault)
                record = None
            continue
        if record is None:
            record, start, tag, fault = {}, number, "", ""
        if line[4:5] == "-" and line[:4].rstrip().isalnum() and line[:4].rstrip().isupper():
            tag = line[:4].rstrip()
            record.setdefault(tag, []).append(line[5:].strip())
        elif line.startswith("      ") and tag:
            record[tag][-1] = f"{record[tag][-1]} {line.strip()}"
        else:
            fault = fault or (f"line {number} is neither a tag ('XXXX- value') nor a continuation "
                              f"indented by six spaces: {line.strip()[:40]!r} "
                              f"(record starting at line {start})")
    if record is not None:
        yield _medline_record(record, start, fault)


# --- BibTeX -----------------------------------------------------------------------------------

_BIB_BLOCK_LINE = re.compile(r"^[ \t]*@[ \t]*\w+[ \t]*[{(]", re.M)
# an @string block: from its line to the next line that starts a block
_BIB_STRING_BLOCK = re.compile(r"^[ \t]*@[ \t]*string[ \t]*[{(].*?(?=^[ \t]*@[ \t]*\w+[ \t]*[{(]|\Z)",
                               re.M | re.S | re.I)
# a value that runs on into the next "name = " line: a comma missing between two fields
_RUNS_ON = re.compile(r'["}][ \t]*\n[ \t]*[\w-]+[ \t]*=')
_TEX_COMMENT_LINE = re.compile(r"^[ \t]*%.*$", re.M)
_BIB_TYPE_KEY = re.compile(r"@\s*(\w+)\s*[{(]\s*([^,\s]*)")
_BIB_ENTRYLIKE = re.compile(r"^\s*[A-Za-z]+\s*\{\s*[^\s,={}]+\s*,\s*$", re.M)


@contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """Silence a library logger while it runs; its complaints are reported as problems."""
    logger = logging.getLogger(logger_name)
    disabled, logger.disabled = logger.disabled, True
    try:
        yield
    finally:
        logger.disabled = disabled


def _unbrace(value: str, strings: dict[str, str]) -> str:
    """A raw BibTeX value without its outer ``{}``/``""``; a bare word is an ``@string``
    macro when one is defined."""
    value = value.strip()
    if len(value) >= 2 and (value[0], value[-1]) in (("{", "}"), ('"', '"')):
        return value[1:-1]
    return strings.get(value.lower(), value)


def _tex(text: str) -> str:
    """Plain text from LaTeX (:func:`litreview.tables.latex.to_text`), white space squashed."""
    decoded = to_text(text)
    return _squash(decoded) if decoded is not text else text


def _bib_authors(raw: str) -> str:
    """BibTeX ``and``-separated names as ``"; "``-joined plain text; an ``and`` inside braces
    (``{Food and Drug Administration}``) belongs to the name."""
    if "{" in raw:
        depth, protected = 0, []
        for char in raw:
            depth += (char == "{") - (char == "}")
            protected.append("\0" if depth > 0 and char == " " else char)
        raw = "".join(protected)
    return "; ".join(_tex(name.replace("\0", " ")) for name in split_authors(raw))


def _bib_fields(entry: Entry, strings: dict[str, str]) -> tuple[str, ...]:
    values: dict[str, str] = {}
    for f in entry.fields:  # the first of repeated fields counts, as in BibTeX
        values.setdefault(f.key.lower(), f.value)

    def get(*names: str) -> str:
        for name in names:
            if name in values:
                return _squash(_unbrace(values[name], strings))
        return ""

    pmid = get("pmid").strip()
    if not pmid.isdigit():
        eprint = get("eprint") if get("eprinttype").lower() == "pubmed" else ""
        pmid = eprint.strip() if eprint.strip().isdigit() else _marked_pmid(
            (get("note"), get("annote"), get("extra")))
    url = get("url")
    return _content(
        entry_type=entry.entry_type.lower(),
        authors=_bib_authors(get("author", "editor")),
        title=_tex(get("title")),
        journal=_tex(get("journal", "journaltitle", "booktitle")),
        year=_year(get("year", "date")),
        volume=_tex(get("volume")),
        issue=_tex(get("number", "issue")),
        pages=_tex(get("pages").replace("--", "-")),
        doi=_doi(get("doi")) or (_doi(url) if _DOI_URL.match(url) else ""),
        pmid=pmid,
        abstract=_tex(get("abstract")),
    )


def _failed_block_message(block: ParsingFailedBlock) -> str:
    m = _BIB_TYPE_KEY.match(block.raw)
    what = f"@{m.group(1)}{{{m.group(2)}" if m else block.raw.strip()[:40]
    reason = getattr(block.error, "abort_reason", None) or str(block.error or "cannot parse")
    return f"malformed BibTeX block {what}: {_squash(reason)}"


def _parse_bib_chunk(text: str, first_line: int, preamble_lines: int) -> list[Item]:
    """Parse whole BibTeX blocks (``text``, whose line ``preamble_lines`` is the file's line
    ``first_line``; the lines before it repeat the ``@string`` blocks seen so far)."""
    with _quiet("bibtexparser.splitter"):
        library = Splitter(_TEX_COMMENT_LINE.sub("", text)).split()
    strings = {s.key.lower(): _unbrace(s.value, {}) for s in library.blocks if isinstance(s, String)}
    items: list[Item] = []
    for block in library.blocks:
        if block.start_line < preamble_lines:
            continue
        line = first_line + block.start_line - preamble_lines
        if isinstance(block, (DuplicateBlockKeyBlock, DuplicateFieldKeyBlock)):
            block = block.ignore_error_block
        if isinstance(block, Entry):
            runs_on = next((f.key for f in block.fields if _RUNS_ON.search(f.value)), None)
            items.append((line, f"field {runs_on!r} of @{block.entry_type}{{{block.key} runs into "
                                "the next field: is a comma missing?" if runs_on
                          else _bib_fields(block, strings)))
        elif isinstance(block, ParsingFailedBlock):
            items.append((line, _failed_block_message(block)))
        elif isinstance(block, ImplicitComment) and _BIB_ENTRYLIKE.search(block.comment):
            items.append((line, "text that looks like an entry without its '@': "
                                f"{block.comment.strip()[:40]!r}"))
    return items


def _bib_chunks(blocks: Iterable[str], size: int) -> Iterator[tuple[str, int, int]]:
    """The text cut before every ``size``-th line that starts a block (``@type{``), so that
    the parser sees whole blocks; each piece is preceded by the ``@string`` blocks of the
    pieces before it. Yields ``(text, its first line in the file, number of lines put before
    it)``."""
    strings, buffer, first = "", "", 1
    starts: list[int] = []
    for block in blocks:
        starts += [len(buffer) + m.start() for m in _BIB_BLOCK_LINE.finditer(block)]
        buffer += block
        while len(starts) > size:
            cut = starts[size]
            text, buffer = buffer[:cut], buffer[cut:]
            starts = [s - cut for s in starts[size:]]
            yield strings + text, first, strings.count("\n")
            first += text.count("\n")
            strings += "".join(m.group(0) for m in _BIB_STRING_BLOCK.finditer(text))
    if buffer:
        yield strings + buffer, first, strings.count("\n")


def _map_in_order(func: Callable[..., list[Item]], jobs: Iterable[tuple], workers: int
                  ) -> Iterator[list[Item]]:
    """``func(*job)`` for each job, in order; in ``workers`` processes when more than one,
    with few jobs queued at a time so that memory stays flat."""
    main_file = getattr(sys.modules["__main__"], "__file__", None)
    if workers <= 1 or (main_file and not os.path.exists(main_file)):  # spawn re-runs __main__
        yield from (func(*job) for job in jobs)
        return
    context = multiprocessing.get_context("spawn")  # fork is unsafe with threads (tqdm, Jupyter)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque = deque()
        for job in jobs:
            pending.append(pool.submit(func, *job))
            if len(pending) > 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _bib_items(blocks: Iterable[str], workers: int = 1) -> Iterator[Item]:
    """BibTeX entries and failed blocks, in file order."""
    for items in _map_in_order(_parse_bib_chunk, _bib_chunks(blocks, BIB_CHUNK), workers):
        yield from items


# --- CSV --------------------------------------------------------------------------------------

# header names (lower case) that mean each column, in order of preference; exports of PubMed,
# Scopus, Web of Science (tab-delimited tags), Embase, Zotero and others
CSV_ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "ti", "article title", "document title"),
    "authors": ("authors", "author", "au", "author names", "author full names", "af"),
    "journal": ("source title", "journal", "journal/book", "publication title", "so",
                "journal title", "source"),
    "year": ("publication year", "year", "py", "year published", "date"),
    "volume": ("volume", "vl", "vol"),
    "issue": ("issue", "number", "is"),
    "pages": ("pages", "page", "pg"),
    "doi": ("doi", "di"),
    "pmid": ("pmid", "pubmed id", "pm", "medline pmid"),
    "abstract": ("abstract", "ab", "abstract note"),
    "entry_type": ("document type", "item type", "dt", "publication type", "type"),
}
CSV_PAGE_PAIRS = (("page start", "page end"), ("start page", "end page"),
                  ("first page", "last page"), ("bp", "ep"))
CSV_NOTES = ("extra", "notes", "note")  # searched for "PMID: n"


def _csv_delimiter(header: str) -> str:
    if "\t" in header:
        return "\t"
    return ";" if header.count(";") > header.count(",") else ","


def _csv_header(line: str) -> tuple[list[str], bool]:
    """A header line's column names (lower case) and whether it has a title column."""
    delimiter = _csv_delimiter(line)
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    try:
        names = next(csv.reader([line], delimiter=delimiter, quoting=quoting))
    except (csv.Error, StopIteration):
        return [], False
    names = [n.strip().strip('"').strip().lower() for n in names]
    return names, any(a in names for a in CSV_ALIASES["title"])


def _csv_authors(raw: str) -> str:
    """Authors as written, joined by "; ": lists separated by ";" keep their names; a
    comma-separated list of "Family Initials" names (PubMed, Scopus) is split at the commas."""
    raw = raw.strip()
    if ";" in raw:
        return "; ".join(n.strip() for n in raw.split(";") if n.strip())
    parts = [p.strip() for p in raw.split(",")]
    if len(parts) > 1 and all(" " in p for p in parts):
        return "; ".join(parts)
    return raw


def _csv_items(lines: Iterable[str], label: str) -> Iterator[Item]:
    """CSV rows after the header; a row with the wrong number of fields is reported."""
    lines = iter(lines)
    header_line, skipped = "", 0
    for header_line in lines:
        if header_line.strip():
            break
        skipped += 1
    names, has_title = _csv_header(header_line)
    if not has_title:
        raise SchemaError([Problem(label, skipped + 1, None,
                                   f"no title column (expected one of {', '.join(CSV_ALIASES['title'])}); "
                                   f"columns found: {', '.join(names) or 'none'}")])
    delimiter = _csv_delimiter(header_line)
    reader = csv.reader((line + "\n" for line in lines), delimiter=delimiter, strict=True,
                        quoting=csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL)
    index = {}
    for i, name in enumerate(names):
        index.setdefault(name, i)
    column = {c: next((index[a] for a in aliases if a in index), None)
              for c, aliases in CSV_ALIASES.items()}
    pair = next(((index[a], index[b]) for a, b in CSV_PAGE_PAIRS if a in index and b in index), None)
    notes = [index[n] for n in CSV_NOTES if n in index]
    offset = skipped + 1  # lines before the reader's first
    end = 0
    while True:
        start = offset + end + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            end = reader.line_num
            yield start, f"malformed CSV row: {exc}"
            continue
        end = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(names) and not (len(row) > len(names)
                                           and not any(c.strip() for c in row[len(names):])):
            yield start, f"expected {len(names)} fields, found {len(row)}"
            continue

        def cell(name: str, row: list[str] = row) -> str:
            i = column[name]
            return _squash(row[i]) if i is not None else ""

        pmid = cell("pmid").strip()
        yield start, _content(
            entry_type=cell("entry_type"),
            authors=_csv_authors(cell("authors")),
            title=cell("title"),
            journal=cell("journal"),
            year=_year(cell("year")),
            volume=cell("volume"),
            issue=cell("issue"),
            pages=cell("pages") or (_pages(row[pair[0]], row[pair[1]]) if pair else ""),
            doi=_doi(cell("doi")),
            pmid=pmid if pmid.isdigit() else _marked_pmid(row[i] for i in notes),
            abstract=cell("abstract"),
        )


# --- the record table -------------------------------------------------------------------------

def _items(path: Path, label: str, fmt: str, progress: bool) -> Iterator[Item]:
    if fmt == "bibtex":
        workers = min(_workers(), 4) if path.stat().st_size > PARALLEL_BYTES else 1
        return _bib_items(_text_blocks(path, label, progress), workers)
    lines = _text_lines(path, label, progress)
    if fmt == "ris":
        return _ris_items(lines)
    if fmt == "medline":
        return _medline_items(lines)
    return _csv_items(lines, label)


def _read(path: Path, search_id: str, progress: bool) -> tuple[list[tuple[str, ...]], list[Problem]]:
    """All rows of one file and all its bad blocks."""
    label = path.name
    if not path.is_file():
        raise SchemaError([Problem(label, None, None, "file is missing")])
    fmt = detect_format(path)
    rows: list[tuple[str, ...]] = []
    problems: list[Problem] = []
    if not fmt:
        return rows, problems
    for n, (line, item) in enumerate(_items(path, label, fmt, progress), 1):
        if isinstance(item, str):
            problems.append(Problem(label, line, None, item))
        else:
            rows.append((f"{path.name}:{n}", label, str(line), search_id, *item))
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
        raise SchemaError(problems)
    return ImportResult(_table(rows), problems)


def read_file(path: Path | str, *, search_id: str = "", skip_bad: bool = False,
              progress: bool = True) -> ImportResult:
    """Read one export (RIS, MEDLINE, BibTeX or CSV, told from its content) into the record
    table.

    Every bad block is collected; without ``skip_bad`` they are raised together as a
    :class:`SchemaError` (``file:line: message`` each), with it the good records are returned
    and the bad blocks listed in :attr:`ImportResult.skipped`. ``progress`` shows a bar on
    stderr for files over :data:`PROGRESS_BYTES`."""
    return read_files([path], search_id=search_id, skip_bad=skip_bad, progress=progress)
