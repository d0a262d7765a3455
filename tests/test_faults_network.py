"""Network faults (defects 9, 10 and 21 of the fault campaign, and the contact address): a
local server on 127.0.0.1 answers garbage, cuts its answers short or fails every time. The
server takes a bounded number of requests and stops by itself."""

from __future__ import annotations

import functools
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from litreview.cli import main
from litreview.collect import sources

MAX_REQUESTS = 200   # the server answers at most this many, then closes
LIFETIME = 60.0      # seconds before it stops by itself, whatever the test does

GARBAGE = "<html><body><h1>Welcome to the hotel network</h1>Please log in.</body></html>"


class FaultyServer:
    """Answers every GET with ``mode``: ``garbage`` (200, an HTML page), ``truncated`` (200,
    a Content-Length longer than the body, then the connection closes) or ``error`` (500)."""

    def __init__(self, mode: str):
        self.mode, self.hits, self.agents = mode, [], []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.hits.append(self.path)
                outer.agents.append(self.headers.get("User-Agent", ""))
                if len(outer.hits) >= MAX_REQUESTS:
                    threading.Thread(target=outer.close, daemon=True).start()
                if outer.mode == "error":
                    self.send_response(500)
                    self.end_headers()
                    return
                body = GARBAGE.encode() if outer.mode == "garbage" else b'{"status": "ok", "mess'
                self.send_response(200)
                self.send_header("Content-Length", str(len(body) + (0 if outer.mode == "garbage" else 4000)))
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._timer = threading.Timer(LIFETIME, self.close)
        self._timer.daemon = True
        self._timer.start()
        self._closed = False
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        if not self._closed:
            self._closed = True
            self._timer.cancel()
            self.httpd.shutdown()
            self.httpd.server_close()


@pytest.fixture
def faulty(monkeypatch):
    servers = []

    def start(mode: str) -> FaultyServer:
        server = FaultyServer(mode)
        servers.append(server)
        for name in ("LITREVIEW_CROSSREF_URL", "LITREVIEW_EUTILS_URL", "LITREVIEW_OPENALEX_URL",
                     "LITREVIEW_EUROPEPMC_URL"):
            monkeypatch.setenv(name, server.url)
        return server

    # no waiting between requests or retries: the faults, not the backoff, are under test
    monkeypatch.setattr(sources, "HttpClient", functools.partial(sources.HttpClient, sleep=lambda s: None,
                                                                 min_interval=0))
    yield start
    for server in servers:
        server.close()


def with_dois(root: Path, n: int = 8) -> None:
    """Made-up studies with made-up DOIs (10.5555 is the DOI handbook's example prefix)."""
    bib = root / "references/ginger/library.bib"
    bib.write_text(bib.read_text() + "".join(
        f"\n@article{{tester2020fixture{i},\n  author = {{Tester, T.}},\n  title = {{Fixture study {i}}},\n"
        f"  journal = {{Journal of Tests}}, year = {{2020}},\n  doi = {{10.5555/fixture.{i}}},\n"
        f"  url = {{https://doi.org/10.5555/fixture.{i}}},\n}}\n" for i in range(n)))


STATUS = ("key,bib,doi,pmid,status,notice_doi,notice_pmid,notice_date,source,checked_on,differences,note\n"
          "tester2020fixture0,library,10.5555/fixture.0,,not-verified,,,,,,,looked up by hand: no record shown\n")


@pytest.mark.parametrize("mode", ["garbage", "truncated", "error"])
def test_defects_9_10_21_verify_library_stops_writes_nothing_caches_nothing(review_root, faulty, capsys, mode):
    with_dois(review_root)
    status = review_root / "data/ginger/study_status.csv"
    status.write_text(STATUS)
    server = faulty(mode)
    code = main(["verify-library", "--review", "ginger", "--date", "2026-12-01", "--timeout", "5"])
    err = capsys.readouterr().err
    assert code == 3, err
    assert "failed 3 requests in a row" in err and "127.0.0.1" in err
    assert status.read_text() == STATUS
    cache = review_root / ".cache/sources/status-2026-12-01"
    assert not cache.exists() or list(cache.iterdir()) == []
    # fail fast: three failed answers (each with its retries), not three services for every study
    assert len(server.hits) <= 3 * 4


def test_defect10_truncated_answer_in_search_is_one_line(review_root, faulty, capsys):
    log = review_root / "data/ginger/search_log.csv"
    before = log.read_bytes()
    faulty("truncated")
    code = main(["search", "--review", "ginger", "--source", "crossref", "--query", "ginger", "--claims", "G01",
                 "--timeout", "5"])
    err = capsys.readouterr().err
    assert code in (2, 3) and "cut short" in err and "Traceback" not in err
    assert log.read_bytes() == before
    assert not (review_root / "data/ginger/searches").exists() or not list((review_root / "data/ginger/searches").iterdir())


def test_garbage_json_shape_is_refused_before_the_cache(tmp_path, faulty):
    server = faulty("garbage")
    http = sources.HttpClient(cache_dir=tmp_path / "cache", give_up_after=10)
    with pytest.raises(sources.MalformedResponse):
        sources.Crossref(http, base_url=server.url).work_message("10.5555/fixture.1")
    assert not (tmp_path / "cache").exists() or list((tmp_path / "cache").iterdir()) == []


def test_contact_address_is_configured_never_made_up(tmp_path, faulty, monkeypatch):
    server = faulty("garbage")
    monkeypatch.delenv("LITREVIEW_CONTACT", raising=False)
    with pytest.raises(sources.SourceError):
        sources.HttpClient(retries=0).get(server.url + "/a", parse=lambda b: sources.parse_json("a", b))
    monkeypatch.setenv("LITREVIEW_CONTACT", "reviewer@university.test")
    with pytest.raises(sources.SourceError):
        sources.HttpClient(retries=0).get(server.url + "/b", parse=lambda b: sources.parse_json("b", b))
    assert "mailto" not in server.agents[0] and "example.org" not in server.agents[0]
    assert "mailto:reviewer@university.test" in server.agents[1]


@pytest.mark.parametrize("argv", [
    ["verify-refs", "--review", "nope"],
    ["verify-library", "--review", "nope"],
    ["search", "--review", "nope", "--source", "pubmed", "--query", "ginger", "--claims", "G01"],
    ["screen", "status", "--review", "nope"],
    ["import", "--review", "nope", "export.ris"],
])
def test_a_missing_review_is_one_line_and_a_nonzero_exit(review_root, capsys, argv):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [err[0]] and "no review named 'nope'" in err[0]
    assert not (review_root / "data" / "nope").exists()


def test_network_down_is_one_line(review_root, capsys, monkeypatch):
    with_dois(review_root, 2)
    for name in ("LITREVIEW_CROSSREF_URL", "LITREVIEW_EUTILS_URL", "LITREVIEW_OPENALEX_URL"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # the discard port: nothing listens here
    assert main(["verify-library", "--review", "ginger", "--timeout", "2"]) == 3
    err = capsys.readouterr().err
    assert "network unavailable: could not reach 127.0.0.1:9" in err and "Traceback" not in err


CROSSREF_PAGE = {"status": "ok", "message-type": "work-list", "message": {
    "total-results": 1, "items-per-page": 100, "items": [
        {"DOI": "10.5555/cr.1", "title": ["A made-up fixture record"], "container-title": ["Journal of Tests"],
         "author": [{"family": "Tester", "given": "Ann"}], "issued": {"date-parts": [[2018]]}}]}}


def _search(root: Path, monkeypatch) -> int:
    from test_sources import Server

    server = Server({"/works": [(200, CROSSREF_PAGE, {})]})
    monkeypatch.setenv("LITREVIEW_CROSSREF_URL", server.url)
    try:
        return main(["search", "--review", "ginger", "--source", "crossref", "--query", "tea", "--claims", "G01"])
    finally:
        server.close()


def test_search_log_row_lands_on_its_own_line_and_is_checked(review_root, monkeypatch, capsys):
    """The log written by hand without a final newline: the new row starts a line of its own."""
    log = review_root / "data/ginger/search_log.csv"
    log.write_text(log.read_text().rstrip("\n"))
    assert _search(review_root, monkeypatch) == 0
    lines = log.read_text().splitlines()
    assert lines[1].endswith(",12,2,") and lines[2].startswith("S002,G01,crossref,tea,")
    assert main(["check", "--review", "ginger"]) in (0, 1)
    assert "search_log.csv" not in capsys.readouterr().err


def test_search_log_with_a_bad_row_is_refused_and_nothing_is_written(review_root, monkeypatch, capsys):
    log = review_root / "data/ginger/search_log.csv"
    log.write_text(log.read_text() + "S009,G01,PubMed,tea,2026-02-30,3,0,\n")
    before = log.read_bytes()
    assert _search(review_root, monkeypatch) == 1
    assert "search_log.csv:3:date: expected a calendar date" in capsys.readouterr().err
    assert log.read_bytes() == before
    assert not (review_root / "data/ginger/searches").exists() or not list((review_root / "data/ginger/searches").iterdir())
