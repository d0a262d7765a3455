"""Two reviewers screening the same review in JupyterLab, each in a notebook of their own whose
kernel names them (``LITREVIEW_REVIEWER``): the second does not see the first's decisions, a
record they decide differently appears in the Conflicts view with both decisions side by side,
and is settled there. Uses the browser machinery of ``test_workbook_browser`` (its scratch
project, JupyterLab and Chromium); a screenshot of the Conflicts view goes to
``reports/test-artifacts/``."""

from __future__ import annotations

import re

import nbformat

from conftest import needs_chromium
from litreview.collect.screening import conflicts_of, final, read_decisions
from test_workbook_browser import (  # noqa: F401  (workbook: the fixture)
    ARTIFACTS,
    KEYS,
    REVIEW,
    lab_page,
    open_and_run,
    press,
    until,
    workbook,
)

pytestmark = needs_chromium
FIRST = "friction massage of the popliteal fossa"  # the record the queue shows first (S001-pubmed.ris:30)


def reviewer_notebook(folder, name: str) -> str:
    """A notebook whose kernel screens as ``name``; returns its name without the suffix."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f'import os\nos.environ["LITREVIEW_REVIEWER"] = "{name}"'),
                nbformat.v4.new_code_cell("from litreview.workbook.screening_widget import ScreeningWidget\n"
                                          f'ScreeningWidget("{REVIEW}")')]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / f"screen-{name}.ipynb")
    return f"screen-{name}"


def test_two_reviewers_screen_apart_and_settle_a_conflict_in_jupyterlab(workbook):  # noqa: F811
    root, base = workbook
    data = root / "data" / REVIEW
    with open(data / "review.toml", "a", encoding="utf-8") as settings:
        settings.write("\n[reviewers]\nscreening = 2\n")
    ann, bob = (reviewer_notebook(root / "notebooks", n) for n in ("ann", "bob"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with lab_page(errors) as page:

        # ann includes the first record and excludes the next
        open_and_run(page, base, ann)
        page.wait_for_selector(KEYS, timeout=90_000)
        until(lambda: page.get_by_text(FIRST).count(), "ann's first record")
        named = page.locator(".widget-html:has-text('Reviewer:')")
        until(lambda: named.count() and "Reviewer: ann." in named.first.inner_text(),
              "ann's name in the status line")
        keys = page.locator(KEYS).first
        for n, key in enumerate(("i", "2"), start=1):
            press(page, keys, key)
            until(lambda n=n: len(read_decisions(REVIEW, root)) == n, f"ann's decision {n} on disk")

        # bob sees none of it: the same first record, nothing decided by him; he excludes it
        open_and_run(page, base, bob)
        page.wait_for_selector(KEYS, timeout=90_000)
        status = page.locator(".widget-html:has-text('Reviewer:')").first
        until(lambda: "Reviewer: bob." in status.inner_text(), "bob's name in the status line")
        assert re.search(r"title-abstract: 0 of \d+ records decided by bob", status.inner_text())
        until(lambda: page.get_by_text(FIRST).count(), "the record ann decided, still in bob's queue")
        press(page, page.locator(KEYS).first, "2")
        until(lambda: len(read_decisions(REVIEW, root)) == 3, "bob's decision on disk")

        # the conflict, both decisions side by side, settled by consensus
        button = page.locator("button:has-text('Conflicts (1 to settle)')")
        until(lambda: button.count(), "the Conflicts button counting one conflict")
        button.click()
        table = page.locator("table.lr-conflicts")
        until(lambda: table.count() and "not settled" in table.inner_text(), "the conflicts table")
        assert "ann: include" in table.locator("td.lr-first").inner_text()
        assert "bob: exclude (wrong-intervention)" in table.locator("td.lr-second").inner_text()
        view = page.locator(".widget-vbox").filter(has=page.locator("button:text-is('Settle')")).last
        view.locator(".widget-dropdown:has(label:text-is('decision')) select").select_option(label="include")
        view.locator(".widget-dropdown:has(label:text-is('how')) select").select_option(label="consensus")
        view.locator(".widget-text:has(label:text-is('note')) input").fill(
            "popliteal friction massage is calf-adjacent massage: include and judge indirectness later")
        view.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "screening-conflicts.png"))
        view.locator("button:text-is('Settle')").click()
        until(lambda: (data / "screening_settlements.csv").is_file(), "the settlement on disk")
        until(lambda: "include (consensus): popliteal friction" in table.inner_text(), "the settlement shown")
        page.screenshot(path=str(ARTIFACTS / "screening-conflicts-settled.png"))

    assert errors == []
    rows = read_decisions(REVIEW, root)
    assert list(zip(rows["reviewer"], rows["decision"])) == [("ann", "include"), ("ann", "exclude"),
                                                             ("bob", "exclude")]
    record = rows["record_key"].iloc[0]
    assert record == "S001-pubmed.ris:30" and rows["record_key"].iloc[2] == record
    [settled] = conflicts_of(REVIEW, root=root).to_dict("records")
    assert (settled["record_key"], settled["settled"], settled["how"], settled["settled_by"]) == (
        record, "include", "consensus", "bob")
    # the record's final decision is the settled include; ann's exclusion awaits bob
    made = final(REVIEW, root)
    assert list(zip(made["record_key"], made["decision"])) == [(record, "include")]
