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

Save goes through :func:`litreview.appraise.extraction.append_row`: a row with problems is refused and
its ``file:row:column`` messages are shown in the form, nothing written; a row without is
appended at once, and the form shows the claim's grade before and after ("M04: unsupported,
very low -> supported, moderate") and what ``litreview check`` will still ask for (risk of
bias of a new study, the claim's explanation), which the form does not write.
"""

from __future__ import annotations

import html
from pathlib import Path

from ..appraise.extraction import REJUDGED, RowRefused, append_row, blank_row, cell_text, evidence_path, prefill_from
from ..checks import still_needed
from ..grade.assessment import claim_grade
from ..grade.claim import grade_change
from ..tables.review import Review
from ..tables.schema import CERTAINTIES, DESIGNS, DIRECTIONS, EFFECT_MEASURES, EVIDENCE, INDIRECTNESS, SchemaError

CHOICES = {"design": DESIGNS, "direction": DIRECTIONS, "effect_measure": EFFECT_MEASURES,
           "indirectness": INDIRECTNESS, "review_certainty": CERTAINTIES}
AREAS = ("indirectness_note", "finding")
EMPTY = "—"  # the dropdowns' "nothing chosen yet"


def _list(items: list[str]) -> str:
    return "<ul style='margin:0.2em 0'>" + "".join(f"<li><code>{html.escape(i)}</code></li>" for i in items) + "</ul>"


class ExtractionForm:
    """The form for one review; ``display(form.box)`` or just the object. ``study_key`` and
    ``claim_id`` pick the study and claim to start with (e.g. the study just included)."""

    def __init__(self, review: str, study_key: str | None = None, claim_id: str | None = None,
                 root: Path | None = None):
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
                short = name in ("n", "effect", "ci_low", "ci_high")
                self.fields[name] = w.Text(description=label, layout=w.Layout(width="20em") if short else wide)
        for name, hint in (("n", "participants; empty if not reported"), ("effect", "e.g. -0.42"),
                           ("locator", "where in the source: section, table, figure, page")):
            self.fields[name].placeholder = hint
        self.copy_from = w.Dropdown(description="copy from", layout=wide)
        for widget in (self.claim, self.copy_from, *self.fields.values()):
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
            w.HBox([f["direction"], f["indirectness"]]), f["indirectness_note"],
            w.HBox([f["effect_measure"], f["effect"]]), w.HBox([f["ci_low"], f["ci_high"]]),
            f["review_certainty"], f["finding"], f["locator"],
            self.save, self.message, self.grade])
        self._copy_sources(rv)
        self._show_grade(rv)

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
            if name in CHOICES or name == "study_key":
                widget.value = value if value in {v for _, v in widget.options} else None
            else:
                widget.value = cell_text(value)

    def clear(self) -> None:
        """Empty every field but the claim and the study, ready for the next row."""
        self.fill({**blank_row(), "study_key": self.fields["study_key"].value})

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

    def _save(self) -> None:
        row = self.row()
        claim = row["claim_id"]
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
        rv = Review.load(self.review, self.root)
        label = rv.label(evidence_path(self.review, rv.root))
        saved = f"Saved {html.escape(evidence_id)} to <code>{html.escape(label)}</code>."
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
