"""The screening widget of notebook 03, driven headless: its buttons and keys write through
litreview.collect.screening at once."""

from __future__ import annotations

from litreview.collect.screening import decide, read_decisions
from litreview.workbook.screening_widget import KEYS, ScreeningWidget, highlight
from test_screening import imported  # noqa: F401  (fixture)


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


def test_including_at_full_text_writes_the_library_entry_with_the_decision(review_root):
    """The record's own metadata becomes its library.bib entry; a record without DOI or PMID
    is refused with neither the decision nor an entry written."""
    from litreview.collect.imports import import_files
    from litreview.tables.bib import load_bib

    log = review_root / "data/ginger/search_log.csv"
    log.write_text(log.read_text() + "S002,G01,Example database,ginger nausea,2026-11-21,2,0,\n")
    export = review_root / "export.ris"
    export.write_text(
        "TY  - JOUR\nAU  - Quist, Ada\nTI  - Ginger capsules and nausea in pregnancy: a trial\nT2  - Journal of Tests\n"
        "PY  - 2019\nVL  - 12\nIS  - 3\nSP  - 101\nEP  - 108\nDO  - 10.1000/ginger.2019.7\nER  - \n\n"
        "TY  - JOUR\nAU  - Rook, Ben\nTI  - Ginger sweets for nausea in early pregnancy\nT2  - Journal of Tests\n"
        "PY  - 2020\nER  - \n\n", encoding="utf-8")
    import_files("ginger", [export], search_id="S002", progress=False)
    for key in ("export.ris:1", "export.ris:2"):  # the title/abstract include comes first
        decide("ginger", key, "include")
    library = review_root / "references/ginger/library.bib"
    widget = ScreeningWidget("ginger", "full-text")
    seen = {}
    for _ in range(2):
        before = library.read_bytes()
        shown = widget.record["record_id"]
        widget.include.click()
        seen[shown] = (widget.message.value, library.read_bytes() != before)
    message, grew = seen["export.ris:1"]
    assert grew and "quist2019ginger: added to references/ginger/library.bib" in message
    entry = next(e for e in load_bib(library) if e.key == "quist2019ginger")
    assert (entry.fields["doi"], entry.fields["url"], entry.fields["pages"]) == (
        "10.1000/ginger.2019.7", "https://doi.org/10.1000/ginger.2019.7", "101--108")
    message, grew = seen["export.ris:2"]
    assert not grew and "not written" in message and "neither a DOI nor a PMID" in message
    full = read_decisions("ginger")
    full = full[(full["stage"] == "full-text") & full["record_key"].str.startswith("export.ris:")]
    assert list(full["record_key"]) == ["export.ris:1"]


def test_the_full_text_queue_reads_again_on_r_after_includes_made_elsewhere(imported):  # noqa: F811
    full = ScreeningWidget("ginger", "full-text")
    assert "No record is included at title/abstract yet" in full.view.value and full.record is None
    included = ScreeningWidget("ginger").record["record_id"]
    decide("ginger", included, "include")  # made elsewhere: a terminal, another notebook
    assert full.record is None           # a decision made elsewhere is not seen until asked
    full.keys.value = "r"
    assert full.record["record_id"] == included and full.keys.value == ""
    full.refresh_button.click()
    assert full.record["record_id"] == included


def test_when_a_refit_is_slow_the_next_record_comes_at_once_and_the_refit_runs_behind(imported, monkeypatch):  # noqa: F811
    """Every refit is counted slow here (a budget below zero): the click shows the next record
    from the last model and says so; the background refit catches up."""
    from litreview.workbook import screening_widget

    monkeypatch.setattr(screening_widget, "CLICK_BUDGET_S", -1.0)
    widget = ScreeningWidget("ginger")           # the first ranking is fitted at once
    assert widget.lag == 0 and widget._slow
    first = widget.record["record_id"]
    widget.include.click()
    assert list(read_decisions("ginger")["record_key"])[-1] == first      # written at once
    assert widget.record["record_id"] != first and widget.lag == 1
    assert "fitted 1 decision ago; refitting in the background (the last refit took" in widget.status.value
    widget._fitting.join(timeout=30)
    assert not widget._busy and widget._fitted[2] == 1                   # caught up
    widget.keys.value = "3"                                               # the next click uses it
    assert widget.lag == 1 and widget._fitted[2] in (1, 2)
    widget._fitting.join(timeout=30)
    assert widget._fitted[2] == 2
