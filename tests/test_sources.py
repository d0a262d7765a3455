"""Crossref and PubMed clients against a local server answering in the services' formats."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from litreview.collect.audit import candidates_online
from litreview.collect.sources import Crossref, HttpClient, MalformedResponse, NetworkUnavailable, PubMed, ServiceError
from litreview.tables.bib import Entry

WORK = {"status": "ok", "message-type": "work", "message-version": "1.0.0", "message": {
    "DOI": "10.1002/ar.10185", "type": "journal-article",
    "title": ["Relationship of acupuncture points and meridians to connective tissue planes"],
    "container-title": ["The Anatomical Record"], "volume": "269", "issue": "6", "page": "257-265",
    "author": [{"given": "Helene M.", "family": "Langevin", "sequence": "first"},
               {"given": "Jason A.", "family": "Yandow", "sequence": "additional"}],
    "published-print": {"date-parts": [[2002, 12, 15]]}}}
WORK_LIST = {"status": "ok", "message-type": "work-list", "message": {"total-results": 1, "items": [WORK["message"]]}}
ESEARCH = {"header": {"type": "esearch", "version": "0.3"},
           "esearchresult": {"count": "1", "retmax": "1", "retstart": "0", "idlist": ["19433697"]}}
ESUMMARY = {"header": {"type": "esummary", "version": "0.3"}, "result": {"uids": ["19433697"], "19433697": {
    "uid": "19433697", "pubdate": "2009 May 11", "source": "Arch Intern Med",
    "authors": [{"name": "Cherkin DC", "authtype": "Author"}, {"name": "Sherman KJ", "authtype": "Author"}],
    "title": "A randomized trial comparing acupuncture, simulated acupuncture, and usual care for chronic low back pain.",
    "volume": "169", "issue": "9", "pages": "858-66", "fulljournalname": "Archives of internal medicine",
    "articleids": [{"idtype": "pubmed", "value": "19433697"}, {"idtype": "doi", "value": "10.1001/archinternmed.2009.65"}]}}}
EFETCH = """<?xml version="1.0" ?>
<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2024//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_240101.dtd">
<PubmedArticleSet><PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">19433697</PMID>
<Article PubModel="Print"><Journal><JournalIssue CitedMedium="Internet"><Volume>169</Volume><Issue>9</Issue>
<PubDate><Year>2009</Year><Month>May</Month><Day>11</Day></PubDate></JournalIssue><Title>Archives of internal medicine</Title></Journal>
<ArticleTitle>A randomized trial comparing acupuncture, simulated acupuncture, and usual care for chronic low back pain.</ArticleTitle>
<Pagination><MedlinePgn>858-66</MedlinePgn></Pagination><Abstract><AbstractText Label="BACKGROUND">Text one.</AbstractText>
<AbstractText Label="METHODS">Text two.</AbstractText></Abstract><AuthorList CompleteYN="Y"><Author ValidYN="Y"><LastName>Cherkin</LastName>
<ForeName>Daniel C</ForeName><Initials>DC</Initials></Author><Author ValidYN="Y"><LastName>Sherman</LastName><ForeName>Karen J</ForeName>
<Initials>KJ</Initials></Author></AuthorList></Article></MedlineCitation><PubmedData><ArticleIdList>
<ArticleId IdType="pubmed">19433697</ArticleId><ArticleId IdType="doi">10.1001/archinternmed.2009.65</ArticleId></ArticleIdList>
</PubmedData></PubmedArticle></PubmedArticleSet>"""


class Server:
    """Routes: path -> list of (status, body, headers) served in turn (the last one repeats)."""

    def __init__(self, routes: dict, delay: float = 0.0):
        self.routes, self.hits, self.delay = routes, [], delay
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                path = urlsplit(self.path).path
                outer.hits.append(self.path)
                answers = outer.routes.get(path, [(404, "not found", {})])
                status, body, headers = answers[0] if len(answers) == 1 else answers.pop(0)
                time.sleep(outer.delay)
                data = body if isinstance(body, str) else json.dumps(body)
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data.encode())
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve():
    servers = []

    def start(routes, delay=0.0):
        s = Server(routes, delay)
        servers.append(s)
        return s
    yield start
    for s in servers:
        s.close()


def client(tmp_path=None, **kw):
    sleeps = []
    http = HttpClient(cache_dir=tmp_path, min_interval=0, sleep=sleeps.append, **kw)
    return http, sleeps


ROUTES = {"/works/10.1002/ar.10185": [(200, WORK, {})], "/works": [(200, WORK_LIST, {})],
          "/esearch.fcgi": [(200, ESEARCH, {})], "/esummary.fcgi": [(200, ESUMMARY, {})],
          "/efetch.fcgi": [(200, EFETCH, {"Content-Type": "text/xml"})]}


def test_crossref_work_and_query(serve):
    s = serve(ROUTES)
    cr = Crossref(client()[0], base_url=s.url)
    rec = cr.work("10.1002/ar.10185")
    assert rec["author"] == "Langevin, Helene M. and Yandow, Jason A."
    assert (rec["journal"], rec["year"], rec["number"], rec["pages"]) == ("The Anatomical Record", "2002", "6", "257--265")
    assert cr.query("acupuncture points connective tissue Langevin 2002")[0]["doi"] == "10.1002/ar.10185"
    assert "query.bibliographic=acupuncture" in s.hits[-1]


def test_pubmed_esearch_esummary_efetch(serve):
    s = serve(ROUTES)
    pm = PubMed(client()[0], base_url=s.url)
    assert pm.esearch("acupuncture low back pain[Title]") == ["19433697"]
    [summary] = pm.esummary(["19433697"])
    assert summary["doi"] == "10.1001/archinternmed.2009.65" and summary["author"] == "Cherkin DC and Sherman KJ"
    [record] = pm.efetch(["19433697"])
    assert record["author"] == "Cherkin, DC and Sherman, KJ" and record["number"] == "9"
    assert record["abstract"] == "Text one. Text two." and record["year"] == "2009"
    assert all("db=pubmed" in h for h in s.hits)


def test_answers_are_cached_on_disk(serve, tmp_path):
    s = serve(ROUTES)
    http, _ = client(tmp_path)
    Crossref(http, base_url=s.url).work("10.1002/ar.10185")
    again = Crossref(HttpClient(cache_dir=tmp_path, min_interval=0), base_url=s.url).work("10.1002/ar.10185")
    assert len(s.hits) == 1 and again["doi"] == "10.1002/ar.10185"
    assert len(list(tmp_path.glob("*.json"))) == 1 and not list(tmp_path.glob("*.tmp"))


def test_429_is_retried_after_the_time_the_service_asks(serve):
    s = serve({"/works/10.1002/ar.10185": [(429, "slow down", {"Retry-After": "3"}), (200, WORK, {})]})
    http, sleeps = client()
    assert Crossref(http, base_url=s.url).work("10.1002/ar.10185")["volume"] == "269"
    assert len(s.hits) == 2 and sleeps == [3.0]


def test_5xx_backs_off_exponentially_then_fails_clearly(serve):
    s = serve({"/esearch.fcgi": [(503, "busy", {})]})
    http, sleeps = client(retries=3, backoff=0.5)
    with pytest.raises(ServiceError, match=r"HTTP 503 .* after 3 retries") as info:
        PubMed(http, base_url=s.url).esearch("x")
    assert info.value.status == 503 and sleeps == [0.5, 1.0, 2.0] and len(s.hits) == 4


def test_client_errors_are_not_retried(serve):
    s = serve({})
    with pytest.raises(ServiceError, match="HTTP 404"):
        Crossref(client()[0], base_url=s.url).work("10.9999/none")
    assert len(s.hits) == 1


@pytest.mark.parametrize("route, body, call", [
    ("/works/10.1/x", "<html>oops</html>", lambda u, h: Crossref(h, base_url=u).work("10.1/x")),
    ("/works/10.1/x", {"status": "failed", "message": "no"}, lambda u, h: Crossref(h, base_url=u).work("10.1/x")),
    ("/works", {"status": "ok", "message": {}}, lambda u, h: Crossref(h, base_url=u).query("x")),
    ("/esearch.fcgi", {"esearchresult": {}}, lambda u, h: PubMed(h, base_url=u).esearch("x")),
    ("/esummary.fcgi", {"result": {"uids": ["1"]}}, lambda u, h: PubMed(h, base_url=u).esummary(["1"])),
    ("/efetch.fcgi", "<PubmedArticleSet><PubmedArticle>", lambda u, h: PubMed(h, base_url=u).efetch(["1"])),
])
def test_malformed_payloads_raise_a_clear_error(serve, route, body, call):
    s = serve({route: [(200, body, {})]})
    with pytest.raises(MalformedResponse):
        call(s.url, client()[0])


def test_unreachable_service_says_so():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    with pytest.raises(NetworkUnavailable, match=f"could not reach 127.0.0.1:{port}"):
        Crossref(client()[0], base_url=f"http://127.0.0.1:{port}").work("10.1/x")


def test_slow_service_times_out(serve):
    s = serve(ROUTES, delay=1.0)
    with pytest.raises(NetworkUnavailable):
        Crossref(client(timeout=0.2)[0], base_url=s.url).work("10.1002/ar.10185")


def test_polite_interval_between_requests_to_one_host(serve):
    s = serve(ROUTES)
    sleeps = []
    http = HttpClient(min_interval=5.0, sleep=sleeps.append)
    pm = PubMed(http, base_url=s.url)
    pm.esearch("a")
    pm.esearch("b")
    assert len(sleeps) == 1 and 4.0 < sleeps[0] <= 5.0


def test_candidates_compare_the_printed_reference(serve):
    s = serve(ROUTES)
    http, _ = client()
    printed = Entry("langevin2002relationship", "article", {
        "author": "Langevin, H. M. and Yandow, J. A.", "year": "2002",
        "title": "Relationship of acupuncture points and meridians to connective tissue planes",
        "journal": "The Anatomical Record", "volume": "269", "number": "4", "pages": "257 - 265"}, 1)
    rows = candidates_online(printed, Crossref(http, base_url=s.url), PubMed(http, base_url=s.url))
    crossref = [r for r in rows if r["source"] == "crossref"][0]
    assert crossref["title_matches"] and crossref["status_if_matched"] == "verified-with-errors"
    assert crossref["differences"] == "number: 4 → 6"


def test_verify_refs_command_reports_no_network_plainly(monkeypatch, capsys):
    from conftest import ROOT
    from litreview.cli import main
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    monkeypatch.setenv("LITREVIEW_ROOT", str(ROOT))
    monkeypatch.setenv("LITREVIEW_CROSSREF_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("LITREVIEW_EUTILS_URL", f"http://127.0.0.1:{port}")
    assert main(["verify-refs", "--timeout", "1"]) == 3
    assert "network unavailable: could not reach" in capsys.readouterr().err
