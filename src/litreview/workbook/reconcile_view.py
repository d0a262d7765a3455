"""The reconcile view of notebook 04: two reviewers' extractions of one evidence row (or their
risk-of-bias judgements of one study, domain by domain) side by side,
field by field (design, n, direction, effect and interval, comparator and outcome type, the four
indirectness answers and the indirectness each reviewer's answers give). For each field they
answered differently: take the first's answer, the second's, or type a third, with a reason.
Settle writes the reconciliation rows and, once every conflict of the row is settled, the
consensus row of ``evidence.csv`` and ``indirectness.csv`` (:func:`litreview.appraise.double.settle`;
for a study, its rows of ``rob.csv``: :func:`litreview.appraise.double_rob.settle`); fields the
two agree on are copied without asking."""

from __future__ import annotations

import html
from pathlib import Path

from ..appraise import double, double_rob
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
        """The rows extracted twice and the studies judged for risk of bias twice, those with
        conflicts to settle first."""
        rv = Review.load(self.review, self.root)
        present, judged = set(rv.evidence["evidence_id"]), set(rv.rob["study_key"])
        # a new row one reviewer extracted is listed too: outside the sample it is written as it is
        items = [(("evidence", p.evidence_id), f"{p.evidence_id} · {p.claim_id} · {p.study_key}"
                  + ("" if len(p.rows) == 2 else f" · one extraction ({p.reviewers[0]})"), p, p.evidence_id in present)
                 for p in double.pairs(rv) if len(p.rows) == 2 or p.evidence_id not in present]
        items += [(("rob", p.study_key), f"risk of bias · {p.study_key}", p, p.study_key in judged)
                  for p in double_rob.pairs(rv) if len(p.rows) == 2]
        items.sort(key=lambda i: (not i[2].unsettled, i[3]))
        options = [(f"{label} · " + (f"{len(p.unsettled)} to settle" if p.unsettled else "settled" if written
                                     else "agreed: consensus to write"), value)
                   for value, label, p, written in items]
        self.row.options = options or [("no row extracted by two reviewers yet", None)]
        self.row.value = options[0][1] if options else None
        self.show()

    def _pair(self):
        kind, key = self.row.value
        rv = Review.load(self.review, self.root)
        return double.pair(rv, key) if kind == "evidence" else double_rob.pair(rv, key)

    def show(self) -> None:
        """The row's (or study's) two extractions side by side, and a choice per conflict."""
        import ipywidgets as w

        self.takes = {}
        if self.row.value is None:
            self.table.value, self.choices.children = "", ()
            return
        p = self._pair()
        conflicting = {c.field for c in p.conflicts}
        if self.row.value[0] == "evidence":
            rows = [p.rows[0], p.rows[-1]] if len(p.rows) == 2 else [p.rows[0], {}]
            compared = [(name, cell_text(rows[0].get(name)), cell_text(rows[1].get(name)))
                        for name in EXTRACTION_FIELDS]
            second_derived = (p.derived(1) or "") if len(p.rows) == 2 else ""
            compared.append(("indirectness (derived)", p.derived(0) or "", second_derived))
        else:
            first, second = p.judgements(0), p.judgements(1)
            compared = [("tool", p.tool(0), p.tool(1)),
                        *((d, first.get(d, ""), second.get(d, "")) for d in dict.fromkeys([*first, *second]))]
        lines = [f"<tr style='{'background:#fef3c7' if name in conflicting else ''}'><td><b>{html.escape(name)}</b>"
                 f"</td><td>{html.escape(a)}</td><td>{html.escape(b)}</td></tr>" for name, a, b in compared]
        second = p.reviewers[1] if len(p.reviewers) == 2 else "(none yet)"
        head = (f"<tr><th>field</th><th>first: {html.escape(p.reviewers[0])}</th>"
                f"<th>second: {html.escape(second)}</th></tr>")
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
        if self.row.value is None:
            return
        kind, key = self.row.value
        settle = double.settle if kind == "evidence" else double_rob.settle
        try:
            after = settle(self.review, key, self.decisions(), self.root)
        except SchemaError as exc:
            self.message.value = "<b>Not settled</b>:<ul>" + "".join(
                f"<li><code>{html.escape(str(p))}</code></li>" for p in exc.problems) + "</ul>"
            return
        except (KeyError, ValueError) as exc:
            self.message.value = f"<b>Not settled</b>: {html.escape(str(exc.args[0] if exc.args else exc))}"
            return
        written = ("<code>evidence.csv</code> and <code>indirectness.csv</code>" if kind == "evidence"
                   else "<code>rob.csv</code>")
        self.message.value = (f"Settled {len(after.conflicts)} conflict(s) of {html.escape(key)}"
                              + (f"; the consensus is in {written}." if after.consensus() is not None
                                 else f"; {len(after.unsettled)} left."))


__all__ = ["ReconcileView"]
