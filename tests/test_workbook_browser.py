"""The workbook as people use it: JupyterLab in headless Chromium (Debian's package), driven
by Playwright on a fresh review made by the README's walk.

JupyterLab starts on a free local port with a token, its settings and runtime files in a
scratch folder. In notebook 03 three records are screened with the keyboard (one included),
the full-text queue is read again (``r``) and the record included at full text, which writes
its library entry; in notebook 04 the extraction form is filled for it and saved, and its
risk of bias recorded. The files on disk are then checked, and ``litreview check`` must pass.
Screenshots of the widgets go to ``reports/test-artifacts/``."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import nbformat
import pytest

from conftest import CHROMIUM, CHROMIUM_FLAGS, ROOT, needs_chromium
from litreview.claims.scaffold import new_review
from litreview.cli import main
from litreview.collect.screening import read_decisions
from litreview.collect.search import run
from litreview.tables.bib import load_bib
from litreview.tables.review import Review
from test_walk import walk_steps

pytestmark = needs_chromium
FLAGS = CHROMIUM_FLAGS
REVIEW = "calf-walk"
TOKEN = "litreview-browser-test"
KEYS = "input[placeholder='keys: i, 1-9/0, u, r']"
ARTIFACTS = ROOT / "reports" / "test-artifacts"
WAIT = 90  # seconds for anything the kernel does


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def until(condition, what: str, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    """A scratch project with the walk's review searched (not yet screened), notebooks 03 and
    04 set to it, and JupyterLab serving them."""
    root = tmp_path_factory.mktemp("workbook")
    (root / "pyproject.toml").write_text("[project]\nname='workbook'\n")
    shutil.copytree(ROOT / "data/calf-massage/articles", root / "articles")
    new_review(REVIEW, root / "articles/calf-massage-benefits.txt", title="The benefits of calf massage", root=root)
    [confirm] = [step for kind, step in walk_steps() if kind == "litreview" and step[0] == "claims"]
    os.environ["LITREVIEW_ROOT"] = str(root)
    try:
        assert main(confirm) == 0
    finally:
        os.environ.pop("LITREVIEW_ROOT")
    run(REVIEW, "pubmed", "massage OR acupressure", ["C01"], answers=ROOT / "tests/fixtures/walk/pubmed-massage",
        root=root)
    notebooks = root / "notebooks"
    notebooks.mkdir()
    for source in sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb")):  # all of them, for the build
        name = source.stem
        nb = nbformat.read(source, as_version=4)
        for cell in nb.cells:
            if "parameters" in cell.metadata.get("tags", []):
                cell.source = f'review = "{REVIEW}"\noutput_dir = ""'
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nbformat.write(nb, notebooks / f"{name}.ipynb")
    yield from serve_lab(root, notebooks)


def serve_lab(root, folder):
    """JupyterLab serving ``folder`` for the scratch project ``root`` (settings, runtime and
    config files in it, news and update check off, kernels started without asking); yields
    ``(root, base_url)`` and stops the server afterwards."""
    settings = root / "lab-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false",
                                                                           "checkForUpdates": False}))
    # start a notebook's kernel without asking which one (JupyterLab asks now and then otherwise)
    tracker = root / "lab-settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"autoStartDefaultKernel": True}))
    port = free_port()
    env = {**os.environ, "LITREVIEW_ROOT": str(root), "JUPYTERLAB_SETTINGS_DIR": str(root / "lab-settings"),
           "JUPYTER_RUNTIME_DIR": str(root / "runtime"), "JUPYTER_CONFIG_DIR": str(root / "config")}
    log = open(root / "jupyter.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
                               f"--port={port}", "--ip=127.0.0.1", f"--ServerApp.token={TOKEN}",
                               f"--ServerApp.root_dir={folder}"],
                              env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"

    def up():
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2) as answer:
                return answer.status == 200
        except OSError:
            return server.poll() is not None and pytest.fail((root / "jupyter.log").read_text()[-2000:])

    until(up, "JupyterLab to start")
    yield root, base
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
    log.close()


@contextlib.contextmanager
def lab_page(errors: list[str]):
    """A Chromium page for JupyterLab, closed afterwards: the page's script errors go to
    ``errors``, and "leave the page?" (moving to the next notebook) is answered yes."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("dialog", lambda d: d.accept())
        try:
            yield page
        finally:
            browser.close()


def open_and_run(page, base: str, notebook: str) -> None:
    """Open the notebook, wait for its kernel, and Run > Run All Cells (again, should the
    first click come before the notebook could take it)."""
    page.goto(f"{base}/lab/tree/{notebook}.ipynb?reset&token={TOKEN}")  # a fresh workspace: this notebook alone
    page.wait_for_selector(".jp-Notebook", timeout=WAIT * 1000)
    tab = page.locator(".jp-NotebookPanel:has(.jp-Notebook):visible")
    page.wait_for_selector(".jp-StatusBar-TextItem:has-text('Idle')", timeout=WAIT * 1000)
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(5):
        dismiss_dialogs(page)
        try:  # a dialog may open a moment after the notebook: answer it, then try again
            tab.locator(".jp-Cell").first.click(timeout=5000)
            page.get_by_role("menuitem", name="Run", exact=True).click(timeout=5000)
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click(timeout=5000)
        except PlaywrightTimeout:
            continue
        try:
            until(lambda: tab.locator(".jp-InputPrompt:has-text('[1]')").count() > 0, "the first cell to run", 15)
            return
        except AssertionError:
            continue
    raise AssertionError(f"{notebook}: Run All Cells did not start; dialogs seen: {DIALOGS}")


DIALOGS: list[str] = []  # what JupyterLab asked while the test ran, for the failure message


def dismiss_dialogs(page) -> None:
    """Answer any dialog JupyterLab shows (a kernel to choose for a notebook reopened from the
    last workspace, say) with its default button, and note what it said."""
    for _ in range(3):
        dialog = page.locator(".jp-Dialog")
        if not dialog.count():
            return
        DIALOGS.append(dialog.first.inner_text()[:200])
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"dialog-{len(DIALOGS)}.png"))
        accept = dialog.first.locator(".jp-Dialog-button.jp-mod-accept")
        if accept.count():
            accept.first.click()
        else:
            page.keyboard.press("Escape")
        page.wait_for_timeout(300)


def press(page, box, key: str) -> None:
    """One key into a widget's keys box; the widget empties the box once it has acted."""
    box.click()
    page.keyboard.type(key)
    until(lambda: box.input_value() == "", f"the widget to act on {key!r}")


def run_until(page, base: str, notebook: str, selector: str, failed: str) -> None:
    """Run the notebook and wait for ``selector``; a screenshot named ``failed`` when it never shows."""
    open_and_run(page, base, notebook)
    try:
        page.wait_for_selector(selector, timeout=WAIT * 1000)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / failed))
        raise


def select_in(box, label: str, value: str | None = None, index: int | None = None) -> None:
    """Choose ``value`` (or the option at ``index``) in the dropdown labelled ``label`` inside ``box``."""
    menu = box.locator(f".widget-dropdown:has(label:text-is('{label}')) select")
    menu.select_option(label=value) if value else menu.select_option(index=index)


def fill_in(box, label: str, text: str) -> None:
    """Type ``text`` into the visible text field or area labelled ``label`` inside ``box``."""
    box.locator(f":is(.widget-text, .widget-textarea):has(label:text-is('{label}')) "
                ":is(input, textarea):visible").fill(text)


def save_design_rob(page, data, key: str, overall: str, note: str, study: str | None = None):
    """In notebook 04's risk-of-bias form: judge ``study`` (default: the one shown) with the design
    tool's single judgement, save, and wait until ``rob.csv`` holds ``key``. Returns the form."""
    rob = page.locator(".widget-vbox").filter(has=page.locator("button:text-is('Save')")).last
    if study:
        select_in(rob, "Study", study)
    rob.locator(".widget-toggle-buttons button:text-is('design')").click()
    select_in(rob, "overall", overall)
    rob.locator(".widget-text:has(label:text-is('Note')) input:visible").fill(note)
    rob.locator("button:text-is('Save')").click()
    until(lambda: (data / "rob.csv").is_file() and key in (data / "rob.csv").read_text(),
          "the risk-of-bias row on disk")
    rob.locator("button:text-is('Save')").scroll_into_view_if_needed()
    return rob


def test_screen_include_extract_and_appraise_in_jupyterlab(workbook):
    root, base = workbook
    data = root / "data" / REVIEW
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with lab_page(errors) as page:

        # notebook 03: three records at title/abstract with the keyboard, one of them included
        open_and_run(page, base, "03-search-and-screening")
        page.wait_for_selector(KEYS, timeout=WAIT * 1000)
        until(lambda: page.locator(KEYS).count() == 2, "both screening widgets")
        title, full = page.locator(KEYS).nth(0), page.locator(KEYS).nth(1)
        until(lambda: "friction massage of the popliteal fossa" in page.locator(".widget-html").first.inner_text()
              or page.get_by_text("friction massage of the popliteal fossa").count(), "the first record")
        page.locator("h3:has-text('friction massage of the popliteal fossa')").first.scroll_into_view_if_needed()
        page.mouse.wheel(0, -120)
        page.screenshot(path=str(ARTIFACTS / "screening-widget.png"))
        for n, key in enumerate(("i", "2", "2"), start=1):
            press(page, title, key)
            until(lambda n=n: len(read_decisions(REVIEW, root)) == n, f"decision {n} on disk")

        # the full-text queue, read again, then the include that writes the library entry
        press(page, full, "r")
        full.scroll_into_view_if_needed()
        press(page, full, "i")
        until(lambda: "iwamoto2017effects" in (root / "references" / REVIEW / "library.bib").read_text(),
              "the library entry")
        page.screenshot(path=str(ARTIFACTS / "full-text-widget.png"))

        # notebook 04: the extraction form for the included study, then its risk of bias
        run_until(page, base, "04-evidence-table", "button:has-text('Save row')", "notebook-04-failed.png")
        form = page.locator(".widget-vbox").filter(has=page.locator("button:has-text('Save row')")).last

        def select(label: str, value: str | None = None, index: int | None = None) -> None:
            select_in(form, label, value, index)

        def fill(label: str, text: str) -> None:
            fill_in(form, label, text)

        select("claim", index=1)
        select("study", index=1)
        select("design", "mechanistic-human")
        fill("n", "15")
        fill("population", "healthy male university students")
        fill("intervention", "friction massage of the popliteal fossa")
        fill("comparator", "values before massage")
        fill("outcome", "popliteal vein blood flow velocity")
        select("direction", "supports")
        # the four indirectness questions, against the claim as the article states it
        select("population", "same")
        select("intervention", "related")
        select("comparator", "none")
        select("outcome", "same")
        until(lambda: "derived indirectness: some" in form.inner_text(), "the derived judgement shown live")
        fill("indirectness note", "friction behind the knee, not calf kneading or shiatsu; uncontrolled")
        fill("finding", "Popliteal vein velocity rose after friction massage behind the knee.")
        fill("locator", "abstract, results")
        form.locator("button:has-text('Save row')").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "extraction-form.png"))
        form.locator("button:has-text('Save row')").click()
        until(lambda: (data / "evidence.csv").read_text().count("\n") == 2, "the evidence row on disk")
        until(lambda: "E001" in form.inner_text(), "the form to confirm the save")
        form.locator("button:has-text('Save row')").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "extraction-saved.png"))

        save_design_rob(page, data, "iwamoto2017effects", "high", "uncontrolled before-after measurement, n=15")
        page.screenshot(path=str(ARTIFACTS / "rob-form.png"))
    (ARTIFACTS / "dialogs.txt").write_text("\n---\n".join(DIALOGS) + "\n", encoding="utf-8")

    assert errors == []
    decisions = read_decisions(REVIEW, root)
    title_rows = decisions[decisions["stage"] == "title-abstract"]
    assert len(title_rows) == 3 and list(title_rows["decision"]) == ["include", "exclude", "exclude"]
    assert list(title_rows["reason"])[1:] == ["wrong-intervention", "wrong-intervention"]
    assert list(title_rows["record_key"])[0] == "S001-pubmed.ris:30"
    full_rows = decisions[decisions["stage"] == "full-text"]
    assert list(zip(full_rows["record_key"], full_rows["decision"])) == [("S001-pubmed.ris:30", "include")]
    [entry] = load_bib(root / "references" / REVIEW / "library.bib")
    assert entry.key == "iwamoto2017effects" and entry.fields["doi"] == "10.1589/jpts.29.511"
    rv = Review.load(REVIEW, root)
    [row] = rv.evidence.to_dict("records")
    assert (row["evidence_id"], row["claim_id"], row["study_key"], row["n"], row["direction"]) == (
        "E001", "C01", "iwamoto2017effects", 15, "supports")
    assert list(rv.rob["judgement"]) == ["high"]
    [answers] = rv.indirectness.to_dict("records")
    assert ({q: answers[q] for q in ("evidence_id", "population", "intervention", "comparator", "outcome")}
            == {"evidence_id": "E001", "population": "same", "intervention": "related", "comparator": "none",
                "outcome": "same"})
    # the review made with these widgets passes the check and builds its report
    os.environ["LITREVIEW_ROOT"] = str(root)
    try:
        assert main(["check", "--review", REVIEW]) == 0
        assert main(["build", "--review", REVIEW]) == 0
    finally:
        os.environ.pop("LITREVIEW_ROOT")
    built = root / "reports" / REVIEW
    assert (built / "summary.pdf").stat().st_size > 0
    flow = dict(csv.reader(open(built / "prisma_counts.csv", encoding="utf-8")))
    assert (flow["records identified"], flow["records included"], flow["reports sought for retrieval"]) == (
        "56", "1", "1")
    assert "C01" in (built / "summary.html").read_text(encoding="utf-8")


def test_split_a_bundled_sentence_in_the_claims_form(workbook):
    """Notebook 01: a suggestion that bundles two claims ("help with post-surgery recovery, or in
    general improves your health") is split in the claims form into two claims, each chosen by
    its words; the offsets written are computed from the article, never typed."""
    from litreview.tables.schema import CATEGORY_MEANINGS

    root, base = workbook
    data = root / "data" / REVIEW
    before = Review.load(REVIEW, root).claims
    parts = [("help with post-surgery recovery", "Calf massage helps recovery after surgery.", "recovery"),
             ("in general improves your health", "Calf massage improves general health.", "general-health")]
    errors: list[str] = []
    with lab_page(errors) as page:
        open_and_run(page, base, "01-articles-and-claims")
        form = page.locator(".lr-claims-form")
        try:
            until(lambda: form.count() == 1, "the claims form")
        except AssertionError:
            page.screenshot(path=str(ARTIFACTS / "notebook-01-failed.png"))
            raise
        (ARTIFACTS / "claims-form.txt").write_text(form.inner_text(), encoding="utf-8")
        menu = form.locator(".lr-claims-suggestions select")
        # the list shows spaces as no-break spaces: find the option by a word without one
        [label] = until(lambda: [t for t in menu.locator("option").all_inner_texts() if "post-surgery" in t],
                        "the bundled suggestion in the list")
        menu.select_option(label=label)
        # count() first: inner_text() of a mark not drawn yet would wait 30 s and raise, not retry
        mark = form.locator(".lr-claims-mark-words")
        for words, claim, group in parts:
            form.locator(".lr-claims-words textarea").fill(words)
            form.locator(".lr-claims-claim input").fill(claim)
            form.locator(".lr-claims-category select").select_option(
                label=f"efficacy: {CATEGORY_MEANINGS['efficacy']}")
            form.locator(".lr-claims-group input").fill(group)
            form.locator(".lr-claims-population input").fill("adults")
            until(lambda words=words: mark.count() and words in mark.first.inner_text(),
                  "the words marked in the article")
            if group == "recovery":
                form.scroll_into_view_if_needed()
                page.screenshot(path=str(ARTIFACTS / "claims-form.png"))
            form.locator(".lr-claims-split").click()
            try:
                until(lambda words=words: words in (data / "claims.csv").read_text(encoding="utf-8"),
                      f"the claim {words!r} on disk")
                # the form's word of the save comes after it has redrawn itself: only then type again
                until(lambda words=words: words in form.locator(".lr-claims-message").inner_text().replace("\xa0", " "),
                      f"the form's word of {words!r}")
            except AssertionError:
                page.screenshot(path=str(ARTIFACTS / "claims-form-failed.png"))
                raise AssertionError(form.locator(".lr-claims-message").inner_text()) from None
    assert errors == []
    text = (data / "articles" / "calf-massage-benefits.txt").read_text(encoding="utf-8")
    new = Review.load(REVIEW, root).claims
    added = new[~new["claim_id"].isin(before["claim_id"])]
    assert list(added["quote"]) == [w for w, _, _ in parts]
    assert list(added["claim"]) == [c for _, c, _ in parts]
    for row in added.itertuples():
        assert text[row.start:row.end] == row.quote and text.count(row.quote) == 1
    assert list(added["category"]) == ["efficacy", "efficacy"] and list(added["kind"]) == ["intervention"] * 2
