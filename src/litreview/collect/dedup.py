"""Staged de-duplication of the record table, with a log that makes every merge reviewable.

Records are linked in four stages, strongest evidence first, and each link keeps the rule
that made it:

1. ``doi``: the same normalised DOI;
2. ``pmid``: the same PubMed ID;
3. ``title-year-author``: the same normalised title, year and first author's family name (a
   title of fewer than three words must also share volume and first page);
4. ``fuzzy-title``: titles that rapidfuzz scores as near-identical, compared only within
   blocks (same first three significant title words; same first author and year; same first
   author and first significant word; same year, volume and first page), and accepted only
   with support from the other fields in proportion to how far the titles differ: see
   ``FUZZY_LEVELS``. A title contained in the other (cut short, a subtitle dropped, a
   translation appended) passes on rapidfuzz's partial ratio with the same year and three
   agreeing fields.

Linked records form groups through union-find, so a duplicate of a duplicate joins the same
group. Chaining is guarded at the level of whole groups: two groups join only if no record of
one conflicts with a record of the other (:func:`conflict`). Different DOIs always conflict;
below the PMID stage so do different PMIDs, years two or more apart (or one apart without the
same volume), different volumes, page ranges that do not overlap, a different kind of item
(erratum, retraction notice, reply or comment, protocol: read from the title) and different
counted numbers in the titles (``Part 1`` and ``Part 2``, ``phase II`` and ``phase III``). So
a conference abstract and its later paper (another year, journal and pages), an erratum and
its article, a reply and the paper it answers, a protocol and its results, two parts of a
series and one title used in two years stay distinct.

A title that cannot identify a work on its own is no evidence of identity by itself: a
*generic* title (one of :data:`GENERIC_TITLES`: "Introduction", "Editorial", "Letter to the
editor", "Erratum" ...) and a *recurring* one (the same normalised title held by two records of
one journal in different places: a department heading such as "Editor's comments" printed in
issue after issue). Records with such a title merge by a title rule only when issue and first
page are given on both and agree, or, for a recurring title, when the title's other records in
that journal leave them one place; other issues or pages veto the merge (conflict ``place``),
and the log's evidence names the title as generic or recurring. Identifiers merge as always.
Replies, responses, comments and corrections are told from their article by a marker anywhere
in the title ("Response to X", "X: Response", "X - author's reply", "Comment on X").

Titles are compared without the notes databases add (``[Spanish]``, ``[Review] [16 refs]``,
``[Erratum appears in ...]``, ``<ORIGINAL> ...``), so these neither hide a duplicate nor make
a record look like an erratum.

The log has one row per record judged a duplicate: the record kept (the first of its group in
input order), the rule of the link that brought the record into its group (stages run
strongest first, so this is the strongest rule linking it), its score (1.0 for exact rules,
the title similarity for ``fuzzy-title``) and the evidence; a record linked through another
duplicate names it. Every union appears in exactly one row, so every merge can be reviewed.
A reviewer reverses or forces a link with a decisions table (``record_id``, ``duplicate_of``,
``decision`` = ``keep-apart`` or ``merge``): ``keep-apart`` stops the two records from ever
sharing a group, ``merge`` joins them before any rule runs, with the rule ``reviewer``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from typing import NamedTuple

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from tqdm.auto import tqdm

from ..tables.bib import STOPWORDS, author_signature, fold, normalise_doi, normalise_title, page_range
from ..tables.imports import DECISION_COLUMNS, DECISIONS, DEDUP_LOG_COLUMNS, REVIEWER, RULES  # noqa: E402
from .audit import _journal_words, same_journal

# --- fuzzy stage thresholds (title similarity, 0-1) ------------------------------------------
# Each level: the least title similarity accepted and how many of first author, volume, pages
# and journal must agree besides the year (a year that is missing or one off asks one more).
FUZZY_LEVELS = ((0.95, 1), (0.90, 2), (0.85, 3), (0.80, 4))
# One title contained in the other (a truncated title, a subtitle or a translation appended):
# rapidfuzz's partial ratio, with the same year and three of the four fields agreeing.
PARTIAL_LEVEL = 0.95
PARTIAL_MIN_WORDS = 4
MIN_TITLE_WORDS = 3  # shorter titles ("Editorial", "Intrapleural therapy") also need volume and page
SMALL_BLOCK = 12  # blocks up to this size are compared pair by pair, larger ones with cdist
# A bounded cost per record whatever the vocabulary: in a block of more than SMALL_BLOCK
# records each record keeps at most NEIGHBOURS candidate partners (its most similar titles),
# and a block of more than LARGE_BLOCK records is not compared all against all but by the
# sorted-neighbourhood method (Hernandez & Stolfo 1995, "The merge/purge problem for large
# databases", SIGMOD '95, doi:10.1145/223784.223807): records sorted by title, and again by
# the title's words in reverse order (a difference at the start), each compared with the
# NEIGHBOURS records after it. Candidate pairs are then at most 4 blocking keys x 2 x
# NEIGHBOURS per record, and title comparisons at most LARGE_BLOCK per record and key.
NEIGHBOURS = 10
LARGE_BLOCK = 200
PAIR_FLOOR = 50  # pairs scoring below this (0-100) are not examined further

# --- titles that cannot identify a work on their own --------------------------------------------
# Department headings journals print in issue after issue, and the names of item types that
# databases give as a title when an item has none of its own. Drawn from the document types
# Web of Science and Scopus index (Editorial Material, Letter, Book Review, Correction, News
# Item, Biographical-Item, Meeting Abstract) and PubMed's publication types (Editorial,
# Introductory Journal Article, Comment, Published Erratum, Retraction of Publication, News),
# and from the headings those types are printed under. A record whose title, once normalised
# and without numbers, is one of these merges with another by a title rule only when issue and
# first page are given on both and agree (identifiers merge as always); see ``_serial``.
GENERIC_TITLES = frozenset(normalise_title(title) for title in (
    "Abstract", "Abstracts", "Meeting abstracts", "Conference abstracts", "Poster abstracts", "Poster",
    "Acknowledgement", "Acknowledgements", "Acknowledgment", "Acknowledgments",
    "Acknowledgement to reviewers", "Acknowledgment of reviewers", "Reviewers", "Thank you to our reviewers",
    "Announcement", "Announcements", "News", "News in brief", "Notices", "Calendar", "Events", "Highlights",
    "In this issue", "This issue", "Contents", "Table of contents", "Index", "Author index", "Subject index",
    "Introduction", "Preface", "Foreword", "Prologue", "Epilogue", "Overview", "Summary", "Conclusion",
    "Conclusions", "Discussion", "Editorial", "Editorials", "Guest editorial", "Editorial board",
    "Editorial comment", "Editorial comments", "Editor's comments", "Editors' comments", "Editor's note",
    "Editor's notes", "Editors' note", "Note from the editor", "Notes from the editor", "From the editor",
    "From the editors", "From the editor's desk", "From the editor-in-chief", "Letter from the editor",
    "Message from the editor", "Remarks from the editor", "Comments from the editor", "Editor's introduction",
    "Editor's corner", "Editor's page", "President's message", "President's column", "Message from the president",
    "Letter", "Letters", "Letter to the editor", "Letters to the editor", "Correspondence", "Comment",
    "Comments", "Commentary", "Reply", "Response", "In reply", "Author's reply", "Authors' reply",
    "Reply to the letter", "Response to the letter", "Book review", "Book reviews", "Books", "Review",
    "Reviews", "Books received", "Media review", "Erratum", "Errata", "Corrigendum", "Corrigenda",
    "Correction", "Corrections", "Retraction", "Retraction notice", "Notice of retraction",
    "Expression of concern", "Obituary", "Obituaries", "In memoriam", "Case report", "Case reports",
    "Images in clinical medicine", "Quiz", "Answer", "Answers", "Reply to comment", "Untitled", "No title",
))
_GENERIC_WORDS = max(len(title.split()) for title in GENERIC_TITLES)
_COUNTING_WORD = re.compile(r"^(\d+|[ivx]+|part|vol|volume|issue)$")  # "Editorial 2", "Erratum (vol 3)"


# --- kinds of item recognised from the title -------------------------------------------------
_WOS_MARK = r"\(vol\.? \w+,? (pg|p)\.? \w+,? \d{4}\)"  # Web of Science marks a correction so
_KINDS = (
    ("erratum", re.compile(r"\b(errat(um|a)|corrigend(um|a)|correction (to|of|notice))\b|^correction\b|" + _WOS_MARK)),
    ("retraction", re.compile(r"^(notice of )?retraction\b|\bretraction (note|notice|of)\b")),
    ("reply", re.compile(
        # a marker anywhere in the title ...
        r"\b(in reply|reply to|repl(y|ies) (from|of|by)|authors?['’]?s? (reply|response|rejoinder)"
        r"|the authors? (reply|respond)s?|comments? on|commentary on|editorial comment|letter to the editor)\b"
        # ... or the word standing as a part of its own: at the start, after a colon, a full stop, a
        # dash or a bracket ("Response to X", "X: Response", "X (reply)", "X - Comment")
        r"|(^|[:.;!?\[(]|\s[-–—])\s*(re:\s*)?(repl(y|ies)|respon(se|ses)|rejoinders?|rebuttals?|comments?|commentary)"
        r"\s*($|(to|on|from|by)\b|[:.;!?\])\"'“‘-])")),
    ("protocol", re.compile(r"\bprotocol\b|\brationale and design\b|\bdesign and rationale\b")),
)
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}
# a roman numeral, and the word before it when that word counts ("part i", "type v"): single
# letters count only after such a word
_ROMAN_RE = re.compile(r"\b(?:(part|phase|type|stage|grade|class|series|section|volume|study|trial) )?"
                       r"(viii|vii|vi|iv|ix|iii|ii|i|v|x)\b")  # on a normalised title
_DIGIT = re.compile(r"\d")
_NUMBER = re.compile(r"(?<![a-z0-9])(?:\d{1,3}(?:[ ,]\d{3})+|\d+)(?![a-z0-9])")
_SUFFIX = re.compile(r"\s+(jr|sr|ii|iii|iv)\b\.?(?=\s*(,|$))", re.IGNORECASE)
# a cheap first test, kept in step with _KINDS: a title with none of these is an article
_KIND_HINTS = ("errat", "corrig", "correct", "retract", "repl", "respon", "comment", "letter", "protocol",
               "rationale", "rejoind", "rebut", "(vol")
_TAG = re.compile(r"<[A-Za-z]+>")  # "<ORIGINAL>": the title in its first language follows
_WOS_CORRECTION = re.compile(r"\s*" + _WOS_MARK + r"\s*$")


class _Profile(NamedTuple):
    """What can veto a link: the identifiers and bibliographic details of one record."""

    doi: str
    pmid: str
    year: int | None
    volume: str
    pages: tuple[int, int] | None
    kind: str
    numbers: frozenset[int]
    issue: str = ""
    first_page: str = ""
    serial: str = ""  # "generic" or "recurring": the title alone does not identify the work (_serial)


@dataclass
class _Table:
    """The fields the stages compare, one list entry per record (input order)."""

    ids: list[str]
    titles: list[str]  # as given, for the log
    norm_titles: list[str]
    families: list[str]
    journals: list[str]
    first_pages: list[str]
    profiles: list[_Profile]
    peers: dict[int, frozenset[int]]  # a record of a recurring title -> the records of that title in its journal


# --- normalised fields -------------------------------------------------------------------------

def clean_title(title: str) -> str:
    """The title without the notes databases append: ``[Spanish]``, ``[Review] [16 refs]``,
    ``[Erratum appears in ... [added]]`` (even cut short), ``<ORIGINAL> ...``. A title wholly
    in brackets (a translation) keeps its words."""
    title = title.strip()
    while True:
        stripped = _strip_last_note(title)
        if stripped == title or not re.search(r"\w", stripped):
            return title
        title = stripped


def _strip_last_note(title: str) -> str:
    tag = _TAG.search(title)
    if tag and tag.start() > 0:
        return title[:tag.start()].rstrip()
    text = title.rstrip(" .")
    if text.endswith("]"):
        depth = 0
        for k in range(len(text) - 1, -1, -1):
            depth += (text[k] == "]") - (text[k] == "[")
            if depth == 0:
                return text[:k].rstrip()
        return title
    opening = text.rfind("[")
    if opening > 0 and "]" not in text[opening:]:
        return text[:opening].rstrip()  # a note cut short by a field length limit
    return title


def title_features(title: str) -> tuple[str, str, frozenset[int]]:
    """What the stages use of a title: the normalised title records are compared on (notes and
    a Web of Science correction mark such as ``(vol 85, pg 553, 2010)`` removed), the kind of
    item and the numbers the title counts with."""
    folded = fold(clean_title(title))
    norm = normalise_title(_WOS_CORRECTION.sub("", folded) if "(vol" in folded else folded)
    return norm, _kind(folded), _numbers(folded, norm)


def _kind(folded: str) -> str:
    """``erratum``, ``retraction``, ``reply``, ``protocol`` or ``article``."""
    if any(hint in folded for hint in _KIND_HINTS):
        for kind, pattern in _KINDS:
            if pattern.search(folded):
                return kind
    return "article"


def _numbers(folded: str, norm: str) -> frozenset[int]:
    """Numbers written in figures (``10 000`` and ``10,000`` are one) and roman numerals
    (``ii`` anywhere; ``i``, ``v`` and ``x`` only after words such as ``part`` or ``phase``)."""
    numbers = {int(re.sub(r"\D", "", n)) for n in _NUMBER.findall(folded)} if _DIGIT.search(folded) else set()
    if not _ROMAN.keys().isdisjoint(norm.split()):
        for counted, numeral in _ROMAN_RE.findall(norm):
            if counted or (len(numeral) > 1 and numeral != "x"):
                numbers.add(_ROMAN[numeral])
    return frozenset(numbers)


def _year(value: str) -> int | None:
    match = re.search(r"\d{4}", value)
    return int(match.group()) if match else None


def _volume(value: str) -> str:
    match = re.match(r"\s*(\d+)", value)
    return match.group(1).lstrip("0") if match else ""


def _pages(value: str) -> tuple[str, tuple[int, int] | None]:
    """First page as written (lower case), and the page interval when both ends are plain
    numbers in order (``None`` when unknown)."""
    first, last = page_range(value.replace("--", "-"))  # "447--454" needs no LaTeX pass
    if not (first.isdigit() and last.isdigit()) or int(last) < int(first):
        return first.lower(), None
    return first, (int(first), int(last))


def _family(name: str) -> str:
    """A name's family name, without a generational suffix (``Lynch Jr, T. J.``)."""
    return author_signature(_SUFFIX.sub("", name))[0] if name else ""


def _memo(function: Callable[[str], object], values: list[str]) -> list:
    """``function`` applied to each value, computed once per distinct value."""
    computed = {value: function(value) for value in dict.fromkeys(values)}
    return [computed[value] for value in values]


def _issue(value: str) -> str:
    """The issue as letters and digits, lower case, without leading zeros (``"03"`` is ``"3"``)."""
    return re.sub(r"[^a-z0-9]", "", fold(value)).lstrip("0")


def generic_title(norm_title: str) -> bool:
    """Whether a normalised title is one of :data:`GENERIC_TITLES`, numbers aside."""
    words = norm_title.split()
    if len(words) > _GENERIC_WORDS + 4:  # no room for a generic title and a few numbers
        return False
    return " ".join(w for w in words if not _COUNTING_WORD.match(w)) in GENERIC_TITLES


def _table(records: pd.DataFrame) -> _Table:
    col = {c: records[c].fillna("").astype(str).tolist()
           for c in ("record_id", "title", "authors", "journal", "year", "volume", "issue", "pages", "doi", "pmid")}
    norm, kinds, numbers = zip(*_memo(title_features, col["title"])) if col["title"] else ((), (), ())
    first_pages, pages = zip(*_memo(_pages, col["pages"])) if col["pages"] else ((), ())
    years = _memo(_year, col["year"])
    volumes = _memo(_volume, col["volume"])
    issues = _memo(_issue, col["issue"])
    dois = _memo(normalise_doi, col["doi"])
    pmids = _memo(lambda v: re.sub(r"\D", "", v), col["pmid"])
    profiles = [_Profile(*fields) for fields in zip(dois, pmids, years, volumes, pages, kinds, numbers, issues,
                                                     first_pages)]
    kinds = _replies(list(norm), list(kinds))
    profiles = [p._replace(kind=k) if k != p.kind else p for p, k in zip(profiles, kinds)]
    serial, peers = _serial(list(norm), col["journal"], profiles)
    profiles = [p._replace(serial=serial[i]) if i in serial else p for i, p in enumerate(profiles)]
    families = _memo(_family, [a.split(";", 1)[0].strip() for a in col["authors"]])
    return _Table(ids=col["record_id"], titles=col["title"], norm_titles=list(norm), families=families,
                  journals=col["journal"], first_pages=list(first_pages), profiles=profiles, peers=peers)


# --- replies -------------------------------------------------------------------------------------

# A last word that marks a reply when the rest of the title is another record's title
# ("Warm compresses for calves Response" beside "Warm compresses for calves"); alone at the end
# of a title it is too often the title's own word ("... and the immune response").
_TRAILING_REPLY = frozenset({"response", "responses", "reply", "replies", "rejoinder", "rebuttal"})


def _replies(norm_titles: list[str], kinds: list[str]) -> list[str]:
    """The kind of each record, with a bare trailing reply word read as a reply marker when the
    rest of the title is another record's title (see ``_TRAILING_REPLY``). A reply's kind
    vetoes every group holding an article (:func:`conflict` is checked against every member),
    so no record linking the two can join them."""
    present = set(norm_titles)
    kinds = list(kinds)
    for i, norm in enumerate(norm_titles):
        words = norm.split()
        if (kinds[i] == "article" and len(words) > MIN_TITLE_WORDS and words[-1] in _TRAILING_REPLY
                and " ".join(words[:-1]) in present):
            kinds[i] = "reply"
    return kinds


def _trailing_reply(title: str) -> bool:
    """Whether a normalised title ends in a word of ``_TRAILING_REPLY``."""
    return title.rsplit(" ", 1)[-1] in _TRAILING_REPLY


# --- generic and recurring titles --------------------------------------------------------------

RECURRING_CHECK_LIMIT = 50  # more records of one title in one journal than this: recurring without a pairwise look
# A title no longer than the longest heading of GENERIC_TITLES may be a department heading, so
# an issue or first page that differs shows it recurring; a longer title names one work, and
# such a difference is more often a slip in one record (it recurs only on plain evidence).
HEADING_WORDS = _GENERIC_WORDS


def _elsewhere(a: _Profile, b: _Profile, *, soft: bool = True) -> bool:
    """Whether two records sit in different places of a journal. Plainly: volumes given on
    both and different, different years without the same volume, or page ranges that do not
    overlap. With ``soft``, also on evidence that a clerical slip can produce as well: first
    pages that differ, or, in one volume, issues that differ while the first pages are not
    both given and equal. An issue number places a record only within its volume, and it is
    the field databases disagree on most (running numbers, supplements), so it counts only
    there and gives way to agreeing pages. (To merge, a generic or recurring title still needs
    issue and first page to agree: :func:`_serial_support`.)"""
    same_volume = bool(a.volume and a.volume == b.volume)
    if ((a.volume and b.volume and not same_volume)
            or (a.year is not None and b.year is not None and a.year != b.year and not same_volume)
            or (a.pages and b.pages and (a.pages[1] < b.pages[0] or b.pages[1] < a.pages[0]))):
        return True
    return soft and bool((a.first_page and b.first_page and a.first_page != b.first_page)
                         or (same_volume and a.issue and b.issue and a.issue != b.issue
                             and a.first_page != b.first_page))


@lru_cache(maxsize=1 << 16)
def _journal_key(name: str) -> tuple[str, ...]:
    """The first letter of each significant word: equal for any two names :func:`same_journal`
    accepts, so it can bucket records before the pairwise test."""
    return tuple(w[0] for w in _journal_words(name))


def _serial(norm_titles: list[str], journals: list[str],
            profiles: list[_Profile]) -> tuple[dict[int, str], dict[int, frozenset[int]]]:
    """Records whose title alone does not identify a work: ``generic`` when the title is one
    of :data:`GENERIC_TITLES`; ``recurring`` when the same normalised title is held by two
    records of one journal in different places (:func:`_elsewhere`; soft evidence counts for
    titles of up to :data:`HEADING_WORDS` words), a department heading printed issue after
    issue ("Editor's comments") or an article and its reprint or correction under the same
    title. Every record of that title in that journal, and every one of that title without a
    journal, is then recurring too. Returns the kind of each such record and, for each
    recurring one, the records of its title in its journal (its peers)."""
    serial = {i: "generic" for i, generic in enumerate(_memo(generic_title, norm_titles)) if generic}
    peers: dict[int, frozenset[int]] = {}
    for members in _shared(norm_titles):
        if members[0] in serial:
            continue
        soft = len(norm_titles[members[0]].split()) <= HEADING_WORDS
        buckets: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for m in members:
            buckets[_journal_key(journals[m])].append(m)
        recurring = False
        for key, bucket in buckets.items():
            if not key or len(bucket) < 2:
                continue
            if len(bucket) > RECURRING_CHECK_LIMIT:
                found = set(bucket)
            else:
                found = set()
                for i, j in combinations(bucket, 2):
                    if _elsewhere(profiles[i], profiles[j], soft=soft) and _same_journal(journals[i], journals[j]):
                        found.update(k for k in bucket if _same_journal(journals[k], journals[i]))
            if found:
                recurring = True
                serial.update((k, "recurring") for k in found)
                peers.update((k, frozenset(found)) for k in found)
        if recurring:
            unplaced = buckets.get((), [])
            everyone = frozenset(unplaced).union(*(peers[k] for k in members if k in peers))
            serial.update((k, "recurring") for k in unplaced)
            peers.update((k, everyone) for k in unplaced)
    return serial, peers


def _serial_support(t: _Table, i: int, j: int) -> str | None:
    """For a title rule: ``""`` when neither record has a generic or recurring title. When
    one has, the evidence that the two sit in one place: issue and first page given on both
    and equal; or, for a recurring title, that the other records of the title
    in the journal leave one place for them (no record that fits one of the two sits where
    the other cannot: a record of 2007 without pages is placed when the title's other record
    is of 2000, not when it is of another issue of 2007). Else ``None``."""
    a, b = t.profiles[i], t.profiles[j]
    if not (a.serial or b.serial):
        return ""
    kind = a.serial or b.serial
    if a.first_page and a.first_page == b.first_page and a.issue and a.issue == b.issue:
        return f"{kind} title; issue {a.issue} and first page {a.first_page} agree"
    if "generic" in (a.serial, b.serial):
        return None
    if not (a.first_page or b.first_page or a.doi or b.doi or a.pmid or b.pmid):
        return None  # a heading printed in several issues of one volume: nothing places either record
    others = (t.peers.get(i, frozenset()) | t.peers.get(j, frozenset())) - {i, j}
    p = t.profiles
    if any((not _elsewhere(a, p[k]) and _elsewhere(p[k], b)) or (not _elsewhere(b, p[k]) and _elsewhere(p[k], a))
           for k in others):
        return None
    return f"recurring title; the only place of it in this journal that fits both (of {len(others) + 2} records)"


# --- conflicts and support ---------------------------------------------------------------------

def conflict(a: _Profile, b: _Profile, *, title_rule: bool) -> str:
    """Why ``a`` and ``b`` cannot be one work (``""`` when they can): always when their DOIs
    differ; for the title rules also when PMIDs, years, volumes, pages, kind or counted
    numbers disagree, and, when either title is generic or recurring, issues or first pages."""
    if a.doi and b.doi and a.doi != b.doi:
        return "doi"
    if not title_rule:
        return ""
    if a.pmid and b.pmid and a.pmid != b.pmid:
        return "pmid"
    if (a.year is not None and b.year is not None and a.year != b.year
            and (abs(a.year - b.year) > 1 or not (a.volume and a.volume == b.volume))):
        return "year"
    if a.volume and b.volume and a.volume != b.volume:
        return "volume"
    if a.pages and b.pages and (a.pages[1] < b.pages[0] or b.pages[1] < a.pages[0]):
        return "pages"
    if (a.serial or b.serial) and _elsewhere(a, b):  # a heading or a generic title in another place
        return "place"
    if a.kind != b.kind:
        return "kind"
    if a.numbers and b.numbers and not (a.numbers <= b.numbers or b.numbers <= a.numbers):
        return "numbers"
    return ""


_same_journal = lru_cache(maxsize=1 << 16)(same_journal)


def _agreeing(t: _Table, i: int, j: int) -> set[str]:
    """Which of first author, volume, pages and journal agree (both present and equal)."""
    a, b = t.profiles[i], t.profiles[j]
    fields = set()
    if t.families[i] and t.families[i] == t.families[j]:
        fields.add("author")
    if a.volume and a.volume == b.volume:
        fields.add("volume")
    if (a.pages is not None and a.pages == b.pages) or (t.first_pages[i] and t.first_pages[i] == t.first_pages[j]):
        fields.add("pages")
    if t.journals[i] and t.journals[j] and _same_journal(t.journals[i], t.journals[j]):
        fields.add("journal")
    return fields


def _fuzzy_score(t: _Table, i: int, j: int, ratio: float) -> tuple[float, str] | None:
    """(score, how) when ``i`` and ``j`` are accepted as one work by the fuzzy rule, else ``None``.
    ``ratio`` is their titles' rapidfuzz ratio (0-1)."""
    a, b = t.profiles[i], t.profiles[j]
    same_year = a.year is not None and a.year == b.year
    if ratio < FUZZY_LEVELS[-1][0] and not same_year:
        return None  # below every level, and the partial rule needs the same year
    agreeing = _agreeing(t, i, j)
    if any(ratio >= least and len(agreeing) >= needed + (not same_year) for least, needed in FUZZY_LEVELS):
        return ratio, "title similarity"
    if not same_year or len(agreeing) < 3:
        return None
    ti, tj = t.norm_titles[i], t.norm_titles[j]
    if min(len(ti.split()), len(tj.split())) < PARTIAL_MIN_WORDS:
        return None
    partial = fuzz.partial_ratio(ti, tj) / 100
    return (partial, "one title within the other, similarity") if partial >= PARTIAL_LEVEL else None


# --- groups -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Edge:
    """A successful link between two records."""

    i: int
    j: int
    rule: str
    score: float
    detail: str


class _Groups:
    """Union-find over records that refuses a union when the two groups conflict or hold
    records a reviewer kept apart; remembers each union as an edge."""

    def __init__(self, profiles: list[_Profile]):
        n = len(profiles)
        self.parent = list(range(n))
        self.first = list(range(n))
        self.size = [1] * n
        self.profiles: list[set[_Profile]] = [{p} for p in profiles]  # distinct profiles per root
        self.apart: dict[int, set[int]] = {}  # root -> records its group must never join
        self.edges: list[_Edge] = []

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def keep_apart(self, i: int, j: int) -> None:
        self.apart.setdefault(self.find(i), set()).add(j)
        self.apart.setdefault(self.find(j), set()).add(i)

    def _kept_apart(self, ra: int, rb: int) -> bool:
        return (any(self.find(k) == rb for k in self.apart.get(ra, ()))
                or any(self.find(k) == ra for k in self.apart.get(rb, ())))

    def union(self, edge: _Edge, *, check: str | None) -> bool:
        """Join the groups of ``edge.i`` and ``edge.j`` unless kept apart or, with ``check``
        (``"doi"`` or ``"title"``, see :func:`conflict`), conflicting."""
        ra, rb = self.find(edge.i), self.find(edge.j)
        if ra == rb or (self.apart and self._kept_apart(ra, rb)):
            return False
        if check and any(conflict(p, q, title_rule=check == "title")
                         for p in self.profiles[ra] for q in self.profiles[rb]):
            return False
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        self.first[ra] = min(self.first[ra], self.first[rb])
        self.profiles[ra] |= self.profiles[rb]
        self.profiles[rb] = set()
        if rb in self.apart:
            self.apart.setdefault(ra, set()).update(self.apart.pop(rb))
        self.edges.append(edge)
        return True


# --- stages -----------------------------------------------------------------------------------

def _shared(values: list[str]) -> Iterable[list[int]]:
    """Positions of the records sharing each non-empty value held by two or more, in input order."""
    column = pd.Series(values, dtype=object)
    shared = column[(column != "") & column.duplicated(keep=False)]
    positions = shared.index.to_numpy()
    for members in shared.groupby(shared, sort=False).indices.values():
        yield positions[members].tolist()


def _link_equal_keys(groups: _Groups, keys: list[str], rule: str, check: str | None, label: str,
                     support: Callable[[int, int], str | None] | None = None) -> None:
    """Link the records that share a non-empty key, trying each distinct group met so far;
    with ``support``, only pairs it accepts (its text is added to the evidence)."""
    for members in _shared(keys):
        key = keys[members[0]]
        seen: list[int] = [members[0]]  # one record of each distinct group met
        for m in members[1:]:
            for s in seen:
                if groups.find(s) != groups.find(m):
                    more = support(s, m) if support else ""
                    if more is not None:
                        detail = f"{label} {key}" + (f"; {more}" if more else "")
                        groups.union(_Edge(s, m, rule, 1.0, detail), check=check)
            if all(groups.find(s) != groups.find(m) for s in seen):
                seen.append(m)


def _title_key(t: _Table, i: int) -> str:
    """Normalised title, year and first author; a short title also needs volume and first
    page, a generic or recurring one issue and first page (a recurring one placed otherwise
    is left to the fuzzy stage, through :func:`_serial_support`)."""
    p = t.profiles[i]
    if not t.norm_titles[i] or p.year is None or not t.families[i]:
        return ""
    key = f"{t.norm_titles[i]} | {p.year} | {t.families[i]}"
    if p.serial:
        return f"{key} | issue {p.issue} | page {p.first_page}" if p.first_page and p.issue else ""
    if len(t.norm_titles[i].split()) >= MIN_TITLE_WORDS:
        return key
    return f"{key} | {p.volume} | {t.first_pages[i]}" if p.volume and t.first_pages[i] else ""


def _leading_words(title: str) -> str:
    """The first three significant words of a normalised title ("" for a short title)."""
    words = [w for w in title.split() if w not in STOPWORDS]
    return " ".join(words[:3]) if len(words) >= MIN_TITLE_WORDS else ""


def _blocks(t: _Table) -> Iterable[list[int]]:
    """Records that may be duplicates: same first three significant title words, same first
    author and year, same first author and first significant title word, or same year,
    volume and first page (titles of three or more words)."""
    leading = _memo(_leading_words, t.norm_titles)
    keys = {
        "words": leading,
        "author": [f"{f}|{p.year}" if w and f and p.year else "" for w, f, p in zip(leading, t.families, t.profiles)],
        "author-word": [f"{f}|{w.split()[0]}" if w and f else "" for w, f in zip(leading, t.families)],
        "place": [f"{p.year}|{p.volume}|{page}" if w and p.year and p.volume and page else ""
                  for w, p, page in zip(leading, t.profiles, t.first_pages)],
    }
    for values in keys.values():
        yield from _shared(values)


def _candidate_pairs(t: _Table, groups: _Groups) -> list[tuple[float, int, int]]:
    """(ratio, i, j) for pairs of different groups that share a block, best first. Small
    blocks keep every pair from ``PAIR_FLOOR`` (one title may contain the other); larger blocks
    only pairs that may pass a fuzzy level, at most ``NEIGHBOURS`` best per record (see
    ``LARGE_BLOCK`` for the bound)."""
    scores: dict[tuple[int, int], float] = {}
    cutoff = 100 * min(level for level, _ in FUZZY_LEVELS)
    for members in _blocks(t):
        if len(members) <= SMALL_BLOCK:
            candidates = ((i, j, None) for i, j in combinations(members, 2))
            floor = PAIR_FLOOR
        else:
            candidates = (_nearest if len(members) <= LARGE_BLOCK else _neighbourhood)(t, members, cutoff)
            floor = cutoff
        for i, j, score in candidates:
            if i > j:
                i, j = j, i
            if (i, j) not in scores and groups.find(i) != groups.find(j):
                scores[(i, j)] = (score if score is not None
                                  else fuzz.ratio(t.norm_titles[i], t.norm_titles[j], score_cutoff=floor))
    return sorted(((s / 100, i, j) for (i, j), s in scores.items() if s), key=lambda x: (-x[0], x[1], x[2]))


def _nearest(t: _Table, members: list[int], cutoff: float) -> Iterable[tuple[int, int, float]]:
    """Each record's ``NEIGHBOURS`` most similar titles of the block scoring ``cutoff`` or more
    (ties: the earlier record)."""
    titles = [t.norm_titles[m] for m in members]
    matrix = process.cdist(titles, titles, scorer=fuzz.ratio, score_cutoff=cutoff, dtype=np.uint8, workers=-1)
    np.fill_diagonal(matrix, 0)
    for a in range(len(members)):
        row = matrix[a]
        hits = np.flatnonzero(row)
        if len(hits) > NEIGHBOURS:
            hits = hits[np.lexsort((hits, -row[hits].astype(int)))[:NEIGHBOURS]]
        for b in hits:
            yield members[a], members[int(b)], None


def _neighbourhood(t: _Table, members: list[int], cutoff: float) -> Iterable[tuple[int, int, float]]:
    """Sorted-neighbourhood pairs of a large block: each record and the ``NEIGHBOURS`` after it
    in title order and in reversed-word title order, scoring ``cutoff`` or more."""
    for key in (lambda m: (t.norm_titles[m], m), lambda m: (" ".join(reversed(t.norm_titles[m].split())), m)):
        ordered = sorted(members, key=key)
        for a, i in enumerate(ordered):
            for j in ordered[a + 1:a + 1 + NEIGHBOURS]:
                score = fuzz.ratio(t.norm_titles[i], t.norm_titles[j], score_cutoff=cutoff)
                if score:
                    yield i, j, score


def _link_fuzzy(t: _Table, groups: _Groups, rule: str) -> None:
    for ratio, i, j in _candidate_pairs(t, groups):
        if groups.find(i) == groups.find(j):
            continue
        if _trailing_reply(t.norm_titles[i]) != _trailing_reply(t.norm_titles[j]):
            continue  # "X Response" beside "X" (or a variant of it): a reply and its article
        accepted = _fuzzy_score(t, i, j, ratio)
        support = _serial_support(t, i, j) if accepted else None
        if accepted and support is not None:
            score, how = accepted
            detail = f"{how} {score:.3f}: {t.titles[i]!r} ~ {t.titles[j]!r}" + (f"; {support}" if support else "")
            groups.union(_Edge(i, j, rule, round(score, 4), detail), check="title")


# --- decisions --------------------------------------------------------------------------------

def _apply_decisions(groups: _Groups, decisions: pd.DataFrame | None, ids: list[str]) -> None:
    """Keep-apart pairs become constraints; merge pairs are joined before any rule runs."""
    if decisions is None or decisions.empty:
        return
    missing = [c for c in DECISION_COLUMNS if c not in decisions.columns]
    if missing:
        raise ValueError(f"decisions: missing column(s) {', '.join(missing)}")
    position = {rid: i for i, rid in enumerate(ids)}
    merges = []
    rows = decisions[list(DECISION_COLUMNS)].astype(str).itertuples(index=False)
    for n, (rid, other, decision) in enumerate(rows, start=1):
        if decision not in DECISIONS:
            raise ValueError(f"decisions row {n}: decision {decision!r} is not one of {', '.join(DECISIONS)}")
        unknown = [r for r in (rid, other) if r not in position]
        if unknown:
            raise ValueError(f"decisions row {n}: no record {', '.join(map(repr, unknown))}")
        if decision == "keep-apart":
            groups.keep_apart(position[rid], position[other])
        else:
            merges.append((position[rid], position[other]))
    for i, j in merges:
        edge = _Edge(i, j, REVIEWER, 1.0, "reviewer decision: merge")
        if groups.find(i) != groups.find(j) and not groups.union(edge, check=None):
            raise ValueError(f"decisions: merging {ids[i]} and {ids[j]} joins records also to be kept apart")


# --- public API -------------------------------------------------------------------------------

def find_duplicates(records: pd.DataFrame, decisions: pd.DataFrame | None = None,
                    progress: bool = False) -> pd.DataFrame:
    """The dedup log of ``records`` (columns ``DEDUP_LOG_COLUMNS``, one row per record judged
    a duplicate, in input order), honouring a reviewer's ``decisions``."""
    given = [str(r) for r in records["record_id"]]
    if len(set(given)) != len(given):
        raise ValueError("records: record_id values must be unique")
    # Which pair is met first decides a chain A~B, B~C where A and C conflict; so the records
    # are linked in an order of their own (record ids, numbers compared as numbers), never in
    # the order they come in, and each group then keeps the record that came first.
    canonical = sorted(range(len(given)), key=lambda i: _natural(given[i]))
    t = _table(records.iloc[canonical].reset_index(drop=True))
    groups = _Groups(t.profiles)
    _apply_decisions(groups, decisions, t.ids)
    doi, pmid, title_year_author, fuzzy_title = RULES
    stages: list[Callable[[], None]] = [
        lambda: _link_equal_keys(groups, [p.doi for p in t.profiles], doi, None, "doi"),
        lambda: _link_equal_keys(groups, [p.pmid for p in t.profiles], pmid, "doi", "pmid"),
        lambda: _link_equal_keys(groups, [_title_key(t, i) for i in range(len(t.ids))], title_year_author,
                                 "title", "key", lambda i, j: _serial_support(t, i, j)),
        lambda: _link_fuzzy(t, groups, fuzzy_title),
    ]
    for stage in tqdm(stages, desc="de-duplicating", unit="stage", disable=not progress):
        stage()
    arrived = {rid: n for n, rid in enumerate(given)}
    earliest: dict[int, int] = {}
    for i, rid in enumerate(t.ids):
        root = groups.find(i)
        if root not in earliest or arrived[rid] < arrived[t.ids[earliest[root]]]:
            earliest[root] = i
    for root, i in earliest.items():
        groups.first[root] = i
    log = _log(t, groups)
    log = log.iloc[log["record_id"].map(arrived).argsort(kind="stable")].reset_index(drop=True)
    taken = _taken(records, log)
    if taken:
        log["detail"] = [detail + _taken_note(taken.get(rid)) for rid, detail in zip(log["record_id"], log["detail"])]
    return log


def _natural(record_id: str) -> tuple:
    """``export.ris:9`` before ``export.ris:10``: digits compared as numbers."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", record_id))


def _log(t: _Table, groups: _Groups) -> pd.DataFrame:
    """One row per union: each group's edges form a tree, walked from the kept record, and
    each record gets the edge that reached it (naming the record it came through when that
    is not the kept one)."""
    adjacent: dict[int, list[_Edge]] = defaultdict(list)
    for edge in groups.edges:
        adjacent[edge.i].append(edge)
        adjacent[edge.j].append(edge)
    reached: dict[int, tuple[_Edge, int]] = {}
    for kept in sorted({groups.first[groups.find(i)] for i in adjacent}):
        stack = [kept]
        while stack:
            node = stack.pop()
            for edge in adjacent[node]:
                other = edge.j if edge.i == node else edge.i
                if other != kept and other not in reached:
                    reached[other] = (edge, node)
                    stack.append(other)
    rows = []
    for i in sorted(reached):
        edge, via = reached[i]
        kept = groups.first[groups.find(i)]
        detail = edge.detail if via == kept else f"{edge.detail} (through {t.ids[via]})"
        rows.append((t.ids[i], t.ids[kept], edge.rule, edge.score, detail))
    log = pd.DataFrame(rows, columns=list(DEDUP_LOG_COLUMNS))
    return log.astype({"record_id": object, "duplicate_of": object, "rule": object, "score": float,
                       "detail": object})


# Fields a kept record takes from its duplicates when it lacks them (the identifiers the
# library entry is written from, the pages that place it, the abstract screening reads).
FILLED = ("doi", "pmid", "pages", "abstract")


def _taken(records: pd.DataFrame, log: pd.DataFrame) -> dict[str, dict[str, str]]:
    """For each duplicate that gives its kept record something: ``{field: value}`` of the
    fields of :data:`FILLED` the kept record lacks, from the first duplicate (in the log's
    order) that has each."""
    fields = [f for f in FILLED if f in records.columns]
    if log.empty or not fields:
        return {}
    ids = records["record_id"].astype(str)
    values = {f: dict(zip(ids, records[f].fillna("").astype(str).str.strip())) for f in fields}
    missing: dict[str, set[str]] = {}
    taken: dict[str, dict[str, str]] = {}
    for rid, kept in zip(log["record_id"], log["duplicate_of"]):
        lacks = missing.setdefault(kept, {f for f in fields if not values[f][kept]})
        given = {f: values[f][rid] for f in sorted(lacks, key=fields.index) if values[f][rid]}
        if given:
            taken[rid] = given
            lacks -= set(given)
    return taken


def _taken_note(given: dict[str, str] | None) -> str:
    if not given:
        return ""
    shown = ", ".join(f if f == "abstract" else f"{f} {value}" for f, value in given.items())
    return f"; the kept record takes from this one: {shown}"


def unique(records: pd.DataFrame, log: pd.DataFrame) -> pd.DataFrame:
    """The records the log does not remove, in input order, each kept record with the DOI,
    PMID, pages and abstract it lacked taken from its duplicates (as the log's details say)."""
    kept = records[~records["record_id"].isin(set(log["record_id"]))]
    taken = _taken(records, log)
    if not taken:
        return kept
    kept = kept.copy()
    row = {rid: n for n, rid in enumerate(kept["record_id"])}
    for rid, kept_id in zip(log["record_id"], log["duplicate_of"]):
        for field, value in taken.get(rid, {}).items():
            kept.iloc[row[kept_id], kept.columns.get_loc(field)] = value
    return kept
