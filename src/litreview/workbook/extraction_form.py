"""The extraction form of notebook 04: one evidence row, from an included study to
``evidence.csv``, and what it changes in the claim's grade.

The form has a claim picker (id and restatement), a study picker (the keys of
``library.bib``), dropdowns whose words are the schema's vocabularies
(:data:`litreview.tables.schema.DESIGNS`, :data:`~litreview.tables.schema.DIRECTIONS`, ...), text fields for
the PICO, n, effect and interval (typed as text, so "not reported" is an empty field and a
mistyped number gets the schema's own message), text areas for the indirectness note and the
finding, and a "copy from" picker that pre-fills the form from another claim's row
(:func:`litreview.appraise.extraction.prefill_from`: the direction and indirectness are left empty, to
be judged against the picked claim).

Indirectness is asked as four questions (:data:`litreview.tables.schema.INDIRECTNESS_QUESTIONS`:
population, intervention, comparator, outcome, each with its answers' one-line meanings); the
judgement derived from them (:func:`litreview.appraise.indirectness.derive`) is shown live and
fills the row's indirectness, unless an override is picked, which needs a reason. Answered,
they are written to ``indirectness.csv`` beside the row (:func:`litreview.appraise.indirectness.save_answers`);
the questions are checked before the row is appended, so a refused answer writes nothing.

What a study reports beyond its effect (the optional columns of
:data:`~litreview.tables.schema.EVIDENCE`: the comparator and outcome type, events or the control
group's risk, and what a review reports about its trials: their number, their risk-of-bias shares or
that it reports none, I², its test for heterogeneity, small-study effects, rows that share
participants) has its own fields, each with
its one-line meaning, checked on save like the others; a column the review's ``evidence.csv``
header does not have yet is shown disabled, since a value there could not be written.

Save goes through :func:`litreview.appraise.extraction.append_row`: a row with problems is refused and
its ``file:row:column`` messages are shown in the form, nothing written; a row without is
appended at once, and the form shows the claim's grade before and after ("M04: unsupported,
very low -> supported, moderate") and what ``litreview check`` will still ask for (risk of
bias of a new study, the claim's explanation), which the form does not write.
"""

from __future__ import annotations

import html
from pathlib import Path

from ..appraise import double, indirectness
from ..appraise.extraction import REJUDGED, RowRefused, append_row, blank_row, cell_text, evidence_path, prefill_from
from ..appraise.extraction import _header_of as header_of
from ..checks import still_needed
from ..grade.assessment import claim_grade
from ..grade.claim import grade_change
from ..tables.review import Review
from ..tables.schema import (
    CERTAINTIES,
    COMPARATOR_TYPES,
    DESIGNS,
    DIRECTIONS,
    EFFECT_MEASURES,
    EVIDENCE,
    INDIRECTNESS,
    INDIRECTNESS_QUESTIONS,
    OUTCOME_TYPES,
    SchemaError,
)

# the columns added after tables were written (litreview.grade.certainty_rules reads them)
OPTIONAL = tuple(c.name for c in EVIDENCE.columns if c.may_be_absent)
YES_NO = ("true", "false")
CHOICES = {"design": DESIGNS, "direction": DIRECTIONS, "effect_measure": EFFECT_MEASURES,
           "indirectness": INDIRECTNESS, "review_certainty": CERTAINTIES, "comparator_type": COMPARATOR_TYPES,
           "outcome_type": OUTCOME_TYPES, **{c.name: YES_NO for c in EVIDENCE.columns if c.kind == "bool"}}
SHORT = ("n", "effect", "ci_low", "ci_high", *(c.name for c in EVIDENCE.columns if c.may_be_absent
                                                 and c.kind in ("int", "float")))
AREAS = ("indirectness_note", "finding")
EMPTY = "—"  # the dropdowns' "nothing chosen yet"


def _meanings() -> str:
    """The answers' one-line meanings, for the four questions."""
    parts = [f"<b>{html.escape(q)}</b>: " + "; ".join(f"<i>{html.escape(a)}</i> {html.escape(m)}"
                                                     for a, m in answers.items())
             for q, answers in INDIRECTNESS_QUESTIONS.items()]
    return "<details><summary>what the answers mean</summary>" + "<br>".join(parts) + "</details>"


def _optional_meanings() -> str:
    """The optional columns' one-line meanings (the schema's descriptions)."""
    parts = [f"<b>{html.escape(c.name.replace('_', ' '))}</b>: {html.escape(c.description)}"
             for c in EVIDENCE.columns if c.name in OPTIONAL]
    return "<details><summary>what these fields mean</summary>" + "<br>".join(parts) + "</details>"


def _list(items: list[str]) -> str:
    return "<ul style='margin:0.2em 0'>" + "".join(f"<li><code>{html.escape(i)}</code></li>" for i in items) + "</ul>"


class ExtractionForm:
    """The form for one review; ``display(form.box)`` or just the object. ``study_key`` and
    ``claim_id`` pick the study and claim to start with (e.g. the study just included)."""

    def __init__(self, review: str, study_key: str | None = None, claim_id: str | None = None,
                 root: Path | None = None, reviewer: str | None = None):
        import ipywidgets as w

        self.review, self.root = review, root
        rv = Review.load(review, root)
        claims = [(f"{c.claim_id} · {c.claim[:70]}", c.claim_id) for c in rv.claims.itertuples()]
        studies = [(f"{e.key} · {e.get('title')[:60]}", e.key) for e in rv.library]
        if study_key and study_key not in {k for _, k in studies}:
            studies.append((f"{study_key} (not in library.bib)", study_key))  # kept, so Save says so
        wide = w.Layout(width="46em")
        if claim_id and claim_id not in {c for _, c in claims}:
            claims.append((f"{claim_id} (not in claims.csv)", claim_id))
        self.claim = w.Dropdown(options=[(EMPTY, None), *claims], value=claim_id, description="claim", layout=wide)
        self.fields: dict[str, w.Widget] = {
            "study_key": w.Dropdown(options=[(EMPTY, None), *studies], value=study_key, description="study",
                                    layout=wide)}
        for name in EVIDENCE.names:
            if name in ("evidence_id", "claim_id", "study_key"):
                continue
            label = name.replace("_", " ")
            if name in CHOICES:
                self.fields[name] = w.Dropdown(options=[(EMPTY, None), *[(v, v) for v in CHOICES[name]]],
                                               description=label)
            elif name in AREAS:
                self.fields[name] = w.Textarea(description=label, layout=w.Layout(width="46em", height="4em"))
            else:
                short = name in SHORT
                self.fields[name] = w.Text(description=label, layout=w.Layout(width="20em") if short else wide)
        for name, hint in (("n", "participants; empty if not reported"), ("effect", "e.g. -0.42"),
                           ("locator", "where in the source: section, table, figure, page")):
            self.fields[name].placeholder = hint
        self.fields["overlaps"].placeholder = "evidence ids or study keys, space-separated"
        path = evidence_path(review, rv.root)
        header = header_of(path.read_bytes()) if path.is_file() else EVIDENCE.names
        self.absent = [name for name in OPTIONAL if name not in header]
        for name in self.absent:
            self.fields[name].disabled = True
        self.optional_note = w.HTML(
            "<b>What the study reports beyond its effect</b> (optional; a review's account of its trials is "
            "read by the grade)" + _optional_meanings()
            + (f"<i>Not in this review's evidence.csv header, so not offered: "
               f"{html.escape(', '.join(self.absent))}; add the columns to the header to record them.</i>"
               if self.absent else ""))
        self.questions = {q: w.Dropdown(options=[(EMPTY, None), *[(a, a) for a in answers]], description=q)
                          for q, answers in INDIRECTNESS_QUESTIONS.items()}
        self.meanings = w.HTML(_meanings())
        self.override = w.Dropdown(options=[(EMPTY, None), *[(v, v) for v in INDIRECTNESS]], description="override")
        self.override_reason = w.Text(description="reason", placeholder="why the derived judgement does not fit",
                                      layout=wide)
        self.derived = w.HTML()
        for widget in (*self.questions.values(), self.override):
            widget.observe(lambda _: self._show_derived(), names="value")
        self.copy_from = w.Dropdown(description="copy from", layout=wide)
        for widget in (self.claim, self.copy_from, *self.fields.values(), *self.questions.values(), self.override,
                       self.override_reason):
            widget.style.description_width = "9em"  # "indirectness note", "review certainty" in full
        self.copy_from.observe(self._copy, names="value")
        self.claim.observe(lambda _: self._show_grade(), names="value")
        self.save = w.Button(description="Save row", button_style="success")
        self.save.on_click(lambda _: self._save())
        self.message = w.HTML()
        self.grade = w.HTML()
        f = self.fields
        self.box = w.VBox([
            self.claim, f["study_key"], self.copy_from,
            w.HBox([f["design"], f["n"]]), f["population"], f["intervention"], f["comparator"], f["outcome"],
            f["direction"],
            w.HTML("<b>Indirectness</b>: how the study's population, intervention, comparator and outcome "
                   "stand to the claim as the article states it"),
            w.HBox(list(self.questions.values())[:2]), w.HBox(list(self.questions.values())[2:]),
            self.meanings, self.derived, w.HBox([f["indirectness"], self.override]), self.override_reason,
            f["indirectness_note"],
            w.HBox([f["effect_measure"], f["effect"]]), w.HBox([f["ci_low"], f["ci_high"]]),
            f["review_certainty"], f["finding"], f["locator"],
            self.optional_note, *[w.HBox([f[n] for n in OPTIONAL[i:i + 2]]) for i in range(0, len(OPTIONAL), 2)],
            self.save, self.message, self.grade])
        self._copy_sources(rv)
        self._show_grade(rv)
        self.double = rv.reviewers_needed("extraction") == 2
        if self.double:
            self._two_reviewers(rv, reviewer)

    def _ipython_display_(self):
        from IPython.display import display

        display(self.box)

    # --- the row in the form ------------------------------------------------------------------
    def row(self) -> dict:
        """The row as the form holds it (text as typed; an empty field is an empty cell)."""
        row = blank_row(self.claim.value)
        for name, widget in self.fields.items():
            value = widget.value
            row[name] = value.strip() or None if isinstance(value, str) else value
        return row

    def fill(self, row: dict) -> None:
        """Put ``row``'s values in the form (the claim picker is left as it is)."""
        for name, widget in self.fields.items():
            value = row.get(name)
            if isinstance(value, bool):
                value = str(value).lower()   # a yes/no column read from a table
            elif isinstance(value, (list, tuple)):
                value = " ".join(value)      # a list column (overlaps)
            if name in CHOICES or name == "study_key":
                widget.value = value if value in {v for _, v in widget.options} else None
            else:
                widget.value = cell_text(value)

    def clear(self) -> None:
        """Empty every field but the claim and the study, ready for the next row."""
        self.fill({**blank_row(), "study_key": self.fields["study_key"].value})
        for widget in (*self.questions.values(), self.override):
            widget.value = None
        self.override_reason.value = ""

    def answers(self) -> dict:
        """The indirectness questions as answered so far (None where not yet)."""
        return {q: widget.value for q, widget in self.questions.items()}

    def _show_derived(self) -> None:
        """The judgement the answers give, live; it (or the override) fills the row's indirectness."""
        answers = self.answers()
        if not all(answers.values()):
            left = ", ".join(q for q, a in answers.items() if not a)
            self.derived.value = f"<i>derived indirectness: answer {html.escape(left)}</i>"
            return
        judged = indirectness.derive(answers)
        shown = f"derived indirectness: <b>{judged}</b> ({html.escape(indirectness.why(answers))})"
        if self.override.value:
            shown += f"; overridden as <b>{self.override.value}</b>: give the reason"
        self.derived.value = shown
        self.fields["indirectness"].value = self.override.value or judged

    def _answers_problem(self) -> str | None:
        """Why the indirectness answers cannot be saved, or None (also None when none is given)."""
        answers = self.answers()
        given = [a for a in answers.values() if a]
        if not given and not self.override.value:
            return None
        if len(given) < len(answers):
            return "answer all four indirectness questions, or none"
        if self.override.value and not self.override_reason.value.strip():
            return "an override of the derived indirectness needs a reason"
        if not (self.fields["indirectness_note"].value or "").strip():
            return "say in the indirectness note why these answers apply"
        return None

    # --- actions ------------------------------------------------------------------------------
    def _copy_sources(self, rv: Review | None = None) -> None:
        rv = rv or Review.load(self.review, self.root)
        rows = rv.evidence
        options = [(f"{r.evidence_id} · {r.claim_id} · {r.study_key} · {str(r.outcome)[:40]}", r.evidence_id)
                   for r in rows.itertuples()]
        self.copy_from.unobserve(self._copy, names="value")
        self.copy_from.options = [(EMPTY, None), *options]
        self.copy_from.value = None
        self.copy_from.observe(self._copy, names="value")

    def _copy(self, change) -> None:
        source = change["new"]
        if not source:
            return
        claim = self.claim.value
        if claim is None:
            self.message.value = "<b>Pick the claim first</b>: the copy is judged against it."
            return
        try:
            rv = Review.load(self.review, self.root)
            row = prefill_from(rv, source, claim)
        except (KeyError, SchemaError) as exc:
            self.message.value = f"<b>not copied:</b> {html.escape(str(exc))}"
            return
        self.fill(row)
        old = rv.evidence[rv.evidence["evidence_id"] == source].iloc[0]
        was = ", ".join(f"{c.replace('_', ' ')} {old[c]!r}" for c in REJUDGED if old[c])
        self.message.value = html.escape(
            f"Copied from {source} (claim {old['claim_id']}). Direction and indirectness are left empty: judge them "
            f"against {claim} as the article states it. For {old['claim_id']} the row said: {was}.")

    def _show_grade(self, rv: Review | None = None) -> None:
        if self.claim.value is None:
            self.grade.value = ""
            return
        try:
            g = claim_grade(rv or Review.load(self.review, self.root), self.claim.value)
        except (KeyError, SchemaError) as exc:
            self.grade.value = f"<b>no grade:</b> {html.escape(str(exc))}"
            return
        self.grade.value = (f"<p>Now: <b>{html.escape(g.short())}</b> ({html.escape(g.expert_verdict)}). "
                            f"{html.escape(g.rationale)}</p>")

    # --- two extraction reviewers: each saves their own extraction (litreview.appraise.double) ----------
    def _two_reviewers(self, rv: Review, reviewer: str | None) -> None:
        """With ``[reviewers] extraction = 2`` a save goes to extractions.csv under the reviewer's
        name, and the form shows only that reviewer's own answers; the consensus row is written by
        reconciling. Copying from evidence.csv (the consensus) and the override are hidden."""
        import ipywidgets as w

        self.reviewer = w.Text(value=reviewer or double.reviewer_name(), description="reviewer",
                               placeholder="your name (LITREVIEW_REVIEWER)")
        self.reviewer.style.description_width = "9em"
        self.extract_row = w.Dropdown(description="row", layout=w.Layout(width="46em"))
        self.extract_row.style.description_width = "9em"
        for hidden in (self.copy_from, self.override, self.override_reason):
            hidden.layout = w.Layout(display="none")  # its own: the fields share their width's layout
        note = w.HTML("<i>Two reviewers extract independently: your answers go to <code>extractions.csv</code> "
                      "under your name, the other reviewer's stay hidden, and the reconcile view below settles "
                      "the differences into <code>evidence.csv</code>.</i>")
        self.box.children = (self.reviewer, self.extract_row, note, *self.box.children)
        self.reviewer.observe(lambda _: self._extract_rows(), names="value")
        self.extract_row.observe(lambda _: self._pick_row(), names="value")
        self._extract_rows(rv)

    def _extract_rows(self, rv: Review | None = None) -> None:
        rv = rv or Review.load(self.review, self.root)
        me = self.reviewer.value.strip()
        listed = [(f"{r['evidence_id']} · {r['claim_id']} · {r['study_key']}" + (" (yours: edit)" if r["mine"] else ""),
                   r["evidence_id"]) for r in double.rows_to_extract(rv, me)]
        self.extract_row.options = [("new row", None), *listed]
        self.extract_row.value = None

    def _pick_row(self) -> None:
        """Put the row's claim and study in the form, with this reviewer's own answers if saved."""
        eid = self.extract_row.value
        self.clear()
        if eid is None:
            return
        rv = Review.load(self.review, self.root)
        [known] = [r for r in double.rows_to_extract(rv, self.reviewer.value.strip()) if r["evidence_id"] == eid]
        self.claim.value = known["claim_id"] if known["claim_id"] in {v for _, v in self.claim.options} else None
        own = double.own_extraction(rv, eid, self.reviewer.value.strip())
        row, answers = double.form_row_of(own) if own else ({"study_key": known["study_key"]}, {})
        self.fill({**row, "study_key": known["study_key"]})
        for q, widget in self.questions.items():
            widget.value = answers.get(q)

    def _save_extraction(self) -> None:
        refused = self._answers_problem()
        if refused:
            self.message.value = f"<b>Not saved</b>: {html.escape(refused)}."
            return
        extraction = double.extraction_of(self.row(), self.answers(), self.extract_row.value)
        try:
            eid = double.save_extraction(self.review, self.reviewer.value, extraction, self.root)
        except SchemaError as exc:
            self.message.value = f"<b>Not saved</b> ({len(exc.problems)} problem(s)):" + _list(
                [str(p) for p in exc.problems])
            return
        except ValueError as exc:
            self.message.value = f"<b>Not saved</b>: {html.escape(str(exc))}."
            return
        self.clear()
        self._extract_rows()
        self.message.value = (f"Saved your extraction of {html.escape(eid)} to <code>extractions.csv</code> as "
                              f"{html.escape(self.reviewer.value.strip())}; reconcile it once both reviewers have.")

    def _save(self) -> None:
        if self.double:
            self._save_extraction()
            return
        row = self.row()
        claim = row["claim_id"]
        refused = self._answers_problem()
        if refused:
            self.message.value = f"<b>Not saved</b>: {html.escape(refused)}."
            return
        try:
            before = claim_grade(self.review, claim, self.root) if claim else None
        except (KeyError, SchemaError):
            before = None  # an unknown claim: append_row refuses it with the check's message
        try:
            evidence_id = append_row(self.review, row, self.root)
        except RowRefused as exc:
            self.message.value = f"<b>Not saved</b> ({len(exc.messages)} problem(s)):" + _list(exc.messages)
            return
        except SchemaError as exc:  # the table itself does not read
            self.message.value = "<b>Not saved</b>: evidence.csv has problems to fix first:" + _list(
                [str(p) for p in exc.problems])
            return
        answered = self.answers()
        if all(answered.values()):
            indirectness.save_answers(self.review, evidence_id, answered, row["indirectness_note"] or "",
                                      self.override.value or "", self.override_reason.value, self.root)
        rv = Review.load(self.review, self.root)
        label = rv.label(evidence_path(self.review, rv.root))
        saved = f"Saved {html.escape(evidence_id)} to <code>{html.escape(label)}</code>."
        if all(answered.values()):
            saved += " Its indirectness answers are in <code>indirectness.csv</code>."
        self.clear()
        self._copy_sources(rv)
        try:
            after = claim_grade(rv, claim)
            needed = still_needed(rv, claim, row["study_key"])
        except SchemaError as exc:  # another table of the review does not read: the row is saved all the same
            self.message.value = saved + " The grade cannot be computed until these are fixed:" + _list(
                [str(p) for p in exc.problems])
            self.grade.value = ""
            return
        self.message.value = saved + ((" <code>litreview check</code> will still ask for:" + _list(needed)
                                       + "(the form does not write these)") if needed else "")
        change = grade_change(before, after) if before else after.short()
        reasons = "".join(f"<li>{html.escape(r)}</li>" for r in after.reasons)
        self.grade.value = (f"<p><b>{html.escape(change)}</b> ({html.escape(after.expert_verdict)}). "
                            f"{html.escape(after.rationale)}</p>" + (f"<ul>{reasons}</ul>" if reasons else ""))


__all__ = ["ExtractionForm"]
