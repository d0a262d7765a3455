"""Retractions, corrections and metadata checks (litreview.collect.status) against a local server that
answers in Crossref's, PubMed's and OpenAlex's formats; the grading hooks; check's warnings."""

from __future__ import annotations

import socket
from urllib.parse import quote

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from litreview.checks import check_review
from litreview.checks import warnings as check_warnings
from litreview.cli import main
from litreview.collect.sources import Crossref, NetworkUnavailable, OpenAlex, PubMed
from litreview.collect.status import (
    COLUMNS,
    Clients,
    concern_keys,
    crossref_notices,
    merge,
    pubmed_notices,
    report_section,
    verify_entry,
    withdrawn_rows,
    write,
)
from litreview.grade.grading import LEVELS, grade_claim, grade_review, study_rob
from litreview.tables.bib import Entry
from litreview.tables.review import Review
from litreview.tables.schema import STUDY_STATUS, SchemaError, none_for_missing, read_table
from test_sources import Server, client, serve  # noqa: F401  (serve is a fixture)


def load_frame(rows: list[dict]) -> pd.DataFrame:
    """A status frame from dicts: the table's columns, None for missing."""
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for c in ("notice_doi", "notice_pmid"):
        frame[c] = [v if isinstance(v, list) else ([] if v is None or v == "" or (isinstance(v, float) and pd.isna(v))
                                                    else str(v).split()) for v in frame[c]]
    return none_for_missing(frame)


# --- payloads in each service's format ------------------------------------------------------------

# The Wakefield 1998 Lancet paper as Crossref shows it since it carries the Retraction Watch
# data: two updated-by relations, both from retraction-watch (the 2004 partial retraction is
# typed a correction), dated with date-time, with Retraction Watch record ids.
WAKEFIELD_DOI = "10.1016/S0140-6736(97)11096-0"
SENT = WAKEFIELD_DOI.lower()  # DOIs are case-insensitive; the entry's is looked up normalised
WAKEFIELD = {"status": "ok", "message-type": "work", "message-version": "1.0.0", "message": {
    "DOI": "10.1016/s0140-6736(97)11096-0", "type": "journal-article",
    "title": ["RETRACTED: Ileal-lymphoid-nodular hyperplasia, non-specific colitis, and pervasive "
              "developmental disorder in children"],
    "container-title": ["The Lancet"], "volume": "351", "issue": "9103", "page": "637-641",
    "author": [{"given": "AJ", "family": "Wakefield", "sequence": "first"},
               {"given": "SH", "family": "Murch", "sequence": "additional"}],
    "published-print": {"date-parts": [[1998, 2]]},
    "updated-by": [
        {"DOI": "10.1016/s0140-6736(04)15715-2", "type": "correction", "label": "Correction",
         "source": "retraction-watch", "updated": {"date-time": "2004-03-06T00:00:00Z"}, "record-id": "17269"},
        {"DOI": "10.1016/s0140-6736(10)60175-4", "type": "retraction", "label": "Retraction",
         "source": "retraction-watch", "updated": {"date-time": "2010-02-06T00:00:00Z"}, "record-id": "4036"}]}}

# PubMed efetch (MEDLINE XML) of the same paper, PMID 9500320, and its retraction notice 20137807
EFETCH_HEAD = ('<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January '
               '2024//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_240101.dtd">\n<PubmedArticleSet>')
EFETCH_RETRACTED = EFETCH_HEAD + """<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">
<PMID Version="1">9500320</PMID><Article PubModel="Print"><Journal><JournalIssue CitedMedium="Print">
<Volume>351</Volume><Issue>9103</Issue><PubDate><Year>1998</Year><Month>Feb</Month><Day>28</Day></PubDate>
</JournalIssue><Title>Lancet (London, England)</Title></Journal>
<ArticleTitle>Ileal-lymphoid-nodular hyperplasia, non-specific colitis, and pervasive developmental disorder in children.</ArticleTitle>
<Pagination><MedlinePgn>637-41</MedlinePgn></Pagination>
<AuthorList CompleteYN="Y"><Author ValidYN="Y"><LastName>Wakefield</LastName><ForeName>A J</ForeName><Initials>AJ</Initials></Author>
<Author ValidYN="Y"><LastName>Murch</LastName><ForeName>S H</ForeName><Initials>SH</Initials></Author></AuthorList>
<PublicationTypeList><PublicationType UI="D002363">Case Reports</PublicationType>
<PublicationType UI="D016428">Journal Article</PublicationType>
<PublicationType UI="D016441">Retracted Publication</PublicationType></PublicationTypeList></Article>
<CommentsCorrectionsList>
<CommentsCorrections RefType="RetractionIn"><RefSource>Lancet. 2010 Feb 6;375(9713):445</RefSource><PMID Version="1">20137807</PMID></CommentsCorrections>
<CommentsCorrections RefType="CommentIn"><RefSource>Lancet. 1998 Feb 28;351(9103):611-2</RefSource></CommentsCorrections>
</CommentsCorrectionsList></MedlineCitation><PubmedData><ArticleIdList><ArticleId IdType="pubmed">9500320</ArticleId>
<ArticleId IdType="doi">10.1016/s0140-6736(97)11096-0</ArticleId></ArticleIdList></PubmedData></PubmedArticle></PubmedArticleSet>"""

# Two records made for the tests in MEDLINE XML (identifiers not real: PMIDs 99000001/2 and
# the Crossref test prefix 10.5555): an article with an erratum, and the erratum itself.
EFETCH_WITH_ERRATUM = EFETCH_HEAD + """<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">
<PMID Version="1">99000001</PMID><Article PubModel="Print"><Journal><JournalIssue CitedMedium="Internet">
<Volume>12</Volume><Issue>3</Issue><PubDate><Year>2019</Year></PubDate></JournalIssue><Title>Journal of Tests</Title></Journal>
<ArticleTitle>Calf massage after running: a randomised trial.</ArticleTitle><Pagination><MedlinePgn>101-9</MedlinePgn></Pagination>
<AuthorList CompleteYN="Y"><Author ValidYN="Y"><LastName>Doe</LastName><ForeName>Jane</ForeName><Initials>J</Initials></Author></AuthorList>
<PublicationTypeList><PublicationType UI="D016449">Randomized Controlled Trial</PublicationType></PublicationTypeList></Article>
<CommentsCorrectionsList><CommentsCorrections RefType="ErratumIn"><RefSource>J Tests. 2020 Jan;13(1):5</RefSource>
<PMID Version="1">99000002</PMID></CommentsCorrections></CommentsCorrectionsList></MedlineCitation>
<PubmedData><ArticleIdList><ArticleId IdType="pubmed">99000001</ArticleId><ArticleId IdType="doi">10.5555/tests.2019.101</ArticleId>
</ArticleIdList></PubmedData></PubmedArticle></PubmedArticleSet>"""
EFETCH_ERRATUM_NOTICE = EFETCH_HEAD + """<PubmedArticle><MedlineCitation Status="PubMed-not-MEDLINE" Owner="NLM">
<PMID Version="1">99000002</PMID><Article PubModel="Print"><Journal><JournalIssue CitedMedium="Internet">
<Volume>13</Volume><Issue>1</Issue><PubDate><Year>2020</Year></PubDate></JournalIssue><Title>Journal of Tests</Title></Journal>
<ArticleTitle>Erratum: Calf massage after running: a randomised trial.</ArticleTitle><Pagination><MedlinePgn>5</MedlinePgn></Pagination>
<PublicationTypeList><PublicationType UI="D016425">Published Erratum</PublicationType></PublicationTypeList></Article>
<CommentsCorrectionsList><CommentsCorrections RefType="ErratumFor"><RefSource>J Tests. 2019;12(3):101-9</RefSource>
<PMID Version="1">99000001</PMID></CommentsCorrections></CommentsCorrectionsList></MedlineCitation>
<PubmedData><ArticleIdList><ArticleId IdType="pubmed">99000002</ArticleId></ArticleIdList></PubmedData></PubmedArticle></PubmedArticleSet>"""

ESEARCH_ONE = {"header": {"type": "esearch", "version": "0.3"},
               "esearchresult": {"count": "1", "retmax": "1", "retstart": "0", "idlist": ["9500320"]}}
ESEARCH_NONE = {"header": {"type": "esearch", "version": "0.3"},
                "esearchresult": {"count": "0", "retmax": "0", "retstart": "0", "idlist": []}}

# OpenAlex's work object (abridged to the fields read; the W id is made up for the tests)
OPENALEX_RETRACTED = {
    "id": "https://openalex.org/W0000000001", "doi": "https://doi.org/10.1016/s0140-6736(97)11096-0",
    "title": "RETRACTED: Ileal-lymphoid-nodular hyperplasia, non-specific colitis, and pervasive developmental "
             "disorder in children", "publication_year": 1998,
    "ids": {"openalex": "https://openalex.org/W0000000001", "pmid": "https://pubmed.ncbi.nlm.nih.gov/9500320"},
    "primary_location": {"source": {"display_name": "The Lancet"}},
    "authorships": [{"author_position": "first", "author": {"display_name": "Andrew J. Wakefield"}}],
    "biblio": {"volume": "351", "issue": "9103", "first_page": "637", "last_page": "641"},
    "is_retracted": True, "is_paratext": False}

WAKEFIELD_ENTRY = Entry("wakefield1998ileallymphoidnodular", "article", {
    "author": "Wakefield, A. J. and Murch, S. H.", "year": "1998",
    "title": "Ileal-lymphoid-nodular hyperplasia, non-specific colitis, and pervasive developmental disorder in children",
    "journal": "The Lancet", "volume": "351", "pages": "637--641", "doi": WAKEFIELD_DOI}, 1)
TODAY = "2026-11-30"


def routes(**over):
    """Paths as the clients send them (a DOI's parentheses percent-encoded)."""
    base = {f"/works/{SENT}": [(200, WAKEFIELD, {})],
            "/esearch.fcgi": [(200, ESEARCH_ONE, {})],
            "/efetch.fcgi": [(200, EFETCH_RETRACTED, {"Content-Type": "text/xml"})],
            f"/works/doi:{SENT}": [(200, OPENALEX_RETRACTED, {})]}
    base.update(over)
    return {quote(path, safe="/:."): answers for path, answers in base.items()}


def clients_for(url, which=("crossref", "pubmed", "openalex"), **kw):
    http = client(**kw)[0]
    return Clients(Crossref(http, base_url=url) if "crossref" in which else None,
                   PubMed(http, base_url=url) if "pubmed" in which else None,
                   OpenAlex(http, base_url=url) if "openalex" in which else None)


# --- each service ----------------------------------------------------------------------------------

def test_crossref_updated_by_from_retraction_watch(serve):
    s = serve(routes())
    row = verify_entry(WAKEFIELD_ENTRY, "library", clients_for(s.url, ["crossref"]), TODAY)
    assert row["status"] == "retracted"
    assert row["notice_doi"] == ["10.1016/s0140-6736(04)15715-2", "10.1016/s0140-6736(10)60175-4"]
    assert row["notice_date"] == "2010-02-06"  # the retraction's date, not the earlier correction's
    assert (row["source"], row["checked_on"]) == ("crossref", TODAY)
    assert row["note"].startswith("crossref (retraction-watch): Retraction; crossref (retraction-watch): Correction")
    # title differs only by the "RETRACTED: " prefix Crossref adds; that is reported, not hidden
    assert row["differences"].startswith("crossref.title: ")


def test_a_doi_that_is_itself_a_notice_is_remarked():
    notices, remarks = crossref_notices({"DOI": "10.1016/s0140-6736(10)60175-4", "update-to": [
        {"DOI": "10.1016/s0140-6736(97)11096-0", "type": "retraction", "label": "Retraction", "source": "publisher",
         "updated": {"date-parts": [[2010, 2, 6]]}}]})
    assert notices == [] and remarks == ["this DOI is a Retraction notice for 10.1016/s0140-6736(97)11096-0, "
                                         "not the study itself"]


def test_pubmed_retracted_publication_found_through_the_doi(serve):
    s = serve(routes())
    row = verify_entry(WAKEFIELD_ENTRY, "library", clients_for(s.url, ["pubmed"]), TODAY)
    assert row["status"] == "retracted" and row["pmid"] == "9500320"
    assert row["notice_pmid"] == ["20137807"] and row["notice_date"] == "2010"
    assert "pubmed: RetractionIn" in row["note"]
    assert any("term=10.1016%2Fs0140-6736%2897%2911096-0%5Bdoi%5D" in h for h in s.hits)
    # MedLine's "637-41" is the same range as our "637--641"; its journal name differs
    assert "pages" not in (row["differences"] or "") and "pubmed.journal" in row["differences"]


def test_pubmed_retracted_type_without_a_link_still_counts():
    import xml.etree.ElementTree as ET
    art = ET.fromstring(EFETCH_RETRACTED.split("<PubmedArticleSet>")[1].replace("</PubmedArticleSet>", "")
                        .replace('RefType="RetractionIn"', 'RefType="CommentIn"'))
    notices, _ = pubmed_notices(art)
    assert [(n.status, n.label, n.pmid) for n in notices] == [("retracted", "Retracted Publication", "")]


def test_pubmed_erratum_marks_the_article_corrected_and_the_notice_as_a_notice(serve):
    s = serve({"/efetch.fcgi": [(200, EFETCH_WITH_ERRATUM, {})]})
    entry = Entry("doe2019calf", "article", {"title": "Calf massage after running: a randomised trial",
                                             "author": "Doe, J.", "year": "2019", "journal": "Journal of Tests",
                                             "volume": "12", "pages": "101--109", "pmid": "99000001"}, 1)
    row = verify_entry(entry, "library", clients_for(s.url, ["pubmed"]), TODAY)
    assert (row["status"], row["notice_pmid"], row["notice_date"], row["differences"]) == \
        ("corrected", ["99000002"], "2020", None)
    s2 = serve({"/efetch.fcgi": [(200, EFETCH_ERRATUM_NOTICE, {})]})
    notice_entry = Entry("doe2020erratum", "article", {"title": "Erratum", "pmid": "99000002"}, 1)
    row = verify_entry(notice_entry, "library", clients_for(s2.url, ["pubmed"]), TODAY)
    assert row["status"] == "no-notice-seen"
    assert "this PMID is a notice (Published Erratum), not the study itself" in row["note"]


def test_openalex_is_retracted(serve):
    s = serve(routes())
    row = verify_entry(WAKEFIELD_ENTRY, "library", clients_for(s.url, ["openalex"], mailto="reviewer@example.org"),
                       TODAY)
    assert (row["status"], row["source"], row["note"]) == ("retracted", "openalex", "openalex: is_retracted")
    assert any("/works/doi:10.1016/s0140-6736%2897%2911096-0?mailto=reviewer%40example.org" in h for h in s.hits)
    fine = dict(OPENALEX_RETRACTED, is_retracted=False)
    s2 = serve(routes(**{f"/works/doi:{SENT}": [(200, fine, {})]}))
    assert verify_entry(WAKEFIELD_ENTRY, "library", clients_for(s2.url, ["openalex"]), TODAY)["status"] == \
        "no-notice-seen"


def test_all_three_agree_and_every_source_is_named(serve):
    s = serve(routes())
    row = verify_entry(WAKEFIELD_ENTRY, "library", clients_for(s.url), TODAY)
    assert row["status"] == "retracted" and row["source"] == "crossref pubmed openalex"
    assert row["notice_pmid"] == ["20137807"] and len(row["notice_doi"]) == 2


# --- failures ----------------------------------------------------------------------------------------

def test_404_from_one_service_is_noted_and_the_others_still_count(serve):
    s = serve(routes(**{f"/works/{SENT}": [(404, "Resource not found.", {})]}))
    row = verify_entry(WAKEFIELD_ENTRY, "library", clients_for(s.url), TODAY)
    assert row["status"] == "retracted" and row["source"] == "pubmed openalex"
    assert "crossref: no record" in row["note"]


def test_nothing_answers_means_not_verified_never_a_guess(serve):
    s = serve({"/esearch.fcgi": [(200, ESEARCH_NONE, {})]})
    row = verify_entry(WAKEFIELD_ENTRY, "library", clients_for(s.url), TODAY)
    assert (row["status"], row["source"], row["checked_on"]) == ("not-verified", None, None)
    assert row["note"] == "crossref: no record; pubmed: the DOI finds no record; openalex: no record"


def test_429_is_retried_then_answers(serve):
    s = serve(routes(**{f"/works/doi:{SENT}": [(429, "slow down", {"Retry-After": "2"}),
                                                          (200, OPENALEX_RETRACTED, {})]}))
    http, sleeps = client()
    row = verify_entry(WAKEFIELD_ENTRY, "library", Clients(openalex=OpenAlex(http, base_url=s.url)), TODAY)
    assert row["status"] == "retracted" and sleeps == [2.0]


def test_429_past_the_retries_is_noted(serve):
    s = serve(routes(**{f"/works/{SENT}": [(429, "slow down", {})]}))
    row = verify_entry(WAKEFIELD_ENTRY, "library", clients_for(s.url, ["crossref"], retries=1), TODAY)
    assert row["status"] == "not-verified" and row["note"] == "crossref: HTTP 429"


@pytest.mark.parametrize("which, route, body", [
    ("crossref", f"/works/{SENT}", "<html>maintenance</html>"),
    ("crossref", f"/works/{SENT}", {"status": "ok", "message": {"updated-by": ["retraction"]}}),
    ("pubmed", "/efetch.fcgi", "<PubmedArticleSet><PubmedArticle>"),
    ("pubmed", "/efetch.fcgi", EFETCH_HEAD + "<PubmedArticle><PubmedData/></PubmedArticle></PubmedArticleSet>"),
    ("openalex", f"/works/doi:{SENT}", {"id": "https://openalex.org/W1", "title": "no flag"}),
    ("openalex", f"/works/doi:{SENT}", ["not", "an", "object"]),
])
def test_malformed_payloads_are_noted_not_believed(serve, which, route, body):
    s = serve(routes(**{route: [(200, body, {})]}))
    row = verify_entry(WAKEFIELD_ENTRY, "library", clients_for(s.url, [which]), TODAY)
    assert row["status"] == "not-verified" and row["note"].startswith(f"{which}: ")


def test_no_network_stops_the_run():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(NetworkUnavailable):
        verify_entry(WAKEFIELD_ENTRY, "library", clients_for(f"http://127.0.0.1:{port}"), TODAY)


def test_entry_without_identifiers_is_not_verified():
    entry = Entry("anon2020x", "article", {"title": "x", "note": "record shows no DOI or PMID"}, 1)
    row = verify_entry(entry, "library", Clients(), TODAY)
    assert row["status"] == "not-verified" and row["note"].startswith("no DOI or PMID to look up")


# --- the command and the table ----------------------------------------------------------------------

LIBRARY = """@article{wakefield1998ileallymphoidnodular,
  author = {Wakefield, A. J. and Murch, S. H.}, year = {1998},
  title = {Ileal-lymphoid-nodular hyperplasia, non-specific colitis, and pervasive developmental disorder in children},
  journal = {The Lancet}, volume = {351}, pages = {637--641},
  doi = {10.1016/S0140-6736(97)11096-0}, pmid = {9500320},
  url = {https://pubmed.ncbi.nlm.nih.gov/9500320/},
}
"""


@pytest.fixture
def wakefield_root(review_root):
    lib = review_root / "references/ginger/library.bib"
    lib.write_text(lib.read_text() + "\n" + LIBRARY)
    return review_root


def point_at(monkeypatch, url):
    for name in ("LITREVIEW_CROSSREF_URL", "LITREVIEW_EUTILS_URL", "LITREVIEW_OPENALEX_URL"):
        monkeypatch.setenv(name, url)


def test_verify_library_writes_a_valid_table_and_keeps_what_was_seen(serve, wakefield_root, monkeypatch, capsys):
    s = serve(routes())
    point_at(monkeypatch, s.url)
    assert main(["verify-library", "--review", "ginger", "--date", TODAY]) == 0
    out = capsys.readouterr()
    assert "[2/2] library wakefield1998ileallymphoidnodular: retracted" in out.err
    path = wakefield_root / "data/ginger/study_status.csv"
    table = read_table(path, STUDY_STATUS)  # what the command writes passes its own schema
    assert list(table["key"]) == ["viljoen2014systematic", "wakefield1998ileallymphoidnodular"]
    assert list(table["status"]) == ["not-verified", "retracted"]
    assert "1 retracted or withdrawn" in out.out
    # a later run with the services failing does not erase what was seen
    s.routes.clear()
    assert main(["verify-library", "--review", "ginger", "--date", "2026-12-31"]) == 0
    again = read_table(path, STUDY_STATUS)
    assert list(again["status"]) == ["not-verified", "retracted"] and set(again["checked_on"]) == {None, TODAY}


def test_verify_library_without_network_changes_nothing(wakefield_root, monkeypatch, capsys):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    point_at(monkeypatch, f"http://127.0.0.1:{port}")
    path = wakefield_root / "data/ginger/study_status.csv"
    path.write_text(STUDY_STATUS.header())
    assert main(["verify-library", "--review", "ginger", "--timeout", "1"]) == 3
    assert "network unavailable: could not reach" in capsys.readouterr().err
    assert path.read_text() == STUDY_STATUS.header()


def test_merge_keeps_a_verified_row_over_a_fresh_failure():
    old = load_frame([{"key": "a", "bib": "library", "status": "corrected", "notice_pmid": "1", "source": "pubmed",
                       "checked_on": "2026-01-01"}])
    fresh = load_frame([{"key": "a", "bib": "library", "status": "not-verified", "note": "crossref: HTTP 503"},
                        {"key": "b", "bib": "library", "status": "no-notice-seen", "source": "crossref",
                         "checked_on": "2026-02-01"}])
    merged = merge(old, fresh)
    assert list(merged["status"]) == ["corrected", "no-notice-seen"]
    newer = load_frame([{"key": "a", "bib": "library", "status": "retracted", "notice_doi": "10.1/r",
                         "source": "crossref", "checked_on": "2026-03-01"}])
    assert list(merge(old, newer)["status"]) == ["retracted"]


@pytest.mark.parametrize("row, column, message", [
    ("a,library,,,retracted,,,,crossref,2026-01-01,,", "notice_doi", "needs the notice's DOI or PMID"),
    ("a,library,,,no-notice-seen,,,,,2026-01-01,,", "source", "needs the source that showed it"),
    ("a,library,,,corrected,,1,,pubmed,,,", "checked_on", "needs the date it was checked"),
    ("a,library,,,not-verified,,,,,,,", "note", "needs a note saying why"),
    ("a,library,,,gone,,,,,,,", "status", "expected one of retracted, withdrawn"),
    ("a,shelf,,,not-verified,,,,,,,x", "bib", "expected one of library, cited"),
])
def test_schema_rejects_rows_that_claim_without_a_source(tmp_path, row, column, message):
    path = tmp_path / "study_status.csv"
    path.write_text(STUDY_STATUS.header() + row + "\n")
    with pytest.raises(SchemaError) as info:
        read_table(path, STUDY_STATUS, "study_status.csv")
    [problem] = info.value.problems
    assert (problem.row, problem.column) == (2, column) and message in problem.message


def test_check_warns_without_failing_and_names_unknown_keys(wakefield_root, capsys):
    path = wakefield_root / "data/ginger/study_status.csv"
    path.write_text(STUDY_STATUS.header()
                    + "wakefield1998ileallymphoidnodular,library,,,retracted,,20137807,2010,pubmed,2026-11-30,,\n")
    warnings = [str(w) for w in check_warnings(Review.load("ginger", wakefield_root))]
    assert warnings == [
        "references/ginger/library.bib:1:doi: viljoen2014systematic: no DOI or PMID, so retractions and corrections "
        "cannot be looked up",
        "references/ginger/library.bib:1: viljoen2014systematic: never verified (no row in "
        "data/ginger/study_status.csv); run litreview verify-library"]
    assert main(["check", "--review", "ginger"]) == 0
    assert "warning: references/ginger/library.bib:1:doi: viljoen2014systematic" in capsys.readouterr().err
    path.write_text(path.read_text() + "ghost2020x,library,,,not-verified,,,,,,,no identifier\n")
    assert [str(p) for p in check_review(Review.load("ginger", wakefield_root))] == [
        "data/ginger/study_status.csv:3:key: unknown key 'ghost2020x' of library.bib"]


def test_written_table_round_trips(tmp_path):
    frame = load_frame([{"key": "a", "bib": "library", "status": "corrected", "notice_pmid": "1 2",
                         "source": "pubmed", "checked_on": "2026-01-01", "note": 'says "x", y'}])
    write(frame, tmp_path / "study_status.csv")
    back = read_table(tmp_path / "study_status.csv", STUDY_STATUS)
    assert back.loc[0, "notice_pmid"] == ["1", "2"] and back.loc[0, "note"] == 'says "x", y'


# --- grading hooks ------------------------------------------------------------------------------------

STATUS = load_frame([
    {"key": "retracted1", "bib": "library", "status": "retracted", "notice_doi": "10.1/r", "notice_date": "2021-03-02",
     "source": "crossref pubmed", "checked_on": "2026-11-30"},
    {"key": "withdrawn1", "bib": "library", "status": "withdrawn", "notice_pmid": "123", "source": "pubmed",
     "checked_on": "2026-11-29"},
    {"key": "concern1", "bib": "library", "status": "expression-of-concern", "notice_doi": "10.1/c",
     "source": "crossref", "checked_on": "2026-11-30"},
    {"key": "corrected1", "bib": "library", "status": "corrected", "notice_pmid": "456", "notice_date": "2020",
     "source": "pubmed", "checked_on": "2026-11-30"},
    {"key": "fine1", "bib": "library", "status": "no-notice-seen", "source": "https://pubmed.ncbi.nlm.nih.gov/1/",
     "checked_on": "2026-11-28"},
    {"key": "unseen1", "bib": "library", "status": "not-verified", "note": "no DOI or PMID to look up"},
    {"key": "fine1", "bib": "cited", "status": "retracted", "notice_pmid": "9", "source": "pubmed",
     "checked_on": "2026-11-30"},
])


def evidence(keys):
    return pd.DataFrame([{"evidence_id": f"E{i:03d}", "claim_id": "C01", "study_key": k} for i, k in
                         enumerate(keys, 1)])


def test_withdrawn_rows_removes_retracted_and_withdrawn_with_the_notice_cited():
    kept, aside = withdrawn_rows(evidence(["retracted1", "fine1", "withdrawn1", "concern1", "nowhere"]), STATUS)
    assert list(kept["study_key"]) == ["fine1", "concern1", "nowhere"]  # the cited-bib row for fine1 is not it
    assert list(aside["reason"]) == ["retracted: notice doi:10.1/r (2021-03-02), per crossref pubmed",
                                     "withdrawn: notice PMID 123, per pubmed"]
    kept, aside = withdrawn_rows(evidence(["fine1"]), STUDY_STATUS.empty())
    assert len(kept) == 1 and aside.empty


def test_concern_keys_are_the_studies_under_an_expression_of_concern():
    assert concern_keys(STATUS) == {"concern1"}


def test_report_section_lists_the_three_and_says_none_found_when_empty():
    section = report_section(STATUS, evidence(["retracted1", "corrected1"]))
    assert [r["study_key"] for r in section["withdrawn"]] == ["retracted1", "withdrawn1", "fine1"]
    assert [r["evidence_ids"] for r in section["withdrawn"]] == ["E001", "", ""]
    assert [r["study_key"] for r in section["concerns"]] == ["concern1"]
    assert section["counts"]["not-verified"] == 1 and section["checked_on"] == "2026-11-30"
    assert section["sentence"] == ("3 retracted or withdrawn, 1 under an expression of concern, 1 corrected: "
                                   "6 of 7 studies and references checked on 2026-11-30. 1 could not be verified.")
    clean = STATUS[STATUS["status"].isin(["no-notice-seen", "not-verified"])]
    assert report_section(clean)["sentence"] == ("None found: 1 of 2 studies and references checked on 2026-11-28. "
                                                 "1 could not be verified.")
    assert report_section(STUDY_STATUS.empty(), checked_on="2026-11-30")["sentence"].startswith(
        "Not checked: no study or reference has been looked up")


# --- the property: a retracted study never raises a claim's certainty ------------------------------

DESIGNS = ["rct", "meta-analysis", "cohort", "case-series", "mechanistic-human"]
ROW = st.fixed_dictionaries({
    "design": st.sampled_from(DESIGNS), "n": st.one_of(st.none(), st.integers(1, 2000)),
    "direction": st.sampled_from(["supports", "contradicts", "mixed", "no-effect"]),
    "indirectness": st.sampled_from(["none", "some", "serious"]),
    "rob": st.sampled_from(["low", "some-concerns", "high"])})


def _frames(sound_rows, retracted_rows):
    rows, rob = [], []
    for i, (r, key) in enumerate([(r, f"sound{i}") for i, r in enumerate(sound_rows)]
                                 + [(r, f"retracted{i}") for i, r in enumerate(retracted_rows)], 1):
        rows.append({"evidence_id": f"E{i:03d}", "claim_id": "C01", "study_key": key, "design": r["design"],
                     "n": r["n"], "direction": r["direction"], "indirectness": r["indirectness"]})
        rob.append({"study_key": key, "tool": "design", "domain": "overall", "judgement": r["rob"], "support": "x"})
    ev = pd.DataFrame(rows, columns=["evidence_id", "claim_id", "study_key", "design", "n", "direction",
                                     "indirectness"])
    return ev, pd.DataFrame(rob, columns=["study_key", "tool", "domain", "judgement", "support"])


CLAIMS = pd.DataFrame([{"claim_id": "C01", "article_id": "a", "group": "g", "category": "efficacy", "testable": True}])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sound=st.lists(ROW, max_size=5), retracted=st.lists(ROW, min_size=1, max_size=4))
def test_a_retracted_study_never_raises_a_claims_certainty(sound, retracted):
    ev, rob = _frames(sound, retracted)
    status = load_frame([{"key": k, "bib": "library", "status": "retracted", "notice_doi": "10.1/r",
                          "source": "crossref", "checked_on": TODAY}
                         for k in ev["study_key"] if k.startswith("retracted")])
    kept, aside = withdrawn_rows(ev, status)
    without = ev[~ev["study_key"].str.startswith("retracted")]
    graded = grade_review(CLAIMS, kept, rob).iloc[0]
    baseline = grade_review(CLAIMS, without, rob).iloc[0]
    assert LEVELS.index(graded["certainty"]) <= LEVELS.index(baseline["certainty"])
    assert graded["verdict"] == baseline["verdict"]
    assert len(aside) == len(retracted)


def test_a_concerned_study_stays_in_the_body_and_rates_risk_of_bias_down():
    """The one rule for an expression of concern (grading's risk-of-bias domain): the study is
    not set aside, and the domain is rated down naming it."""
    ev, rob = _frames([{"design": "rct", "n": 300, "direction": "supports", "indirectness": "none",
                        "rob": "some-concerns"}] * 2, [])
    status = load_frame([{"key": "sound0", "bib": "library", "status": "expression-of-concern",
                          "notice_doi": "10.1/c", "source": "crossref", "checked_on": TODAY}])
    claim = CLAIMS.iloc[0].to_dict()
    g = grade_claim(claim, ev, study_rob(rob), concerns=frozenset(concern_keys(status)))
    assert g.flawed_ids == []
    rob_domain = next(d for d in g.domains if d.name == "risk of bias")
    assert rob_domain.down == 1 and "sound0" in rob_domain.reason

