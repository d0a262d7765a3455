"""Audit of the articles' own citations: printed reference against the real record.

The reviewer decides which real record a printed reference refers to (``matched_key`` in
``reference_audit.csv``) and whether that work backs the claims it is attached to. Everything
else is computed here: the field-by-field differences, after normalising what does not
matter (case, punctuation, diacritics, author initials, page-range style, a leading "The" in
journal names, journal abbreviations), and the status that follows from them:

- ``not-found``: no real record matches the printed reference;
- ``misattributed``: a real record has the printed title, but fewer than half of the printed
  authors are its authors (the title of one work with the authors of another);
- ``verified-with-errors``: the work exists, some printed fields are wrong;
- ``verified``: every printed field agrees with the record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from ..tables.bib import Entry, author_signature, fold, normalise_doi, normalise_title, page_range, split_authors

AUDIT_COLUMNS = ["cited_key", "article_id", "printed", "status", "matched_key", "differences", "n_differences",
                 "also_matches", "nearest_keys", "searches", "supports_claims", "relevance"]
STATUSES = ("verified", "verified-with-errors", "not-found", "misattributed")
FIELDS = ("author", "title", "journal", "year", "volume", "number", "pages", "doi")


@dataclass(frozen=True)
class Difference:
    field: str
    printed: str
    real: str

    def __str__(self) -> str:
        return f"{self.field}: {self.printed or '(none)'} → {self.real or '(none)'}"


def _journal_words(name: str) -> list[str]:
    words = re.findall(r"[a-z]+", fold(name))
    return [w for w in words if w not in ("the", "of", "and", "journal", "j") or len(words) == 1]


def same_journal(a: str, b: str) -> bool:
    """Full name or abbreviation: ``The Anatomical Record`` = ``Anat Rec``; ``N Engl J Med`` =
    ``New England Journal of Medicine``. Each word of one must begin the matching word of the
    longer, in order, with no significant word left over."""
    wa, wb = _journal_words(a), _journal_words(b)
    if len(wa) != len(wb):
        return False
    return all(x.startswith(y) or y.startswith(x) for x, y in zip(wa, wb))


def author_overlap(printed: str, real: str) -> float:
    """Share of printed authors (family name + first initial) found among the real ones."""
    p = [author_signature(a) for a in split_authors(printed) if a.lower() != "others"]
    r = [author_signature(a) for a in split_authors(real) if a.lower() != "others"]
    if not p:
        return 0.0
    real_keys = {(fam, ini[:1]) for fam, ini in r}
    return sum((fam, ini[:1]) in real_keys for fam, ini in p) / len(p)


def _same_authors(printed: str, real: str) -> bool:
    p = [author_signature(a) for a in split_authors(printed)]
    r = [author_signature(a) for a in split_authors(real) if a.lower() != "others"]
    truncated = "others" in [a.lower() for a in split_authors(real)]
    if not truncated and len(p) != len(r):
        return False
    # initials compared as far as both give them ("H. M." vs "H." is no error)
    return all(fp == fr and (ip.startswith(ir) or ir.startswith(ip)) for (fp, ip), (fr, ir) in zip(p, r))


def compare(printed: Entry, real: Entry) -> list[Difference]:
    """Fields where the printed reference disagrees with the real record. A field the real
    record does not show is not judged."""
    diffs = []
    for name in FIELDS:
        p, r = printed.get(name), real.get(name)
        if not r or (not p and name == "doi"):
            continue
        if name == "author":
            same = _same_authors(p, r)
        elif name == "title":
            same = normalise_title(p) == normalise_title(r)
        elif name == "journal":
            same = same_journal(p, r)
        elif name == "pages":
            same = page_range(p) == page_range(r)
        elif name == "doi":
            same = normalise_doi(p) == normalise_doi(r)
        else:
            same = fold(p).strip() == fold(r).strip()
        if not same:
            diffs.append(Difference(name, p, r))
    return diffs


def status(printed: Entry, real: Entry | None, differences: list[Difference]) -> str:
    if real is None:
        return "not-found"
    if author_overlap(printed.get("author"), real.get("author")) < 0.5:
        return "misattributed"
    return "verified-with-errors" if differences else "verified"


def audit_table(cited: list[Entry], library: list[Entry], decisions: pd.DataFrame) -> pd.DataFrame:
    """One row per cited reference: printed text, status, differences, the reviewer's
    relevance judgement. ``decisions`` is ``reference_audit.csv``."""
    by_key = {e.key: e for e in library}
    decided = {r["cited_key"]: r for r in decisions.to_dict("records")}
    rows = []
    for entry in cited:
        d = decided.get(entry.key, {})
        real = by_key.get(d.get("matched_key") or "")
        diffs = compare(entry, real) if real else []
        rows.append({
            "cited_key": entry.key,
            "article_id": entry.get("article"),
            "printed": entry.get("printed"),
            "status": status(entry, real, diffs),
            "matched_key": real.key if real else None,
            "differences": "; ".join(map(str, diffs)),
            "n_differences": len(diffs),
            "also_matches": " ".join(d.get("also_matches") or []),
            "nearest_keys": " ".join(d.get("nearest_keys") or []),
            "searches": len(d.get("search_ids") or []),
            "supports_claims": d.get("supports_claims"),
            "relevance": d.get("relevance"),
        })
    return pd.DataFrame(rows, columns=AUDIT_COLUMNS)


def candidates_online(printed: Entry, crossref, pubmed, rows: int = 3) -> list[dict]:
    """Real records that may match a printed reference, from Crossref (by DOI when printed,
    else by bibliographic query) and PubMed (title search), each compared field by field.
    Raises :class:`litreview.collect.sources.SourceError` when a service fails."""
    found = []
    if printed.get("doi"):
        found.append(("crossref", crossref.work(printed.get("doi"))))
    else:
        query = f"{printed.get('title')} {printed.get('author').split(',')[0]} {printed.get('year')}"
        found += [("crossref", r) for r in crossref.query(query, rows=rows)]
    pmids = pubmed.esearch(f"{printed.get('title')}[Title]", retmax=rows)
    found += [("pubmed", r) for r in pubmed.esummary(pmids)]
    out = []
    for source, fields in found:
        real = Entry("candidate", "article", fields, 0)
        diffs = compare(printed, real)
        title_match = normalise_title(printed.get("title")) == normalise_title(fields.get("title", ""))
        out.append({"cited_key": printed.key, "source": source, "title_matches": title_match,
                    "status_if_matched": status(printed, real, diffs), "differences": "; ".join(map(str, diffs)),
                    **{k: fields.get(k, "") for k in ("author", "title", "journal", "year", "doi", "pmid", "url")}})
    return out
