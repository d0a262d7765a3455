"""How the workbook counts and lists things in its messages, the same in every stage: ``1
claim``, ``2 claims``; the first ten ids and how many more."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``1 claim``, ``2 claims`` (``plural`` where adding an s is wrong: ``study``, ``studies``)."""
    return f"{count} {noun if count == 1 else (plural or noun + 's')}"


def first_ids(ids: list[str], shown: int = 10) -> str:
    """The first ``shown`` ids, and how many more."""
    more = f" and {len(ids) - shown} more" if len(ids) > shown else ""
    return ", ".join(ids[:shown]) + more


__all__ = ["counted", "first_ids"]
