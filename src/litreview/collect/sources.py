"""Live look-ups of bibliographic records: Crossref (by DOI, by bibliographic query),
PubMed E-utilities (esearch, esummary, efetch) and OpenAlex (a work by DOI or PMID).

Optional: the shipped review builds and tests without any network. Every request goes
through :class:`HttpClient`, which

- caches each successful answer on disk (one JSON file per URL), so a look-up is made once;
- keeps a polite interval between requests to the same host;
- retries 429 and 5xx answers with exponential backoff, honouring ``Retry-After``, and
  answers cut short (``IncompleteRead``) or not decodable;
- checks an answer (``parse``: JSON, XML, the service's documented shape) before it is
  cached or returned, so a garbage body is never kept;
- takes a host that failed :attr:`HttpClient.give_up_after` requests in a row (5xx after
  retries, a malformed or truncated answer) as down (:class:`ServiceDown`): a run stops at
  once instead of asking it again for every study;
- times out, and turns every failure into a :class:`SourceError` that says what failed.

The contact address sent in the User-Agent (and OpenAlex's ``mailto``) is
``$LITREVIEW_CONTACT``; without it none is sent (the services' polite pools ask for a real
address, never a made-up one).

Base URLs are parameters (and ``LITREVIEW_CROSSREF_URL`` / ``LITREVIEW_EUTILS_URL`` /
``LITREVIEW_OPENALEX_URL``), so the
tests point the clients at a local server that answers in the services' real formats.
"""

from __future__ import annotations

import datetime
import email.utils
import hashlib
import http.client
import json
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# every web service the workbook asks, in one place (search and verification share them)
CROSSREF_URL = "https://api.crossref.org"
EUTILS_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
EUROPEPMC_URL = "https://www.ebi.ac.uk/europepmc/webservices/rest"
OPENALEX_URL = "https://api.openalex.org"
USER_AGENT = "litreview/0.1 (literature review workbook)"
CONTACT_VARIABLE = "LITREVIEW_CONTACT"
GIVE_UP_AFTER = 3  # failed requests in a row after which a host is taken as down for the run


def contact_address() -> str:
    """The address to send the services (``$LITREVIEW_CONTACT``), ``""`` when none is set."""
    return os.environ.get(CONTACT_VARIABLE, "").strip()


class SourceError(RuntimeError):
    """A look-up failed; the message names the service, the request and the reason."""


class NetworkUnavailable(SourceError):
    """The service could not be reached at all (no route, DNS failure, refused, timeout)."""


class ServiceError(SourceError):
    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class MalformedResponse(SourceError):
    """The service answered, but not in the format it documents (or cut its answer short)."""


class ServiceDown(NetworkUnavailable):
    """A host failed :attr:`HttpClient.give_up_after` requests in a row: taken as down for
    the rest of the run, as if unreachable."""


@dataclass
class HttpClient:
    """GET with cache, rate limit, retries, checks and timeouts. ``cache_dir=None`` disables
    the cache."""

    cache_dir: Path | None = None
    min_interval: float = 0.34          # seconds between requests to one host (3 per second)
    timeout: float = 10.0
    retries: int = 3
    backoff: float = 1.0                # first wait; doubles each retry
    mailto: str = field(default_factory=contact_address)
    give_up_after: int = GIVE_UP_AFTER
    sleep: Callable[[float], None] = time.sleep
    _last: dict[str, float] = field(default_factory=dict)
    _failures: dict[str, int] = field(default_factory=dict)

    def _cache_path(self, url: str) -> Path | None:
        if self.cache_dir is None:
            return None
        return Path(self.cache_dir) / (hashlib.sha256(url.encode()).hexdigest() + ".json")

    def user_agent(self) -> str:
        return USER_AGENT.replace(")", f"; mailto:{self.mailto})") if self.mailto else USER_AGENT

    def get(self, url: str, parse: Callable[[str], object] | None = None) -> str:
        """The body of ``url`` as text (from the cache when present). ``parse`` checks a fresh
        body (raising :class:`MalformedResponse`) before it is cached or returned."""
        cached = self._cache_path(url)
        if cached is not None and cached.is_file():
            return json.loads(cached.read_text(encoding="utf-8"))["body"]
        host = urllib.parse.urlsplit(url).netloc
        failures = self._failures.get(host, 0)
        if failures >= self.give_up_after:
            raise ServiceDown(f"{host} failed {failures} requests in a row; not asked again in this run")
        try:
            body = self._fetch(url, host)
            if parse is not None:
                parse(body)
        except (ServiceError, MalformedResponse) as exc:
            if isinstance(exc, MalformedResponse) or exc.status >= 500 or exc.status == 429:
                self._failures[host] = failures + 1
                if failures + 1 >= self.give_up_after:
                    raise ServiceDown(f"{host} failed {failures + 1} requests in a row (the last: {exc}); "
                                      "taken as down") from None
            raise
        self._failures[host] = 0
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(".tmp")
            tmp.write_text(json.dumps({"url": url, "body": body}), encoding="utf-8")
            tmp.replace(cached)  # never a half-written cache file
        return body

    def _fetch(self, url: str, host: str) -> str:
        """One answer, with the polite interval and the retries."""
        attempt = 0
        while True:
            wait = self.min_interval - (time.monotonic() - self._last.get(host, -1e9))
            if wait > 0:
                self.sleep(wait)
            self._last[host] = time.monotonic()
            request = urllib.request.Request(url, headers={"User-Agent": self.user_agent()})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return response.read().decode("utf-8")
            except urllib.error.HTTPError as exc:
                if (exc.code == 429 or exc.code >= 500) and attempt < self.retries:
                    delay = self.backoff * 2 ** attempt
                    retry_after = exc.headers.get("Retry-After") if exc.headers else None
                    self.sleep(max(delay, _retry_after_seconds(retry_after)))
                    attempt += 1
                    continue
                raise ServiceError(f"{host} answered HTTP {exc.code} for {url}"
                                   + (f" after {attempt} retries" if attempt else ""), exc.code) from None
            except (http.client.HTTPException, UnicodeDecodeError) as exc:  # cut short, or not text
                if attempt < self.retries:
                    self.sleep(self.backoff * 2 ** attempt)
                    attempt += 1
                    continue
                what = "cut short" if isinstance(exc, http.client.IncompleteRead) else f"unreadable ({exc!r})"
                raise MalformedResponse(f"{host}: the answer to {url} was {what} "
                                        f"after {attempt} retries") from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                reason = getattr(exc, "reason", exc)
                if isinstance(reason, (socket.timeout, TimeoutError)) and attempt < self.retries:
                    self.sleep(self.backoff * 2 ** attempt)  # a slow answer may come next time
                    attempt += 1
                    continue
                raise NetworkUnavailable(f"could not reach {host}: {reason}") from None

    def get_json(self, url: str, shape: Callable[[object], str | None] | None = None) -> dict:
        """The JSON answer of ``url``; ``shape`` says what is wrong with a parsed answer
        (``None`` when nothing is), checked before the answer is cached."""
        def check(body: str) -> dict:
            return checked_json(url, body, shape)

        return check(self.get(url, parse=check))


def checked_json(url: str, body: str, shape: Callable[[object], str | None] | None = None) -> dict:
    """The JSON of ``body``, once ``shape`` (what is wrong with it, or None) finds nothing."""
    data = parse_json(url, body)
    wrong = shape(data) if shape is not None else None
    if wrong:
        raise MalformedResponse(f"{url}: {wrong}: {body[:80]!r}")
    return data


def parse_json(url: str, body: str) -> dict:
    """A service's JSON answer; a body that is not JSON is a :class:`MalformedResponse` naming
    the url."""
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise MalformedResponse(f"{url}: expected JSON, got {body[:60]!r} ({exc.msg})") from None


def _retry_after_seconds(value: str | None) -> float:
    """``Retry-After`` in seconds: delta-seconds or an HTTP-date (RFC 9110 section 10.2.3)."""
    if not value:
        return 0.0
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 0.0
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, (when - datetime.datetime.now(datetime.UTC)).total_seconds())


def _present(fields: dict[str, str | None]) -> dict[str, str]:
    """The fields that carry a value (a record shows what it has, nothing more)."""
    return {k: v for k, v in fields.items() if v}


def crossref_record(message: dict) -> dict[str, str]:
    """A Crossref ``work`` message as BibTeX-style fields."""
    try:
        authors = " and ".join(
            f"{a['family']}, {a.get('given', '')}".strip().rstrip(",") for a in message.get("author", [])
            if "family" in a)
        parts = (message.get("published-print") or message.get("published-online") or message.get("issued")
                 or {}).get("date-parts", [[None]])
        return _present({
            "author": authors,
            "title": (message.get("title") or [""])[0],
            "journal": (message.get("container-title") or [""])[0],
            "year": str(parts[0][0]) if parts and parts[0] and parts[0][0] else "",
            "volume": message.get("volume", ""),
            "number": message.get("issue", ""),
            "pages": (message.get("page") or "").replace("-", "--"),
            "doi": message.get("DOI", ""),
            "url": f"https://doi.org/{message['DOI']}" if message.get("DOI") else "",
        })
    except (KeyError, TypeError, IndexError, AttributeError) as exc:
        raise MalformedResponse(f"Crossref work message not in the documented shape: {exc!r}") from None


def medline_record(art: ET.Element) -> dict[str, str]:
    """One efetch ``PubmedArticle`` as BibTeX-style fields (abstract included)."""
    cit = art.find("MedlineCitation")
    a = cit.find("Article") if cit is not None else None
    if a is None:
        raise MalformedResponse("efetch: PubmedArticle without MedlineCitation/Article")
    authors = " and ".join(
        f"{au.findtext('LastName')}, {au.findtext('Initials') or ''}".strip().rstrip(",")
        for au in a.iter("Author") if au.findtext("LastName"))
    issue = a.find("Journal/JournalIssue")
    doi = next((e.text for e in art.iter("ArticleId") if e.get("IdType") == "doi"), "")
    pmid = cit.findtext("PMID") or ""
    return _present({
        "pmid": pmid, "title": (a.findtext("ArticleTitle") or "").rstrip("."), "author": authors,
        "journal": a.findtext("Journal/Title") or "",
        "year": (issue.findtext("PubDate/Year") if issue is not None else "") or "",
        "volume": issue.findtext("Volume") if issue is not None else "",
        "number": issue.findtext("Issue") if issue is not None else "",
        "pages": a.findtext("Pagination/MedlinePgn") or "", "doi": doi or "",
        "abstract": " ".join(t.text or "" for t in a.iter("AbstractText")),
        "url": f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"})


@dataclass
class Crossref:
    http: HttpClient
    base_url: str = field(default_factory=lambda: os.environ.get("LITREVIEW_CROSSREF_URL", CROSSREF_URL))

    def work(self, doi: str) -> dict[str, str]:
        return crossref_record(self.work_message(doi))

    def work_message(self, doi: str) -> dict:
        """The whole ``work`` message, relations (``updated-by``, ``update-to``) included."""
        data = self.http.get_json(f"{self.base_url}/works/{urllib.parse.quote(doi, safe='/')}", shape=lambda d: (
            None if isinstance(d, dict) and d.get("status") == "ok" and isinstance(d.get("message"), dict)
            else "not a Crossref work (status ok, message)"))
        return data["message"]

    def query(self, bibliographic: str, rows: int = 5) -> list[dict[str, str]]:
        q = urllib.parse.urlencode({"query.bibliographic": bibliographic, "rows": rows})
        data = self.http.get_json(f"{self.base_url}/works?{q}")
        try:
            items = data["message"]["items"]
        except (KeyError, TypeError):
            raise MalformedResponse(f"Crossref query: no message.items in {str(data)[:80]!r}") from None
        return [crossref_record(item) for item in items]


@dataclass
class PubMed:
    http: HttpClient
    base_url: str = field(default_factory=lambda: os.environ.get("LITREVIEW_EUTILS_URL", EUTILS_URL))

    def _url(self, tool: str, **params) -> str:
        return f"{self.base_url}/{tool}.fcgi?{urllib.parse.urlencode({'db': 'pubmed', **params})}"

    def esearch(self, term: str, retmax: int = 5) -> list[str]:
        data = self.http.get_json(self._url("esearch", term=term, retmode="json", retmax=retmax), shape=lambda d: (
            None if isinstance(d, dict) and isinstance(d.get("esearchresult"), dict) else "no esearchresult"))
        try:
            return list(data["esearchresult"]["idlist"])
        except (KeyError, TypeError):
            raise MalformedResponse(f"esearch: no esearchresult.idlist in {str(data)[:80]!r}") from None

    def esummary(self, pmids: list[str]) -> list[dict[str, str]]:
        if not pmids:
            return []
        data = self.http.get_json(self._url("esummary", id=",".join(pmids), retmode="json"))
        try:
            result = data["result"]
            out = []
            for pmid in result["uids"]:
                doc = result[pmid]
                doi = next((a["value"] for a in doc.get("articleids", []) if a.get("idtype") == "doi"), "")
                out.append(_present({
                    "pmid": pmid, "title": doc.get("title", "").rstrip("."),
                    "author": " and ".join(a["name"] for a in doc.get("authors", []) if a.get("authtype") == "Author"),
                    "journal": doc.get("fulljournalname") or doc.get("source", ""),
                    "year": (doc.get("pubdate") or "")[:4], "volume": doc.get("volume", ""),
                    "number": doc.get("issue", ""), "pages": doc.get("pages", ""), "doi": doi,
                    "url": f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"}))
            return out
        except (KeyError, TypeError) as exc:
            raise MalformedResponse(f"esummary: result not in the documented shape ({exc!r})") from None

    def efetch(self, pmids: list[str]) -> list[dict[str, str]]:
        """MEDLINE XML records (abstract included) as fields."""
        if not pmids:
            return []
        return [medline_record(art) for art in self.efetch_articles(pmids)]

    def efetch_articles(self, pmids: list[str]) -> list[ET.Element]:
        """The ``PubmedArticle`` elements of an efetch answer, for callers that read more than
        :meth:`efetch` keeps (publication types, CommentsCorrections)."""
        if not pmids:
            return []
        return list(_efetch_xml(self.http.get(self._url("efetch", id=",".join(pmids), retmode="xml"),
                                              parse=_efetch_xml)).iter("PubmedArticle"))


def _efetch_xml(body: str) -> ET.Element:
    """An efetch answer's root, a ``PubmedArticleSet``; anything else is malformed."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise MalformedResponse(f"efetch: not XML ({exc})") from None
    if root.tag != "PubmedArticleSet":
        raise MalformedResponse(f"efetch: expected a PubmedArticleSet, found <{root.tag}>")
    return root


# --- OpenAlex (the retraction flag of a work) --------------------------------------------------


@dataclass
class OpenAlex:
    """OpenAlex works by DOI or PMID (``/works/doi:10.x/y``, ``/works/pmid:123``). Only the
    raw work is returned: :mod:`litreview.collect.status` reads ``is_retracted`` and the bibliographic
    fields from it."""

    http: HttpClient
    base_url: str = field(default_factory=lambda: os.environ.get("LITREVIEW_OPENALEX_URL", OPENALEX_URL))

    def work(self, doi: str = "", pmid: str = "") -> dict:
        if not (doi or pmid):
            raise ValueError("OpenAlex.work needs a doi or a pmid")
        ident = f"doi:{doi}" if doi else f"pmid:{pmid}"
        q = f"?{urllib.parse.urlencode({'mailto': self.http.mailto})}" if self.http.mailto else ""
        return self.http.get_json(f"{self.base_url}/works/{urllib.parse.quote(ident, safe='/:')}{q}", shape=lambda d: (
            None if isinstance(d, dict) and "is_retracted" in d and str(d.get("id", "")).startswith(
                "https://openalex.org/W") else "not an OpenAlex work object"))
