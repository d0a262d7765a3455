"""What every reader of database exports shares: the record type, the reader interface and
its registry, and the reading of text (a megabyte at a time, UTF-8 or UTF-16 with a BOM,
every kind of line break). The formats are in the modules beside this one."""


from __future__ import annotations

import codecs
import io
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote

import pandas as pd
from tqdm import tqdm

from ...tables.bib import normalise_doi
from ...tables.imports import RECORD_COLUMNS  # noqa: E402  (the records table's columns)
from ...tables.schema import Problem, SchemaError

# the columns a reader fills; the first four are set by read_file
CONTENT_COLUMNS = RECORD_COLUMNS[4:]
FORMATS = ("ris", "medline", "bibtex", "csv")

PROGRESS_BYTES = 2_000_000    # a bar (over bytes) for files above this: about 2,000 records
PARALLEL_BYTES = 8_000_000    # BibTeX above this is parsed in worker processes
BIB_CHUNK = 1_000             # BibTeX blocks handed to the parser at a time



class Record(NamedTuple):
    """What a reader takes from one record: the values of :data:`CONTENT_COLUMNS`, all
    strings, "" when the export has none (a tuple, so 100,000 of them stay cheap)."""

    entry_type: str = ""
    authors: str = ""
    title: str = ""
    journal: str = ""
    year: str = ""
    volume: str = ""
    issue: str = ""
    pages: str = ""
    doi: str = ""
    pmid: str = ""
    abstract: str = ""


# A reader turns a file into items: (line, record) for a record it read, or (line, message)
# for a block it could not read.
Item = tuple[int, "Record | str"]


class Reader:
    """One export format behind the interface every format shares: how its records are cut
    from a file (:meth:`items`), the content line that announces it (:meth:`recognises`), and
    the file extensions that break a tie when the content says nothing. A reader registers
    itself (:func:`register`); :func:`litreview.collect.importers.detect_format` and
    :func:`~litreview.collect.importers.read_file` find it in :data:`READERS`."""

    name: str = ""
    extensions: tuple[str, ...] = ()

    def recognises(self, line: str) -> bool:
        """Whether ``line`` (one of the first lines of a file) starts this format."""
        return False

    def items(self, path: Path, label: str, progress: bool) -> Iterator[Item]:
        raise NotImplementedError


READERS: dict[str, Reader] = {}


def register(reader: type[Reader]) -> type[Reader]:
    """Class decorator: make ``reader`` the one for its format."""
    READERS[reader.name] = reader()
    return reader


@dataclass
class ImportResult:
    """The records read (a DataFrame with :data:`RECORD_COLUMNS`, all strings) and the blocks
    skipped (each a :class:`Problem` naming file, line and what was wrong)."""

    records: pd.DataFrame
    skipped: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # records read, but worth a look (no title)


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


_content = Record  # a record from its fields by name


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


def _nul(path: Path, label: str, encoding: str) -> Problem:
    """Where the first NUL character sits: no export holds one; UTF-16 without a BOM (every
    other byte NUL) or a binary file does."""
    data = path.read_bytes()
    at = data.find(b"\x00")
    line = data[:at].count(b"\n") + 1 if encoding == "utf-8-sig" else None
    return Problem(label, line, None, f"a NUL byte at byte {at}: not a text export (UTF-16 without a BOM, or a "
                                      "binary file?); save the export as UTF-8")


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
                if "\x00" in block:
                    raise SchemaError([_nul(path, label, encoding)])
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


