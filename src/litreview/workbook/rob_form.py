"""The risk-of-bias form (ipywidgets): pick a study and a tool, answer RoB 2's signalling
questions or AMSTAR 2's critical items (or give one overall judgement for a design neither
covers); the judgements follow the answers (:mod:`litreview.appraise.rob2`) and Save writes
the study's rows through :func:`litreview.appraise.rob.save_rob`."""

from __future__ import annotations

import html
from pathlib import Path

from ..appraise.double import reviewer_name
from ..appraise.double_rob import load_own, save_rob_extraction
from ..appraise.rob import DESIGN_DOMAIN, TOOLS, library_keys, load_rob, save_rob
from ..appraise.rob2 import (
    AMSTAR2_ITEMS,
    ITEM,
    ITEM_BY_DOMAIN,
    QUESTIONS,
    AnswerError,
    amstar2_rating,
    asked,
    judge,
    overall,
)
from ..tables.review import Review
from ..tables.schema import ROB2_DOMAINS, ROB_JUDGEMENTS, SchemaError

# --- the widget ------------------------------------------------------------------------------------

_COLOURS = {"low": "#2e7d32", "some-concerns": "#f9a825", "high": "#c62828", "high confidence": "#2e7d32"}


def _badge(text: str, colour: str = "#555") -> str:
    return f"<b style='color:{colour}'>{html.escape(text)}</b>"


class RobForm:
    """The form for one review; ``display(form.box)`` or just the object. Pick a study (a key
    of the review's library.bib) and a tool; only the questions the flow asks are shown, each
    domain's judgement follows the answers, and Save writes the study's rows."""

    def __init__(self, review: str, root: Path | None = None, study_key: str | None = None, tool: str = "rob2",
                 reviewer: str | None = None):
        import ipywidgets as w

        self.review, self.root = review, root
        # two risk-of-bias reviewers: each one's rows go to rob_extractions.csv under their name, the
        # other's stay hidden, and `litreview reconcile --study` writes the consensus to rob.csv
        self.double = Review.load(review, root).reviewers_needed("rob") == 2
        self.reviewer = w.Text(value=reviewer or reviewer_name(), description="Reviewer",
                               placeholder="your name (LITREVIEW_REVIEWER)")
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
        self.reviewer.layout.display = "" if self.double else "none"
        self.reviewer.observe(lambda _: self.load(), names="value")
        self.box = w.VBox([self.reviewer, w.HBox([self.study, self.tool]), self.rob2_box, self.amstar2_box,
                           self.design_box,
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
        tool, answers, notes = (load_own(self.review, self.study.value, self.reviewer.value.strip(), self.root)
                                if self.double else load_rob(self.review, self.study.value, self.root))
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
            if self.double:
                rows = save_rob_extraction(self.review, self.reviewer.value, self.study.value, self.tool.value,
                                           self.answers(), self.notes_by_domain(), self.root)
            else:
                rows = save_rob(self.review, self.study.value, self.tool.value, self.answers(),
                                self.notes_by_domain(), self.root)
        except (ValueError, SchemaError) as exc:
            self.message.value = f"<b>not saved:</b> {html.escape(str(exc))}"
            return
        summary = ", ".join(f"{r['domain']} {r['judgement']}" for r in rows)
        where = f" as {self.reviewer.value.strip()} in rob_extractions.csv" if self.double else ""
        self.message.value = html.escape(f"saved {len(rows)} row{'s' if len(rows) != 1 else ''} for "
                                         f"{self.study.value}{where}: {summary}")


__all__ = ["RobForm"]
