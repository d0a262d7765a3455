"""The risk-of-bias form: answer RoB 2's signalling questions for a trial, or AMSTAR 2's
critical items for a review, and save the derived judgements to ``data/<review>/rob.csv``.

The judgements come from :mod:`litreview.rob2`; nothing here decides one. A study's rows are
one per domain; ``support`` keeps the answers compactly, then the reviewer's note after
:data:`NOTE_MARK` (``"1.1 Y; 1.2 PY; 1.3 N | sealed opaque envelopes"``, or for AMSTAR 2
``"7 partial-yes | list of excluded studies without reasons"``), so the form can read a study
back for editing.

For a design neither tool covers (an uncontrolled before-after study, a case report, a
mechanistic experiment), the ``design`` tool records one overall judgement with its reason,
as ``rob.csv`` has always allowed; that judgement is the reviewer's, so the reason is required.

:func:`save_rob` is the one writer, usable without a widget: it replaces
that study's rows, keeps every other row byte for byte, validates the whole table through
:data:`litreview.schema.ROB` and swaps the file in atomically under a lock.
"""

from __future__ import annotations

import csv
import html
import io
import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping

from .. import paths
from ..tables.bib import load_bib
from ..appraise.rob2 import (AMSTAR2_ITEMS, ITEM, ITEM_BY_DOMAIN, QUESTIONS, AnswerError, amstar2_rating, asked,
                   check_answers, check_items, judge, overall)
from ..tables.schema import ROB, ROB2_DOMAINS, ROB_JUDGEMENTS, Problem, SchemaError, read_table, read_text

TOOLS = ("rob2", "amstar2", "design")
DESIGN_DOMAIN = "overall"
NOTE_MARK = " | "
LOCK_NAME = ".rob.csv.lock"
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
    :class:`litreview.rob2.AnswerError` names the question when an answer does not fit."""
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
            raise AnswerError(f"design: the overall judgement is one of {', '.join(ROB_JUDGEMENTS)}; found {judgement!r}")
        reason = " ".join(_note_for(note, DESIGN_DOMAIN).split())
        if not reason:
            raise AnswerError("design: give the reason for the overall judgement (the design, what it cannot rule out)")
        rows = [{"domain": DESIGN_DOMAIN, "judgement": judgement, "support": reason}]
    else:
        raise ValueError(f"tool: expected one of {', '.join(TOOLS)}; found {tool!r}")
    return [{"study_key": study_key, "tool": tool, **r} for r in rows]


# --- the writer ------------------------------------------------------------------------------------

@contextmanager
def locked(review: str, root: Path | None = None) -> Iterator[Path]:
    """Hold the review's rob.csv lock (exclusive, blocking) for the block."""
    import fcntl

    path = rob_path(review, root)
    with open(path.with_name(LOCK_NAME), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield path
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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
    (:class:`~litreview.rob2.AnswerError`) and a table that would not pass the schema
    (:class:`~litreview.schema.SchemaError`, ``file:row:column``). Returns the rows written."""
    keys = library_keys(review, root)
    if study_key not in keys:
        raise ValueError(f"references/{review}/library.bib: no study {study_key!r}; rob.csv rows are for "
                         "studies in the library")
    rows = rob_rows(study_key, tool, answers, note)
    label = f"data/{review}/{ROB.filename}"
    with locked(review, root) as path:
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
        fd, tmp = tempfile.mkstemp(prefix=f".{ROB.filename}.", suffix=".new", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write("".join(parts))
            read_table(Path(tmp), ROB, label)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return rows


def load_rob(review: str, study_key: str, root: Path | None = None) -> tuple[str | None, dict[str, str], dict[str, str]]:
    """A study's saved assessment for editing: ``(tool, answers, notes by domain)``;
    ``(None, {}, {})`` when it has no rows. Rows whose support the form did not write (typed
    by hand) give their tool and notes but no answers."""
    path = rob_path(review, root)
    if not path.is_file():
        return None, {}, {}
    table = read_table(path, ROB, f"data/{review}/{ROB.filename}")
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


# --- the widget ------------------------------------------------------------------------------------

_COLOURS = {"low": "#2e7d32", "some-concerns": "#f9a825", "high": "#c62828", "high confidence": "#2e7d32"}


def _badge(text: str, colour: str = "#555") -> str:
    return f"<b style='color:{colour}'>{html.escape(text)}</b>"


class RobForm:
    """The form for one review; ``display(form.box)`` or just the object. Pick a study (a key
    of the review's library.bib) and a tool; only the questions the flow asks are shown, each
    domain's judgement follows the answers, and Save writes the study's rows."""

    def __init__(self, review: str, root: Path | None = None, study_key: str | None = None, tool: str = "rob2"):
        import ipywidgets as w

        self.review, self.root = review, root
        keys = library_keys(review, root)
        if not keys:  # a review in progress: say what comes first instead of failing the notebook
            self.box = w.HTML(f"<p>No study in <code>references/{html.escape(review)}/library.bib</code> yet: "
                              "include records at full text (notebook 03, or <code>litreview include</code>) "
                              "and run this cell again.</p>")
            return
        self.study = w.Dropdown(options=keys, value=study_key if study_key in keys else keys[0],
                                description="Study", layout=w.Layout(width="32em"))
        self.tool = w.ToggleButtons(options=list(TOOLS), value=tool, description="Tool")
        self.questions: dict[str, w.Dropdown] = {}
        self.rows: dict[str, w.HBox] = {}
        self.notes: dict[str, w.Text] = {}
        self.judgements: dict[str, w.HTML] = {}
        self.overall = w.HTML()
        self.message = w.HTML()
        self.save_button = w.Button(description="Save", button_style="success")
        self.save_button.on_click(self.save)

        def question_row(key: str, text: str, options: tuple[str, ...]) -> w.HBox:
            menu = w.Dropdown(options=[("", "")] + [(o, o) for o in options], value="",
                              description=key, layout=w.Layout(width="13em"))
            menu.observe(lambda _: self.refresh(), names="value")
            self.questions[key] = menu
            self.rows[key] = w.HBox([menu, w.HTML(html.escape(text))])
            return self.rows[key]

        def domain_box(domain: str, title: str, rows: list) -> w.VBox:
            self.judgements[domain] = w.HTML()
            self.notes[domain] = w.Text(placeholder="note: what the report says, where", description="Note",
                                        layout=w.Layout(width="48em"))
            return w.VBox([w.HTML(f"<h4 style='margin:0.6em 0 0.2em'>{html.escape(title)}</h4>"), *rows,
                           self.notes[domain], self.judgements[domain]])

        self.rob2_box = w.VBox([domain_box(d, f"Domain {i}: {d.replace('-', ' ')}",
                                           [question_row(q.id, q.text, q.answers) for q in QUESTIONS[d]])
                                for i, d in enumerate(ROB2_DOMAINS, start=1)])
        self.amstar2_box = w.VBox([domain_box(item.domain, f"Item {item.number}: {item.domain.replace('-', ' ')}",
                                              [question_row(str(item.number), item.text, item.answers)])
                                   for item in AMSTAR2_ITEMS])
        self.design_box = domain_box(DESIGN_DOMAIN, "A design neither tool covers: one overall judgement",
                                     [question_row(DESIGN_DOMAIN, "risk of bias, from what the design can and "
                                                   "cannot rule out; give the reason in the note", ROB_JUDGEMENTS)])
        self.study.observe(lambda _: self.load(), names="value")
        self.tool.observe(lambda _: self.load(), names="value")
        self.box = w.VBox([w.HBox([self.study, self.tool]), self.rob2_box, self.amstar2_box, self.design_box,
                           self.overall,
                           w.HBox([self.save_button]), self.message])
        self.load()

    def _ipython_display_(self):
        from IPython.display import display

        display(self.box)

    # the keys of the current tool's questions
    def _keys(self) -> list[str]:
        if self.tool.value == "rob2":
            return [q.id for qs in QUESTIONS.values() for q in qs]
        if self.tool.value == "design":
            return [DESIGN_DOMAIN]
        return list(ITEM)

    def answers(self) -> dict[str, str]:
        """The answers the form would save: those of questions shown, for the current tool."""
        given = {k: self.questions[k].value for k in self._keys() if self.questions[k].value}
        if self.tool.value in ("amstar2", "design"):
            return given
        return {q: given[q] for d in ROB2_DOMAINS for q in asked(d, given) if q in given}

    def notes_by_domain(self) -> dict[str, str]:
        domains = {"rob2": ROB2_DOMAINS, "design": (DESIGN_DOMAIN,)}.get(self.tool.value, tuple(ITEM_BY_DOMAIN))
        return {d: self.notes[d].value for d in domains}

    def refresh(self) -> None:
        """Show the questions the flow asks and each domain's judgement so far."""
        rob2 = self.tool.value == "rob2"
        for tool, box in (("rob2", self.rob2_box), ("amstar2", self.amstar2_box), ("design", self.design_box)):
            box.layout.display = "" if self.tool.value == tool else "none"
        given = {k: self.questions[k].value for k in self._keys() if self.questions[k].value}
        if self.tool.value == "design":
            judgement = given.get(DESIGN_DOMAIN)
            self.judgements[DESIGN_DOMAIN].value = "" if judgement else _badge("to answer: the overall judgement")
            self.overall.value = ("Overall: " + _badge(judgement, _COLOURS[judgement])) if judgement else ""
        elif rob2:
            done = {}
            for domain in ROB2_DOMAINS:
                shown = asked(domain, given)
                for q in QUESTIONS[domain]:
                    self.rows[q.id].layout.display = "" if q.id in shown else "none"
                try:
                    done[domain] = judge(domain, {q: given[q] for q in shown if q in given})
                    self.judgements[domain].value = "Judgement: " + _badge(done[domain], _COLOURS[done[domain]])
                except AnswerError:
                    waiting = [q for q in shown if q not in given]
                    self.judgements[domain].value = _badge(f"to answer: {', '.join(waiting)}")
            self.overall.value = ("Overall: " + _badge(overall(done), _COLOURS[overall(done)])
                                  if len(done) == len(ROB2_DOMAINS) else "")
        else:
            for item in AMSTAR2_ITEMS:
                answer = given.get(str(item.number))
                self.judgements[item.domain].value = (
                    _badge("critical flaw", _COLOURS["high"]) if answer == "no" else "" if answer
                    else _badge(f"to answer: item {item.number}"))
            try:
                self.overall.value = "Overall confidence (critical items only): " + _badge(amstar2_rating(given))
            except AnswerError:
                self.overall.value = ""

    def load(self) -> None:
        """Fill the form with the study's saved answers for the chosen tool (blank if none)."""
        tool, answers, notes = load_rob(self.review, self.study.value, self.root)
        mine = tool == self.tool.value
        for key, menu in self.questions.items():
            value = answers.get(key, "") if mine else ""
            menu.value = value if value in [v for _, v in menu.options] else ""
        for domain, box in self.notes.items():
            box.value = notes.get(domain, "") if mine else ""
        if mine and answers:
            said = f"loaded the saved {tool} assessment"
        elif mine:
            said = (f"the saved {tool} rows were typed by hand: their notes are loaded; answer the questions "
                    "to derive the judgements")
        else:
            said = f"the saved rows use {tool}; saving replaces them" if tool else ""
        self.message.value = html.escape(said)
        self.refresh()

    def save(self, _=None) -> None:
        """Write the study's rows (the Save button)."""
        try:
            rows = save_rob(self.review, self.study.value, self.tool.value, self.answers(), self.notes_by_domain(),
                            self.root)
        except (ValueError, SchemaError) as exc:
            self.message.value = f"<b>not saved:</b> {html.escape(str(exc))}"
            return
        summary = ", ".join(f"{r['domain']} {r['judgement']}" for r in rows)
        self.message.value = html.escape(f"saved {len(rows)} row{'s' if len(rows) != 1 else ''} for "
                                         f"{self.study.value}: {summary}")


__all__ = ["NOTE_MARK", "RobForm", "TOOLS", "library_keys", "load_rob", "parse_support", "rob_rows", "save_rob",
           "support_text"]
