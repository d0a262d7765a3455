"""A new review, start to finish, as a new user does it: the README's "Review your own
article" walk in JupyterLab (headless Chromium, driven by Playwright) and the CLI, on an
article that is not the shipped one (``tests/fixtures/walk/after-the-run.txt``, written for
this walk), with no CSV row typed by hand.

``litreview new`` scaffolds the review; ``litreview lab --no-launch`` makes its own copies of
the notebooks under ``lab/run/``, which JupyterLab serves. In notebook 01 the claims form
accepts two suggestions and splits a third, which bundles two claims; ``log-search`` records a
search run in a database's own interface and ``import`` reads its RIS export under that id;
in notebook 03 records are screened with the keyboard and one included at full text (which
writes its library entry); in notebook 04 the extraction form and the risk-of-bias form are
filled; in notebook 05 the claim explorer saves the reviewer's explanation beside the computed
verdict; ``litreview build`` then builds the report. The shipped notebooks, copied into the
scratch project beforehand, must be byte for byte what they were: the walk works on the
review's own copies. Screenshots go to ``reports/test-artifacts/walk-*.png`` (the README's
are copied from them)."""

from __future__ import annotations

import csv
import hashlib
import os
import shutil

import pytest

from conftest import ROOT, needs_chromium
from litreview.cli import main
from litreview.collect.screening import read_decisions
from litreview.grade.assessment import claim_grade
from litreview.tables.bib import load_bib
from litreview.tables.review import Review
from test_workbook_browser import (
    ARTIFACTS,
    KEYS,
    WAIT,
    lab_page,
    open_and_run,
    press,
    save_design_rob,
    serve_lab,
    until,
)

pytestmark = needs_chromium
REVIEW = "run"
ARTICLE = ROOT / "tests/fixtures/walk/after-the-run.txt"
EXPORT = ROOT / "tests/fixtures/walk/massage-export.ris"
# the claims confirmed in notebook 01: (suggestion, words, restated claim, category, kind, group, PICO)
ACCEPTED = [
    ("A firm sports massage", "A firm sports massage after a hard run eases next-day muscle soreness",
     "Sports massage after a hard run reduces next-day muscle soreness.", "efficacy", "intervention", "soreness",
     {"population": "runners", "intervention": "sports massage after running", "comparator": "no massage",
      "outcome": "muscle soreness"}),
    ("Some coaches", "massage flushes lactic acid out of the legs within minutes",
     "Massage clears lactic acid from the legs within minutes.", "mechanism", "intervention", "lactate",
     {"population": "people after hard exercise", "intervention": "massage of the legs", "comparator": "rest",
      "outcome": "blood lactate clearance"}),
]
SPLIT = ("A weekly rub-down", [("keeps your calves supple", "Weekly massage keeps the calves supple.", "suppleness"),
                               ("it calms you down before the next race", "Weekly massage calms runners before a race.",
                                "calm")])


def digest(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.ipynb"))}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A scratch project: the shipped notebooks (to prove they stay untouched), a new review of
    the walk's article, its own notebook copies, and JupyterLab serving those copies."""
    root = tmp_path_factory.mktemp("walk")
    (root / "pyproject.toml").write_text("[project]\nname='walk'\n")
    (root / "data").mkdir()
    shutil.copytree(ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns("screenshots"))
    os.environ["LITREVIEW_ROOT"] = str(root)
    try:
        assert main(["new", REVIEW, "--article", str(ARTICLE), "--title", "Massage after the run"]) == 0
        assert main(["lab", "--review", REVIEW, "--no-launch"]) == 0
    finally:
        os.environ.pop("LITREVIEW_ROOT")
    yield from serve_lab(root, root / "lab" / REVIEW)


def cli(root, *args: str) -> int:
    os.environ["LITREVIEW_ROOT"] = str(root)
    try:
        return main(list(args))
    finally:
        os.environ.pop("LITREVIEW_ROOT")


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"walk-{name}.png"))


class ClaimsForm:
    """Notebook 01's claims form, driven as a reviewer does: pick a suggestion, choose the words,
    describe the claim, save; each step waits for the kernel and names what it waited for."""

    def __init__(self, page, data):
        self.page, self.data = page, data
        self.form = page.locator(".lr-claims-form")
        until(lambda: self.form.count() == 1, "the claims form")
        self.menu = self.form.locator(".lr-claims-suggestions select")

    def pick(self, start: str) -> None:
        """Select the suggestion starting with ``start`` and wait until the form has filled the
        words box with it (the list is redrawn after each save: select again if the click
        landed on the list before it was)."""
        box = self.form.locator(".lr-claims-words textarea")
        for _ in range(5):
            # the list shows spaces as no-break spaces: compare with them normalised
            [label] = until(lambda: [t for t in self.menu.locator("option").all_inner_texts()
                                     if start in t.replace("\xa0", " ")], f"the suggestion {start!r}")
            self.menu.select_option(label=label)
            try:
                until(lambda: box.input_value().startswith(start), "the suggestion's words in the box", 10)
                return
            except AssertionError:
                continue
        shot(self.page, "claims-pick-failed")
        raise AssertionError(f"the form never showed the suggestion {start!r}: {self.form.inner_text()[:2000]}")

    def describe(self, words: str, claim: str, category: str, kind: str, group: str, pico: dict[str, str]) -> None:
        """The words chosen, the claim restated, its vocabularies and PICO; waits for the words
        to be marked in the article."""
        from litreview.tables.schema import CATEGORY_MEANINGS, KIND_MEANINGS

        form = self.form
        form.locator(".lr-claims-words textarea").fill(words)
        form.locator(".lr-claims-claim input").fill(claim)
        form.locator(".lr-claims-category select").select_option(label=f"{category}: {CATEGORY_MEANINGS[category]}")
        form.locator(".lr-claims-kind select").select_option(label=f"{kind}: {KIND_MEANINGS[kind]}")
        form.locator(".lr-claims-group input").fill(group)
        for field, value in pico.items():
            form.locator(f".lr-claims-{field} input").fill(value)
        mark = form.locator(".lr-claims-mark-words")
        try:
            until(lambda: mark.count() and words in mark.first.inner_text(), f"{words!r} marked in the article")
        except AssertionError:
            shot(self.page, "claims-failed")
            raise AssertionError(form.inner_text()[:3000]) from None

    def save(self, button: str, words: str) -> None:
        """Click ``button`` (accept or split) and wait for the claim in claims.csv and for the form's
        word of it, which comes after the form has redrawn itself (typing before that would be
        overwritten)."""
        self.form.locator(f".lr-claims-{button}").click()
        message = self.form.locator(".lr-claims-message")
        try:
            until(lambda: words in (self.data / "claims.csv").read_text(encoding="utf-8"), f"the claim {words!r}")
            until(lambda: words in message.inner_text().replace("\xa0", " "), f"the form's word of {words!r}")
        except AssertionError:
            shot(self.page, "claims-failed")
            raise AssertionError(self.form.locator(".lr-claims-message").inner_text()) from None


def test_a_new_review_from_its_article_to_its_report_in_jupyterlab(project):
    root, base = project
    data = root / "data" / REVIEW
    shipped = digest(root / "notebooks")
    errors: list[str] = []
    with lab_page(errors) as page:

        # --- notebook 01: claims confirmed in the form, one bundled sentence split in two ---------
        open_and_run(page, base, "01-articles-and-claims")
        claims = ClaimsForm(page, data)
        for start, words, claim, category, kind, group, pico in ACCEPTED:
            claims.pick(start)
            claims.describe(words, claim, category, kind, group, pico)
            if group == "soreness":
                claims.form.scroll_into_view_if_needed()
                shot(page, "claims-form")
            claims.save("accept", words)
        start, parts = SPLIT
        claims.pick(start)
        for words, claim, group in parts:
            claims.describe(words, claim, "efficacy", "intervention", group, {"population": "runners"})
            claims.save("split", words)

        # --- a search run in PubMed's own interface: logged, then its export imported ----------
        assert cli(root, "log-search", "--review", REVIEW, "--source", "PubMed (web interface)",
                   "--query", "massage OR acupressure", "--hits", "58", "--claims", "C01,C02",
                   "--date", "2026-12-07") == 0
        assert cli(root, "import", str(EXPORT), "--review", REVIEW, "--search-id", "S001") == 0

        # --- notebook 03: title/abstract by keyboard, then the full-text include ------------------
        open_and_run(page, base, "03-search-and-screening")
        until(lambda: page.locator(KEYS).count() == 2, "both screening widgets")
        title, full = page.locator(KEYS).nth(0), page.locator(KEYS).nth(1)
        first = "blood lactate clearance after supramaximal leg exercise"
        until(lambda: page.locator(f"h3:has-text('{first}')").count(), "the record ranked first")
        page.locator(f"h3:has-text('{first}')").first.scroll_into_view_if_needed()
        page.mouse.wheel(0, -120)
        shot(page, "screening")
        for n, key in enumerate(("i", "i"), start=1):
            press(page, title, key)
            until(lambda n=n: len(read_decisions(REVIEW, root)) == n, f"decision {n} on disk")
        press(page, full, "r")
        until(lambda: page.locator(f"h3:has-text('{first}')").count(), "the full-text queue with the trial first")
        press(page, full, "i")
        library = root / "references" / REVIEW / "library.bib"
        until(lambda: "martin1998comparative" in library.read_text(), "the library entry")
        full.scroll_into_view_if_needed()
        shot(page, "full-text")

        # --- notebook 04: the evidence row, then the study's risk of bias -------------------------
        open_and_run(page, base, "04-evidence-table")
        page.wait_for_selector("button:has-text('Save row')", timeout=WAIT * 1000)
        form = page.locator(".widget-vbox").filter(has=page.locator("button:has-text('Save row')")).last

        def select(label: str, value: str) -> None:
            menu = form.locator(f".widget-dropdown:has(label:text-is('{label}')) select")
            until(lambda: any(o.startswith(value) for o in menu.locator("option").all_inner_texts()),
                  f"{value!r} among the {label} options")
            [option] = [o for o in menu.locator("option").all_inner_texts() if o.startswith(value)]
            menu.select_option(label=option)

        def fill(label: str, text: str) -> None:
            form.locator(f":is(.widget-text, .widget-textarea):has(label:text-is('{label}')) "
                         ":is(input, textarea)").fill(text)

        # what the trial's record shows, as the calf-massage review extracted it (E324 there)
        select("claim", "C02")
        select("study", "martin1998comparative")
        select("design", "rct")
        fill("n", "10")
        fill("population", "male competitive cyclists")
        fill("intervention", "sports massage after supramaximal leg exercise")
        fill("comparator", "rest; active recovery (randomised crossover)")
        fill("outcome", "blood lactate clearance")
        select("direction", "no-effect")
        select("population", "same")
        select("intervention", "related")
        select("comparator", "fits")
        select("outcome", "same")
        until(lambda: "derived indirectness: some" in form.inner_text(), "the derived judgement")
        fill("indirectness note", "sports massage at a site the record does not state; cyclists, not runners")
        fill("finding", "Blood lactate fell no faster with sports massage than with rest; active recovery "
                        "cleared it faster than both.")
        fill("locator", "abstract, results")
        form.locator("button:has-text('Save row')").scroll_into_view_if_needed()
        shot(page, "extraction")
        form.locator("button:has-text('Save row')").click()
        until(lambda: (data / "evidence.csv").read_text().count("\n") == 2, "the evidence row on disk")

        save_design_rob(page, data, "martin1998comparative", "some-concerns",
                        "randomised crossover of ten cyclists; concealment and blinding not reported",
                        study="martin1998comparative")
        shot(page, "rob")

        # --- notebook 05: the explanation, beside the verdict the grade computes -----------------
        grade = claim_grade(REVIEW, "C02", root)
        explanation = (f"The claim is {grade.verdict}: in the one trial found, ten cyclists cleared blood lactate "
                       "no faster after sports massage than after rest, and active recovery beat both. "
                       "The trial is small, and where the massage was given is not stated.")
        open_and_run(page, base, "05-claim-grading")
        until(lambda: page.locator("button:has-text('Save explanation')").count(), "the claim explorer")
        explorer = (page.locator(".widget-vbox").filter(has=page.locator("button:has-text('Save explanation')"))
                    .filter(has=page.locator(".widget-dropdown:has(label:text-is('claim'))")).last)
        menu = explorer.locator(".widget-dropdown:has(label:text-is('claim')) select")
        try:
            [option] = until(lambda: [o for o in menu.locator("option").all_inner_texts() if o.startswith("C02")],
                             "claim C02 in the explorer")
        except AssertionError:
            shot(page, "explorer-failed")
            raise AssertionError(explorer.inner_text()[:2000]) from None
        menu.select_option(label=option)
        until(lambda: grade.verdict in explorer.inner_text(), "the computed verdict beside the box")
        explorer.locator("textarea").fill(explanation)
        explorer.locator("button:has-text('Save explanation')").click()
        until(lambda: (data / "explanations.csv").is_file()
              and "C02" in (data / "explanations.csv").read_text(encoding="utf-8"), "the explanation on disk")
        explorer.locator("button:has-text('Save explanation')").scroll_into_view_if_needed()
        shot(page, "explanation")

    assert errors == []
    # claims: offsets computed from the article, never typed
    text = ARTICLE.read_text(encoding="utf-8")
    claims = Review.load(REVIEW, root).claims
    assert list(claims["claim_id"]) == ["C01", "C02", "C03", "C04"]
    assert list(claims["quote"]) == [a[1] for a in ACCEPTED] + [w for w, _, _ in SPLIT[1]]
    assert all(text[r.start:r.end] == r.quote for r in claims.itertuples())
    assert list(claims["category"]) == ["efficacy", "mechanism", "efficacy", "efficacy"]
    # the search, its import, the decisions and the library entry
    log = list(csv.DictReader(open(data / "search_log.csv", encoding="utf-8")))
    assert [(r["search_id"], r["source"], r["hits"]) for r in log] == [("S001", "PubMed (web interface)", "58")]
    decisions = read_decisions(REVIEW, root)
    assert list(zip(decisions["stage"], decisions["decision"])) == [
        ("title-abstract", "include"), ("title-abstract", "include"), ("full-text", "include")]
    [entry] = load_bib(root / "references" / REVIEW / "library.bib")
    assert (entry.key, entry.fields.get("pmid")) == ("martin1998comparative", "16558481")
    # the evidence row, its risk of bias, the explanation
    rv = Review.load(REVIEW, root)
    [row] = rv.evidence.to_dict("records")
    assert (row["claim_id"], row["study_key"], row["design"], row["n"], row["direction"]) == (
        "C02", "martin1998comparative", "rct", 10, "no-effect")
    assert list(rv.rob["judgement"]) == ["some-concerns"]
    assert list(rv.explanations["explanation"]) == [explanation]
    # the review made this way passes the check and builds its report
    assert cli(root, "check", "--review", REVIEW) == 0
    assert cli(root, "build", "--review", REVIEW) == 0
    built = root / "reports" / REVIEW
    assert (built / "summary.pdf").stat().st_size > 0
    summary = (built / "summary.html").read_text(encoding="utf-8")
    assert "C02" in summary and grade.verdict in summary
    grades = {r["claim_id"]: r for r in csv.DictReader(open(built / "grades.csv", encoding="utf-8"))}
    assert grades["C02"]["verdict"] == grade.verdict and grades["C02"]["explanation"] == explanation
    # the shipped notebooks were never touched: the walk ran on the review's own copies
    assert digest(root / "notebooks") == shipped
    assert sorted(p.name for p in (root / "lab" / REVIEW).glob("*.ipynb")) == sorted(shipped)
