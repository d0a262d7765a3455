"""The claims form of notebook 01: the claim finder's suggestions, shown in the article's text,
confirmed into ``claims.csv`` one decision at a time.

Pick a suggestion: its paragraph is shown with the suggestion shaded, the claims already
confirmed underlined, and the span that will be saved marked. The span is chosen by its
words: the "words" box starts as the suggestion's quote; delete words to narrow it to one
claim of a bundled sentence, or paste any words of the article. The form finds them (inside
the suggestion first, else once in the article, else the occurrence nearest the suggestion)
and shows their offsets; offsets are never typed. A notebook widget cannot read the
browser's text selection, and a phrase is what a reviewer reads and copies: it is exact to
the character where a word slider is not, and a test drives it by typing.

- **Accept** saves the words as one claim and closes the suggestion;
- **Save part** saves them as one claim cut from the suggestion and keeps it open for the next
  part (a split);
- **Add as new claim** saves words the finder did not suggest;
- **Reject** closes the suggestion without a claim;
- **Undo last** takes back the last decision (never a claim a later stage already names).

Category, kind and testable are dropdowns of the schema's vocabularies, each value with its
one-line meaning; the restatement, group and PICO are typed. Every save goes through
:mod:`litreview.claims.confirm`: checked like ``litreview check`` (problems shown as
``file:row:column``, nothing written) and written atomically.

Each control carries a CSS class ``lr-claims-<name>`` and a visible label, so a browser test
can find it: ``lr-claims-article``, ``lr-claims-suggestions``, ``lr-claims-whole``,
``lr-claims-context``, ``lr-claims-words``, ``lr-claims-where`` (the words' offsets),
``lr-claims-claim``, ``lr-claims-category``, ``lr-claims-kind``, ``lr-claims-testable``,
``lr-claims-group``, ``lr-claims-population`` (and the other PICO fields), ``lr-claims-accept``,
``lr-claims-split``, ``lr-claims-add``, ``lr-claims-reject``, ``lr-claims-undo``,
``lr-claims-message``; in the context, ``lr-claims-mark-suggestion``, ``lr-claims-mark-confirmed``
and ``lr-claims-mark-words`` (the span to be saved); the whole form ``lr-claims-form``.
"""

from __future__ import annotations

import html
from pathlib import Path

from ..claims import confirm
from ..claims.confirm import ClaimFields, ConfirmError
from ..claims.scaffold import SUGGESTED
from ..tables.review import Review
from ..tables.schema import CATEGORY_MEANINGS, KIND_MEANINGS, TESTABLE_MEANINGS, SchemaError
from .views import CATEGORY_COLOURS

EMPTY = "—"
PICO = ("population", "intervention", "comparator", "outcome")
# the kind a category usually has, to start the dropdown from (the reviewer decides)
KIND_FOR_CATEGORY = {"efficacy": "intervention", "mechanism": "intervention", "dosage": "intervention",
                     "safety": "advice-safety", "anatomy": "tradition", "traditional-theory": "traditional-theory"}


def _options(meanings: dict[str, str]) -> list[tuple[str, str | None]]:
    return [(EMPTY, None), *[(f"{k}: {v}", k) for k, v in meanings.items()]]


def paragraph_html(text: str, marks: list[tuple[int, int, str, str]], around: tuple[int, int]) -> str:
    """The lines of ``text`` holding ``around``, as HTML with every character's marks: each mark
    is ``(start, end, css class, title)``; characters under the same marks share one span. The
    text is escaped (an article is untrusted input); line breaks are kept."""
    line_start = text.rfind("\n", 0, around[0]) + 1
    line_end = text.find("\n", max(around[1] - 1, around[0]))
    line_end = len(text) if line_end == -1 else line_end
    out, run, run_start = [], None, line_start
    for i in range(line_start, line_end + 1):
        here = tuple((cls, title) for s, e, cls, title in marks if s <= i < e) if i < line_end else None
        if here != run or i == line_end:
            if i > run_start:
                piece = html.escape(text[run_start:i])
                if run:
                    classes = " ".join(c for c, _ in run)
                    titles = "; ".join(t for _, t in run if t)
                    piece = f'<span class="{classes}" title="{html.escape(titles)}">{piece}</span>'
                out.append(piece)
            run, run_start = here, i
    return "".join(out).replace("\n", "<br>")


STYLE = ("<style>.lr-claims-mark-suggestion{background:#fef3c7}"
         ".lr-claims-mark-confirmed{text-decoration:underline;text-decoration-thickness:2px}"
         ".lr-claims-mark-words{outline:2px solid #2563eb;background:#dbeafe}</style>")


class ClaimsForm:
    """The form for one review; ``display(form.box)`` or just the object."""

    def __init__(self, review: str, root: Path | None = None):
        import ipywidgets as w

        self.review, self.root = review, root
        self.rv = Review.load(review, root)
        wide = w.Layout(width="46em")
        articles = list(self.rv.articles["article_id"])
        self.article = w.Dropdown(options=articles, value=articles[0] if articles else None, description="Article",
                                  layout=wide)
        self.suggestion = w.Select(description="Suggestions", rows=8, layout=w.Layout(width="46em"))
        self.whole = w.Checkbox(description="Show the whole article, every open suggestion shaded", value=False,
                                indent=False)
        self.context = w.HTML()
        self.words = w.Textarea(description="Words", placeholder="the claim's exact words in the article",
                                layout=w.Layout(width="46em", height="3.5em"))
        self.span = w.HTML()
        self.claim = w.Text(description="Claim", placeholder="the claim restated in one line", layout=wide)
        self.category = w.Dropdown(options=_options(CATEGORY_MEANINGS), description="Category", layout=wide)
        self.kind = w.Dropdown(options=_options(KIND_MEANINGS), description="Kind", layout=wide)
        self.testable = w.Dropdown(options=[(f"{k}: {v}", k) for k, v in TESTABLE_MEANINGS.items()],
                                   value="true", description="Testable", layout=wide)
        self.group = w.Combobox(description="Group", placeholder="Summary-of-Findings group, e.g. recovery",
                                ensure_option=False, layout=w.Layout(width="30em"))
        self.pico = {name: w.Text(description=name.capitalize(), layout=wide) for name in PICO}
        self.accept_button = w.Button(description="Accept", button_style="success",
                                      tooltip="save the words as one claim and close the suggestion")
        self.split_button = w.Button(description="Save part", button_style="info",
                                     tooltip="save the words as one claim of this suggestion and keep it open")
        self.add_button = w.Button(description="Add as new claim", tooltip="save words the finder did not suggest")
        self.reject_button = w.Button(description="Reject", button_style="danger", tooltip="not a claim")
        self.undo_button = w.Button(description="Undo last", button_style="warning",
                                    tooltip="take back the last decision")
        self.message = w.HTML()
        controls = {"article": self.article, "suggestions": self.suggestion, "whole": self.whole,
                    "context": self.context, "words": self.words, "where": self.span, "claim": self.claim,
                    "category": self.category, "kind": self.kind, "testable": self.testable, "group": self.group,
                    **self.pico, "accept": self.accept_button, "split": self.split_button, "add": self.add_button,
                    "reject": self.reject_button, "undo": self.undo_button, "message": self.message}
        for name, widget in controls.items():
            widget.add_class(f"lr-claims-{name}")
            if "description_width" in getattr(getattr(widget, "style", None), "keys", ()):
                widget.style.description_width = "7em"
        self.article.observe(lambda _: self.refresh(), names="value")
        self.suggestion.observe(lambda _: self._pick(), names="value")
        self.words.observe(lambda _: self._show(), names="value")
        self.whole.observe(lambda _: self._show(), names="value")
        self.category.observe(self._category_changed, names="value")
        self.kind.observe(self._kind_changed, names="value")
        self.accept_button.on_click(lambda _: self.accept())
        self.split_button.on_click(lambda _: self.save_part())
        self.add_button.on_click(lambda _: self.add())
        self.reject_button.on_click(lambda _: self.reject())
        self.undo_button.on_click(lambda _: self.undo())
        self.box = w.VBox([
            w.HTML(STYLE), self.article, self.suggestion, self.whole, self.context, self.words, self.span, self.claim,
            self.category, self.kind, self.testable, self.group, *self.pico.values(),
            w.HBox([self.accept_button, self.split_button, self.add_button, self.reject_button, self.undo_button]),
            self.message])
        self.box.add_class("lr-claims-form")
        self._open: str | None = None  # a suggestion being split stays offered until it is left
        self.refresh()
        if not self.suggestion.options:
            self._say(f"No open suggestions in data/{html.escape(review)}/{SUGGESTED} (`litreview new` writes them); "
                      "words of the article can still be added with Add as new claim.")

    def _ipython_display_(self):
        from IPython.display import display

        display(self.box)

    # --- state ----------------------------------------------------------------------------------
    @property
    def text(self) -> str:
        return self.rv.texts.get(self.article.value, "")

    def _suggestions(self):
        table = confirm.suggestions(self.review, self.root)
        table = table[table["article_id"] == self.article.value]
        return table[(table["decision"] == "") | (table["suggestion_id"] == self._open)]

    def refresh(self, keep: str | None = None) -> None:
        """Read the review again and list the suggestions still open; ``keep`` stays selected."""
        self.rv = Review.load(self.review, self.root)
        self.group.options = sorted({g for g in self.rv.claims["group"] if g})
        table = self._suggestions()
        self._table = table.set_index("suggestion_id")
        options = [(f"{r.suggestion_id} · {r.category_guess} · {r.quote[:80]}"
                    + (f"  (saved {r.claim_ids})" if r.claim_ids else ""), r.suggestion_id)
                   for r in table.itertuples()]
        self.suggestion.options = options
        wanted = keep if keep in self._table.index else (options[0][1] if options else None)
        if self.suggestion.value != wanted:
            self.suggestion.value = wanted
        else:
            self._pick()

    def current(self) -> dict | None:
        sid = self.suggestion.value
        return None if sid is None else {"suggestion_id": sid, **self._table.loc[sid].to_dict()}

    def _pick(self) -> None:
        s = self.current()
        if s is None:
            self.words.value = ""
            self._show()
            return
        if self._open != s["suggestion_id"]:
            self._open = None
        self.words.value = "" if s["claim_ids"] else s["quote"]
        self.category.value = s["category_guess"] if s["category_guess"] in CATEGORY_MEANINGS else None
        self._show()

    def _category_changed(self, change) -> None:
        """The kind follows the category while the reviewer has not chosen another."""
        if self.kind.value is None or self.kind.value == KIND_FOR_CATEGORY.get(change["old"]):
            self.kind.value = KIND_FOR_CATEGORY.get(change["new"]) if change["new"] else None

    def _kind_changed(self, change) -> None:
        self.testable.value = "false" if change["new"] == "traditional-theory" else "true"

    def _show(self) -> None:
        s = self.current()
        claims = self.rv.claims[self.rv.claims["article_id"] == self.article.value]
        marks = [(int(c.start), int(c.end), "lr-claims-mark-confirmed", f"{c.claim_id} ({c.category})")
                 for c in claims.itertuples()]
        if s:
            title = f"{s['suggestion_id']}: {s['category_guess']}"
            marks.append((s["start"], s["end"], "lr-claims-mark-suggestion", title))
        span, problem = None, ""
        if self.words.value.strip():
            try:
                span = confirm.locate(self.text, self.words.value, (s["start"], s["end"]) if s else None)
            except ConfirmError as exc:
                problem = str(exc)
        if span:
            marks.append((span[0], span[1], "lr-claims-mark-words", "to be saved"))
        around = span or ((s["start"], s["end"]) if s else None)
        if self.whole.value:
            around = (0, len(self.text))
            marks += [(int(r.start), int(r.end), "lr-claims-mark-suggestion", f"{r.Index}: {r.category_guess}")
                      for r in self._table.itertuples() if not s or r.Index != s["suggestion_id"]]
        self.context.value = ("" if around is None else
                              '<div style="font-family:Georgia,serif;line-height:1.6;max-width:46em">'
                              + paragraph_html(self.text, marks, around) + "</div>")
        if span:
            outside = " (outside the suggestion: only Add as new claim saves them)" \
                if s and not (s["start"] <= span[0] and span[1] <= s["end"]) else ""
            self.span.value = (f"<span>words at [{span[0]}, {span[1]}) of {html.escape(self.article.value)}: "
                               f"<b>{html.escape(self.text[span[0]:span[1]])}</b>{outside}</span>")
        else:
            self.span.value = f'<span style="color:#b91c1c">{html.escape(problem)}</span>' if problem else ""
        colour = CATEGORY_COLOURS.get(self.category.value or "", "#fff")
        self.category.layout.border = f"2px solid {colour}"

    def fields(self) -> ClaimFields:
        missing = [name for name, value in (("claim", self.claim.value), ("category", self.category.value),
                                            ("kind", self.kind.value), ("group", self.group.value)) if not value]
        if missing:
            raise ConfirmError(f"fill in {', '.join(missing)} first")
        return ClaimFields(self.claim.value, self.category.value, self.kind.value, self.group.value,
                           testable=self.testable.value == "true",
                           **{name: widget.value for name, widget in self.pico.items()})

    # --- the decisions --------------------------------------------------------------------------
    def _do(self, action, keep: str | None = None) -> None:
        try:
            saved = action()
        except ConfirmError as exc:
            self._say(f"Not saved: {html.escape(str(exc))}", error=True)
            return
        except SchemaError as exc:
            items = "".join(f"<li><code>{html.escape(str(p))}</code></li>" for p in exc.problems)
            self._say(f"Not saved ({len(exc.problems)} problem(s)):<ul>{items}</ul>", error=True)
            return
        said = "<br>".join(html.escape(s.describe(self.review)) for s in saved)
        self.claim.value = ""
        self.refresh(keep)
        self._say(said)

    def _say(self, message: str, error: bool = False) -> None:
        colour = "#b91c1c" if error else "#166534"
        self.message.value = f'<div style="color:{colour}">{message}</div>'

    def _picked(self, hint: str = "") -> dict | None:
        """The suggestion picked, or None after saying that one is needed."""
        s = self.current()
        if s is None:
            self._say("No suggestion picked" + hint, error=True)
        return s

    def accept(self) -> None:
        if s := self._picked():
            self._open = None
            self._do(lambda: [confirm.accept(self.review, s["suggestion_id"], self.fields(), phrase=self.words.value,
                                             root=self.root)])

    def save_part(self) -> None:
        if s := self._picked(": use Add as new claim for words of your own"):
            self._open = s["suggestion_id"]
            self._do(lambda: confirm.split(self.review, s["suggestion_id"], [(self.words.value, self.fields())],
                                           root=self.root), keep=s["suggestion_id"])

    def add(self) -> None:
        s = self.current()
        near = (s["start"] + s["end"]) // 2 if s else None
        self._do(lambda: [confirm.add(self.review, self.article.value, self.words.value, self.fields(), near=near,
                                      root=self.root)], keep=s["suggestion_id"] if s else None)

    def reject(self) -> None:
        if s := self._picked():
            self._open = None
            self._do(lambda: [confirm.reject(self.review, s["suggestion_id"], root=self.root)])

    def undo(self) -> None:
        try:
            gone = confirm.undo(self.review, root=self.root)
        except ConfirmError as exc:
            self._say(f"Not undone: {html.escape(str(exc))}", error=True)
            return
        self._open = gone.suggestion_id if gone.decision == "split" else None
        self.refresh(gone.suggestion_id or None)
        self._say(f"Undone: {html.escape(gone.claim_id or gone.suggestion_id)} ({gone.decision})")
