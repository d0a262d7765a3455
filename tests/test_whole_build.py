"""The whole build, every notebook and export, on reviews other than the shipped one:
the fixture review in tests/fixtures/workbook (its own short article, four claims, three
studies), and a review just made by `litreview new` with nothing confirmed yet."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import ROOT
from litreview.claims.scaffold import new_review
from litreview.report.build import build, notebooks

FIXTURE = Path(__file__).parent / "fixtures" / "workbook"
EXPORTS = ("summary.html", "summary.pdf", "grades.csv", "claimreview.jsonld", "evidence.xlsx", "bibliography.bib")


def workbook(tmp: Path) -> Path:
    """A workbook root with the repository's notebooks and no review yet."""
    (tmp / "data").mkdir()
    (tmp / "pyproject.toml").write_text("[project]\nname='fixture'\n")
    shutil.copytree(ROOT / "notebooks", tmp / "notebooks")
    return tmp


@pytest.fixture(scope="module")
def fixture_report(tmp_path_factory) -> Path:
    root = workbook(tmp_path_factory.mktemp("fixture"))
    for part in ("data", "references"):
        shutil.copytree(FIXTURE / part, root / part, dirs_exist_ok=True)
    return build("after-exercise", root, say=lambda *a, **k: None)


@pytest.fixture(scope="module")
def empty_report(tmp_path_factory) -> Path:
    root = workbook(tmp_path_factory.mktemp("empty"))
    article = root / "article.txt"
    article.write_text("Beetroot juice before a run?\nBeetroot juice lowers blood pressure within hours.\n")
    new_review("beetroot", article, root=root)
    return build("beetroot", root, say=lambda *a, **k: None)


def grades(report: Path) -> dict[str, dict]:
    with (report / "grades.csv").open(encoding="utf-8") as handle:
        return {r["claim_id"]: r for r in csv.DictReader(handle)}


def test_fixture_review_builds_every_export_and_notebook(fixture_report):
    for name in EXPORTS:
        assert (fixture_report / name).stat().st_size > 0, name
    assert (fixture_report / "summary.pdf").read_bytes()[:5] == b"%PDF-"
    for source in notebooks(ROOT):
        assert (fixture_report / "notebooks" / f"{source.stem}.html").is_file()
    assert len(json.loads((fixture_report / "claimreview.jsonld").read_text())) == 4


def test_fixture_grades_follow_the_evidence_and_the_search_log(fixture_report):
    g = grades(fixture_report)
    assert g["M01"]["direction"] == "supports" and g["M01"]["evidence_rows"] == "3"
    assert g["M01"]["verdict"] in ("supported", "partly supported")
    assert g["M03"]["verdict"] == "not testable"
    for cid in ("M02", "M04"):  # no search names them: graded for want of evidence, and said so
        assert g[cid]["verdict"] == "unsupported"
        assert g[cid]["rationale"].startswith("Not searched yet")


def test_fixture_report_says_what_is_missing(fixture_report):
    html = (fixture_report / "summary.html").read_text(encoding="utf-8")
    assert "What is missing" in html
    assert re.search(r"2 testable claims not searched yet[^<]*M02, M04", html)
    assert "“A massage after a hard workout eases next-day muscle soreness”" in html


def test_exported_notebooks_fetch_nothing_and_show_the_explorer_as_a_table(fixture_report):
    for page in (fixture_report / "notebooks").glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"<script[^>]+src=\"https?:", text), page.name
        assert "application/vnd.jupyter.widget-view+json\">" not in text, page.name
    grading = (fixture_report / "notebooks" / "05-claim-grading.html").read_text(encoding="utf-8")
    assert "Claim explorer, as a table" in grading
    assert grading.count("kneading the calves restores the flow of qi") >= 1


def test_a_new_review_with_nothing_confirmed_builds_and_says_so(empty_report):
    for name in EXPORTS:
        assert (empty_report / name).is_file(), name
    html = (empty_report / "summary.html").read_text(encoding="utf-8")
    assert "No claims confirmed yet" in html
    assert "data/beetroot/claims.suggested.csv" in html
    assert "No figures yet" in html and "No searches logged yet" in html
    assert grades(empty_report) == {}
