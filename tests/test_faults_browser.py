"""Injected markup is inert in every HTML the build writes (defect 1 of the fault campaign).

The fixture review (tests/fixtures/workbook) is built with markup appended to a claim's
restatement, a library title and an evidence finding, as an imported record or a careless
paste would bring it. Headless Chromium then opens every page the build wrote (the notebooks'
HTML and summary.html) from disk: no injected script may run and no injected element may
exist, while the injected text is shown as text."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import CHROMIUM, CHROMIUM_FLAGS, ROOT, needs_chromium
from litreview.report.build import build

pytestmark = needs_chromium
FIXTURE = ROOT / "tests" / "fixtures" / "workbook"
INJECTED = "<script>window.__injected=1</script><img class=injected src=x onerror=window.__injected=2>"


@pytest.fixture(scope="module")
def injected_report(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("injected")
    (root / "data").mkdir()
    (root / "pyproject.toml").write_text("[project]\nname='fixture'\n")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    for part in ("data", "references"):
        shutil.copytree(FIXTURE / part, root / part, dirs_exist_ok=True)
    data, refs = root / "data" / "after-exercise", root / "references" / "after-exercise"
    claims = data / "claims.csv"
    claims.write_text(claims.read_text().replace("reduces delayed onset muscle soreness.",
                                                 f"reduces delayed onset muscle soreness. {INJECTED}", 1))
    library = refs / "library.bib"
    text = library.read_text()
    start = text.index("title = {") + len("title = {")
    end = text.index("}", start)
    library.write_text(text[:end] + " " + INJECTED + text[end:])
    evidence = data / "evidence.csv"
    evidence.write_text(evidence.read_text().replace("reduction in delayed onset muscle soreness.",
                                                     f"reduction in delayed onset muscle soreness. {INJECTED}", 1))
    return build("after-exercise", root, say=lambda *a, **k: None)


def test_defect1_no_injected_markup_runs_in_any_page_the_build_wrote(injected_report):
    from playwright.sync_api import sync_playwright

    pages = sorted(injected_report.rglob("*.html"))
    assert {p.name for p in pages} >= {"summary.html", "02-reference-audit.html", "05-claim-grading.html"}
    shown = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for path in pages:
            page = browser.new_page()
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_timeout(200)
            ran = page.evaluate("window.__injected === undefined ? null : window.__injected")
            elements = page.evaluate("document.querySelectorAll('img.injected').length")
            frames = [f.evaluate("window.__injected === undefined ? null : window.__injected")
                      for f in page.frames[1:]]
            shown[path.name] = page.evaluate("document.documentElement.innerText").count("window.__injected=1")
            page.close()
            assert (ran, elements, [f for f in frames if f is not None]) == (None, 0, []), path.name
        browser.close()
    # the injected text reached the pages, as text: the claim table of notebook 05 and the summary
    assert shown["05-claim-grading.html"] >= 1 and shown["summary.html"] >= 1, shown
