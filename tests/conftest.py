"""Shared fixtures: a small review written for the tests, in a temporary workbook root."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# the browser tests run Debian's chromium, headless, with nothing fetched in the background
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed and this machine does not allow `make browser` to install it")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]

ARTICLE = ("Ginger tea: a kitchen remedy?\n"
           "Drinking ginger tea can reduce nausea in early pregnancy. "
           "Two cups a day for five days is a safe amount. "
           "Ginger balances the body's inner fire.\n")

CLAIMS_HEADER = ("claim_id,article_id,quote,start,end,claim,category,kind,group,population,"
                 "intervention,comparator,outcome,testable,cited_keys\n")


def claim_row(cid: str, quote: str, category: str = "efficacy", testable: str = "true",
              cited: str = "", text: str = ARTICLE, start: int | None = None, kind: str | None = None) -> str:
    s = text.index(quote) if start is None else start
    kind = kind or ("intervention" if testable == "true" else "traditional-theory")
    return (f'{cid},ginger,"{quote}",{s},{s + len(quote)},"restated {cid}",{category},{kind},'
            f"remedies,adults,ginger tea,placebo,nausea,{testable},{cited}\n")


def write_review(root: Path, name: str = "ginger", article: str = ARTICLE) -> Path:
    """A complete minimal review under ``root`` (data/, references/, pyproject marker)."""
    (root / "pyproject.toml").write_text("[project]\nname='fixture'\n")
    data = root / "data" / name
    (data / "articles").mkdir(parents=True)
    (data / "articles" / "ginger.txt").write_text(article, encoding="utf-8")
    digest = hashlib.sha256(article.encode()).hexdigest()
    (data / "articles.csv").write_text(
        "article_id,file,title,site,date_shown,url,sha256,has_references,note\n"
        f"ginger,ginger.txt,Ginger tea,example blog,2024-01-01,,{digest},false,written for the tests\n")
    (data / "claims.csv").write_text(
        CLAIMS_HEADER
        + claim_row("G01", "Drinking ginger tea can reduce nausea in early pregnancy")
        + claim_row("G02", "Two cups a day for five days is a safe amount", category="dosage")
        + claim_row("G03", "Ginger balances the body's inner fire", category="traditional-theory",
                    testable="false"))
    refs = root / "references" / name
    refs.mkdir(parents=True)
    (refs / "cited.bib").write_text("")
    (refs / "library.bib").write_text(
        "@article{viljoen2014systematic,\n"
        "  author = {Viljoen, E. and Visser, J. and Koen, N. and Musekiwa, A.},\n"
        "  title = {A systematic review and meta-analysis of the effect and safety of ginger in the"
        " treatment of pregnancy-associated nausea and vomiting},\n"
        "  journal = {Nutrition Journal}, year = {2014}, volume = {13}, pages = {20},\n"
        "  note = {record shows no DOI or PMID},\n"
        "  url = {https://pmc.ncbi.nlm.nih.gov/articles/PMC3995184},\n}\n")
    (data / "search_log.csv").write_text(
        "search_id,claim_ids,source,query,date,hits,screened,note\n"
        "S001,G01 G02,PubMed,ginger pregnancy nausea systematic review,2026-11-21,12,2,\n")
    (data / "screening.csv").write_text(
        "record_key,search_id,stage,decision,reason\n"
        "viljoen2014systematic,S001,full-text,include,\n"
        "10.1000/unrelated,S001,title-abstract,exclude,wrong population\n")
    (data / "evidence.csv").write_text(
        "evidence_id,claim_id,study_key,design,population,n,intervention,comparator,outcome,"
        "direction,effect_measure,effect,ci_low,ci_high,indirectness,indirectness_note,finding,locator,"
        "review_certainty\n"
        "E001,G01,viljoen2014systematic,meta-analysis,pregnant women,1278,ginger,placebo,nausea,"
        "supports,,,,,none,,Ginger eased nausea more than placebo.,abstract,\n")
    (data / "explanations.csv").write_text(
        "claim_id,explanation\n"
        'G01,"One meta-analysis of trials in pregnant women found less nausea with ginger than with placebo. '
        'It is a single review, so the estimate could still move."\n'
        'G02,"The search found no study of this dose or duration. Nothing was recorded for it."\n')
    (data / "rob.csv").write_text(
        "study_key,tool,domain,judgement,support\n"
        "viljoen2014systematic,amstar2,protocol,no,no protocol mentioned\n")
    return root


@pytest.fixture
def review_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = write_review(tmp_path)
    monkeypatch.setenv("LITREVIEW_ROOT", str(root))
    return root


def copy_project(source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``source``'s data and references copied into ``tmp_path``, which becomes the workbook root."""
    for part in ("data", "references"):
        shutil.copytree(source / part, tmp_path / part)
    (tmp_path / "pyproject.toml").write_text("[project]\nname='copy'\n")
    monkeypatch.setenv("LITREVIEW_ROOT", str(tmp_path))
    return tmp_path


@pytest.fixture
def shipped_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped review's data and references (to break on purpose)."""
    return copy_project(ROOT, tmp_path, monkeypatch)
