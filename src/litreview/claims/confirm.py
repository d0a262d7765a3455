"""Confirming claims: the claim finder's suggestions become rows of ``claims.csv``.

A reviewer accepts a suggestion, splits a sentence that bundles claims into several (one
sub-span each), adds a claim the finder missed by giving its exact words, or rejects a
suggestion. The offsets are always computed from the article's text, never typed: a phrase
is found in the suggestion's span first, then in the article (one occurrence, or the one
nearest the suggestion). The claim id is the next free one of the article's letter.

Every write is checked as ``litreview check`` checks the table (schema, vocabularies, the
quote at its offsets; problems as ``file:row:column``) before it is swapped in atomically
under the table's lock. ``claims.decisions.csv`` records each decision, one row per claim
written or suggestion rejected: rejected and confirmed suggestions are not offered again,
and :func:`undo` takes back the last one, refusing to remove a claim that evidence, a
search, an explanation or an override already names. The widget of notebook 01
(:mod:`litreview.workbook.claims_form`) and ``litreview claims`` both call these functions.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from .. import paths
from ..tables.quotes import locate_problem, occurrences
from ..tables.review import Review
from ..tables.schema import (
    CATEGORIES,
    CLAIM_NAMED_IN,
    CLAIMS,
    KINDS,
    Problem,
    SchemaError,
    parse_table,
    read_text,
)
from .scaffold import SUGGESTED, SUGGESTED_COLUMNS

DECISIONS = "claims.decisions.csv"
DECISION_COLUMNS = ("suggestion_id", "article_id", "decision", "claim_id", "start", "end", "date")
# accepted: the suggestion as one claim; split: one of several claims cut from it; added: a
# claim the finder did not suggest; rejected: not a claim
DECISION_WORDS = ("accepted", "split", "added", "rejected")
DEFAULT_LETTER = "C"  # the first article's claims are C01, C02, ... (README's walk)


class ConfirmError(ValueError):
    """The decision cannot be made; the message says why and what to do. Nothing was written."""


@dataclass(frozen=True)
class ClaimFields:
    """What the reviewer types or chooses for a claim; the quote and offsets are computed.
    ``testable`` follows the kind when not given (traditional theory, and only it, is not
    testable: the claims table's own check)."""

    claim: str
    category: str
    kind: str
    group: str
    population: str = ""
    intervention: str = ""
    comparator: str = ""
    outcome: str = ""
    testable: bool | None = None
    cited_keys: tuple[str, ...] = field(default_factory=tuple)

    def row(self, claim_id: str, article_id: str, quote: str, start: int, end: int) -> dict[str, str]:
        """The claims.csv cells, as text."""
        testable = self.kind != "traditional-theory" if self.testable is None else self.testable
        return {"claim_id": claim_id, "article_id": article_id, "quote": quote, "start": str(start),
                "end": str(end), "claim": self.claim.strip(), "category": self.category, "kind": self.kind,
                "group": self.group.strip(), "population": self.population.strip(),
                "intervention": self.intervention.strip(), "comparator": self.comparator.strip(),
                "outcome": self.outcome.strip(), "testable": "true" if testable else "false",
                "cited_keys": " ".join(self.cited_keys)}


@dataclass(frozen=True)
class Saved:
    """What one decision wrote."""

    decision: str
    suggestion_id: str
    claim_id: str = ""
    quote: str = ""
    start: int = -1
    end: int = -1

    def describe(self, review: str) -> str:
        if self.decision == "rejected":
            return f"{self.suggestion_id}: rejected (data/{review}/{DECISIONS})"
        source = f" from {self.suggestion_id}" if self.suggestion_id else ""
        return (f"{self.claim_id}{source} ({self.decision}): {self.quote!r} at [{self.start}, {self.end}), "
                f"written to data/{review}/claims.csv")


# --- reading ---------------------------------------------------------------------------------

def _data(review: str, root: Path | None) -> Path:
    folder = paths.data_dir(review, root or paths.project_root())
    if not folder.is_dir():
        raise ConfirmError(f"no review named {review!r}: data/{review} does not exist")
    return folder


def _label(path: Path, root: Path | None) -> str:
    base = root or paths.project_root()
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


def _read_rows(path: Path, columns: tuple[str, ...], root: Path | None) -> list[dict[str, str]]:
    """A small CSV of the tool's own (suggestions, decisions) as rows; a wrong header is a
    problem naming the file."""
    if not path.is_file():
        return []
    text = read_text(path, _label(path, root))
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in columns if c not in (reader.fieldnames or [])]
    if missing:
        raise SchemaError([Problem(_label(path, root), 1, c, "missing column") for c in missing])
    return [dict(r) for r in reader]


def suggestions(review: str, root: Path | None = None) -> pd.DataFrame:
    """Every suggestion of ``claims.suggested.csv`` with its ``decision`` (empty while pending)
    and the ``claim_ids`` written from it."""
    data = _data(review, root)
    rows = _read_rows(data / SUGGESTED, SUGGESTED_COLUMNS, root)
    decided: dict[str, list[dict]] = {}
    for d in decisions(review, root):
        decided.setdefault(d["suggestion_id"], []).append(d)
    for r in rows:
        mine = decided.get(r["suggestion_id"], [])
        r["start"], r["end"] = int(r["start"]), int(r["end"])
        r["decision"] = mine[-1]["decision"] if mine else ""
        r["claim_ids"] = " ".join(d["claim_id"] for d in mine if d["claim_id"])
    return pd.DataFrame(rows, columns=[*SUGGESTED_COLUMNS, "decision", "claim_ids"])


def pending(review: str, root: Path | None = None) -> pd.DataFrame:
    """The suggestions nobody has decided on yet."""
    table = suggestions(review, root)
    return table[table["decision"] == ""].reset_index(drop=True)


def decisions(review: str, root: Path | None = None) -> list[dict[str, str]]:
    return _read_rows(_data(review, root) / DECISIONS, DECISION_COLUMNS, root)


def _suggestion(review: str, suggestion_id: str, root: Path | None) -> dict:
    table = suggestions(review, root)
    match = table[table["suggestion_id"] == suggestion_id]
    if match.empty:
        known = ", ".join(table["suggestion_id"].head(8)) + (" ..." if len(table) > 8 else "")
        raise ConfirmError(f"no suggestion {suggestion_id!r} in data/{review}/{SUGGESTED}"
                           + (f" (there: {known})" if known else " (the file has none)"))
    return match.iloc[0].to_dict()


# --- locating a phrase: offsets are computed, never typed --------------------------------------

def locate(text: str, phrase: str, within: tuple[int, int] | None = None, inside: bool = False) -> tuple[int, int]:
    """``(start, end)`` of ``phrase`` in ``text``: its occurrence inside ``within`` (the
    suggestion's span) if there is one, else (unless ``inside`` demands it be there) its only
    occurrence in the text, else the occurrence nearest ``within``. Surrounding spaces are
    ignored; the phrase must occur."""
    phrase = phrase.strip()
    if not phrase:
        raise ConfirmError("the claim's words are empty: type or paste the exact words of the article")
    found = occurrences(text, phrase)
    if not found:
        hint = ""
        if occurrences(text.lower(), phrase.lower()):
            hint = " (it occurs with other capitals: copy the words exactly)"
        elif re.search(r"['\"]", phrase):
            hint = " (check the quotation marks and apostrophes: the article may use curly ones)"
        raise ConfirmError(f"{phrase!r} does not occur in the article{hint}")
    if within is not None:
        there = [s for s in found if within[0] <= s and s + len(phrase) <= within[1]]
        if there:
            return there[0], there[0] + len(phrase)
        if inside:
            shown = text[within[0]:within[1]]
            raise ConfirmError(f"{phrase!r} is not inside the suggestion [{within[0]}, {within[1]}) "
                               f"({shown[:60] + '...' if len(shown) > 60 else shown!r}); words elsewhere in the "
                               "article are a claim of their own (add)")
    if len(found) == 1 or within is None:
        if len(found) > 1:
            spots = ", ".join(str(s) for s in found[:6])
            raise ConfirmError(f"{phrase!r} occurs {len(found)} times in the article (at {spots}); add words "
                               "around it so that it occurs once")
        return found[0], found[0] + len(phrase)
    middle = (within[0] + within[1]) / 2
    best = min(found, key=lambda s: abs(s + len(phrase) / 2 - middle))
    return best, best + len(phrase)


# --- ids -------------------------------------------------------------------------------------

def next_claim_id(claims: pd.DataFrame, article_id: str) -> str:
    """The next free id for a claim of this article: its claims' letter (``A07`` after
    ``A06``), or for an article with none yet the first letter no other article uses,
    starting at ``C``; two digits, three after 99 (the claims table's pattern)."""
    ids = list(claims["claim_id"])
    mine = [c for c, a in zip(ids, claims["article_id"]) if a == article_id]
    if mine:
        letter = max({c[0] for c in mine}, key=lambda x: sum(c[0] == x for c in mine))
    else:
        used = {c[0] for c in ids}
        letters = [chr(c) for c in range(ord(DEFAULT_LETTER), ord("Z") + 1)] + \
                  [chr(c) for c in range(ord("A"), ord(DEFAULT_LETTER))]
        letter = next((x for x in letters if x not in used), None)
        if letter is None:
            raise ConfirmError("every claim letter A-Z is taken by another article")
    taken = {int(c[1:]) for c in ids if c[0] == letter}
    n = max(taken, default=0) + 1
    if n > 999:
        raise ConfirmError(f"no free claim id left for letter {letter}")
    return f"{letter}{n:02d}" if n < 100 else f"{letter}{n:03d}"


# --- writing ---------------------------------------------------------------------------------

def _csv_line(columns: Iterable[str], row: dict) -> str:
    out = io.StringIO()
    csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n").writerow(row)
    return out.getvalue()


class _Session:
    """The review's claims table and articles, read under the table's lock."""

    def __init__(self, review: str, root: Path | None):
        self.review, self.root = review, root
        self.data = _data(review, root)
        self.path = self.data / CLAIMS.filename
        self.label = _label(self.path, root)
        self.text = read_text(self.path, self.label) if self.path.is_file() else CLAIMS.header()
        self.claims = parse_table(self.text, CLAIMS, self.label)  # a broken table is fixed first
        rv = Review.load(review, root)
        self.articles = rv.texts
        self.review_obj = rv

    def article(self, article_id: str) -> str:
        if article_id not in self.articles:
            known = ", ".join(sorted(self.articles)) or "none"
            raise ConfirmError(f"unknown article {article_id!r}; the review's articles: {known}")
        return self.articles[article_id]

    def append(self, rows: list[dict[str, str]]) -> None:
        """Add claims to the table: the whole new table is checked as `litreview check` checks it,
        then swapped in; on any problem nothing is written."""
        text = self.text if self.text.endswith("\n") else self.text + "\n"
        new = text + "".join(_csv_line(CLAIMS.names, r) for r in rows)
        frame = parse_table(new, CLAIMS, self.label)  # raises SchemaError: file:row:column
        lines = frame.attrs["lines"]
        problems = []
        for line, row in list(zip(lines, frame.to_dict("records")))[-len(rows):]:
            message = locate_problem(row, self.article(row["article_id"]))
            if message:
                problems.append(Problem(self.label, line, "quote", message))
        if problems:
            raise SchemaError(problems)
        _replace(self.path, new)
        self.text, self.claims = new, frame


def _replace(path: Path, text: str) -> None:
    with paths.replacing(path) as new:
        new.write_text(text, encoding="utf-8")


def _log(review: str, root: Path | None, rows: list[dict[str, str]]) -> None:
    path = _data(review, root) / DECISIONS
    text = read_text(path, _label(path, root)) if path.is_file() else ",".join(DECISION_COLUMNS) + "\n"
    _replace(path, text + "".join(_csv_line(DECISION_COLUMNS, r) for r in rows))


def _today() -> str:
    return datetime.date.today().isoformat()


def _write_claims(review: str, root: Path | None, suggestion_id: str, decision: str, article_id: str,
                  spans: list[tuple[str, ClaimFields, tuple[int, int] | None]]) -> list[Saved]:
    """Locate each phrase (inside the suggestion's span when the decision is about one), give
    each claim an id, check and write them, and log the decision."""
    claims_path = _data(review, root) / CLAIMS.filename
    with paths.locked(claims_path):
        session = _Session(review, root)
        text = session.article(article_id)
        rows, saved = [], []
        claims = session.claims
        for phrase, fields, within in spans:
            start, end = locate(text, phrase, within, inside=bool(suggestion_id))
            claim_id = next_claim_id(claims, article_id)
            row = fields.row(claim_id, article_id, text[start:end], start, end)
            rows.append(row)
            claims = pd.concat([claims, pd.DataFrame([{"claim_id": claim_id, "article_id": article_id}])],
                               ignore_index=True)
            saved.append(Saved(decision, suggestion_id, claim_id, text[start:end], start, end))
        duplicate = _same_span(session.claims, rows)
        if duplicate:
            raise ConfirmError(duplicate)
        session.append(rows)
        _log(review, root, [{"suggestion_id": suggestion_id, "article_id": article_id, "decision": decision,
                             "claim_id": s.claim_id, "start": str(s.start), "end": str(s.end), "date": _today()}
                            for s in saved])
    return saved


def _same_span(claims: pd.DataFrame, rows: list[dict[str, str]]) -> str | None:
    """A claim that repeats a confirmed claim's exact span is refused (it would be graded twice)."""
    seen = {(a, s, e): c for c, a, s, e in zip(claims["claim_id"], claims["article_id"], claims["start"],
                                                claims["end"])}
    for r in rows:
        key = (r["article_id"], int(r["start"]), int(r["end"]))
        if key in seen:
            return f"{r['quote']!r} is already claim {seen[key]} (same words at the same place); nothing was written"
        seen[key] = r["claim_id"]
    return None


def _open_suggestion(review: str, suggestion_id: str, root: Path | None, allow_split: bool = False) -> dict:
    s = _suggestion(review, suggestion_id, root)
    if s["decision"] and not (allow_split and s["decision"] == "split"):
        done = f" as {s['claim_ids']}" if s["claim_ids"] else ""
        raise ConfirmError(f"{suggestion_id} is already {s['decision']}{done}; `litreview claims undo` takes back "
                           "the last decision")
    return s


def accept(review: str, suggestion_id: str, fields: ClaimFields, *, phrase: str = "",
           root: Path | None = None) -> Saved:
    """The suggestion as one claim (or the words ``phrase`` of it, when the reviewer narrowed it)."""
    s = _open_suggestion(review, suggestion_id, root)
    return _write_claims(review, root, suggestion_id, "accepted", s["article_id"],
                         [(phrase or s["quote"], fields, (s["start"], s["end"]))])[0]


def split(review: str, suggestion_id: str, parts: list[tuple[str, ClaimFields]], *,
          root: Path | None = None) -> list[Saved]:
    """Several claims cut from one suggestion, each the exact words of one part of it. A
    suggestion already split may be split further (the form saves one part at a time)."""
    if not parts:
        raise ConfirmError("a split needs at least one part (the exact words of each claim)")
    s = _open_suggestion(review, suggestion_id, root, allow_split=True)
    return _write_claims(review, root, suggestion_id, "split", s["article_id"],
                         [(phrase, fields, (s["start"], s["end"])) for phrase, fields in parts])


def add(review: str, article_id: str, phrase: str, fields: ClaimFields, *, near: int | None = None,
        root: Path | None = None) -> Saved:
    """A claim the finder did not suggest: the phrase must occur once in the article, or the
    occurrence nearest ``near`` (a character offset) is taken."""
    within = (near, near) if near is not None else None
    return _write_claims(review, root, "", "added", article_id, [(phrase, fields, within)])[0]


def reject(review: str, suggestion_id: str, *, root: Path | None = None) -> Saved:
    """Not a claim: the suggestion is not offered again."""
    s = _open_suggestion(review, suggestion_id, root)
    with paths.locked(_data(review, root) / CLAIMS.filename):
        _log(review, root, [{"suggestion_id": suggestion_id, "article_id": s["article_id"], "decision": "rejected",
                             "claim_id": "", "start": str(s["start"]), "end": str(s["end"]), "date": _today()}])
    return Saved("rejected", suggestion_id)


def references_to(review: Review, claim_id: str) -> list[str]:
    """Where a claim is named outside claims.csv: ``file:row`` of evidence, searches,
    explanations and overrides."""
    found = []
    for schema, column, many in CLAIM_NAMED_IN:
        label, rows = review.rows_of(schema)
        for line, row in rows:
            values = (row[column] or []) if many else [row[column]]
            if claim_id in values:
                found.append(f"{label}:{line}")
    return found


def undo(review: str, *, root: Path | None = None) -> Saved:
    """Take back the last decision: a rejected suggestion is offered again; a claim written is
    removed from claims.csv, unless a later stage already names it."""
    claims_path = _data(review, root) / CLAIMS.filename
    with paths.locked(claims_path):
        log = decisions(review, root)
        if not log:
            raise ConfirmError(f"nothing to undo: data/{review}/{DECISIONS} records no decision")
        last = log[-1]
        saved = Saved(last["decision"], last["suggestion_id"], last["claim_id"])
        if last["claim_id"]:
            session = _Session(review, root)
            failed = {schema.filename for schema, _, _ in CLAIM_NAMED_IN} & session.review_obj.failed
            if failed:
                raise ConfirmError(f"cannot tell whether {last['claim_id']} is used: {', '.join(sorted(failed))} "
                                   "did not load (`litreview check` says why); nothing was undone")
            used = references_to(session.review_obj, last["claim_id"])
            if used:
                raise ConfirmError(f"{last['claim_id']} is already used ({', '.join(used)}): remove those rows "
                                   "first if the claim really goes; nothing was undone")
            kept, row = _without(session.text, last["claim_id"], session.label)
            saved = replace(saved, quote=row["quote"], start=int(row["start"]), end=int(row["end"]))
            _replace(session.path, kept)
        path = _data(review, root) / DECISIONS
        lines = read_text(path, _label(path, root)).splitlines(keepends=True)
        _replace(path, "".join(_without_last_record(lines)))
    return saved


def _without(text: str, claim_id: str, label: str) -> tuple[str, dict]:
    """The table's text without the record of ``claim_id`` (every other byte kept), and that record."""
    lines = text.splitlines(keepends=True)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    start = reader.line_num
    for record in reader:
        end = reader.line_num
        if record and record[0] == claim_id:
            return "".join(lines[:start] + lines[end:]), dict(zip(header, record))
        start = end
    raise ConfirmError(f"{label}: no claim {claim_id!r} (was the table edited by hand?); nothing was undone")


def _without_last_record(lines: list[str]) -> list[str]:
    body = [line for line in lines[1:] if line.strip()]
    return lines[:1] + body[:-1]


def parse_fields(claim: str, category: str, kind: str, group: str, **pico: str) -> ClaimFields:
    """Fields from text (the command line's), checked against the vocabularies here so a typo is
    named before anything is located."""
    problems = []
    if category not in CATEGORIES:
        problems.append(f"--category {category!r}: expected one of {', '.join(CATEGORIES)}")
    if kind not in KINDS:
        problems.append(f"--kind {kind!r}: expected one of {', '.join(KINDS)}")
    if problems:
        raise ConfirmError("; ".join(problems))
    testable = pico.pop("testable", None)
    cited = tuple(pico.pop("cited_keys", "").split())
    return ClaimFields(claim, category, kind, group, testable=testable, cited_keys=cited, **pico)


__all__ = ["DECISIONS", "ClaimFields", "ConfirmError", "Saved", "accept", "add", "decisions",
           "locate", "next_claim_id", "pending", "reject", "split", "suggestions", "undo"]
