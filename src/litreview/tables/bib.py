"""BibTeX libraries (bibtexparser v2) and the normalisation used to compare records.

A library entry is a study the review has seen a record of. Its key follows one scheme:
first author's family name + year + first significant title word, lower case ASCII
(``langevin2002relationship``). Every entry carries ``url`` and ``doi`` and/or ``pmid``, or
a ``note`` saying the record shows neither.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import bibtexparser
from bibtexparser.model import DuplicateBlockKeyBlock

from .latex import to_text
from .schema import Problem, SchemaError, read_text

NO_ID_NOTE = "record shows no DOI or PMID"
STOPWORDS = frozenset("a an the of on in for and to with does is".split())

@dataclass(frozen=True)
class Entry:
    """One BibTeX entry: its key, type, fields (lower-case names, braces removed) and line."""

    key: str
    entry_type: str
    fields: dict[str, str]
    line: int

    def get(self, name: str, default: str = "") -> str:
        return self.fields.get(name, default)

    @property
    def doi(self) -> str:
        return normalise_doi(self.get("doi"))

    @property
    def pmid(self) -> str:
        return self.get("pmid").strip()


def delatex(text: str) -> str:
    """LaTeX accents, symbols, math and commands as plain Unicode text; braces dropped
    (:func:`litreview.tables.latex.to_text`, the project's one LaTeX decoder)."""
    return to_text(text)


_BIB_TYPE_KEY = re.compile(r"@\s*(\w+)\s*[{(]\s*([^,\s]*)")


def failed_block_message(block) -> str:
    """What is wrong with a block bibtexparser could not parse, in one line: the block's
    ``@type{key`` and the parser's own reason (its ``abort_reason``; ``str()`` of the error is
    empty, the text going to its logger)."""
    m = _BIB_TYPE_KEY.match(block.raw)
    what = f"@{m.group(1)}{{{m.group(2)}" if m else block.raw.strip()[:40]
    error = getattr(block, "error", None)
    reason = getattr(error, "abort_reason", None) or str(error or "") or "cannot parse"
    return f"malformed BibTeX block {what}: {' '.join(reason.split())}"


@contextmanager
def quiet(logger_name: str) -> Iterator[None]:
    """Silence a library logger while it runs; its complaints are reported as problems."""
    logger = logging.getLogger(logger_name)
    disabled, logger.disabled = logger.disabled, True
    try:
        yield
    finally:
        logger.disabled = disabled


def parse_bib(text: str, label: str) -> list[Entry]:
    """Parse BibTeX text; raise :class:`SchemaError` naming each block that failed."""
    with quiet("bibtexparser.splitter"):
        library = bibtexparser.parse_string(text)
    problems = []
    for block in library.failed_blocks:
        if isinstance(block, DuplicateBlockKeyBlock):
            problems.append(Problem(label, block.start_line + 1, "key",
                                    f"duplicate citation key {block.key!r}"))
        else:
            problems.append(Problem(label, block.start_line + 1, None, failed_block_message(block)))
    if problems:
        raise SchemaError(problems)
    entries = []
    for e in library.entries:
        fields = {f.key.lower(): str(f.value).strip() for f in e.fields}
        entries.append(Entry(e.key, e.entry_type.lower(), fields, e.start_line + 1))
    return entries


def load_bib(path: Path, label: str | None = None) -> list[Entry]:
    label = label or str(path)
    if not path.is_file():
        raise SchemaError([Problem(label, None, None, "file is missing")])
    text = read_text(path, label).removeprefix("\ufeff")  # a BOM some editors write
    if not text.strip():
        return []
    return parse_bib(text, label)


# --- normalisation --------------------------------------------------------------------------

def fold(text: str) -> str:
    """Lower case, accents removed, LaTeX resolved: the form two spellings share."""
    text = to_text(text)
    if text.isascii():
        return text.lower()  # fast path: ASCII has no accents to decompose or letters to map
    text = unicodedata.normalize("NFKD", text).translate(_UNDECOMPOSABLE)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.casefold()


# letters that Unicode does not decompose into a base letter plus an accent
_UNDECOMPOSABLE = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE",
                                 "ß": "ss", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "þ": "th",
                                 "ð": "d", "ı": "i"})


def normalise_title(title: str) -> str:
    """Title reduced to lower-case ASCII words: case, punctuation, accents and spacing
    differences disappear (``"Acupuncture for chronic low - back pain."`` and
    ``"Acupuncture for Chronic Low-Back Pain"`` become equal)."""
    return " ".join(re.findall(r"[a-z0-9]+", fold(title)))


def normalise_doi(doi: str) -> str:
    doi = doi.strip().lower()
    doi = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:\s*)", "", doi)
    return doi.rstrip(".")


def split_authors(authors: str) -> list[str]:
    """BibTeX ``author`` field into names (``and``-separated)."""
    return [a.strip() for a in re.split(r"\s+and\s+", authors.strip()) if a.strip()]


def author_signature(name: str) -> tuple[str, str]:
    """``("langevin", "hm")``: family name and initials, whatever the style
    (``Langevin, H. M.``, ``Helene M. Langevin``, ``Langevin HM``)."""
    name = fold(name).strip()
    if "," in name:
        family, given = (p.strip() for p in name.split(",", 1))
    else:
        parts = name.split()
        if len(parts) >= 2 and re.fullmatch(r"[a-z]{1,3}", parts[-1]) and parts[-1] not in ("jr",):
            family, given = " ".join(parts[:-1]), parts[-1]
            given = " ".join(given)  # "hm" -> "h m"
        else:
            family, given = (parts[-1] if parts else ""), " ".join(parts[:-1])
    family = re.sub(r"[^a-z]", "", family)
    initials = "".join(w[0] for w in re.findall(r"[a-z]+", given))
    return family, initials


def page_range(pages: str) -> tuple[str, str]:
    """``("447", "454")`` from ``447-454``, ``447 - 454``, ``447–54`` or ``447--454``."""
    pages = to_text(pages)
    parts = [p for p in re.split(r"\s*[-–—]+\s*", pages.strip()) if p]
    if not parts:
        return "", ""
    first = parts[0]
    last = parts[-1] if len(parts) > 1 else first
    if last.isdigit() and first.isdigit() and len(last) < len(first):
        last = first[: len(first) - len(last)] + last
    return first, last


def citation_key(entry: Entry) -> str | None:
    """The key this entry should have under the scheme: first author's family name (the
    first word of a corporate author in double braces; ``anon`` when none is shown), year,
    first significant title word with hyphens joined (``dupuy2018evidencebased``). ``None``
    when the scheme cannot apply (names or title in a non-Latin script)."""
    raw = entry.get("author").strip()
    if raw.startswith("{"):
        family = re.sub(r"[^a-z]", "", fold(raw).split()[0])
    else:
        authors = split_authors(raw)
        family = author_signature(authors[0])[0] if authors else "anon"
    title = re.sub(r"(?<=\w)-(?=\w)", "", fold(entry.get("title")))
    words = [w for w in re.findall(r"[a-z0-9]+", title) if w not in STOPWORDS]
    if not family or not words or not re.search(r"[a-z]", " ".join(words)):
        return None
    return f"{family}{entry.get('year')}{words[0]}"


def check_library(entries: list[Entry], label: str) -> list[Problem]:
    """Every entry identifiable and reachable; no study twice (same DOI, PMID or title)."""
    problems: list[Problem] = []
    seen: dict[tuple[str, str], str] = {}
    for e in entries:
        if not e.get("url"):
            problems.append(Problem(label, e.line, "url", f"{e.key}: a url where the record can be read is required"))
        elif not re.match(r"https?://\S+$", e.get("url")):
            problems.append(Problem(label, e.line, "url",
                                    f"{e.key}: expected an http(s) address, found {e.get('url')!r}"))
        if not e.doi and not e.pmid and NO_ID_NOTE not in e.get("note"):
            problems.append(Problem(label, e.line, "doi",
                                    f"{e.key}: expected a doi or pmid, or note = {{{NO_ID_NOTE}}}"))
        if e.pmid and not e.pmid.isdigit():
            problems.append(Problem(label, e.line, "pmid", f"{e.key}: expected digits, found {e.pmid!r}"))
        if e.doi and not re.match(r"10\.\d{4,9}/\S+$", e.doi):
            problems.append(Problem(label, e.line, "doi", f"{e.key}: not a DOI: {e.get('doi')!r}"))
        for field, value in (("doi", e.doi), ("pmid", e.pmid), ("title", normalise_title(e.get("title")))):
            if not value:
                continue
            other = seen.get((field, value))
            if other:
                problems.append(Problem(label, e.line, field,
                                        f"{e.key}: same {field} as {other}; a study appears once"))
            else:
                seen[(field, value)] = e.key
        expected = citation_key(e)
        if expected is None:
            if not e.get("note"):
                problems.append(Problem(label, e.line, "key", f"{e.key}: the key scheme cannot apply "
                                        "(non-Latin names or title); say how the key was made in a note"))
        elif not re.fullmatch(re.escape(expected) + "[a-z]?", e.key):
            problems.append(Problem(label, e.line, "key",
                                    f"{e.key}: expected a key of the form {expected} (first author, "
                                    f"year, first title word) optionally followed by a letter"))
    return problems
