"""The screening widget of notebook 03: one record at a time, in ranked order.

It shows the record's title, journal and year, and its abstract with the claims' PICO words
highlighted; buttons include it, exclude it with a reason from
:data:`litreview.tables.schema.EXCLUSION_REASONS`, or undo the last decision; progress and the
stopping rule's advice are shown under it. Every decision goes through
:func:`litreview.collect.screening.decide` and :func:`litreview.collect.screening.undo`, so it is in
``screening.csv`` the moment the button is pressed, and the CLI sees it.

At the full-text stage, including a record also writes its ``library.bib`` entry from the
record's own metadata (:func:`litreview.appraise.inclusion.include`): the decision and the entry go
together, or, when the record cannot be entered (no DOI or PMID), neither is written. The
key of the last study included is kept in ``last_included`` for the extraction form.

Speed: a click should answer within :data:`CLICK_BUDGET_S`. While refitting the model takes
less, every click refits it before the next record is chosen (the ranking ASReview's
simulation gives). Once a refit takes longer (thousands of decisions in a large queue), the next
record comes from the last model fitted and the refit runs in a background thread, as
ASReview LAB trains while the reviewer reads; the status line says how many decisions the
ranking lags, and the first click after the refit uses it.

Keyboard: JupyterLab gives widgets no key bindings, so the widget has a small "keys" box; with
it focused, ``i`` includes, ``1``-``9``/``0`` exclude with the reason of that number (as
listed beside the buttons), ``u`` undoes, and ``r`` reads the queue again (after decisions
made elsewhere: another notebook or a terminal). The other stage's widget in the same notebook
reads its queue again by itself after every decision and undo.

Reviewer: the status line names who decides (``reviewer``, else ``$LITREVIEW_REVIEWER``, else
the login name). With two reviewers (review.toml ``[reviewers] screening = 2``) the queue,
progress and stopping rule are the reviewer's own, the other's decisions unseen; a
**Conflicts** button opens the records the two decided differently, both decisions side by
side, where one is settled (the final decision, how: consensus or third reviewer, and a note)
or its settlement taken back (:func:`litreview.collect.screening.settle`). A full-text conflict
settled include gets its library entry then.
"""

from __future__ import annotations

import html
import re
import threading
import time
import weakref
from pathlib import Path

from ..appraise.inclusion import InclusionError, include
from ..collect.screening import (
    EXCLUSION_REASONS,
    FULL_TEXT,
    TITLE_ABSTRACT,
    ScreeningError,
    conflicts_of,
    decide,
    pico_terms,
    queue,
    reviewer_name,
    settle,
    undo,
    unsettle,
)
from ..tables.schema import SETTLEMENT_WAYS

# a response within 0.1 s feels instantaneous (Nielsen 1993, Usability Engineering, ch. 5,
# "response times"): beyond it, the refit goes to the background (see the module docstring)
CLICK_BUDGET_S = 0.1

KEYS = {str((n + 1) % 10): reason for n, reason in enumerate(EXCLUSION_REASONS)}

# the widgets open in this kernel: a decision at one stage changes the other stage's queue (an
# include at title/abstract is a record for full text), so that widget reads its queue again
_OPEN: weakref.WeakSet = weakref.WeakSet()


def highlight(text: str, terms: list[str]) -> str:
    """``text`` as HTML with every whole-word occurrence of ``terms`` in ``<mark>``."""
    escaped = html.escape(text or "")
    if not terms:
        return escaped
    pattern = re.compile(r"\b(" + "|".join(re.escape(html.escape(t)) for t in terms) + r")\w*", re.I)
    return pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", escaped)


def record_html(record: dict, terms: list[str]) -> str:
    meta = " · ".join(v for v in (record.get("journal", ""), record.get("year", ""), record.get("record_id", "")) if v)
    return (f"<h3 style='margin:0.2em 0'>{highlight(record.get('title', ''), terms)}</h3>"
            f"<div style='color:#555'>{html.escape(meta)}</div>"
            f"<p style='max-width:60em'>{highlight(record.get('abstract', '') or '(no abstract)', terms)}</p>")


class ScreeningWidget:
    """The widget for one review and stage; ``display(widget.box)`` or just the object."""

    def __init__(self, review: str, stage: str = TITLE_ABSTRACT, root: Path | None = None,
                 reviewer: str | None = None):
        import ipywidgets as w

        self.review, self.stage, self.root = review, stage, root
        self.reviewer = reviewer_name(reviewer)
        self.record: dict | None = None
        self.last_included: str | None = None  # library key of the last study included at full text
        self._fitted = None       # (ranker, scores, decisions they were fitted on): the last ranking
        self._slow = False        # the last refit took longer than CLICK_BUDGET_S
        self._fitting: threading.Thread | None = None
        self._busy = False        # a background refit is running
        self._waiting = None      # (ranker, labels) to refit once the running refit ends
        self._lock = threading.Lock()
        self.lag = 0              # decisions the ranking shown has not been fitted on
        self.refit_ms = 0.0       # how long the last refit took
        self._terms_of = None  # the ranker the highlighted terms were read for
        self.terms: list[str] = []
        self.view = w.HTML()
        self.status = w.HTML()
        self.message = w.HTML()
        self.include = w.Button(description="Include (i)", button_style="success")
        self.include.on_click(lambda _: self._decide("include"))
        self.excludes = []
        for key, reason in KEYS.items():
            button = w.Button(description=f"{reason} ({key})", button_style="danger",
                              layout=w.Layout(width="auto"))
            button.on_click(lambda _, r=reason: self._decide("exclude", r))
            self.excludes.append(button)
        self.undo_button = w.Button(description="Undo (u)", button_style="warning")
        self.undo_button.on_click(lambda _: self._undo())
        self.refresh_button = w.Button(description="Refresh (r)", tooltip="read the queue again")
        self.refresh_button.on_click(lambda _: self.refresh())
        self.keys = w.Text(placeholder="keys: i, 1-9/0, u, r", layout=w.Layout(width="12em"))
        self.keys.observe(self._key, names="value")
        self.progress = w.IntProgress(min=0, max=1, value=0)
        self.conflicts = ConflictsView(self)
        self.box = w.VBox([self.view, w.HBox([self.include, self.undo_button, self.refresh_button, self.keys,
                                              self.conflicts.button]),
                           w.HBox(self.excludes, layout=w.Layout(flex_flow="row wrap")),
                           self.progress, self.status, self.message, self.conflicts.box])
        self.refresh()
        _OPEN.add(self)

    def _ipython_display_(self):
        from IPython.display import display

        display(self.box)

    def refresh(self) -> None:
        q = queue(self.review, self.stage, self.root, self.reviewer)
        if q.ranker is not self._terms_of:  # the records or the claims changed: read the terms again
            searches = set(q.records["search_id"]) - {""}
            self.terms = pico_terms(self.review, searches, self.root) if len(q.records) else []
            self._terms_of = q.ranker
        self.record = self._next(q)
        self.progress.max, self.progress.value = max(len(q.records), 1), len(q.decided)
        lag = (f" Ranked by the model fitted {self.lag} decision{'s' if self.lag != 1 else ''} ago; "
               f"refitting in the background (the last refit took {self.refit_ms:,.0f} ms)." if self.lag else "")
        self.status.value = html.escape(f"Reviewer: {self.reviewer or 'unnamed'}. {q.progress()}. "
                                        f"{q.stopping().describe()}{lag}")
        self.conflicts.refresh(q)
        if len(q.records) == 0 and self.stage == FULL_TEXT:
            self.view.value = ("<p>No record is included at title/abstract yet: include records there first, "
                               "then <b>Refresh</b> this queue.</p>")
        elif len(q.records) == 0:
            self.view.value = ("<p>No records to screen at this stage: import or search first "
                               "(<code>litreview search</code>, <code>litreview import</code>).</p>")
        elif self.record is None:
            self.view.value = f"<p>Every record of the {html.escape(self.stage)} stage has a decision.</p>"
        else:
            self.view.value = record_html(self.record, self.terms)
        for button in [self.include, *self.excludes]:
            button.disabled = self.record is None

    def _next(self, q) -> dict | None:
        """The record to show next (see "Speed" in the module docstring)."""
        labels = q.labels()
        fitted = self._fitted
        if self._slow and fitted is not None and fitted[0] is q.ranker:
            order = q.ranker.order(labels, scores=fitted[1])
            self.lag = max(0, len(labels) - fitted[2])
            if self.lag:
                self._refit_later(q.ranker, labels)
        else:
            scores = self._fit(q.ranker, labels)
            order = q.ranker.order(labels, scores=scores)
            self.lag = 0
        return q.records.iloc[int(order[0])].to_dict() if len(order) else None

    def _fit(self, ranker, labels: dict) -> object:
        started = time.perf_counter()
        scores = ranker.scores(labels)
        took = time.perf_counter() - started
        self._slow, self.refit_ms = took > CLICK_BUDGET_S, 1000 * took
        self._fitted = (ranker, scores, len(labels))
        return scores

    def _refit_later(self, ranker, labels: dict) -> None:
        """Refit on ``labels`` in a background thread; while one runs, the newest labels wait
        and are fitted next (older waiting ones are dropped)."""
        with self._lock:
            self._waiting = (ranker, dict(labels))
            if self._busy:
                return
            self._busy = True

        def work() -> None:
            while True:
                with self._lock:
                    job, self._waiting = self._waiting, None
                    if job is None:
                        self._busy = False
                        return
                self._fit(*job)

        self._fitting = threading.Thread(target=work, name="litreview-refit", daemon=True)
        self._fitting.start()

    def _decide(self, decision: str, reason: str = "") -> None:
        if self.record is None:
            return
        try:
            if self.stage == FULL_TEXT and decision == "include":
                done = include(self.review, self.record["record_id"], decide=True, root=self.root,
                               reviewer=self.reviewer)
                self.last_included = None if done.waiting else done.key
                self.message.value = html.escape(f"written: {self.record['record_id']} include; "
                                                 f"{done.describe(self.review)}")
            else:
                made = decide(self.review, self.record["record_id"], decision, reason, self.stage, self.root,
                              self.reviewer)
                self.message.value = html.escape(f"written: {made.record_key} {made.decision}"
                                                 + (f" ({made.reason})" if made.reason else ""))
        except (ScreeningError, InclusionError) as exc:  # e.g. decided meanwhile in another notebook
            self.message.value = f"<b>not written:</b> {html.escape(str(exc))}"
        self.refresh()
        self._refresh_other_stages()

    def _refresh_other_stages(self) -> None:
        """Read the queue again in this kernel's widgets of the same review at another stage."""
        for other in list(_OPEN):
            if other is not self and (other.review, other.root) == (self.review, self.root) \
                    and other.stage != self.stage:
                other.refresh()

    def _undo(self) -> None:
        try:
            gone = undo(self.review, root=self.root, reviewer=self.reviewer)
            self.message.value = html.escape(f"undone: {gone.record_key} {gone.decision} at {gone.stage} "
                                             f"({gone.whose()})")
        except ScreeningError as exc:
            self.message.value = f"<b>nothing undone:</b> {html.escape(str(exc))}"
        self.refresh()
        self._refresh_other_stages()

    def _key(self, change) -> None:
        key = (change["new"] or "")[-1:].lower()
        if not key:
            return
        self.keys.value = ""
        if key == "i":
            self._decide("include")
        elif key == "u":
            self._undo()
        elif key == "r":
            self.refresh()
        elif key in KEYS:
            self._decide("exclude", KEYS[key])


class ConflictsView:
    """The Conflicts view of a :class:`ScreeningWidget` (two reviewers only): the records the
    two decided differently at its stage, both decisions side by side, and the settlement of
    the one chosen."""

    EXCLUDE = "exclude: "

    def __init__(self, owner: ScreeningWidget):
        import ipywidgets as w

        self.owner = owner
        self.button = w.Button(description="Conflicts", tooltip="the records the two reviewers decided differently",
                               layout=w.Layout(display="none", width="auto"))
        self.button.on_click(lambda _: self.toggle())
        self.table = w.HTML()
        self.pick = w.Dropdown(description="record", layout=w.Layout(width="32em"))
        self.decision = w.Dropdown(description="decision", options=["include", *(self.EXCLUDE + r for r in
                                                                                 EXCLUSION_REASONS)])
        self.how = w.Dropdown(description="how", options=list(SETTLEMENT_WAYS))
        self.note = w.Text(description="note", placeholder="what settled it, in your words",
                           layout=w.Layout(width="40em"))
        self.settle_button = w.Button(description="Settle", button_style="info")
        self.settle_button.on_click(lambda _: self.settle())
        self.unsettle_button = w.Button(description="Take back settlement", button_style="warning",
                                        layout=w.Layout(width="auto"))
        self.unsettle_button.on_click(lambda _: self.unsettle())
        self.message = w.HTML()
        self.box = w.VBox([self.table, self.pick, w.HBox([self.decision, self.how]), self.note,
                           w.HBox([self.settle_button, self.unsettle_button]), self.message],
                          layout=w.Layout(display="none"))
        self.titles: dict[str, str] = {}

    def toggle(self) -> None:
        self.box.layout.display = "flex" if self.box.layout.display == "none" else "none"

    def refresh(self, q) -> None:
        """Show the button with two reviewers; list the conflicts of the stage."""
        self.button.layout.display = "flex" if q.double else "none"
        if not q.double:
            self.box.layout.display = "none"
            return
        found = conflicts_of(self.owner.review, self.owner.stage, self.owner.root)
        self.titles = dict(zip(q.records["record_id"], q.records["title"]))
        open_ = int(found["settled"].isna().sum())
        self.button.description = f"Conflicts ({open_} to settle)" if open_ else f"Conflicts ({len(found)})"
        chosen = self.pick.value
        self.pick.options = [(f"{r.record_key}: {'settled ' + r.settled if r.settled else 'not settled'}",
                              r.record_key) for r in found.itertuples()]
        keys = list(found["record_key"])
        # the record chosen stays chosen; else the first not settled, else the first
        waiting = list(found.loc[found["settled"].isna(), "record_key"])
        self.pick.value = chosen if chosen in keys else (waiting or keys or [None])[0]
        self.table.value = self.html(found)

    def html(self, found) -> str:
        if found.empty:
            return f"<p>No conflicts at {html.escape(self.owner.stage)}: where both reviewers decided, they agree.</p>"

        def side(r, s: str) -> str:
            reason = getattr(r, f"{s}_reason")
            return html.escape(f"{getattr(r, f'{s}_reviewer') or 'unnamed'}: {getattr(r, f'{s}_decision')}"
                               + (f" ({reason})" if reason else ""))

        rows = "".join(
            f"<tr><td>{html.escape(r.record_key)}<br><small>{html.escape(self.titles.get(r.record_key, ''))}"
            f"</small></td><td class='lr-first'>{side(r, 'first')}</td><td class='lr-second'>{side(r, 'second')}</td>"
            f"<td>{html.escape(f'{r.settled} ({r.how}): {r.note}') if r.settled else '<b>not settled</b>'}</td></tr>"
            for r in found.itertuples())
        return ("<table class='lr-conflicts'><tr><th>record</th><th>first reviewer</th><th>second reviewer</th>"
                f"<th>settlement</th></tr>{rows}</table>")

    def settle(self) -> None:
        o = self.owner
        if not self.pick.value:
            return
        decision, _, reason = self.decision.value.partition(self.EXCLUDE)
        decision, reason = ("exclude", reason) if reason else ("include", "")
        try:
            made = settle(o.review, self.pick.value, decision, self.how.value, self.note.value, reason, o.stage,
                          o.root, o.reviewer)
            said = f"settled: {made.describe()}"
            if o.stage == FULL_TEXT and decision == "include":
                done = include(o.review, made.record_key, root=o.root)
                o.last_included = done.key
                said += f"; {done.describe(o.review)}"
            self.message.value = html.escape(said)
            self.note.value = ""
        except (ScreeningError, InclusionError) as exc:
            self.message.value = f"<b>not written:</b> {html.escape(str(exc))}"
        o.refresh()
        o._refresh_other_stages()

    def unsettle(self) -> None:
        o = self.owner
        if not self.pick.value:
            return
        try:
            gone = unsettle(o.review, self.pick.value, o.stage, o.root)
            self.message.value = html.escape(f"taken back: the settlement {gone.describe()}")
        except ScreeningError as exc:
            self.message.value = f"<b>nothing taken back:</b> {html.escape(str(exc))}"
        o.refresh()
        o._refresh_other_stages()


__all__ = ["FULL_TEXT", "TITLE_ABSTRACT", "ConflictsView", "ScreeningWidget", "highlight", "record_html"]
