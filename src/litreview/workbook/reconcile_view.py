"""The reconcile view of notebook 04: two reviewers' extractions of one evidence row side by side,
field by field (design, n, direction, effect and interval, comparator and outcome type, the four
indirectness answers and the indirectness each reviewer's answers give). For each field they
answered differently: take the first's answer, the second's, or type a third, with a reason.
Settle writes the reconciliation rows and, once every conflict of the row is settled, the
consensus row of ``evidence.csv`` and ``indirectness.csv``
(:func:`litreview.appraise.double.settle`); fields the two agree on are copied without asking."""

from __future__ import annotations

import html
from pathlib import Path

from ..appraise import double
from ..appraise.extraction import cell_text
from ..tables.review import Review
from ..tables.schema import EXTRACTION_FIELDS, SchemaError

TAKE = (("first", "first"), ("second", "second"), ("a third answer", "third"))


class ReconcileView:
    """The view for one review; ``display(view.box)`` or just the object."""

    def __init__(self, review: str, root: Path | None = None):
        import ipywidgets as w

        self.review, self.root = review, root
        self.row = w.Dropdown(description="row", layout=w.Layout(width="46em"))
        self.reload = w.Button(description="Reload")
        self.table = w.HTML()
        self.choices = w.VBox()
        self.settle_button = w.Button(description="Settle", button_style="success", layout=w.Layout(width="auto"))
        self.message = w.HTML()
        self.takes: dict[str, tuple] = {}
        self.row.observe(lambda _: self.show(), names="value")
        self.reload.on_click(lambda _: self.load())
        self.settle_button.on_click(lambda _: self.settle())
        self.box = w.VBox([w.HBox([self.row, self.reload]), self.table, self.choices, self.settle_button,
                           self.message])
        self.load()

    def _ipython_display_(self):
        from IPython.display import display

        display(self.box)

    def load(self) -> None:
        """The rows extracted twice, those with conflicts to settle first."""
        rv = Review.load(self.review, self.root)
        present = set(rv.evidence["evidence_id"])
        pairs = [p for p in double.pairs(rv) if len(p.rows) == 2]
        pairs.sort(key=lambda p: (not p.unsettled, p.evidence_id in present))
        options = []
        for p in pairs:
            state = (f"{len(p.unsettled)} to settle" if p.unsettled
                     else "settled" if p.evidence_id in present else "agreed: consensus to write")
            options.append((f"{p.evidence_id} · {p.claim_id} · {p.study_key} · {state}", p.evidence_id))
        self.row.options = options or [("no row extracted by two reviewers yet", None)]
        self.row.value = options[0][1] if options else None
        self.show()

    def show(self) -> None:
        """The row's two extractions side by side, and a choice per conflict."""
        import ipywidgets as w

        self.takes = {}
        if self.row.value is None:
            self.table.value, self.choices.children = "", ()
            return
        p = double.pair(Review.load(self.review, self.root), self.row.value)
        conflicting = {c.field: c for c in p.conflicts}
        lines = []
        for name in EXTRACTION_FIELDS:
            first, second = cell_text(p.rows[0].get(name)), cell_text(p.rows[1].get(name))
            mark = "background:#fef3c7" if name in conflicting else ""
            lines.append(f"<tr style='{mark}'><td><b>{html.escape(name)}</b></td><td>{html.escape(first)}</td>"
                         f"<td>{html.escape(second)}</td></tr>")
        derived = [p.derived(0) or "", p.derived(1) or ""]
        lines.append(f"<tr><td><i>indirectness (derived)</i></td><td>{derived[0]}</td><td>{derived[1]}</td></tr>")
        head = (f"<tr><th>field</th><th>first: {html.escape(p.reviewers[0])}</th>"
                f"<th>second: {html.escape(p.reviewers[1])}</th></tr>")
        self.table.value = f"<table class='lr-reconcile'>{head}{''.join(lines)}</table>"
        boxes = []
        for c in p.conflicts:
            settled = c.settled or {}
            word = settled.get("settled_by", "")
            take = w.Dropdown(options=TAKE, value="second" if word == "second-taken" else
                              "third" if word == "third-answer" else "first", description=c.field)
            third = w.Text(value=settled.get("consensus") or "" if word == "third-answer" else "",
                           placeholder="the answer, if neither", layout=w.Layout(width="14em"))
            reason = w.Text(value=settled.get("reason") or "", placeholder="why, in one sentence",
                            description="reason", layout=w.Layout(width="40em"))
            self.takes[c.field] = (take, third, reason)
            boxes.append(w.HBox([take, third, reason]))
        self.choices.children = tuple(boxes)
        self.settle_button.description = "Settle and write the consensus" if p.conflicts else "Write the consensus"

    def decisions(self) -> dict[str, tuple[str, str]]:
        """Each conflict given a reason: (first | second | the typed answer, reason); one without a
        reason stays unsettled."""
        return {name: (third.value if take.value == "third" else take.value, reason.value)
                for name, (take, third, reason) in self.takes.items() if reason.value.strip()}

    def settle(self) -> None:
        eid = self.row.value
        if eid is None:
            return
        try:
            after = double.settle(self.review, eid, self.decisions(), self.root)
        except SchemaError as exc:
            self.message.value = "<b>Not settled</b>:<ul>" + "".join(
                f"<li><code>{html.escape(str(p))}</code></li>" for p in exc.problems) + "</ul>"
            return
        except (KeyError, ValueError) as exc:
            self.message.value = f"<b>Not settled</b>: {html.escape(str(exc.args[0] if exc.args else exc))}"
            return
        written = after.consensus() is not None
        self.message.value = (f"Settled {len(after.conflicts)} conflict(s) of {html.escape(eid)} in "
                              "<code>reconciliation.csv</code>"
                              + ("; the consensus is in <code>evidence.csv</code> and <code>indirectness.csv</code>."
                                 if written else f"; {len(after.unsettled)} left."))


__all__ = ["ReconcileView"]
