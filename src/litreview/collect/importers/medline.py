"""PubMed MEDLINE (.nbib): records separated by blank lines (see the package docstring)."""


from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from .base import Item, Reader, _content, _doi, _text_lines, _year, register

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




@register
class MedlineReader(Reader):
    name, extensions = "medline", (".nbib", ".medline")

    def recognises(self, line: str) -> bool:
        return line.startswith("PMID-")

    def items(self, path: Path, label: str, progress: bool) -> Iterator[Item]:
        return _medline_items(_text_lines(path, label, progress))
