"""The report in a real browser: headless Chromium (Debian's package) opens summary.html
from disk; nothing may fail to load or come from the network, every internal link must
land on an element, and a screenshot is kept under reports/test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CHROMIUM, CHROMIUM_FLAGS, ROOT, needs_chromium
from litreview.grade.assessment import Assessment
from litreview.report.sections import render_html, report_context
from litreview.tables.review import Review

pytestmark = needs_chromium
FLAGS = CHROMIUM_FLAGS


@pytest.fixture(scope="module")
def report_file(tmp_path_factory) -> Path:
    rv = Review.load("calf-massage", ROOT)
    html = render_html(report_context(Assessment.of(rv)))
    path = tmp_path_factory.mktemp("report") / "summary.html"
    path.write_text(html, encoding="utf-8")
    return path


def test_report_loads_from_disk_with_nothing_missing(report_file):
    from playwright.sync_api import sync_playwright

    requests, failed, errors = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("request", lambda r: requests.append(r.url))
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(report_file.as_uri(), wait_until="load")
        broken_images = page.evaluate(
            "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.alt)")
        dangling = page.evaluate(
            "Array.from(document.querySelectorAll('a[href^=\"#\"]')).map(a => a.getAttribute('href').slice(1))"
            ".filter(id => !document.getElementById(decodeURIComponent(id)))")
        internal = page.evaluate("document.querySelectorAll('a[href^=\"#\"]').length")
        claim_rows = page.evaluate("document.querySelectorAll('tr[id^=\"claim-\"]').length")
        out = ROOT / "reports" / "test-artifacts"
        out.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out / "summary.png"), full_page=False)
        browser.close()
    assert failed == [] and errors == []
    assert all(u.startswith(("file:", "data:")) for u in requests), [u for u in requests if not u.startswith(("file:", "data:"))]
    assert broken_images == [] and dangling == []
    assert internal > 100 and claim_rows == len(Review.load("calf-massage", ROOT).claims)
    assert (out / "summary.png").stat().st_size > 10_000
