"""``litreview search``: run a query against a bibliographic service, keep its raw answers,
log the search and import its records.

Sources and the requests made (every page until the service's total or ``--max``):

- ``pubmed``: E-utilities ``esearch.fcgi`` (JSON; ``retstart``/``retmax`` paging) for the PMIDs,
  then ``efetch.fcgi`` (MEDLINE XML, abstracts included) in batches;
- ``europepmc``: Europe PMC REST ``search`` (``format=json``, ``resultType=core``, ``cursorMark``);
- ``openalex``: OpenAlex ``works?search=`` (``cursor`` paging; the abstract is rebuilt from
  its inverted index);
- ``crossref``: Crossref ``works?query=`` (``cursor`` paging).

Every answer is kept byte for byte in ``data/<review>/searches/<search id>/`` (``NNN.json`` or
``NNN.xml``, with ``requests.csv`` naming the URL of each), and ``--replay`` runs the search
again from those files with no network, producing the same records. The records are written
as ``records.ris`` beside them and imported through :func:`litreview.collect.imports.import_files`
(the importers and de-duplication), for a new ``search_log.csv`` row written by the command
(date, source, query, hits = records retrieved; the total the service reported goes in the
note when ``--max`` cut it short).

Nothing is written until every page has arrived: without a network, or on an answer not in
the service's documented format, the command says so and the review is unchanged. The
requests go through :class:`litreview.collect.sources.HttpClient` (polite interval, retries of 429,
5xx and timeouts honouring ``Retry-After``), without its cache, since the answers are kept here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import shutil
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .. import paths
from ..tables.review import Review
from ..tables.schema import SEARCH_LOG, decode_text, parse_table, read_table
from .imports import import_files
from .sources import (
    CROSSREF_URL,
    EUROPEPMC_URL,
    EUTILS_URL,
    OPENALEX_URL,
    HttpClient,
    MalformedResponse,
    PubMed,
    SourceError,
    checked_json,
    crossref_record,
)

SOURCES = ("pubmed", "europepmc", "openalex", "crossref")
BASE_URLS = {"pubmed": ("LITREVIEW_EUTILS_URL", EUTILS_URL),
             "europepmc": ("LITREVIEW_EUROPEPMC_URL", EUROPEPMC_URL),
             "openalex": ("LITREVIEW_OPENALEX_URL", OPENALEX_URL),
             "crossref": ("LITREVIEW_CROSSREF_URL", CROSSREF_URL)}
PAGE_SIZE = {"pubmed": 200, "europepmc": 100, "openalex": 100, "crossref": 100}
DEFAULT_MAX = 1000
FOLDER = "searches"


class SearchError(ValueError):
    """The search could not be run or recorded; nothing was written."""


class Recorder:
    """``get``/``get_json`` in front of an :class:`HttpClient`, keeping every answer in order;
    or, replaying, answering each URL from the kept answers with no network."""

    def __init__(self, http: HttpClient | None, replay: list[tuple[str, str]] | None = None):
        self.http, self.answers = http, []
        self._replay = list(replay) if replay is not None else None

    def get(self, url: str, parse: Callable[[str], object] | None = None) -> str:
        """The answer to ``url``, checked by ``parse`` (as :meth:`HttpClient.get` does)."""
        if self._replay is not None:
            if not self._replay:
                raise SearchError(f"replay: no stored answer for {url}")
            stored_url, body = self._replay.pop(0)
            if stored_url != url:
                raise SearchError(f"replay: expected a request for {stored_url}, the search asked for {url}")
        else:
            body = self.http.get(url, parse=parse)
        if parse is not None:
            parse(body)
        self.answers.append((url, body))
        return body

    def get_json(self, url: str, shape: Callable[[object], str | None] | None = None) -> dict:
        return checked_json(url, self.get(url), shape)


@dataclass
class Found:
    """What a search found: the total the service reported and the records retrieved (RIS fields)."""

    total: int
    records: list[dict[str, str]] = field(default_factory=list)


def _base(source: str) -> str:
    env, default = BASE_URLS[source]
    return os.environ.get(env, default).rstrip("/")


def _need(condition: bool, what: str) -> None:
    if not condition:
        raise MalformedResponse(what)


def search_pubmed(get: Recorder, query: str, limit: int, page: int) -> Found:
    base = _base("pubmed")
    pmids: list[str] = []
    total = None
    while total is None or len(pmids) < min(total, limit):
        params = dict(db="pubmed", term=query, retmode="json", retstart=len(pmids),
                      retmax=min(page, limit - len(pmids)))
        data = get.get_json(f"{base}/esearch.fcgi?{urllib.parse.urlencode(params)}")
        result = data.get("esearchresult") if isinstance(data, dict) else None
        _need(isinstance(result, dict) and "count" in result and isinstance(result.get("idlist"), list),
              f"esearch: no esearchresult.count/idlist in {str(data)[:80]!r}")
        total = int(result["count"])
        if not result["idlist"]:
            break
        pmids += [str(i) for i in result["idlist"]]
    pmids = pmids[:limit]
    client = PubMed(get, base_url=base)  # efetch through the recorder, so its XML is kept
    records = []
    for start in range(0, len(pmids), page):
        for rec in client.efetch(pmids[start:start + page]):
            records.append(dict(title=rec.get("title", ""), authors=rec.get("author", "").split(" and "),
                                journal=rec.get("journal", ""), year=rec.get("year", ""),
                                volume=rec.get("volume", ""), issue=rec.get("number", ""),
                                pages=rec.get("pages", ""), doi=rec.get("doi", ""), pmid=rec.get("pmid", ""),
                                abstract=rec.get("abstract", "")))
    return Found(total or 0, records)


def search_europepmc(get: Recorder, query: str, limit: int, page: int) -> Found:
    base, cursor, records, total = _base("europepmc"), "*", [], None
    while total is None or len(records) < min(total, limit):
        params = dict(query=query, format="json", resultType="core", pageSize=min(page, limit - len(records)),
                      cursorMark=cursor)
        data = get.get_json(f"{base}/search?{urllib.parse.urlencode(params)}")
        _need(isinstance(data, dict) and "hitCount" in data
              and isinstance(data.get("resultList", {}).get("result"), list),
              f"Europe PMC search: no hitCount/resultList.result in {str(data)[:80]!r}")
        total = int(data["hitCount"])
        batch = data["resultList"]["result"]
        for r in batch:
            journal = (r.get("journalInfo") or {})
            authors = [a.strip() for a in (r.get("authorString") or "").rstrip(".").split(",") if a.strip()]
            records.append(dict(title=r.get("title", ""), authors=authors,
                                journal=(journal.get("journal") or {}).get("title", ""), year=str(r.get("pubYear", "")),
                                volume=journal.get("volume", ""), issue=journal.get("issue", ""),
                                pages=r.get("pageInfo", ""), doi=r.get("doi", ""),
                                pmid=r.get("pmid", ""), abstract=_strip_tags(r.get("abstractText", ""))))
        following = data.get("nextCursorMark")
        if not batch or not following or following == cursor:
            break
        cursor = following
    return Found(total or 0, records[:limit])


def search_openalex(get: Recorder, query: str, limit: int, page: int) -> Found:
    base, cursor, records, total = _base("openalex"), "*", [], None
    while total is None or len(records) < min(total, limit):
        params = {"search": query, "per-page": min(page, limit - len(records)), "cursor": cursor}
        data = get.get_json(f"{base}/works?{urllib.parse.urlencode(params)}")
        _need(isinstance(data, dict) and "count" in (data.get("meta") or {}) and isinstance(data.get("results"), list),
              f"OpenAlex works: no meta.count/results in {str(data)[:80]!r}")
        total = int(data["meta"]["count"])
        for w in data["results"]:
            biblio = w.get("biblio") or {}
            source = ((w.get("primary_location") or {}).get("source") or {})
            pmid = ((w.get("ids") or {}).get("pmid") or "").rstrip("/").rsplit("/", 1)[-1]
            first, last = biblio.get("first_page") or "", biblio.get("last_page") or ""
            records.append(dict(title=w.get("title") or w.get("display_name") or "",
                                authors=[(a.get("author") or {}).get("display_name", "")
                                         for a in w.get("authorships", [])],
                                journal=source.get("display_name", "") or "", year=str(w.get("publication_year") or ""),
                                volume=biblio.get("volume") or "", issue=biblio.get("issue") or "",
                                pages=f"{first}-{last}" if first and last and last != first else first,
                                doi=(w.get("doi") or "").removeprefix("https://doi.org/"), pmid=pmid,
                                abstract=_inverted(w.get("abstract_inverted_index"))))
        following = (data["meta"] or {}).get("next_cursor")
        if not data["results"] or not following:
            break
        cursor = following
    return Found(total or 0, records[:limit])


def search_crossref(get: Recorder, query: str, limit: int, page: int) -> Found:
    base, cursor, records, total = _base("crossref"), "*", [], None
    while total is None or len(records) < min(total, limit):
        params = dict(query=query, rows=min(page, limit - len(records)), cursor=cursor)
        data = get.get_json(f"{base}/works?{urllib.parse.urlencode(params)}")
        message = data.get("message") if isinstance(data, dict) else None
        _need(isinstance(message, dict) and "total-results" in message and isinstance(message.get("items"), list),
              f"Crossref works: no message.total-results/items in {str(data)[:80]!r}")
        total = int(message["total-results"])
        for item in message["items"]:
            rec = crossref_record(item)
            records.append(dict(title=rec.get("title", ""), authors=rec.get("author", "").split(" and "),
                                journal=rec.get("journal", ""), year=rec.get("year", ""),
                                volume=rec.get("volume", ""), issue=rec.get("number", ""),
                                pages=rec.get("pages", "").replace("--", "-"), doi=rec.get("doi", ""), pmid="",
                                abstract=_strip_tags(item.get("abstract", ""))))
        following = message.get("next-cursor")
        if not message["items"] or not following:
            break
        cursor = following
    return Found(total or 0, records[:limit])


SEARCHERS: dict[str, Callable[[Recorder, str, int, int], Found]] = {
    "pubmed": search_pubmed, "europepmc": search_europepmc, "openalex": search_openalex,
    "crossref": search_crossref}


def _strip_tags(text: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", text or "").split())


def _inverted(index: dict | None) -> str:
    """OpenAlex's abstract_inverted_index ({word: [positions]}) back to text."""
    if not index:
        return ""
    at = {p: w for w, positions in index.items() for p in positions}
    return " ".join(at[p] for p in sorted(at))


def to_ris(records: list[dict]) -> str:
    out = []
    for r in records:
        first, _, last = (r.get("pages") or "").partition("-")
        tags = [("TY", "JOUR")] + [("AU", a) for a in r.get("authors", []) if a]
        tags += [("TI", r.get("title", "")), ("T2", r.get("journal", "")), ("PY", r.get("year", "")),
                 ("VL", r.get("volume", "")), ("IS", r.get("issue", "")), ("SP", first), ("EP", last),
                 ("DO", r.get("doi", "")), ("AN", r.get("pmid", "")), ("DB", "PubMed" if r.get("pmid") else ""),
                 ("AB", r.get("abstract", ""))]
        out.append("".join(f"{t}  - {' '.join(str(v).split())}\n" for t, v in tags if str(v).strip()) + "ER  - \n\n")
    return "".join(out)


@dataclass
class SearchResult:
    search_id: str
    source: str
    query: str
    total: int
    retrieved: int
    requests: int
    import_line: str


def _next_search_id(log_path: Path) -> str:
    log = read_table(log_path, SEARCH_LOG) if log_path.is_file() else SEARCH_LOG.empty()
    numbers = [int(s[1:]) for s in log["search_id"]]
    return f"S{max(numbers, default=0) + 1:03d}"


def append_log(path: Path, before: bytes | None, cells: list, label: str) -> None:
    """The log with one row more, as every writer of a table adds one: the file's bytes kept,
    a missing final newline given back, the header written to a new file, the whole table
    read through its schema before it is swapped in (a table that does not read is refused
    with its problems, nothing written)."""
    text = decode_text(before, label) if before else ""
    if not text.strip():
        text = SEARCH_LOG.header()
    elif not text.endswith("\n"):
        text += "\n"
    row = io.StringIO()
    csv.writer(row, lineterminator="\n").writerow(cells)
    candidate = text + row.getvalue()
    parse_table(candidate, SEARCH_LOG, label)
    with paths.replacing(path) as new:
        new.write_text(candidate, encoding="utf-8", newline="")


def stored(review: str, search_id: str, root: Path | None = None) -> list[tuple[str, str]]:
    """The kept answers of a search, in the order they were received."""
    folder = paths.data_dir(review, root) / FOLDER / search_id
    if not (folder / "requests.csv").is_file():
        raise SearchError(f"no stored answers for {search_id} in data/{review}/{FOLDER}/{search_id}/")
    return answers_in(folder)


def keep_answers(folder: Path, answers: list[tuple[str, str]]) -> None:
    """Write ``answers`` (URL and body, in the order received) into ``folder`` as
    :func:`answers_in` reads them: ``NNN.json`` or ``NNN.xml`` byte for byte, and
    ``requests.csv`` naming the URL of each."""
    rows = []
    for n, (url, body) in enumerate(answers, start=1):
        name = f"{n:03d}.{'xml' if body.lstrip().startswith('<') else 'json'}"
        (folder / name).write_bytes(body.encode("utf-8"))
        rows.append({"file": name, "url": url})
    with (folder / "requests.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["file", "url"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def answers_in(folder: Path) -> list[tuple[str, str]]:
    """The answers kept in ``folder`` (``requests.csv`` naming the URL and file of each, in the
    order they were received): a search's own folder, or answers brought from elsewhere."""
    index = folder / "requests.csv"
    if not index.is_file():
        raise SearchError(f"{folder}: no requests.csv naming stored answers")
    with index.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    missing = [r.get("file") for r in rows if not r.get("file") or not (folder / r["file"]).is_file()]
    if not rows or missing or any(not r.get("url") for r in rows):
        raise SearchError(f"{index}: expected rows of file,url naming files beside it"
                          + (f"; missing {', '.join(map(str, missing))}" if missing else ""))
    return [(r["url"], (folder / r["file"]).read_bytes().decode("utf-8")) for r in rows]


def claims_refusal(rv: Review, claim_ids: list[str]) -> str:
    """Why a search's ``--claims`` cannot be logged (none given, or ids claims.csv lacks);
    empty when they can."""
    known = set(rv.claims["claim_id"])
    unknown = [c for c in claim_ids if c not in known]
    if not claim_ids or unknown:
        return f"--claims: expected claim ids of data/{rv.name}/claims.csv, found {', '.join(unknown) or 'none'}"
    return ""


def run(review: str, source: str, query: str, claim_ids: list[str], *, limit: int = DEFAULT_MAX,
        replay: str | None = None, answers: Path | None = None, http: HttpClient | None = None,
        root: Path | None = None, page: int | None = None, today: str | None = None) -> SearchResult:
    """Run (or replay) one search, keep its answers, log it and import its records.

    ``answers``: a folder of stored answers (:func:`answers_in`) to take instead of the
    network, for a search run elsewhere or offline; the search is logged and imported as if it
    had been run, and its log note names the folder."""
    if source not in SOURCES:
        raise SearchError(f"source {source!r}: expected one of {', '.join(SOURCES)}")
    root = root or paths.project_root()
    data = paths.data_dir(review, root)
    rv = Review.load(review, root)
    refusal = claims_refusal(rv, claim_ids)
    if refusal:
        raise SearchError(refusal)
    if replay and answers:
        raise SearchError("--replay checks a search already logged; --answers runs a new one: give one of them")
    recorder = (Recorder(None, stored(review, replay, root)) if replay
                else Recorder(None, answers_in(answers)) if answers
                else Recorder(http or HttpClient(cache_dir=None)))
    found = SEARCHERS[source](recorder, query, limit, page or PAGE_SIZE[source])  # network: nothing written yet
    if replay:  # a check, never a second copy: the records must come out as they were kept
        kept = (data / FOLDER / replay / f"{replay}-{source}.ris").read_bytes()
        if to_ris(found.records).encode("utf-8") != kept:
            raise SearchError(f"replay of {replay}: the stored answers no longer give the records kept in "
                              f"data/{review}/{FOLDER}/{replay}/{replay}-{source}.ris")
        return SearchResult(replay, source, query, found.total, len(found.records), len(recorder.answers),
                            "replayed from the stored answers: the same records, byte for byte; nothing written")
    log_path = data / "search_log.csv"
    with paths.locked(log_path):  # the log's lock, as every writer of a shared table holds it
        return _record(review, root, log_path, source, query, claim_ids, found, recorder, answers, today)


def _record(review: str, root: Path, log_path: Path, source: str, query: str, claim_ids: list[str], found: Found,
            recorder: Recorder, answers: Path | None, today: str | None) -> SearchResult:
    """Keep the answers, log the search and import its records, under the log's lock; on any
    failure the log and the answers folder are as they were."""
    search_id = _next_search_id(log_path)
    target = paths.data_dir(review, root) / FOLDER / search_id
    before = log_path.read_bytes() if log_path.is_file() else None
    note = "; ".join(part for part in (
        f"{source} reported {found.total:,}; the first {len(found.records):,} retrieved"
        if found.total > len(found.records) else "",
        f"answered from the stored answers in {answers.name}/, not the network" if answers else "") if part)
    try:
        with paths.staged(target) as tmp:
            keep_answers(tmp, recorder.answers)
            (tmp / "records.ris").write_text(to_ris(found.records), encoding="utf-8", newline="\n")
        append_log(log_path, before, [search_id, " ".join(claim_ids), source, query,
                                      today or dt.date.today().isoformat(), len(found.records), 0, note],
                   f"data/{review}/search_log.csv")
        renamed = target / f"{search_id}-{source}.ris"  # import ids are <file name>:<n>: one name per search
        (target / "records.ris").rename(renamed)
        if found.records:
            summary = import_files(review, [renamed], search_id=search_id, root=root, progress=False)
            line = summary.library.describe()
        else:
            line = "no records to import"
    except BaseException:
        if before is not None:
            with paths.replacing(log_path) as restored:
                restored.write_bytes(before)
        else:
            log_path.unlink(missing_ok=True)
        shutil.rmtree(target, ignore_errors=True)
        raise
    return SearchResult(search_id, source, query, found.total, len(found.records), len(recorder.answers), line)


__all__ = ["SOURCES", "SearchError", "SourceError", "answers_in", "keep_answers", "run", "stored", "to_ris"]
