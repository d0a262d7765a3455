"""A claim explorer for JupyterLab: pick a claim, see its quote in the article's context, its
evidence rows and its grade broken down by GRADE domain.

Displayed, the explorer offers two representations: the live widget (ipywidgets), which
JupyterLab shows, and a plain HTML table of every claim with its verdict and domain
judgements, which a static export (nbconvert HTML, where no widget state is saved) shows
instead of a broken widget. Every piece of article text is escaped.
"""

from __future__ import annotations

import html

import pandas as pd

from ..grade.assessment import Assessment
from ..grade.claim import grade_label
from ..grade.grading import DOMAINS, domain_mark
from ..tables.review import Review
from .explanations import ExplanationRefused, save_explanation

CONTEXT_CHARS = 280  # article text shown on each side of the quote

_CELL = 'style="border:1px solid #d9e2ec;padding:3px 6px;vertical-align:top;text-align:left"'


def _esc(value) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else html.escape(str(value))


def _table(head: list[str], rows: list[list[str]], caption: str = "") -> str:
    """An HTML table from cells that are already escaped HTML."""
    cap = f"<caption style='text-align:left;font-weight:600'>{caption}</caption>" if caption else ""
    th = "".join(f"<th {_CELL}>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td {_CELL}>{c}</td>" for c in row) + "</tr>" for row in rows)
    return (f'<table style="border-collapse:collapse;font-size:85%;margin:6px 0">{cap}'
            f"<thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>")


class ClaimExplorer:
    """The explorer over one review's assessment (:class:`litreview.grade.assessment.Assessment`)."""

    def __init__(self, assessment: Assessment):
        self._use(assessment)

    def _use(self, assessment: Assessment) -> None:
        self.assessment = assessment
        self.review = review = assessment.review
        self.claims = review.claims.merge(
            assessment.grades.drop(columns=["article_id", "group", "category", "testable"]), on="claim_id", how="left")
        self.evidence = assessment.judged  # indirectness as it grades

    def reload(self) -> list[str]:
        """Read the review's tables again and re-grade every claim (after an evidence row or a
        risk-of-bias judgement was saved); returns what changed, one line per claim
        ("C01: unsupported, very low -> supported, moderate")."""
        def label(c: dict) -> str:
            return grade_label(c["verdict"], c.get("certainty"))

        before = {c["claim_id"]: label(c) for c in self.claims.to_dict("records")}
        self._use(Assessment.of(Review.load(self.review.name, self.review.root), self.assessment.method))
        after = {c["claim_id"]: label(c) for c in self.claims.to_dict("records")}
        return [f"{cid}: {before.get(cid, 'new claim')} -> {now}" for cid, now in after.items()
                if before.get(cid) != now]

    # --- the pieces (plain HTML, testable without a browser) ---------------------------------
    def context_html(self, claim_id: str, chars: int = CONTEXT_CHARS) -> str:
        """The quote marked inside the article text around it."""
        c = self._claim(claim_id)
        text = self.review.texts.get(c["article_id"], "")
        start, end = int(c["start"]), int(c["end"])
        left, right = max(0, start - chars), min(len(text), end + chars)
        before = ("…" if left else "") + text[left:start]
        after = text[end:right] + ("…" if right < len(text) else "")
        body = (f"{_esc(before)}<mark style='background:#fde68a'>{_esc(text[start:end])}</mark>{_esc(after)}"
                .replace("\n", "<br>"))
        return (f"<div style='font-family:Georgia,serif;line-height:1.5;max-width:48em;border-left:3px solid "
                f"#d9e2ec;padding-left:10px'>{body}</div>"
                f"<div style='font-size:80%;color:#52606d'>{_esc(c['article_id'])}, characters {start}–{end}</div>")

    def evidence_html(self, claim_id: str) -> str:
        rows = self.evidence[self.evidence["claim_id"] == claim_id]
        if rows.empty:
            return "<p><em>No evidence rows for this claim.</em></p>"
        cells = []
        for r in rows.to_dict("records"):
            effect = ""
            if r.get("effect") is not None and not pd.isna(r.get("effect")):
                effect = f"{r['effect_measure']} {r['effect']:g} ({r['ci_low']:g} to {r['ci_high']:g})"
            n = "" if r["n"] is None or pd.isna(r["n"]) else f"{int(r['n'])}"
            cells.append([_esc(r["evidence_id"]), _esc(r["study_key"]), _esc(r["design"]), n,
                          _esc(r["direction"]), _esc(r["indirectness"]), _esc(effect), _esc(r["finding"])])
        return _table(["id", "study", "design", "n", "direction", "indirectness", "effect (95% CI)", "finding"],
                      cells, f"Evidence ({len(rows)} row{'s' if len(rows) != 1 else ''})")

    def grade_html(self, claim_id: str) -> str:
        c = self._claim(claim_id)
        head = (f"<p><b>{_esc(c['verdict'])}</b>" + (f", certainty {_esc(c['certainty'])}" if c["certainty"] else "")
                + (f" (starting at {_esc(c['starting_certainty'])})" if c["starting_certainty"] else "")
                + f"</p><p>{_esc(c['rationale'])}</p>")
        if not c["testable"] or not c["starting_certainty"]:
            return head
        rows = [[_esc(d), domain_mark(c[d.replace(' ', '_')]), _esc(c[d.replace(' ', '_')]),
                 _esc(c[f"{d.replace(' ', '_')}_reason"])] for d in DOMAINS]
        extra = (f"<p>Set aside (high risk of bias or seriously indirect): {_esc(c['flawed_evidence'])}</p>"
                 if c["flawed_evidence"] else "")
        extra += f"<p>Override: {_esc(c['override_note'])}</p>" if c["override_note"] else ""
        return head + _table(["domain", "", "judgement", "reason"], rows, "Grade by domain") + extra

    def detail_html(self, claim_id: str) -> str:
        """Everything about one claim: restatement, quote in context, grade, evidence."""
        c = self._claim(claim_id)
        return (f"<h4 style='margin:.4em 0'>{_esc(claim_id)}: {_esc(c['claim'])}</h4>"
                f"<p style='font-size:85%;color:#52606d'>{_esc(c['category'])} · group {_esc(c['group'])}</p>"
                + self.context_html(claim_id) + self.grade_html(claim_id) + self.evidence_html(claim_id))

    def static_html(self) -> str:
        """One row per claim: what a static export shows in place of the widget."""
        if self.claims.empty:
            return "<p><em>No claims to explore yet.</em></p>"
        per_claim = self.evidence.groupby("claim_id")["evidence_id"].apply(" ".join)
        rows = [[_esc(c["claim_id"]), f"“{_esc(c['quote'])}”", _esc(c["verdict"]), _esc(c["certainty"] or "—"),
                 " ".join(domain_mark(c[d.replace(' ', '_')]) for d in DOMAINS) if c["starting_certainty"] else "—",
                 _esc(per_claim.get(c["claim_id"], ""))]
                for c in self.claims.to_dict("records")]
        return ("<p style='font-size:85%'>Claim explorer, as a table (the interactive version runs in JupyterLab). "
                "Domains in order: " + ", ".join(DOMAINS) + "; ✓ not serious, ▼ serious, ▼▼ very serious.</p>"
                + _table(["claim", "quote", "verdict", "certainty", "domains", "evidence rows"], rows))

    # --- the widget ------------------------------------------------------------------------
    def widget(self):
        import ipywidgets as widgets

        verdicts = ["all", *sorted(self.claims["verdict"].dropna().unique())]
        pick_verdict = widgets.Dropdown(options=verdicts, description="verdict")
        pick_claim = widgets.Dropdown(options=self._options("all"), description="claim",
                                      layout=widgets.Layout(width="70%"))
        detail = widgets.HTML(self.detail_html(pick_claim.value) if pick_claim.value else "")

        def on_verdict(change):
            pick_claim.options = self._options(change["new"])

        def on_claim(change):
            detail.value = self.detail_html(change["new"]) if change["new"] else ""

        reload = widgets.Button(description="Re-read and re-grade", tooltip="read the tables again (after a save "
                                "in the extraction or risk-of-bias form) and grade every claim again")
        changes = widgets.HTML()

        def on_reload(_):
            changed = self.reload()
            changes.value = ("<br>".join(html.escape(c) for c in changed) if changed
                             else "<em>Re-graded: no verdict or certainty changed.</em>")
            pick_claim.options = self._options(pick_verdict.value)
            on_claim({"new": pick_claim.value})

        pick_verdict.observe(on_verdict, names="value")
        pick_claim.observe(on_claim, names="value")
        reload.on_click(on_reload)
        editor = self._editor(pick_claim)
        self.reload_button, self.changes = reload, changes  # for tests and scripts
        return widgets.VBox([widgets.HBox([pick_verdict, pick_claim, reload]), changes, detail, editor])

    def explanation_html(self, claim_id: str) -> str:
        """What the explanation must agree with: the computed verdict (both scales), the
        certainty and each GRADE domain's judgement."""
        c = self._claim(claim_id)
        if not c["testable"]:
            return "<p><em>A statement that no experiment can test: nothing to explain.</em></p>"
        expert = f" ({_esc(c['expert_verdict'])})" if c.get("expert_verdict") else ""
        head = (f"<p>Computed verdict: <b>{_esc(c['verdict'])}</b>{expert}"
                + (f", certainty {_esc(c['certainty'])}" if c["certainty"] else "") + "</p>")
        if not c["starting_certainty"]:
            return head + f"<p style='font-size:85%'>{_esc(c['rationale'])}</p>"
        rows = [[_esc(d), domain_mark(c[d.replace(' ', '_')]), _esc(c[d.replace(' ', '_')])] for d in DOMAINS]
        return head + _table(["domain", "", "judgement"], rows)

    def _editor(self, pick_claim):
        """The explanation box beside the computed verdict and domains; Save checks and writes."""
        import ipywidgets as widgets

        grade = widgets.HTML(layout=widgets.Layout(width="40%"))
        text = widgets.Textarea(placeholder="Two to four sentences in your own words, naming the verdict above.",
                                layout=widgets.Layout(width="100%", height="8em"))
        save = widgets.Button(description="Save explanation", button_style="primary")
        said = widgets.HTML()

        def show(claim_id):
            explained = dict(zip(self.review.explanations["claim_id"], self.review.explanations["explanation"]))
            grade.value = self.explanation_html(claim_id) if claim_id else ""
            text.value = explained.get(claim_id, "") if claim_id else ""
            text.disabled = save.disabled = not claim_id or not self._claim(claim_id)["testable"]

        def on_save(_):
            try:
                label = save_explanation(self.review.name, pick_claim.value, text.value, self.review.root)
            except ExplanationRefused as exc:
                said.value = "<br>".join(f"<span style='color:#b91c1c'>{html.escape(p, quote=False)}</span>"
                                         for p in exc.problems)
                return
            self.reload()
            said.value = f"Saved to {html.escape(label)}."

        pick_claim.observe(lambda change: (show(change["new"]), setattr(said, "value", "")), names="value")
        save.on_click(on_save)
        show(pick_claim.value)
        self.explanation_text, self.save_button, self.saved = text, save, said  # for tests and scripts
        return widgets.HBox([grade, widgets.VBox([text, widgets.HBox([save]), said],
                                                 layout=widgets.Layout(width="60%"))])

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        bundle = {} if self.claims.empty else self.widget()._repr_mimebundle_()
        return {**bundle, "text/plain": f"ClaimExplorer({self.review.name!r}, {len(self.claims)} claims)",
                "text/html": self.static_html()}

    # --- helpers ---------------------------------------------------------------------------
    def _claim(self, claim_id: str) -> dict:
        found = self.claims[self.claims["claim_id"] == claim_id]
        if found.empty:
            raise KeyError(f"no claim {claim_id!r} in review {self.review.name!r}")
        row = found.iloc[0].to_dict()
        return {k: (None if not isinstance(v, (list, str)) and pd.isna(v) else v) for k, v in row.items()}

    def _options(self, verdict: str) -> list[tuple[str, str]]:
        rows = self.claims if verdict == "all" else self.claims[self.claims["verdict"] == verdict]
        return [(f"{c.claim_id} · {c.claim[:70]}", c.claim_id) for c in rows.itertuples()]
