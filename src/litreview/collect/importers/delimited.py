"""CSV and tab-separated exports, columns found through aliases (see the package docstring)."""


from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path

from ...tables.schema import Problem, SchemaError
from .base import Item, Reader, _content, _doi, _marked_pmid, _pages, _squash, _text_lines, _year, register

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
# The longest field a CSV row may hold. The csv module's default (128 KiB) is far below what
# the other formats read (they have no limit of their own, only the file's size) and would call
# a long abstract "malformed"; 16 MiB still ends a runaway unclosed quote with a clear message.
CSV_FIELD_LIMIT = 16 * 2**20


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
    if csv.field_size_limit() < CSV_FIELD_LIMIT:  # the limit is the csv module's, process-wide
        csv.field_size_limit(CSV_FIELD_LIMIT)
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
            yield start, (f"a field longer than {CSV_FIELD_LIMIT // 2**20} MiB: is a quote left open?"
                          if "field limit" in str(exc) else f"malformed CSV row: {exc}")
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




@register
class CsvReader(Reader):
    """Comma, semicolon or tab separated; recognised by a header line with a title column
    (checked on the first line only, before the other formats)."""

    name, extensions = "csv", (".csv", ".tsv")

    def recognises(self, line: str) -> bool:
        return _csv_header(line)[1]

    def items(self, path: Path, label: str, progress: bool) -> Iterator[Item]:
        return _csv_items(_text_lines(path, label, progress), label)
