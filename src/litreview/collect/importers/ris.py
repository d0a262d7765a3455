"""RIS: a record runs from ``TY  -`` to ``ER  -`` (see the package docstring)."""


from __future__ import annotations

import re
import string
from collections.abc import Iterable, Iterator
from pathlib import Path

from rispy.config import LIST_TYPE_TAGS, TAG_KEY_MAPPING

from .base import _DOI_URL, Item, Reader, _content, _doi, _marked_pmid, _pages, _text_lines, _year, register

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
# a record's number alone on the line before its "TY  -", as rispy's writer (RisWriter.set_header)
# and reference managers that number their exports put it
_RIS_COUNTER = re.compile(r"\d+\.")
_RIS_PMID_TAGS = ("AN", "C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "M1", "M2", "N1", "UR", "L2")
_PUBMED_DATABASE = re.compile(r"\b(?:NLM|PubMed|MEDLINE)\b", re.I)
_PMID_ACCESSION = re.compile(r"(?:PMID|PUBMED|MEDLINE)\s*[:#=-]?\s*(\d{1,9})", re.I)


def _ris_first(record: dict[str, list[str]], *names: str) -> str:
    """The first value of the first of rispy's field names the record has."""
    for name in names:
        values = record.get(_RIS_TAG[name])
        if values and values[0]:
            return values[0]
    return ""


def _ris_pmid(record: dict[str, list[str]]) -> str:
    """The PMID of a RIS record, where exporters put one: the accession number (``AN``) when it
    is a bare number and the record names PubMed, MEDLINE or the NLM as its database or
    provider (``DB``/``DP``, as EndNote writes PubMed records), or when it carries the database
    as a prefix (``MEDLINE:12345678`` in Web of Science's MEDLINE exports, ``PMID: 123``);
    else a PMID written with its label, or a PubMed address, in the notes, custom fields and
    links. A bare accession number of another database (CINAHL's, Scopus's ``C1``/``ID``
    record numbers, ``WOS:...``) is never read as a PMID."""
    for accession in record.get("AN", []):
        accession = accession.strip()
        database = " ".join(record.get("DP", []) + record.get("DB", []))
        if accession.isdigit() and _PUBMED_DATABASE.search(database):
            return accession
        if m := _PMID_ACCESSION.fullmatch(accession):
            return m.group(1)
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
            elif not stray and not _RIS_COUNTER.fullmatch(text) and (seen_record or not _RIS_HEADER.match(text)):
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




@register
class RisReader(Reader):
    name, extensions = "ris", (".ris",)

    def recognises(self, line: str) -> bool:
        return line.startswith("TY  -")

    def items(self, path: Path, label: str, progress: bool) -> Iterator[Item]:
        return _ris_items(_text_lines(path, label, progress))
