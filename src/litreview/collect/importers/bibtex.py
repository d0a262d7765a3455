"""BibTeX, through bibtexparser v2's splitter in chunks (see the package docstring)."""


from __future__ import annotations

import multiprocessing
import os
import re
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bibtexparser.model import (
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    ImplicitComment,
    ParsingFailedBlock,
    String,
)
from bibtexparser.splitter import Splitter

from ...tables.bib import failed_block_message, quiet, split_authors
from ...tables.latex import to_text
from .base import (
    _DOI_URL,
    BIB_CHUNK,
    PARALLEL_BYTES,
    Item,
    Reader,
    _content,
    _doi,
    _marked_pmid,
    _squash,
    _text_blocks,
    _year,
    register,
)

# --- BibTeX -----------------------------------------------------------------------------------

_BIB_BLOCK_LINE = re.compile(r"^[ \t]*@[ \t]*\w+[ \t]*[{(]", re.M)
# an @string block: from its line to the next line that starts a block
_BIB_STRING_BLOCK = re.compile(r"^[ \t]*@[ \t]*string[ \t]*[{(].*?(?=^[ \t]*@[ \t]*\w+[ \t]*[{(]|\Z)",
                               re.M | re.S | re.I)
# a value that runs on into the next "name = " line: a comma missing between two fields
_RUNS_ON = re.compile(r'["}][ \t]*\n[ \t]*[\w-]+[ \t]*=')
_TEX_COMMENT_LINE = re.compile(r"^[ \t]*%.*$", re.M)
# "name = {" / "name = \"" / "name = 2020" lines left outside any entry
_BIB_FIELDS_AFTER = re.compile(r"^[\s,]*([A-Za-z][\w-]*)\s*=\s*[{\"\d]", re.M)
_BIB_ENTRYLIKE = re.compile(r"^\s*[A-Za-z]+\s*\{\s*[^\s,={}]+\s*,\s*$", re.M)


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


def _parse_bib_chunk(text: str, first_line: int, preamble_lines: int) -> list[Item]:
    """Parse whole BibTeX blocks (``text``, whose line ``preamble_lines`` is the file's line
    ``first_line``; the lines before it repeat the ``@string`` blocks seen so far)."""
    with quiet("bibtexparser.splitter"):
        library = Splitter(_TEX_COMMENT_LINE.sub("", text)).split()
    strings = {s.key.lower(): _unbrace(s.value, {}) for s in library.blocks if isinstance(s, String)}
    items: list[Item] = []
    previous = None
    for block in library.blocks:
        if block.start_line < preamble_lines:
            continue
        line = first_line + block.start_line - preamble_lines
        if isinstance(block, (DuplicateBlockKeyBlock, DuplicateFieldKeyBlock)):
            block = block.ignore_error_block
        if (isinstance(block, ImplicitComment) and isinstance(previous, Entry) and items
                and (fields := _BIB_FIELDS_AFTER.findall(block.comment))):
            # fields after an entry's end: an unbalanced '}' closed it early
            entry_line = items[-1][0]
            items[-1] = (entry_line, f"@{previous.entry_type}{{{previous.key} ends before its field(s) "
                                     f"{', '.join(fields)} (line {line}): is a '}}' unbalanced in the field before?")
            previous = None
            continue
        previous = block
        if isinstance(block, Entry):
            runs_on = next((f.key for f in block.fields if _RUNS_ON.search(f.value)), None)
            items.append((line, f"field {runs_on!r} of @{block.entry_type}{{{block.key} runs into "
                                "the next field: is a comma missing?" if runs_on
                          else _bib_fields(block, strings)))
        elif isinstance(block, ParsingFailedBlock):
            items.append((line, failed_block_message(block)))
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




_BIB_START = re.compile(r"\s*@\s*\w+\s*[{(]")


@register
class BibtexReader(Reader):
    name, extensions = "bibtex", (".bib",)

    def recognises(self, line: str) -> bool:
        return bool(_BIB_START.match(line))

    def items(self, path: Path, label: str, progress: bool) -> Iterator[Item]:
        workers = min(_workers(), 4) if path.stat().st_size > PARALLEL_BYTES else 1
        return _bib_items(_text_blocks(path, label, progress), workers)
