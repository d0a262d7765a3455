"""`litreview search` against a local server answering in each service's format: paging, zero
hits, 429 with Retry-After, malformed answers, no network; stored answers replay offline."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import socket
from pathlib import Path

import pytest

from litreview.cli import main
from litreview.collect.imports import load
from litreview.collect.search import SearchError, run
from litreview.collect.sources import HttpClient, MalformedResponse, NetworkUnavailable, _retry_after_seconds
from test_sources import EFETCH, Server


def epmc_page(hits, records, cursor):
    return {"version": "6.9", "hitCount": hits, "nextCursorMark": cursor, "request": {},
            "resultList": {"result": records}}


def epmc(i):
    return {"id": str(100 + i), "source": "MED", "pmid": str(100 + i), "doi": f"10.5555/epmc.{i}",
            "title": f"Ginger and nausea study {i}", "authorString": f"Author{i} A, Other B.", "pubYear": "2020",
            "journalInfo": {"volume": "3", "issue": "1", "journal": {"title": "Journal of Tests"}},
            "pageInfo": f"{i}0-{i}9", "abstractText": f"<h4>Background</h4>Ginger helped {i}."}


@pytest.fixture
def http():
    return HttpClient(cache_dir=None, min_interval=0, backoff=0.01, sleep=lambda s: None)


@pytest.fixture
def server():
    made = []

    def start(routes):
        s = Server(routes)
        made.append(s)
        return s
    yield start
    for s in made:
        s.close()


def log_rows(root: Path) -> list[str]:
    return (root / "data/ginger/search_log.csv").read_text().splitlines()


def test_europepmc_pages_are_kept_logged_imported_and_replay(review_root, server, http, monkeypatch):
    s = server({"/search": [(200, epmc_page(3, [epmc(1), epmc(2)], "AoE1"), {}),
                            (200, epmc_page(3, [epmc(3)], "AoE2"), {})]})
    monkeypatch.setenv("LITREVIEW_EUROPEPMC_URL", s.url)
    result = run("ginger", "europepmc", "ginger AND nausea", ["G01"], http=http, page=2, today="2026-11-30")
    assert (result.search_id, result.total, result.retrieved, result.requests) == ("S002", 3, 3, 2)
    assert "cursorMark=AoE1" in s.hits[1]
    assert log_rows(review_root)[-1] == "S002,G01,europepmc,ginger AND nausea,2026-11-30,3,0,"
    folder = review_root / "data/ginger/searches/S002"
    assert sorted(p.name for p in folder.iterdir()) == ["001.json", "002.json", "S002-europepmc.ris", "requests.csv"]
    assert json.loads((folder / "002.json").read_text())["resultList"]["result"][0]["pmid"] == "103"
    records = load("ginger").records
    assert list(records["title"]) == [f"Ginger and nausea study {i}" for i in (1, 2, 3)]
    assert list(records["pmid"]) == ["101", "102", "103"] and records["abstract"][0] == "Background Ginger helped 1."
    assert "" not in set(records["search_id"])
    # replay: no server at all, same records byte for byte, nothing written
    s.close()
    before = (review_root / "data/ginger/search_log.csv").read_bytes()
    again = run("ginger", "europepmc", "ginger AND nausea", ["G01"], replay="S002", http=http, page=2)
    assert again.retrieved == 3 and "byte for byte" in again.import_line
    assert (review_root / "data/ginger/search_log.csv").read_bytes() == before
    assert main(["check", "--review", "ginger"]) == 0


def test_openalex_zero_hits_logs_the_search_and_imports_nothing(review_root, server, http, monkeypatch):
    s = server({"/works": [(200, {"meta": {"count": 0, "next_cursor": None, "per_page": 100}, "results": []}, {})]})
    monkeypatch.setenv("LITREVIEW_OPENALEX_URL", s.url)
    result = run("ginger", "openalex", "ginger inner fire", ["G03"], http=http, today="2026-11-30")
    assert (result.total, result.retrieved) == (0, 0)
    assert log_rows(review_root)[-1] == "S002,G03,openalex,ginger inner fire,2026-11-30,0,0,"
    assert load("ginger").records.empty


def test_openalex_records_and_abstract_from_the_inverted_index(review_root, server, http, monkeypatch):
    work = {"id": "https://openalex.org/W1", "doi": "https://doi.org/10.5555/oa.1", "title": "Ginger trial",
            "publication_year": 2019, "ids": {"pmid": "https://pubmed.ncbi.nlm.nih.gov/555"},
            "primary_location": {"source": {"display_name": "Journal of Tests"}},
            "biblio": {"volume": "7", "issue": "2", "first_page": "11", "last_page": "19"},
            "authorships": [{"author": {"display_name": "Ann Example"}}],
            "abstract_inverted_index": {"Ginger": [0], "eased": [1], "nausea": [2]}}
    s = server({"/works": [(200, {"meta": {"count": 1, "next_cursor": None}, "results": [work]}, {})]})
    monkeypatch.setenv("LITREVIEW_OPENALEX_URL", s.url)
    run("ginger", "openalex", "ginger", ["G01"], http=http)
    rec = load("ginger").records.iloc[0]
    assert (rec["doi"], rec["pmid"], rec["pages"], rec["abstract"]) == ("10.5555/oa.1", "555", "11-19",
                                                                        "Ginger eased nausea")


def test_crossref_429_is_retried_honouring_retry_after(review_root, server, monkeypatch):
    waits = []
    http = HttpClient(cache_dir=None, min_interval=0, backoff=0.01, sleep=waits.append)
    item = {"DOI": "10.5555/cr.1", "title": ["Ginger and nausea"], "container-title": ["Journal of Tests"],
            "author": [{"family": "Example", "given": "Ann"}], "issued": {"date-parts": [[2018]]},
            "page": "1-9", "abstract": "<jats:p>Ginger helped.</jats:p>"}
    ok = {"status": "ok", "message-type": "work-list",
          "message": {"total-results": 1, "items": [item], "next-cursor": "c2", "items-per-page": 100}}
    s = server({"/works": [(429, "slow down", {"Retry-After": "7"}), (200, ok, {})]})
    monkeypatch.setenv("LITREVIEW_CROSSREF_URL", s.url)
    result = run("ginger", "crossref", "ginger nausea", ["G01"], http=http)
    assert result.retrieved == 1 and 7.0 in waits
    rec = load("ginger").records.iloc[0]
    assert (rec["doi"], rec["abstract"], rec["authors"]) == ("10.5555/cr.1", "Ginger helped.", "Example, Ann")


def test_pubmed_esearch_pages_then_efetch(review_root, server, http, monkeypatch):
    search = {"header": {"type": "esearch"}, "esearchresult": {"count": "1", "retmax": "1", "retstart": "0",
                                                              "idlist": ["19433697"]}}
    s = server({"/esearch.fcgi": [(200, search, {})], "/efetch.fcgi": [(200, EFETCH, {})]})
    monkeypatch.setenv("LITREVIEW_EUTILS_URL", s.url)
    result = run("ginger", "pubmed", "ginger[tiab]", ["G01", "G02"], http=http)
    assert result.retrieved == 1 and result.requests == 2
    rec = load("ginger").records.iloc[0]
    assert (rec["pmid"], rec["doi"], rec["abstract"]) == ("19433697", "10.1001/archinternmed.2009.65",
                                                          "Text one. Text two.")
    assert (review_root / "data/ginger/searches/S002/002.xml").read_text() == EFETCH


def test_a_malformed_answer_writes_nothing(review_root, server, http, monkeypatch):
    s = server({"/search": [(200, {"unexpected": True}, {})]})
    monkeypatch.setenv("LITREVIEW_EUROPEPMC_URL", s.url)
    before = (review_root / "data/ginger/search_log.csv").read_bytes()
    with pytest.raises(MalformedResponse, match="no hitCount"):
        run("ginger", "europepmc", "ginger", ["G01"], http=http)
    s2 = server({"/works": [(200, "<html>not json</html>", {})]})
    monkeypatch.setenv("LITREVIEW_OPENALEX_URL", s2.url)
    with pytest.raises(MalformedResponse, match="expected JSON"):
        run("ginger", "openalex", "ginger", ["G01"], http=http)
    assert (review_root / "data/ginger/search_log.csv").read_bytes() == before
    assert not (review_root / "data/ginger/searches").exists()


def test_without_a_network_the_command_says_so_and_writes_nothing(review_root, monkeypatch, capsys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("LITREVIEW_CROSSREF_URL", f"http://127.0.0.1:{port}")
    before = (review_root / "data/ginger/search_log.csv").read_bytes()
    assert main(["search", "--review", "ginger", "--source", "crossref", "--query", "ginger",
                 "--claims", "G01"]) == 3
    assert "network unavailable" in capsys.readouterr().err
    assert (review_root / "data/ginger/search_log.csv").read_bytes() == before
    assert not (review_root / "data/ginger/searches").exists()


def test_unknown_claims_are_refused(review_root, http):
    with pytest.raises(SearchError, match="Z99"):
        run("ginger", "crossref", "ginger", ["Z99"], http=http)


def test_retry_after_as_seconds_or_http_date():
    assert _retry_after_seconds("120") == 120.0
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    assert 25 <= _retry_after_seconds(email.utils.format_datetime(later, usegmt=True)) <= 31
    assert _retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert _retry_after_seconds("soon") == 0.0 and _retry_after_seconds(None) == 0.0


def test_a_timeout_is_retried(server):
    s = server({"/slow": [(200, "late", {})]})
    s.delay = 0.5
    waits = []
    client = HttpClient(cache_dir=None, min_interval=0, timeout=0.1, retries=2, backoff=0.01, sleep=waits.append)
    with pytest.raises(NetworkUnavailable):
        client.get(f"{s.url}/slow")
    assert len(waits) == 2 and len(s.hits) == 3
