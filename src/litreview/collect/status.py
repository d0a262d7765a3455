"""Retractions, withdrawals, expressions of concern and corrections of the review's studies,
and how far each library entry agrees with its record (``study_status.csv``).

A grade that rests on a retracted trial is wrong, and a report that prints a corrected
paper's old numbers misleads. Three services say whether a work has been updated:

- **Crossref** (by DOI): a work's ``updated-by`` relations name each notice (its DOI, type,
  date and ``source``: the publisher's own deposit, or ``retraction-watch`` since Crossref
  took over the Retraction Watch database); a notice itself carries ``update-to``.
- **PubMed** (by PMID; found through the DOI when the entry has none): the publication type
  ``Retracted Publication`` and the CommentsCorrections links ``RetractionIn``, ``ErratumIn``,
  ``ExpressionOfConcernIn`` and their kin, each with the notice's PMID.
- **OpenAlex**: ``is_retracted``.

A study's status is the most serious notice any of them shows (:data:`SEVERITY`). The
metadata check compares title, first author, year, journal, volume and pages with each
record, with the audit's comparison (:func:`litreview.collect.audit.compare`).

The grading hooks are small pure functions over ``evidence.csv`` and ``study_status.csv``:
:func:`withdrawn_rows` (retracted and withdrawn studies leave their claims' grades, with the
reason), :func:`concern_keys` (the studies under an expression of concern, whose effect on a
grade is the grading's rule: :mod:`litreview.grade.grading`), and :func:`report_section`
(what the report prints, even when nothing was found).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import paths
from ..tables.bib import NO_ID_NOTE, Entry, normalise_doi, split_authors
from ..tables.schema import STUDY_STATUS, STUDY_STATUSES, Problem
from .audit import compare
from .sources import MalformedResponse, NetworkUnavailable, ServiceError, SourceError, crossref_record, medline_record

COLUMNS = STUDY_STATUS.names
SEVERITY = {s: i for i, s in enumerate(STUDY_STATUSES)}   # lower is more serious
WITHDRAWN = ("retracted", "withdrawn")  # statuses whose studies leave every grade
CONCERN = "expression-of-concern"
CORRECTED = "corrected"
VERIFIED = tuple(s for s in STUDY_STATUSES if s != "not-verified")
COMPARED = ("author", "title", "year", "journal", "volume", "pages")  # author: the first author only

# Crossref update types (the ``type`` of an ``updated-by`` relation, lower-cased, "_" and " "
# read as "-") and what they mean for the study. Types not named here (e.g. "addendum",
# "new-version", "clarification") are not notices about the study's soundness.
CROSSREF_TYPES = {
    "retraction": "retracted", "partial-retraction": "corrected", "withdrawal": "withdrawn",
    "removal": "withdrawn", "expression-of-concern": CONCERN, "correction": CORRECTED,
    "erratum": CORRECTED, "corrigendum": CORRECTED,
}
# PubMed CommentsCorrections reference types that link an article to a notice about it
# (NLM, "MEDLINE/PubMed Data Element (Field) Descriptions", CommentsCorrections).
PUBMED_LINKS = {
    "RetractionIn": "retracted", "RetractedandRepublishedIn": "retracted",
    "ExpressionOfConcernIn": CONCERN, "ErratumIn": CORRECTED, "CorrectedandRepublishedIn": CORRECTED,
    "PartialRetractionIn": CORRECTED,  # part withdrawn (an interpretation, a figure): shown, not left out
}
# Publication types of the article itself (NLM Publication Types, MeSH)
PUBMED_TYPES = {"Retracted Publication": "retracted"}
# Publication types that mark the record as a notice rather than a study
PUBMED_NOTICE_TYPES = ("Retraction of Publication", "Published Erratum", "Expression of Concern")


class NotFound(SourceError):
    """The service has no record for the identifier asked about."""


@dataclass(frozen=True)
class Notice:
    """One notice about a study, as one source shows it."""

    status: str          # retracted / withdrawn / expression-of-concern / corrected
    source: str          # crossref (publisher) / crossref (retraction-watch) / pubmed / openalex
    doi: str = ""
    pmid: str = ""
    date: str = ""       # YYYY, YYYY-MM or YYYY-MM-DD as the source gives it
    label: str = ""      # the source's own word: "Retraction", "ErratumIn", ...


# --- reading each service's answer ---------------------------------------------------------------

def _date_parts(value) -> str:
    """``2010-02-06`` from a Crossref date (``date-parts``, else ``date-time``); as much of it
    as is given; empty when it has neither."""
    if not isinstance(value, dict):
        return ""
    try:
        parts = [int(p) for p in (value.get("date-parts") or [[]])[0] if p is not None]
    except (TypeError, ValueError, IndexError):
        parts = []
    if parts:
        return "-".join(f"{p:02d}" if i else f"{p:04d}" for i, p in enumerate(parts[:3]))
    stamp = re.match(r"\d{4}-\d{2}-\d{2}", str(value.get("date-time") or ""))
    return stamp.group(0) if stamp else ""


def crossref_notices(message: dict) -> tuple[list[Notice], list[str]]:
    """Notices in a Crossref work's ``updated-by`` relations, and remarks: a DOI that is itself
    a notice (it carries ``update-to``) points at the notice, not at the study."""
    if not isinstance(message, dict):
        raise MalformedResponse("Crossref work message is not an object")
    notices, remarks = [], []
    for rel in message.get("updated-by") or []:
        if not isinstance(rel, dict):
            raise MalformedResponse(f"Crossref updated-by entry not an object: {rel!r}")
        kind = re.sub(r"[_ ]", "-", str(rel.get("type", "")).lower())
        status = CROSSREF_TYPES.get(kind)
        if status:
            notices.append(Notice(status, f"crossref ({rel.get('source') or 'publisher'})",
                                  doi=normalise_doi(str(rel.get("DOI") or "")), date=_date_parts(rel.get("updated")),
                                  label=str(rel.get("label") or kind)))
    for rel in message.get("update-to") or []:
        if isinstance(rel, dict) and CROSSREF_TYPES.get(re.sub(r"[_ ]", "-", str(rel.get("type", "")).lower())):
            remarks.append(f"this DOI is a {rel.get('label') or rel.get('type')} notice for {rel.get('DOI')}, "
                           "not the study itself")
    return notices, remarks


def pubmed_notices(article: ET.Element) -> tuple[list[Notice], list[str]]:
    """Notices shown by an efetch ``PubmedArticle``: its publication types and its
    CommentsCorrections links; remarks when the record is itself a notice."""
    cit = article.find("MedlineCitation")
    if cit is None:
        raise MalformedResponse("efetch: PubmedArticle without MedlineCitation")
    notices, remarks = [], []
    types = [t.text or "" for t in cit.iter("PublicationType")]
    for link in cit.iter("CommentsCorrections"):
        status = PUBMED_LINKS.get(link.get("RefType", ""))
        if status:
            source = link.findtext("RefSource") or ""
            year = re.search(r"\b(19|20)\d{2}\b", source)
            notices.append(Notice(status, "pubmed", pmid=(link.findtext("PMID") or "").strip(),
                                  date=year.group(0) if year else "", label=link.get("RefType", "")))
    linked = {n.status for n in notices}
    for kind, status in PUBMED_TYPES.items():
        if kind in types and status not in linked:
            notices.append(Notice(status, "pubmed", label=kind))
    for kind in PUBMED_NOTICE_TYPES:
        if kind in types:
            remarks.append(f"this PMID is a notice ({kind}), not the study itself")
    return notices, remarks


def openalex_notices(work: dict) -> list[Notice]:
    if work.get("is_retracted") is True:
        return [Notice("retracted", "openalex", label="is_retracted")]
    return []


def openalex_record(work: dict) -> dict[str, str]:
    """The bibliographic fields of an OpenAlex work, named as in BibTeX."""
    try:
        biblio = work.get("biblio") or {}
        pages = "--".join(p for p in (biblio.get("first_page"), biblio.get("last_page")) if p)
        source = ((work.get("primary_location") or {}).get("source") or {})
        first = next((a.get("author", {}).get("display_name", "") for a in work.get("authorships") or []), "")
        return {k: v for k, v in {
            "title": work.get("title") or work.get("display_name") or "", "author": first,
            "year": str(work.get("publication_year") or ""), "journal": source.get("display_name") or "",
            "volume": biblio.get("volume") or "", "pages": pages}.items() if v}
    except (AttributeError, TypeError) as exc:
        raise MalformedResponse(f"OpenAlex work not in the documented shape: {exc!r}") from None


# --- comparing the entry with its records --------------------------------------------------------

def _first_author(authors: str) -> str:
    names = split_authors(authors or "")
    return names[0] if names else ""


def differences(entry: Entry, record: dict[str, str], source: str) -> list[str]:
    """``source.field: ours → theirs`` for each compared field where the entry disagrees with
    the record (title, first author, year, journal, volume, pages; audit's normalisation). A
    field the record shows and the entry lacks is a difference too: a gap in our metadata."""
    ours = {k: entry.get(k) for k in COMPARED if entry.get(k)}
    theirs = {k: record.get(k, "") for k in COMPARED if record.get(k)}
    if "author" in ours:
        ours["author"] = _first_author(ours["author"])
    if "author" in theirs:
        theirs["author"] = _first_author(theirs["author"])
    return [f"{source}.{d}" for d in compare(Entry(entry.key, "article", ours, 0),
                                             Entry(source, "article", theirs, 0))]


# --- one study -----------------------------------------------------------------------------------

@dataclass
class Clients:
    """The three services (``litreview.collect.sources`` clients); any may be None to skip it."""

    crossref: object = None
    pubmed: object = None
    openalex: object = None


def _worst(notices: Iterable[Notice]) -> str | None:
    statuses = [n.status for n in notices]
    return min(statuses, key=SEVERITY.__getitem__) if statuses else None


@dataclass
class _Findings:
    """What the services said of one entry, gathered as each is asked."""

    notices: list[Notice] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    diffs: list[str] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def attempt(self, service: str, call: Callable[[], None]) -> None:
        """Ask one service; a missing record or a failing service is noted, and the others
        still count. No network at all stops everything (the caller keeps the table as it was)."""
        try:
            call()
            self.answered.append(service)
        except NetworkUnavailable:
            raise
        except NotFound as exc:
            self.failed.append(f"{service}: {exc}")
        except ServiceError as exc:
            self.failed.append(f"{service}: {'no record' if exc.status == 404 else f'HTTP {exc.status}'}")
        except SourceError as exc:
            self.failed.append(f"{service}: {exc}")


def verify_entry(entry: Entry, bib: str, clients: Clients, today: str, ids: tuple[str, str] | None = None) -> dict:
    """One ``study_status.csv`` row for ``entry``, from whatever the services answer.

    ``ids``: ``(doi, pmid)`` to look up instead of the entry's own (a cited reference is
    looked up through the library record it was matched to). A service that answers 404 or
    a malformed payload is noted and the others still count; :class:`NetworkUnavailable`
    propagates, so the caller can stop and leave the table as it was."""
    doi, pmid = ids if ids is not None else (entry.doi, entry.pmid)
    row = dict.fromkeys(COLUMNS)
    row.update(key=entry.key, bib=bib, doi=doi or None, pmid=pmid or None)
    if not doi and not pmid:
        row.update(status="not-verified", note=f"no DOI or PMID to look up ({NO_ID_NOTE})"
                   if NO_ID_NOTE in entry.get("note") else "no DOI or PMID to look up")
        return row
    found_by = _Findings()
    notices, remarks, diffs, answered = found_by.notices, found_by.remarks, found_by.diffs, found_by.answered
    attempt = found_by.attempt

    if doi and clients.crossref is not None:
        def crossref():
            message = clients.crossref.work_message(doi)
            found, said = crossref_notices(message)
            notices.extend(found)
            remarks.extend(said)
            diffs.extend(differences(entry, crossref_record(message), "crossref"))
        attempt("crossref", crossref)
    if clients.pubmed is not None:
        def pubmed():
            nonlocal pmid
            if not pmid:
                found_ids = clients.pubmed.esearch(f"{doi}[doi]", retmax=2)
                if len(found_ids) != 1:
                    raise NotFound(f"the DOI finds {'no record' if not found_ids else 'several records'}")
                pmid = found_ids[0]
                row["pmid"] = pmid
            articles = clients.pubmed.efetch_articles([pmid])
            if not articles:
                raise NotFound(f"no record for PMID {pmid}")
            found, said = pubmed_notices(articles[0])
            notices.extend(found)
            remarks.extend(said)
            diffs.extend(differences(entry, medline_record(articles[0]), "pubmed"))
        attempt("pubmed", pubmed)
    if clients.openalex is not None:
        def openalex():
            work = clients.openalex.work(doi=doi, pmid="" if doi else pmid)
            notices.extend(openalex_notices(work))
            if not answered:  # fields from OpenAlex only when no bibliographic database answered
                diffs.extend(differences(entry, openalex_record(work), "openalex"))
        attempt("openalex", openalex)

    worst = _worst(notices)
    shown = sorted((n for n in notices if n.status == worst), key=lambda n: (n.date, n.doi, n.pmid))
    row.update(
        status=worst or ("no-notice-seen" if answered else "not-verified"),
        notice_doi=sorted({n.doi for n in notices if n.doi}), notice_pmid=sorted({n.pmid for n in notices if n.pmid}),
        notice_date=next((n.date for n in shown if n.date), None),
        source=" ".join(answered) or None, checked_on=today if answered else None,
        differences="; ".join(diffs) or None)
    note = [f"{n.source}: {n.label}" for n in sorted(set(notices), key=lambda n: (SEVERITY[n.status], n.source))]
    note += remarks + found_by.failed
    row["note"] = "; ".join(dict.fromkeys(note)) or None
    return row


# --- the whole library --------------------------------------------------------------------------

def lookup_ids(cited: Entry, library: dict[str, Entry], matched: dict[str, str]) -> tuple[str, str]:
    """The identifiers to look a cited reference up by: its own, else those of the library
    record the audit matched it to."""
    if cited.doi or cited.pmid:
        return cited.doi, cited.pmid
    real = library.get(matched.get(cited.key) or "")
    return (real.doi, real.pmid) if real else ("", "")


def verify_all(library: list[Entry], cited: list[Entry], matched: dict[str, str], clients: Clients,
               today: str, say: Callable[[str], None] = lambda s: None) -> pd.DataFrame:
    """Rows for every library study and every cited reference, looked up in turn (progress
    through ``say``). :class:`NetworkUnavailable` stops the run."""
    by_key = {e.key: e for e in library}
    jobs = [(e, "library", None) for e in library] + [(e, "cited", lookup_ids(e, by_key, matched)) for e in cited]
    rows = []
    for i, (entry, bib, ids) in enumerate(jobs, 1):
        row = verify_entry(entry, bib, clients, today, ids)
        if bib == "cited" and ids == ("", "") and not (entry.doi or entry.pmid):
            row["note"] = "printed without DOI or PMID and matched to no library record"
        rows.append(row)
        say(f"[{i}/{len(jobs)}] {bib} {entry.key}: {row['status']}")
    return ordered(pd.DataFrame(rows, columns=COLUMNS))


def ordered(frame: pd.DataFrame) -> pd.DataFrame:
    """Library rows first, then cited, each by key: a stable order for a committed table."""
    bib_order = {"library": 0, "cited": 1}
    out = frame.assign(_b=frame["bib"].map(bib_order)).sort_values(["_b", "key"]).drop(columns="_b")
    return out.reset_index(drop=True)


def merge(previous: pd.DataFrame, fresh: pd.DataFrame) -> pd.DataFrame:
    """The fresh rows, except that a fresh ``not-verified`` never replaces an earlier row that
    was verified (a service down today does not erase what was seen before). Rows for keys no
    longer in either .bib file are dropped (``fresh`` has one row per current key)."""
    old = {(r["bib"], r["key"]): r for r in previous.to_dict("records")}
    rows = []
    for r in fresh.to_dict("records"):
        before = old.get((r["bib"], r["key"]))
        if r["status"] == "not-verified" and before and before["status"] != "not-verified":
            rows.append(before)
        else:
            rows.append(r)
    return ordered(pd.DataFrame(rows, columns=COLUMNS))


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, list):
        return " ".join(value)
    return str(value)


def write(frame: pd.DataFrame, path: Path) -> None:
    """Write ``study_status.csv`` whole or not at all (written beside it, then swapped in)."""
    import csv

    with paths.replacing(path) as new, new.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        for r in frame.to_dict("records"):
            w.writerow([_cell(r.get(c)) for c in COLUMNS])


# --- grading hooks (pure) ------------------------------------------------------------------------

def _by_library_key(status: pd.DataFrame) -> dict[str, dict]:
    if status is None or status.empty:
        return {}
    return {r["key"]: r for r in status.to_dict("records") if r["bib"] == "library"}


def _notice_text(r: dict) -> str:
    ids = [f"doi:{d}" for d in (r.get("notice_doi") or [])] + [f"PMID {p}" for p in (r.get("notice_pmid") or [])]
    when = f" ({r['notice_date']})" if r.get("notice_date") else ""
    where = f", per {r['source']}" if r.get("source") else ""
    return f"{', '.join(ids) or 'no notice identifier'}{when}{where}"


def reason(r: dict) -> str:
    """Why a study leaves every grade, citing the notice: ``retracted: notice doi:10.x/y (2021-03-02),
    per crossref pubmed``."""
    return f"{r['status']}: notice {_notice_text(r)}"


def withdrawn_rows(evidence: pd.DataFrame, status: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(kept, withdrawn)``: evidence rows of retracted or withdrawn studies leave the grading;
    ``withdrawn`` holds them with ``study_status`` and ``reason`` columns (the notice cited).
    Grading ``kept`` instead of ``evidence`` means such a study can never raise a certainty."""
    by_key = _by_library_key(status)
    out = evidence["study_key"].map(lambda k: k in by_key and by_key[k]["status"] in WITHDRAWN)
    aside = evidence[out].copy()
    aside["study_status"] = [by_key[k]["status"] for k in aside["study_key"]]
    aside["reason"] = [reason(by_key[k]) for k in aside["study_key"]]
    return evidence[~out].copy(), aside


def concern_keys(status: pd.DataFrame) -> set[str]:
    """Library studies under an expression of concern: their risk of bias is rated down."""
    return {k for k, r in _by_library_key(status).items() if r["status"] == CONCERN}


def report_section(status: pd.DataFrame, evidence: pd.DataFrame | None = None,
                   checked_on: str | None = None) -> dict:
    """What the report's "Retractions and corrections" section prints.

    Keys: ``checked`` (rows verified), ``total``, ``not_verified``, ``checked_on`` (given, else
    the latest date in the table), ``counts`` (per status), ``withdrawn`` / ``concerns`` /
    ``corrections`` (lists of dicts: study_key, notice, evidence_ids, reason), and ``sentence``:
    ``None found: N of M checked on DATE.`` when none of the three was found."""
    status = STUDY_STATUS.empty() if status is None else status
    verified = status[status["status"].isin(VERIFIED)]
    dates = sorted(d for d in verified["checked_on"] if d)
    checked_on = checked_on or (dates[-1] if dates else None)
    counts = {s: int((status["status"] == s).sum()) for s in STUDY_STATUSES}

    def listed(kinds: tuple[str, ...]) -> list[dict]:
        out = []
        for r in status[status["status"].isin(kinds)].to_dict("records"):
            ids = [] if evidence is None or r["bib"] != "library" else sorted(
                evidence.loc[evidence["study_key"] == r["key"], "evidence_id"])
            out.append({"study_key": r["key"], "bib": r["bib"], "status": r["status"], "notice": _notice_text(r),
                        "evidence_ids": " ".join(ids), "reason": reason(r)})
        return out

    found = {"withdrawn": listed(WITHDRAWN), "concerns": listed((CONCERN,)), "corrections": listed((CORRECTED,))}
    n, total = len(verified), len(status)
    when = f" on {checked_on}" if checked_on else ""
    if not n and not any(found.values()):  # nothing looked up: "none found" would read as a check that happened
        sentence = ("Not checked: no study or reference has been looked up for retraction, withdrawal or "
                    "correction notices yet (litreview verify-library, which needs the network).")
    elif not any(found.values()):
        sentence = f"None found: {n} of {total} studies and references checked{when}."
    else:
        parts = [f"{len(v)} {label}" for v, label in ((found["withdrawn"], "retracted or withdrawn"),
                                                       (found["concerns"], "under an expression of concern"),
                                                       (found["corrections"], "corrected")) if v]
        sentence = f"{', '.join(parts)}: {n} of {total} studies and references checked{when}."
    if counts["not-verified"]:
        sentence += f" {counts['not-verified']} could not be verified."
    return {"checked": n, "total": total, "not_verified": counts["not-verified"], "checked_on": checked_on,
            "counts": counts, **found, "sentence": sentence}


# --- what `litreview check` warns about ---------------------------------------------------------

def warnings(library: list[Entry], status: pd.DataFrame, bib_label: str, status_label: str,
             present: bool) -> list[Problem]:
    """A library entry with no DOI or PMID (no service can be asked about it), and one never
    verified (no row in ``study_status.csv``, or a ``not-verified`` row). Warnings, not errors:
    the review still builds."""
    rows = _by_library_key(status)
    out = []
    for e in library:
        if not e.doi and not e.pmid:
            out.append(Problem(bib_label, e.line, "doi", f"{e.key}: no DOI or PMID, so retractions and "
                                                        "corrections cannot be looked up",
                               code="no-identifier", subject=e.key))
        r = rows.get(e.key)
        if r is None:
            where = "no row in" if present else "no"
            out.append(Problem(bib_label, e.line, None, f"{e.key}: never verified ({where} {status_label}); "
                                                       "run litreview verify-library",
                               code="never-verified", subject=e.key))
        elif r["status"] == "not-verified":
            out.append(Problem(bib_label, e.line, None, f"{e.key}: not verified ({r['note']})",
                               code="not-verified", subject=e.key))
    return out


def dangling(status: pd.DataFrame, library: list[Entry], cited: list[Entry], label: str) -> list[Problem]:
    """Rows of ``study_status.csv`` whose key is in neither .bib file."""
    known = {"library": {e.key for e in library}, "cited": {e.key for e in cited}}
    out = []
    for line, r in zip(status.attrs.get("lines", []), status.to_dict("records")):
        if r["key"] not in known[r["bib"]]:
            out.append(Problem(label, line, "key", f"unknown key {r['key']!r} of {r['bib']}.bib"))
    return out
