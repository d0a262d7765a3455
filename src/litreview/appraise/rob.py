"""Risk of bias from the answers: answer RoB 2's signalling questions for a trial, or AMSTAR 2's
critical items for a review, and save the derived judgements to ``data/<review>/rob.csv``.

The judgements come from :mod:`litreview.appraise.rob2`; nothing here decides one. A study's rows are
one per domain; ``support`` keeps the answers compactly, then the reviewer's note after
:data:`NOTE_MARK` (``"1.1 Y; 1.2 PY; 1.3 N | sealed opaque envelopes"``, or for AMSTAR 2
``"7 partial-yes | list of excluded studies without reasons"``), so the form can read a study
back for editing.

For a design neither tool covers (an uncontrolled before-after study, a case report, a
mechanistic experiment), the ``design`` tool records one overall judgement with its reason,
as ``rob.csv`` has always allowed; that judgement is the reviewer's, so the reason is required.

:func:`save_rob` is the one writer, usable without a widget: it replaces
that study's rows, keeps every other row byte for byte, validates the whole table through
:data:`litreview.tables.schema.ROB` and swaps the file in atomically under a lock.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from pathlib import Path

from .. import paths
from ..tables.bib import load_bib
from ..tables.schema import (
    ROB,
    ROB2_DOMAINS,
    ROB_JUDGEMENTS,
    ROB_TOOLS,
    Problem,
    SchemaError,
    parse_table,
    read_table,
    read_text,
)
from .rob2 import AMSTAR2_ITEMS, QUESTIONS, AnswerError, check_answers, check_items, judge

TOOLS = ROB_TOOLS
DESIGN_DOMAIN = "overall"
NOTE_MARK = " | "
_ANSWER = re.compile(r"(\d+(?:\.\d+)?) ([A-Za-z-]+)")


def rob_path(review: str, root: Path | None = None) -> Path:
    return paths.data_dir(review, root) / ROB.filename


def library_keys(review: str, root: Path | None = None) -> list[str]:
    """The study keys of ``references/<review>/library.bib``, sorted."""
    path = paths.references_dir(review, root) / "library.bib"
    return sorted(e.key for e in load_bib(path, f"references/{review}/library.bib"))


# --- support text: answers, then the note ----------------------------------------------------------

def support_text(answers: Mapping[str, str], note: str = "") -> str:
    """``"1.1 Y; 1.2 PY"`` and, when there is one, ``" | note"``."""
    text = "; ".join(f"{q} {a}" for q, a in answers.items())
    note = " ".join((note or "").split())
    return f"{text}{NOTE_MARK}{note}" if note else text


def parse_support(text: str) -> tuple[dict[str, str], str] | None:
    """The answers and note of a ``support`` cell this form wrote; None for one written by
    hand in another shape."""
    head, _, note = (text or "").partition(NOTE_MARK)
    parts = [p.strip() for p in head.split(";")]
    matches = [_ANSWER.fullmatch(p) for p in parts]
    if not parts or not all(matches):
        return None
    return {m.group(1): m.group(2) for m in matches}, note.strip()


# --- rows from answers (pure) ------------------------------------------------------------------

def _note_for(notes: str | Mapping[str, str], domain: str) -> str:
    return notes.get(domain, "") if isinstance(notes, Mapping) else (notes or "")


def rob_rows(study_key: str, tool: str, answers: Mapping[str, str],
             note: str | Mapping[str, str] = "") -> list[dict[str, str]]:
    """One row per domain for ``study_key``: the derived judgement and the support text.
    ``answers``: RoB 2 question id → Y/PY/PN/N/NI (skipped questions left out or NA), or AMSTAR 2
    item number → yes/partial-yes/no. ``note``: one note for every row, or one per domain.
    :class:`litreview.appraise.rob2.AnswerError` names the question when an answer does not fit."""
    if tool == "rob2":
        known = {q.id for qs in QUESTIONS.values() for q in qs}
        unknown = sorted(set(answers) - known)
        if unknown:
            raise AnswerError(f"RoB 2: no question {unknown[0]!r}; questions run 1.1-1.3, 2.1-2.7, 3.1-3.4, "
                              "4.1-4.5, 5.1-5.3")
        rows = []
        for domain in ROB2_DOMAINS:
            mine = {q.id: answers[q.id] for q in QUESTIONS[domain] if q.id in answers}
            counted = check_answers(domain, mine)
            rows.append({"domain": domain, "judgement": judge(domain, counted),
                         "support": support_text(counted, _note_for(note, domain))})
    elif tool == "amstar2":
        counted = check_items({str(k): v for k, v in answers.items()})
        rows = [{"domain": item.domain, "judgement": counted[str(item.number)],
                 "support": support_text({str(item.number): counted[str(item.number)]},
                                         _note_for(note, item.domain))} for item in AMSTAR2_ITEMS]
    elif tool == "design":
        judgement = answers.get(DESIGN_DOMAIN, "")
        if judgement not in ROB_JUDGEMENTS:
            raise AnswerError(f"design: the overall judgement is one of {', '.join(ROB_JUDGEMENTS)}; "
                              f"found {judgement!r}")
        reason = " ".join(_note_for(note, DESIGN_DOMAIN).split())
        if not reason:
            raise AnswerError("design: give the reason for the overall judgement (the design, what it cannot rule out)")
        rows = [{"domain": DESIGN_DOMAIN, "judgement": judgement, "support": reason}]
    else:
        raise ValueError(f"tool: expected one of {', '.join(TOOLS)}; found {tool!r}")
    return [{"study_key": study_key, "tool": tool, **r} for r in rows]


# --- the writer ------------------------------------------------------------------------------------

def locked(review: str, root: Path | None = None):
    """Hold the review's rob.csv lock (exclusive, blocking) for the block."""
    return paths.locked(rob_path(review, root))


def _records(text: str) -> list[tuple[list[str], str]]:
    """Each CSV record with the exact text it came from (a quoted cell may span lines)."""
    lines = text.splitlines(keepends=True)
    consumed: list[int] = []

    def feed():
        for i, line in enumerate(lines):
            consumed.append(i)
            yield line

    out, start = [], 0
    for row in csv.reader(feed(), strict=True):
        out.append((row, "".join(lines[start:len(consumed)])))
        start = len(consumed)
    return out


def _csv_text(rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for r in rows:
        writer.writerow([r[c] for c in ROB.names])
    return buffer.getvalue()


def save_rob(review: str, study_key: str, tool: str, answers: Mapping[str, str],
             note: str | Mapping[str, str] = "", root: Path | None = None) -> list[dict[str, str]]:
    """Write ``study_key``'s risk-of-bias rows to ``data/<review>/rob.csv``, replacing the rows
    it had (in their place; a new study goes last) and keeping every other row byte for byte.
    Refuses, writing nothing, an unknown study or tool, an answer that does not fit
    (:class:`~litreview.appraise.rob2.AnswerError`) and a table that would not pass the schema
    (:class:`~litreview.tables.schema.SchemaError`, ``file:row:column``). Returns the rows written."""
    keys = library_keys(review, root)
    if study_key not in keys:
        raise ValueError(f"references/{review}/library.bib: no study {study_key!r}; rob.csv rows are for "
                         "studies in the library")
    rows = rob_rows(study_key, tool, answers, note)
    with locked(review, root) as path:
        text = rob_text(review, study_key, rows, root)
        with paths.replacing(path) as new:
            new.write_text(text, encoding="utf-8", newline="")
    return rows


def rob_text(review: str, study_key: str, rows: list[dict[str, str]], root: Path | None = None) -> str:
    """The text of ``rob.csv`` with ``study_key``'s rows replaced by ``rows`` (in their place; a
    new study goes last), every other row byte for byte; checked by the schema
    (:class:`~litreview.tables.schema.SchemaError`). Call it under the file's lock."""
    label = f"data/{review}/{ROB.filename}"
    path = rob_path(review, root)
    text = read_text(path, label) if path.is_file() else ""
    records = _records(text) if text.strip() else [(ROB.names, ROB.header())]
    header = [h.lstrip("\ufeff").strip() for h in records[0][0]]
    if "study_key" not in header:
        raise SchemaError([Problem(label, 1, "study_key", "missing column")])
    at = header.index("study_key")
    parts, placed = [records[0][1]], False
    for row, raw in records[1:]:
        if len(row) > at and row[at].strip() == study_key:
            if not placed:
                parts.append(_csv_text(rows))
                placed = True
            continue
        parts.append(raw)
    if not placed:
        parts.append(_csv_text(rows))
    for i, part in enumerate(parts[:-1]):   # a last line without its newline gets one
        if part and not part.endswith(("\n", "\r")):
            parts[i] = part + "\n"
    out = "".join(parts)
    parse_table(out, ROB, label)  # a table the schema refuses is never swapped in
    return out


def load_rob(review: str, study_key: str,
             root: Path | None = None) -> tuple[str | None, dict[str, str], dict[str, str]]:
    """A study's saved assessment for editing: ``(tool, answers, notes by domain)``;
    ``(None, {}, {})`` when it has no rows. Rows whose support the form did not write (typed
    by hand) give their tool and notes but no answers."""
    path = rob_path(review, root)
    if not path.is_file():
        return None, {}, {}
    return assessment_of(read_table(path, ROB, f"data/{review}/{ROB.filename}"), study_key)


def assessment_of(table, study_key: str) -> tuple[str | None, dict[str, str], dict[str, str]]:
    """:func:`load_rob` of a table of rob.csv's columns already read (one reviewer's rows of
    rob_extractions.csv, say)."""
    mine = table[table["study_key"] == study_key]
    if mine.empty:
        return None, {}, {}
    tool = str(mine["tool"].iloc[0])
    answers: dict[str, str] = {}
    notes: dict[str, str] = {}
    if tool == "design":
        row = mine.iloc[0]
        return tool, {DESIGN_DOMAIN: str(row["judgement"])}, {DESIGN_DOMAIN: str(row["support"])}
    for row in mine.to_dict("records"):
        parsed = parse_support(row["support"])
        if parsed is None:
            notes[row["domain"]] = row["support"]
            continue
        given, notes[row["domain"]] = parsed
        answers.update(given)
    return tool, answers, notes
