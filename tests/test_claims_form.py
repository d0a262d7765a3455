"""The claims form of notebook 01, driven headless: a suggestion picked, its words narrowed,
the dropdowns set, the buttons clicked, claims.csv read back from disk."""

from __future__ import annotations

import csv

from litreview.checks import check
from litreview.claims import confirm
from litreview.tables.schema import CATEGORIES, KINDS
from litreview.workbook.claims_form import ClaimsForm
from test_claims_confirm import ARTICLE, SENTENCE, root  # noqa: F401  (fixture)


def claims_rows(root):  # noqa: F811
    with (root / "data" / "foam" / "claims.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def fill(form: ClaimsForm, claim: str, category: str = "efficacy", kind: str | None = None,
         group: str = "recovery", **pico) -> None:
    """Type and choose as a reviewer would; the kind is left to follow the category unless given."""
    form.claim.value = claim
    form.category.value = category
    if kind:
        form.kind.value = kind
    form.group.value = group
    for name, value in pico.items():
        form.pico[name].value = value


def test_the_form_shows_the_suggestion_in_the_article_with_the_vocabularies(root):  # noqa: F811
    form = ClaimsForm("foam")
    assert [v for _, v in form.suggestion.options] == ["S001", "S002", "S003"]
    assert form.words.value == SENTENCE
    assert [v for _, v in form.category.options] == [None, *CATEGORIES]
    assert [v for _, v in form.kind.options] == [None, *KINDS]
    labels = {v: k for k, v in form.category.options}
    assert labels["dosage"] == "dosage: how much, how often, how long or how to do it"
    assert 'class="lr-claims-mark-suggestion' in form.context.value and "Foam rolling reduces" in form.context.value
    start = ARTICLE.index(SENTENCE)
    assert f"words at [{start}, {start + len(SENTENCE)})" in form.span.value
    for widget in (form.suggestion, form.words, form.category, form.kind, form.testable, form.accept_button,
                   form.split_button, form.reject_button, form.undo_button, form.add_button):
        assert any(c.startswith("lr-claims-") for c in widget._dom_classes)
        assert widget.description  # a visible label


def test_split_a_bundled_suggestion_part_by_part(root):  # noqa: F811
    form = ClaimsForm("foam")
    form.words.value = "reduces soreness"  # also in the last sentence: the one in S001 is taken
    first = ARTICLE.index(SENTENCE) + len("Foam rolling ")
    assert f"words at [{first}, {first + len('reduces soreness')})" in form.span.value
    assert 'lr-claims-mark-words' in form.context.value
    fill(form, "Foam rolling reduces muscle soreness.", outcome="soreness")
    form.split_button.click()
    assert "C01 from S001 (split)" in form.message.value
    # the suggestion stays open for the next part, its saved part underlined
    assert form.suggestion.value == "S001" and form.words.value == "" and form.claim.value == ""
    assert "lr-claims-mark-confirmed" in form.context.value
    form.words.value = "improves circulation"
    fill(form, "Foam rolling improves blood circulation.", category="mechanism")
    form.split_button.click()
    rows = claims_rows(root)
    assert [(r["claim_id"], r["quote"], r["category"]) for r in rows] == [
        ("C01", "reduces soreness", "efficacy"), ("C02", "improves circulation", "mechanism")]
    assert [int(rows[0]["start"]), int(rows[0]["end"])] == [first, first + len("reduces soreness")]
    assert check("foam", root) == []
    # leaving it: the split suggestion is no longer offered
    form.suggestion.value = "S002"
    form.refresh()
    assert [v for _, v in form.suggestion.options] == ["S002", "S003"]


def test_accept_reject_and_undo(root):  # noqa: F811
    form = ClaimsForm("foam")
    form.suggestion.value = "S002"
    fill(form, "Roll each muscle for thirty seconds.", category="dosage")
    assert form.kind.value == "intervention"
    form.accept_button.click()
    assert claims_rows(root)[0]["quote"] == "Roll each muscle for thirty seconds"
    assert [v for _, v in form.suggestion.options] == ["S001", "S003"]
    form.suggestion.value = "S003"
    form.reject_button.click()
    assert [v for _, v in form.suggestion.options] == ["S001"]
    form.undo_button.click()
    assert "Undone: S003 (rejected)" in form.message.value
    assert form.suggestion.value == "S003"
    form.undo_button.click()
    assert claims_rows(root) == []
    assert [v for _, v in form.suggestion.options] == ["S001", "S002", "S003"]


def test_traditional_theory_sets_testable_false_and_a_bad_row_is_refused(root):  # noqa: F811
    form = ClaimsForm("foam")
    form.suggestion.value = "S003"
    fill(form, "Rolling balances energy.", category="traditional-theory")
    assert (form.kind.value, form.testable.value) == ("traditional-theory", "false")
    before = (root / "data" / "foam" / "claims.csv").read_bytes()
    form.testable.value = "true"  # contradicts the kind: the table's own check refuses it
    form.accept_button.click()
    assert "Not saved (1 problem(s))" in form.message.value
    assert "data/foam/claims.csv:2:kind" in form.message.value
    assert (root / "data" / "foam" / "claims.csv").read_bytes() == before
    form.claim.value = ""
    form.accept_button.click()
    assert "fill in claim first" in form.message.value


def test_add_words_the_finder_did_not_suggest(root):  # noqa: F811
    form = ClaimsForm("foam")
    form.suggestion.value = "S003"
    form.words.value = "Foam rolling: does it work"
    assert "words at [0, 26)" in form.span.value
    form.words.value = "cures all ills"
    assert "does not occur in the article" in form.span.value
    form.suggestion.value = "S001"
    form.words.value = "after runs"
    assert "outside the suggestion: only Add as new claim saves them" in form.span.value
    fill(form, "Rolling after runs eases soreness.")
    form.accept_button.click()
    assert "Not saved: &#x27;after runs&#x27; is not inside the suggestion" in form.message.value
    form.add_button.click()
    assert "(added)" in form.message.value
    assert confirm.decisions("foam")[-1]["decision"] == "added"
    assert claims_rows(root)[0]["quote"] == "after runs"
    assert form.suggestion.value == "S001"  # still open: the finder's suggestion is not decided


def test_without_suggestions_the_form_says_where_they_come_from(root):  # noqa: F811
    (root / "data" / "foam" / "claims.suggested.csv").unlink()
    form = ClaimsForm("foam")
    assert form.suggestion.options == ()
    assert "No open suggestions in data/foam/claims.suggested.csv" in form.message.value
    form.words.value = "eases tension"
    fill(form, "Foam rolling eases muscle tension.")
    form.add_button.click()
    assert claims_rows(root)[0]["quote"] == "eases tension"


def test_the_whole_article_shows_every_open_suggestion_escaped(root):  # noqa: F811
    form = ClaimsForm("foam")
    assert "does it work" not in form.context.value  # the picked suggestion's paragraph only
    form.whole.value = True
    shown = form.context.value
    assert shown.count("lr-claims-mark-suggestion") == 3  # S001 (also marked as the words), S002, S003
    assert "Foam rolling: does it work?<br>" in shown
    form.rv.texts["foam"] = "<script>alert(1)</script>\n" + form.rv.texts["foam"]
    form.whole.value = False
    form.whole.value = True
    assert "<script>" not in form.context.value and "&lt;script&gt;" in form.context.value
