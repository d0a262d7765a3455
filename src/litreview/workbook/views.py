"""HTML views shared by the notebooks and the report.

Article text, claim restatements, titles from imported records and every other value of a
table are untrusted input: every character of them passes through :func:`html.escape` before
it reaches a page, so a value containing ``<script>`` shows that text and runs nothing. Only
the markup this module adds is HTML. A notebook shows a table through :func:`styled`, never
through pandas' ``.style``, which does not escape.
"""

from __future__ import annotations

import html

import pandas as pd

from ..report.missing import gaps

CATEGORY_COLOURS = {
    "mechanism": "#dbeafe", "efficacy": "#dcfce7", "safety": "#fee2e2", "dosage": "#fef9c3",
    "anatomy": "#ede9fe", "traditional-theory": "#e5e7eb",
}
AUDIT_STATUS_COLOURS = {"verified": "#dcfce7", "verified-with-errors": "#fef9c3", "not-found": "#fee2e2",
                        "misattributed": "#fed7aa"}


def highlight_claims(text: str, claims: pd.DataFrame) -> str:
    """The article as HTML paragraphs with each claim's span marked and labelled.

    ``claims`` needs ``claim_id``, ``start``, ``end``, ``category``. Overlapping claims
    (one sentence split into several claims) are merged into one mark carrying all ids."""
    spans = sorted((int(r.start), int(r.end), r.claim_id, r.category) for r in claims.itertuples())
    merged: list[list] = []
    for start, end, cid, cat in spans:
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            merged[-1][2].append(cid)
        else:
            merged.append([start, end, [cid], cat])
    out, pos = [], 0
    for start, end, ids, cat in merged:
        out.append(html.escape(text[pos:start]))
        colour = CATEGORY_COLOURS.get(cat, "#fef3c7")
        label = ", ".join(ids)
        out.append(f'<mark title="{html.escape(label)}" style="background:{colour};padding:0 2px">'
                   f'{html.escape(text[start:end])}<sup style="font-size:70%;color:#374151">'
                   f'&nbsp;{html.escape(label)}</sup></mark>')
        pos = end
    out.append(html.escape(text[pos:]))
    body = "".join(out).replace("\r\n", "\n")
    paragraphs = [p for p in body.split("\n") if p.strip()]
    return ('<div class="article" style="font-family:Georgia,serif;line-height:1.5;max-width:48em">'
            + "".join(f"<p>{p}</p>" for p in paragraphs) + "</div>")


def legend() -> str:
    """A one-line key to the category colours."""
    items = "".join(f'<span style="background:{c};padding:1px 6px;margin-right:6px">{html.escape(k)}</span>'
                    for k, c in CATEGORY_COLOURS.items())
    return f'<div style="margin:6px 0">{items}</div>'


def filterable_table(frame: pd.DataFrame, filter_column: str, table_id: str = "evidence") -> str:
    """A plain HTML table with a drop-down that filters its rows by one column. Every cell
    is escaped; the filter is a few lines of inline script, so it works in JupyterLab and in
    the exported HTML alike, and without script the whole table still reads."""
    values = sorted(frame[filter_column].dropna().astype(str).unique())
    options = "".join(f'<option value="{html.escape(v)}">{html.escape(v)}</option>' for v in values)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        f'<tr data-key="{html.escape(str(row[filter_column]))}">'
        + "".join(f"<td>{html.escape('' if pd.isna(v) else str(v))}</td>" for v in row.values) + "</tr>"
        for _, row in frame.iterrows())
    return (f'<label>Filter by {html.escape(filter_column)}: <select id="{table_id}-filter" '
            f'onchange="var v=this.value;document.querySelectorAll(\'#{table_id} tbody tr\').forEach('
            f'function(r){{r.style.display=(!v||r.dataset.key===v)?\'\':\'none\';}});">'
            f'<option value="">all</option>{options}</select></label>'
            f'<table id="{table_id}" class="dataframe" style="font-size:80%"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


def styled(frame: pd.DataFrame):
    """``frame.style`` with every cell and column label escaped for HTML (pandas' Styler
    writes values as markup unless told otherwise); colour it with ``.map`` as usual."""
    return frame.style.format(escape="html").format_index(escape="html", axis=1).format_index(escape="html", axis=0)


def notice(text: str) -> str:
    """A highlighted note (what is missing, what to do next)."""
    return (f'<div style="border-left:4px solid #d97706;background:#fffbeb;padding:6px 10px;margin:6px 0">'
            f"{html.escape(text)}</div>")


def show_gaps(review, assessment=None) -> None:
    """Display what the review does not have yet; nothing when it is complete. Plain text
    rides along, so a text-only front end says the same."""
    show_notes(gaps(review, assessment))


def show_notes(notes: list[str]) -> None:
    """Display each note highlighted, with its plain text for a text-only front end."""
    from IPython.display import display

    for note in notes:
        display({"text/html": notice(note), "text/plain": note}, raw=True)
