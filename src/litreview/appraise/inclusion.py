"""From a record included at full text to its ``library.bib`` entry, built from the record alone.

The entry is the imported record's own metadata (``data/<review>/imports/records.csv``, the
columns of :data:`litreview.collect.importers.RECORD_COLUMNS`), nothing else: authors, title, journal,
year, volume, issue (as ``number``), pages, the DOI and PMID the record shows, and ``url``, the
public page where the record can be read (``https://doi.org/<doi>``, else the PubMed page of
the PMID). A field the record leaves empty is left out, never guessed. A record with neither a
DOI nor a PMID is refused: the standard of evidence needs a page where the study's record can
be read, and such a study goes in by hand, with the url of the page read and a note.

Only the form changes on the way:

- authors: the record's ``"; "``-separated names joined with ``and``; a PubMed-style name
  (``Langevin HM``, family name then initials) is written ``Langevin, H. M.`` so that BibTeX
  reads the family name as the family name; other names are kept as written;
- title: without the full stop MEDLINE and many exports end it with;
- pages: a range with one dash (``447-54``) becomes ``447--454`` (:func:`references.page_range`
  completes the elided digits); anything else is kept as written;
- DOI through :func:`references.normalise_doi`;
- text values are BibTeX-escaped (:func:`escape`) so that the project's reader
  (:func:`litreview.tables.latex.to_text`) gives back the record's text, white space squashed as
  BibTeX squashes it; ``doi`` and ``url`` are written verbatim, as biblatex reads them.

The key follows the library's scheme (:func:`references.citation_key`). A study already in the
library (same DOI or PMID) is not added again: its key is returned and nothing is written. A
key taken by another study gets the next free letter (``b``, ``c``, ...), the form
:func:`references.check_library` accepts. An existing entry is never touched: the new entry is
appended to the file's bytes, the whole text is parsed and checked, and only then written beside
the file and swapped in (``os.replace``) under an exclusive lock (``.library.bib.lock``), so two
writers cannot both take a key and a crash leaves the old file or the new one, never half.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from .. import paths
from ..collect import screening
from ..collect.imports import load
from ..tables.bib import Entry, check_library, citation_key, load_bib, normalise_doi, page_range, parse_bib
from ..tables.schema import SchemaError

LIBRARY = "library.bib"

# field order of the library's convention (references/calf-massage/library.bib)
FIELD_ORDER = ("author", "title", "journal", "booktitle", "year", "volume", "number", "pages", "doi",
               "pmid", "url")
VERBATIM = frozenset({"doi", "url"})  # biblatex reads these as written: no escaping

# The record's entry_type as a BibTeX type: BibTeX types as they are; RIS type tags
# (rispy.config.TYPE_OF_REFERENCE_MAPPING); anything else (MEDLINE publication types such as
# "Journal Article", "Randomized Controlled Trial") is a journal article.
BIBTEX_TYPES = frozenset({"article", "book", "booklet", "inbook", "incollection", "inproceedings",
                          "manual", "mastersthesis", "misc", "online", "phdthesis", "proceedings",
                          "report", "techreport", "thesis", "unpublished"})
RIS_TYPES = {"jour": "article", "jfull": "article", "ejour": "article", "inpr": "article",
             "abst": "article", "book": "book", "ebook": "book", "chap": "incollection",
             "echap": "incollection", "conf": "inproceedings", "cpaper": "inproceedings",
             "thes": "phdthesis", "rprt": "techreport", "gen": "misc", "elec": "online"}
DEFAULT_TYPE = "article"
# entry types whose container is a book or proceedings: the record's journal is its booktitle
BOOK_PARTS = frozenset({"inbook", "incollection", "inproceedings"})

# "Langevin HM", "van der Berg JA", "Smith JA Jr": family name, then one to four initials
_PUBMED_NAME = re.compile(r"(?P<family>\S.*?)\s+(?P<initials>[A-Z]{1,4})(?:\s+(?P<suffix>Jr|Sr|[IV]{2,3}|2nd|3rd))?")
_PAGE = r"[A-Za-z]?\d+[A-Za-z]?"
_RANGE = re.compile(rf"{_PAGE}\s*[-\u2010-\u2015]+\s*{_PAGE}")


class InclusionError(ValueError):
    """The record cannot go into the library; nothing was written."""


@dataclass(frozen=True)
class Inclusion:
    """What :func:`include` did: the study's key in library.bib, and whether the entry was
    written now (``False``: the study was already there, found by ``matched`` doi or pmid)."""

    key: str
    written: bool
    matched: str = ""
    waiting: bool = False  # two screening reviewers: the decision is recorded, the final one not yet made

    def describe(self, review: str) -> str:
        if self.waiting:
            return (f"{self.key}: your full-text include is recorded; the entry goes into references/{review}/"
                    f"{LIBRARY} once the other reviewer includes it too or the conflict is settled include")
        if self.written:
            return f"{self.key}: added to references/{review}/{LIBRARY}"
        return (f"{self.key}: already in references/{review}/{LIBRARY} (same {self.matched}); "
                "nothing written")


# --- the entry ------------------------------------------------------------------------------

# LaTeX's special characters as text-mode commands the project's reader decodes; the ligatures
# "--", "''", "``", "?`" and "!`" are broken with an empty group so they stay the characters
# written, not a dash, quotation marks or inverted punctuation
_ESCAPES = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "#": r"\#",
            "_": r"\_", "$": r"\$", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_SPECIAL = re.compile(r"[\\{}&%#_$~^]|-(?=-)|([`'])(?=\1)|[?!](?=`)")
_SPECIAL_BUT_DASHES = re.compile(r"[\\{}&%#_$~^]")


def escape(text: str, dashes: bool = True) -> str:
    """``text`` as a BibTeX value (inside braces) that reads back as ``text``: white space
    squashed to single spaces (BibTeX does the same), special characters escaped; with
    ``dashes=False`` a ``--`` is left to mean a range (``pages``)."""
    text = " ".join(text.split())
    return (_SPECIAL if dashes else _SPECIAL_BUT_DASHES).sub(_escape_one, text)


def _escape_one(m: re.Match) -> str:
    char = m.group(0)
    return _ESCAPES.get(char, char + "{}")  # "-{}-" and "'{}'" stay two characters


def bibtex_name(name: str) -> str:
    """One author as BibTeX reads names: a PubMed-style ``Family GH`` as ``Family, G. H.``;
    a name with a comma, or of another shape, as written."""
    name = " ".join(name.split())
    if "," in name:
        return name
    m = _PUBMED_NAME.fullmatch(name)
    if not m:
        return name
    initials = " ".join(f"{c}." for c in m["initials"])
    suffix = f", {m['suffix']}" if m["suffix"] else ""
    return f"{m['family']}{suffix}, {initials}"


def entry_type(record_type: str) -> str:
    kind = record_type.strip().lower()
    if kind in BIBTEX_TYPES:
        return kind
    return RIS_TYPES.get(kind, DEFAULT_TYPE)


def record_url(doi: str, pmid: str) -> str:
    """The public page of the record: the DOI resolver, else PubMed."""
    if doi:
        return "https://doi.org/" + quote(doi, safe="/:;()[]<>")
    return f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"


def _title(title: str) -> str:
    """The title without the full stop MEDLINE and many exports end it with (the library's
    titles have none; a citation style adds its own); a ``?`` or ``!`` is the title's own."""
    return title[:-1].rstrip() if title.endswith(".") and not title.endswith("..") else title


def _pages(pages: str) -> str:
    pages = " ".join(pages.split())
    if _RANGE.fullmatch(pages):
        first, last = page_range(pages)
        return f"{first}--{last}"
    return pages


def _describe(record: Mapping[str, str]) -> str:
    """``record export.csv:3 (export.csv line 4)``: the record and where its export holds it."""
    where = ""
    if record.get("source_file"):
        line = f" line {record['source_line']}" if record.get("source_line") else ""
        where = f" ({record['source_file']}{line})"
    return f"record {record.get('record_id', '?')}{where}"


def library_entry(record: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """``(key, fields)`` of the library entry made from one imported record (a row of
    ``records.csv``; its type is :func:`entry_type` of the record's ``entry_type``); field
    values are plain text, as the record has them (see the module docstring for the few
    changes of form), escaped by :func:`render`.

    Raises :class:`InclusionError` when the record shows neither DOI nor PMID, or when the key
    scheme cannot apply (no author or title in Latin script)."""
    value = {c: " ".join(str(record.get(c, "") or "").split()) for c in
             ("entry_type", "authors", "title", "journal", "year", "volume", "issue", "pages", "doi", "pmid")}
    doi = normalise_doi(value["doi"])
    pmid = value["pmid"]
    if not doi and not pmid:
        raise InclusionError(f"{_describe(record)} shows neither a DOI nor a PMID: a library study needs a "
                             "public page where its record can be read. Find the study's record and add it "
                             "by hand with its url, or leave it out")
    if pmid and not pmid.isdigit():
        raise InclusionError(f"{_describe(record)}: PMID {pmid!r} is not a PubMed id (digits)")
    kind = entry_type(value["entry_type"])
    names = [bibtex_name(n) for n in value["authors"].split(";") if n.strip()]
    fields = {
        "author": " and ".join(names),
        "title": _title(value["title"]),
        "booktitle" if kind in BOOK_PARTS else "journal": value["journal"],
        "year": value["year"],
        "volume": value["volume"],
        "number": value["issue"],
        "pages": _pages(value["pages"]),
        "doi": doi,
        "pmid": pmid,
        "url": record_url(doi, pmid),
    }
    fields = {f: fields[f] for f in FIELD_ORDER if fields.get(f)}
    # the key is made from the entry as the library will read it back
    key = citation_key(Entry("", kind, {f: _written(f, v) for f, v in fields.items()}, 0))
    if key is None:
        raise InclusionError(f"{_describe(record)}: the library's key scheme (first author, year, first "
                             "title word) cannot apply to it (no author or title in Latin letters); add it "
                             "by hand with a note saying how its key was made")
    return key, fields


def render(key: str, kind: str, fields: Mapping[str, str]) -> str:
    """One BibTeX entry in the library's layout (two-space indent, one field a line)."""
    lines = [f"@{kind}{{{key},"]
    lines += [f"  {f} = {{{_written(f, v)}}}," for f, v in fields.items()]
    return "\n".join(lines) + "\n}\n"


def _written(field: str, value: str) -> str:
    """A field's value as the .bib file holds it."""
    if field in VERBATIM:
        return value
    return escape(value, dashes=field != "pages")


# --- into the library -------------------------------------------------------------------------

def library_path(review: str, root: Path | None = None) -> Path:
    return paths.references_dir(review, root) / LIBRARY


def locked(review: str, root: Path | None = None):
    """Hold the review's library lock (exclusive, blocking) for the block."""
    return paths.locked(library_path(review, root))


def find_record(review: str, record_key: str, root: Path | None = None) -> dict[str, str]:
    """Record ``record_key`` of ``imports/records.csv`` (any record, also one de-duplication
    later set aside: its screening decisions stand); a record de-duplication kept carries what
    it took from its duplicates (DOI, PMID, pages, abstract)."""
    records = screening.unique_records(review, root)
    match = records[records["record_id"] == record_key]
    if match.empty:
        records = load(review, root).records
        match = records[records["record_id"] == record_key]
    if match.empty:
        raise InclusionError(f"no imported record {record_key!r} in data/{review}/imports/records.csv")
    return {c: str(v) for c, v in match.iloc[0].items()}


def same_study(entries: list[Entry], doi: str, pmid: str) -> tuple[Entry, str] | None:
    """The library entry with this DOI or PMID, and which of the two matched."""
    for e in entries:
        if doi and e.doi == doi:
            return e, "doi"
        if pmid and e.pmid == pmid:
            return e, "pmid"
    return None


def free_key(key: str, taken: set[str]) -> str:
    """``key``, or ``key`` plus the first letter from ``b`` that no entry has."""
    if key not in taken:
        return key
    for letter in string.ascii_lowercase[1:]:
        if key + letter not in taken:
            return key + letter
    raise InclusionError(f"keys {key} and {key}b to {key}z are all taken")


def include(review: str, record_key: str, *, decide: bool = False, root: Path | None = None,
            reviewer: str | None = None) -> Inclusion:
    """Add the imported record ``record_key`` to ``references/<review>/library.bib``.

    The record must be included at full text in ``screening.csv``; with ``decide`` that
    decision is recorded first (:func:`litreview.collect.screening.decide`, which needs the record
    included at title/abstract), once the entry is known to be writable. Raises
    :class:`InclusionError` (or :class:`~litreview.tables.schema.SchemaError` for an unreadable
    library) with nothing written. With two screening reviewers the decision is the caller's
    (``reviewer``, default :func:`litreview.collect.screening.reviewer_name`), and the entry is
    written once the record's final decision (both include, or a settlement) is include:
    until then the :class:`Inclusion` returned is ``waiting``."""
    record = find_record(review, record_key, root)
    key, fields = library_entry(record)
    kind = entry_type(record["entry_type"])
    label = f"references/{review}/{LIBRARY}"
    path = library_path(review, root)
    if not path.is_file():
        raise InclusionError(f"{label} does not exist (litreview new makes it)")
    if not screening.included_at(screening.final(review, root), record_key, screening.FULL_TEXT):
        if not decide:
            raise InclusionError(f"{record_key} is not included at full text in data/{review}/screening.csv; "
                                 f"record that decision first (litreview screen decide {record_key} include "
                                 "--stage full-text), or pass --decide")
        _appended(path, label, key, kind, fields)  # refuses before the decision is written
        try:
            screening.decide(review, record_key, "include", stage=screening.FULL_TEXT, root=root, reviewer=reviewer)
        except screening.ScreeningError as exc:
            raise InclusionError(str(exc)) from None
        if not screening.included_at(screening.final(review, root), record_key, screening.FULL_TEXT):
            return Inclusion(key, False, waiting=True)  # two reviewers: the other's decision or a settlement to come
    with locked(review, root):
        planned = _appended(path, label, key, kind, fields)
        if isinstance(planned, Inclusion):
            return planned
        key, after = planned
        with paths.replacing(path) as new:
            new.write_bytes(after)
    return Inclusion(key, True)


def _appended(path: Path, label: str, key: str, kind: str,
              fields: Mapping[str, str]) -> Inclusion | tuple[str, bytes]:
    """The study's existing entry (same DOI or PMID), or its free key and the library's bytes
    with the entry appended. Refused unless the result parses and adds no problem to
    :func:`references.check_library` (a study of the same title, say)."""
    before = path.read_bytes()
    entries = load_bib(path, label)
    found = same_study(entries, fields.get("doi", ""), fields.get("pmid", ""))
    if found:
        return Inclusion(found[0].key, False, found[1])
    key = free_key(key, {e.key for e in entries})
    text = before.decode("utf-8")
    gap = "" if not text.strip() else ("\n" if text.endswith("\n") else "\n\n")
    after = text + gap + render(key, kind, fields)
    try:
        new_entries = parse_bib(after, label)
    except SchemaError as exc:
        raise InclusionError(f"{key}: the entry would not parse: {exc}") from None
    old = {str(p) for p in check_library(entries, label)}
    new = [str(p) for p in check_library(new_entries, label) if str(p) not in old]
    if new:
        raise InclusionError(f"{key} was not added: " + "; ".join(new))
    return key, after.encode("utf-8")


__all__ = ["Inclusion", "InclusionError", "bibtex_name", "entry_type", "escape", "include", "library_entry",
           "render"]
