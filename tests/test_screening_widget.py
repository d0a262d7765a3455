"""The screening widget of notebook 03, driven headless: its buttons and keys write through
litreview.screening at once."""

from __future__ import annotations

from test_screening import imported  # noqa: F401  (fixture)

from litreview.screening import read_decisions
from litreview.screening_widget import KEYS, ScreeningWidget, highlight


def test_highlight_marks_whole_words_and_escapes_html():
    out = highlight("Ginger <b>eased</b> nausea; nauseated women", ["nausea", "ginger"])
    assert out == ("<mark>Ginger</mark> &lt;b&gt;eased&lt;/b&gt; <mark>nausea</mark>; "
                   "<mark>nauseated</mark> women")
    assert highlight("no terms", []) == "no terms"


def test_buttons_and_keys_write_decisions_at_once_and_undo(imported):  # noqa: F811
    widget = ScreeningWidget("ginger")
    first = widget.record["record_id"]
    assert "<mark>" in widget.view.value and "0 of 4 records decided" in widget.status.value
    widget.include.click()
    rows = read_decisions("ginger")
    assert list(rows["record_key"])[-1] == first and list(rows["decision"])[-1] == "include"
    second = widget.record["record_id"]
    assert second != first and widget.progress.value == 1
    widget.keys.value = "3"                      # the third reason
    rows = read_decisions("ginger")
    assert (list(rows["record_key"])[-1], list(rows["reason"])[-1]) == (second, KEYS["3"])
    assert widget.keys.value == ""
    widget.keys.value = "u"
    assert list(read_decisions("ginger")["record_key"])[-1] == first
    assert widget.record["record_id"] == second and "undone" in widget.message.value


def test_a_decision_made_elsewhere_meanwhile_is_not_written_twice(imported):  # noqa: F811
    a, b = ScreeningWidget("ginger"), ScreeningWidget("ginger")
    assert a.record["record_id"] == b.record["record_id"]
    a.include.click()
    b.include.click()
    assert "not written" in b.message.value
    keys = list(read_decisions("ginger")["record_key"])
    assert len(keys) == len(set(keys))


def test_without_imported_records_the_widget_says_what_to_do(review_root):
    widget = ScreeningWidget("ginger")
    assert "No records to screen" in widget.view.value and widget.include.disabled
