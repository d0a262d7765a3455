"""Where a claim's quote sits in its article: the check that a quote is at its offsets, and
where it really is when it is not (used by the claims table's cross-check and by the claim
finder).

Offsets are character offsets into the article decoded as UTF-8, so that
``text[start:end] == quote`` holds in Python and in any tool that counts code points.
"""

from __future__ import annotations


def occurrences(text: str, quote: str) -> list[int]:
    """Every start offset of ``quote`` in ``text`` (overlapping allowed)."""
    found, i = [], text.find(quote)
    while i != -1:
        found.append(i)
        i = text.find(quote, i + 1)
    return found


def locate_problem(row: dict, text: str) -> str | None:
    """``None`` when the quote is at its offsets; otherwise what is wrong and where the
    quote really occurs, if anywhere."""
    start, end, quote = row["start"], row["end"], row["quote"]
    if text[start:end] == quote:
        return None
    found = occurrences(text, quote)
    there = text[start:end]
    shown = there if len(there) <= 60 else there[:57] + "..."
    message = (f"{row['claim_id']}: quote is not at [{start}, {end}) of article "
               f"{row['article_id']} (the text there is {shown!r}); ")
    if found:
        spots = ", ".join(f"[{s}, {s + len(quote)})" for s in found)
        return message + f"it occurs at {spots}"
    return message + "it does not occur anywhere in the article"
