"""Screening the imported records: the queue, in ranked order, and decisions written at once.

The queue of a stage is every de-duplicated imported record (``imports/records.csv`` less
the records ``imports/dedup_log.csv`` removed) that no row of ``screening.csv`` covers at
that stage. The title/abstract queue holds every such record; the full-text queue holds the
records included at title/abstract and not yet decided at full text. A record's key in
``screening.csv`` is its import id (``<file name>:<n>``), its search the one it was imported
for. The queue is ordered by :class:`litreview.collect.ranking.Ranker` from the decisions of that
stage, with the claims' text (restatement and PICO) of the record's searches for the cold
start.

Decisions are appended to ``screening.csv`` one row at a time, the moment they are made:
under an exclusive lock (``fcntl.flock`` on ``.screening.csv.lock`` beside it), the file is
read again, the decision refused if the record already has one at that stage (so two open
notebooks or a notebook and a terminal cannot write the same decision twice), then the row is
appended, flushed and fsync'ed. A crash loses at most the decision being written.

Each row names its reviewer (column ``reviewer``): ``$LITREVIEW_REVIEWER``, else the login
name (:func:`reviewer_name`); two people sharing one account set the variable. A file written
before the column existed is read as it is, and gains the column (empty for its old rows) at
the next decision. ``undo`` takes back the caller's own last decision, never another
reviewer's: the last one this process wrote, if it is still there, else the last row of the
caller's reviewer name (rows without a reviewer are nobody's, and are undone only by
naming them). A named decision (record and stage) can be undone by anyone; the decision
returned says whose it was. Undo writes the file anew beside the old one and swaps it in,
under the same lock.

An exclusion carries a reason from :data:`EXCLUSION_REASONS`, the words PRISMA 2020 flow
diagrams report; it is written to the ``reason`` column as that word.

Two reviewers (review.toml ``[reviewers] screening = 2``): each decides each record without
seeing the other's decisions. A reviewer's queue holds the records they have not decided, ranked
from their own decisions, and counts only theirs; ``screening.csv`` keeps one row per reviewer.
A third row on a record is refused. The records the two decided differently are the conflicts
(:func:`conflicts_of`); :func:`settle` records how one was settled (consensus or a third
reviewer, with a note) in ``screening_settlements.csv``, under the same lock, the file written
anew and swapped in; :func:`unsettle` takes a settlement back, and a decision a settlement rests
on is undone only after it. What counts is each record's final decision (agreed or settled,
:func:`litreview.tables.decisions.final_decisions`): the full-text queue holds the records
finally included at title/abstract. With one reviewer nothing of this applies and every
decision is final, as before.
"""

from __future__ import annotations

import csv
import getpass
import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import paths
from ..tables.decisions import STEP, conflicts, final_decisions
from ..tables.imports import FILES, folder, load
from ..tables.review import SETTINGS_FILE, Review
from ..tables.schema import (
    EXCLUSION_REASONS,
    SCREENING,
    SCREENING_SETTLEMENTS,
    SCREENING_STAGES,
    SETTLEMENT_WAYS,
    LineNumbers,
    SchemaError,
    decode_text,
    parse_table,
    read_table,
    screening_reason_problem,
)
from .dedup import unique
from .ranking import EXCLUDE, INCLUDE, Ranker, Stopping, record_text, stopping

TITLE_ABSTRACT, FULL_TEXT = SCREENING_STAGES


class ScreeningError(ValueError):
    """A decision could not be recorded; nothing was written."""


@dataclass(frozen=True)
class Decision:
    record_key: str
    search_id: str
    stage: str
    decision: str
    reason: str = ""
    reviewer: str = ""

    def row(self, header: list[str] | None = None) -> list[str]:
        """The row's cells in the order of ``header`` (the file's; the schema's by default)."""
        values = {"record_key": self.record_key, "search_id": self.search_id, "stage": self.stage,
                  "decision": self.decision, "reason": self.reason, "reviewer": self.reviewer}
        return [values.get(name, "") for name in (header or SCREENING.names)]

    def whose(self) -> str:
        return f"decided by {self.reviewer}" if self.reviewer else "decided by an unnamed reviewer"


REVIEWER_VARIABLE = "LITREVIEW_REVIEWER"


def reviewer_name(given: str | None = None) -> str:
    """Who is deciding: ``given`` (a ``--reviewer`` option, a widget's reviewer), else
    ``$LITREVIEW_REVIEWER``, else the login name, else ``""``."""
    name = (given or "").strip() or os.environ.get(REVIEWER_VARIABLE, "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (a container without a passwd entry)
        return ""


# (file, record key, stage, reviewer) of each decision this process wrote, in order: its own to undo
_written_here: list[tuple[str, str, str, str]] = []


def screening_path(review: str, root: Path | None = None) -> Path:
    return paths.data_dir(review, root) / SCREENING.filename


def locked(review: str, root: Path | None = None):
    """Hold the review's screening lock (exclusive, blocking) for the block."""
    return paths.locked(screening_path(review, root))


@dataclass
class _Read:
    """screening.csv as last read: its version, rows, size, line count, header and last bytes."""

    stamp: tuple
    frame: pd.DataFrame
    size: int
    lines: int
    header: str
    end: bytes


TAIL_CHECK = 64  # bytes before the old end compared, to tell an append from a rewrite in place
_decisions_cache: dict[Path, _Read] = {}


def read_decisions(review: str, root: Path | None = None) -> pd.DataFrame:
    """``screening.csv`` through its schema (empty when the file is absent). A click both
    writes a decision and shows the queue, and the file only grows between clicks: it is read
    once per version, and when it grew by appended rows only those rows are read (through the
    same schema, with their own line numbers)."""
    path = screening_path(review, root)
    if not path.is_file():
        return SCREENING.empty()
    label = f"data/{review}/{SCREENING.filename}"
    stamp = _stamp([path])
    known = _decisions_cache.get(path)
    if known is not None and known.stamp == stamp:
        return known.frame
    read = _appended(path, known, stamp, label) if known is not None else None
    if read is None:  # the whole file, read once
        data = path.read_bytes()
        text = decode_text(data, label)
        frame = parse_table(text, SCREENING, label)
        header = text.removeprefix("\ufeff").split("\n", 1)[0] + "\n"
        read = _Read(stamp, frame, len(data), data.count(b"\n"), header, data[-TAIL_CHECK:])
    _decisions_cache[path] = read
    return read.frame


def _appended(path: Path, known: _Read, stamp: tuple, label: str) -> _Read | None:
    """The table after rows were appended to the version ``known``; None when the file
    changed otherwise (replaced, rewritten, cut short) or its new end is not a whole line."""
    (_, inode, size, _), = stamp
    (_, old_inode, _, _), = known.stamp
    if inode != old_inode or size <= known.size or not known.end.endswith(b"\n"):
        return None
    with open(path, "rb") as handle:
        handle.seek(known.size - len(known.end))
        data = handle.read()
    if not data.startswith(known.end) or not data.endswith(b"\n"):
        return None
    tail = data[len(known.end):]
    try:
        added = parse_table(known.header + tail.decode("utf-8"), SCREENING, label, first_line=known.lines)
    except (SchemaError, UnicodeDecodeError):
        return None  # the whole file is read again, and its problems reported with their lines
    frame = pd.concat([known.frame, added], ignore_index=True)
    if frame.duplicated(list(SCREENING.key)).any():
        return None
    frame.attrs.update(path=label, lines=LineNumbers([*known.frame.attrs["lines"], *added.attrs["lines"]]))
    return _Read(_stamp([path]), frame, known.size + len(tail), known.lines + tail.count(b"\n"),
                 known.header, data[-TAIL_CHECK:])


_reviewers_cache: dict[Path, tuple[tuple, int]] = {}


def reviewers(review: str, root: Path | None = None) -> int:
    """How many reviewers screen ``review`` independently (review.toml ``[reviewers] screening``,
    1 or 2; :meth:`litreview.tables.review.Review.reviewers_needed`); a wrong value there is an
    error, never read as 1."""
    path = paths.data_dir(review, root) / SETTINGS_FILE
    stamp = _stamp([path])
    known = _reviewers_cache.get(path)
    if known is None or known[0] != stamp:
        settings = Review.settings_only(review, root)
        wrong = [p for p in settings.problems if p.column is None or p.column.startswith("reviewers")]
        if wrong:
            raise SchemaError(wrong)
        known = _reviewers_cache[path] = (stamp, settings.reviewers_needed("screening"))
    return known[1]


def settlements_path(review: str, root: Path | None = None) -> Path:
    return paths.data_dir(review, root) / SCREENING_SETTLEMENTS.filename


def read_settlements(review: str, root: Path | None = None) -> pd.DataFrame:
    """``screening_settlements.csv`` through its schema (empty when the file is absent)."""
    path = settlements_path(review, root)
    if not path.is_file():
        return SCREENING_SETTLEMENTS.empty()
    return read_table(path, SCREENING_SETTLEMENTS, f"data/{review}/{SCREENING_SETTLEMENTS.filename}")


def final(review: str, root: Path | None = None) -> pd.DataFrame:
    """Each record's final decision at each stage (:func:`litreview.tables.decisions.final_decisions`)."""
    return final_decisions(read_decisions(review, root), read_settlements(review, root), reviewers(review, root))


def conflicts_of(review: str, stage: str | None = None, root: Path | None = None) -> pd.DataFrame:
    """The records the two reviewers decided differently (at ``stage``, if given), side by side,
    with their settlement if there is one (:func:`litreview.tables.decisions.conflicts`)."""
    found = conflicts(read_decisions(review, root), read_settlements(review, root))
    return found if stage is None else found[found["stage"] == stage].reset_index(drop=True)


def _stamp(files: list[Path]) -> tuple:
    """What identifies the contents of ``files`` without reading them: inode, size and
    modification time of each (absent files included; the writers replace files whole)."""
    out = []
    for f in files:
        try:
            st = f.stat()
            out.append((str(f), st.st_ino, st.st_size, st.st_mtime_ns))
        except FileNotFoundError:
            out.append((str(f), None, None, None))
    return tuple(out)


def _imports_stamp(review: str, root: Path | None) -> tuple:
    return _stamp([folder(review, root) / name for name in FILES.values()])


# The imported records change only when an import or de-duplication writes them, while a
# widget re-reads the queue on every click: they are read once per version of the files.
_unique_cache: dict[tuple, pd.DataFrame] = {}


def unique_records(review: str, root: Path | None = None) -> pd.DataFrame:
    """The imported records that de-duplication kept, in import order, with what each took
    from its duplicates (:func:`litreview.collect.dedup.unique`)."""
    stamp = _imports_stamp(review, root)
    if stamp not in _unique_cache:
        imports = load(review, root)
        _unique_cache.clear()
        _unique_cache[stamp] = unique(imports.records, imports.log).reset_index(drop=True)
    return _unique_cache[stamp]


@dataclass
class Queue:
    """The records of one stage, the decisions made on them so far, and the ranking."""

    review: str
    stage: str
    records: pd.DataFrame          # every record of the stage, decided or not
    decided: dict[str, str]        # record_key -> include | exclude, at this stage
    order_decided: list[str]       # record keys in the order they were decided
    ranker: Ranker
    reviewer: str = ""             # whose decisions these are (two reviewers: the caller's only)
    double: bool = False           # two reviewers screen independently

    def labels(self) -> dict[int, int]:
        keys = list(self.decided)
        at = pd.Index(self.records["record_id"]).get_indexer(keys)
        return {int(i): (INCLUDE if self.decided[k] == "include" else EXCLUDE) for k, i in zip(keys, at) if i >= 0}

    def pending(self) -> pd.DataFrame:
        """The undecided records, the one to read next first."""
        order = self.ranker.order(self.labels())
        return self.records.iloc[order]

    def stopping(self) -> Stopping:
        sequence = [1 if self.decided[k] == "include" else 0 for k in self.order_decided]
        return stopping(sequence, total=len(self.records))

    def progress(self) -> str:
        done = len(self.decided)
        included = sum(d == "include" for d in self.decided.values())
        whose = (f" by {self.reviewer or 'you'} (one of two reviewers; the other's decisions hidden)"
                 if self.double else "")
        return (f"{self.stage}: {done:,} of {len(self.records):,} records decided{whose} "
                f"({included:,} included, {done - included:,} excluded)")


def searched_claims(review: str, search_ids: set[str], root: Path | None = None) -> pd.DataFrame:
    """The rows of claims.csv that the searches ``search_ids`` were run for."""
    rv = Review.load(review, root)
    wanted = {c for ids in rv.search_log[rv.search_log["search_id"].isin(search_ids)]["claim_ids"]
              for c in (ids or [])}
    return rv.claims[rv.claims["claim_id"].isin(wanted)]


def claims_text(review: str, search_ids: set[str], root: Path | None = None) -> str:
    """The restatement and PICO terms of the claims the searches were run for."""
    claims = searched_claims(review, search_ids, root)
    columns = ("claim", "population", "intervention", "comparator", "outcome")
    return " ".join(str(v) for c in columns if c in claims for v in claims[c] if v)


def pico_terms(review: str, search_ids: set[str], root: Path | None = None) -> list[str]:
    """The words of the claims' PICO fields (for highlighting), longest first."""
    claims = searched_claims(review, search_ids, root)
    words = {w.strip(".,;:()").lower() for c in ("population", "intervention", "comparator", "outcome")
             if c in claims for v in claims[c] if v for w in str(v).split()}
    return sorted((w for w in words if len(w) > 3), key=lambda w: (-len(w), w))


# Rankers by queue content. Fitting TF-IDF is the slow part of a queue (seconds at 10,000
# records) and does not change between decisions, so a session (the widget, a script) fits it
# once per version of the imported records, of the claims and of the search log; the model
# itself is still refit on every decision.
RANKER_CACHE_SIZE = 4
_rankers: dict[str, Ranker] = {}
# from this many records a new ranker shows a progress bar while it is prepared (about a second
# and more on 2 cores; smaller queues are ready before a bar would be read)
RANKER_PROGRESS_RECORDS = 1000


def _ranker(review: str, records: pd.DataFrame, root: Path | None) -> Ranker:
    data = paths.data_dir(review, root)
    stamp = (_imports_stamp(review, root), _stamp([data / "claims.csv", data / "search_log.csv"]))
    ids = pd.util.hash_pandas_object(records["record_id"], index=False).to_numpy().tobytes()
    digest = hashlib.sha256(repr(stamp).encode("utf-8") + ids).hexdigest()
    if digest not in _rankers:
        while len(_rankers) >= RANKER_CACHE_SIZE:
            _rankers.pop(next(iter(_rankers)))
        texts = [record_text(t, a) for t, a in zip(records["title"], records["abstract"])]
        query = claims_text(review, set(records["search_id"]) - {""}, root) if len(records) else ""
        _rankers[digest] = Ranker(texts, query, progress=len(texts) >= RANKER_PROGRESS_RECORDS)
    return _rankers[digest]


def queue(review: str, stage: str = TITLE_ABSTRACT, root: Path | None = None, reviewer: str | None = None) -> Queue:
    """The queue of ``stage`` (see the module docstring); with two reviewers, the queue of
    ``reviewer`` (default :func:`reviewer_name`)."""
    if stage not in SCREENING_STAGES:
        raise ScreeningError(f"stage {stage!r}: expected one of {', '.join(SCREENING_STAGES)}")
    if not paths.data_dir(review, root).is_dir():
        raise ScreeningError(f"no review named {review!r}: data/{review} does not exist")
    records = unique_records(review, root)
    decisions = read_decisions(review, root)
    double = reviewers(review, root) == 2
    me = reviewer_name(reviewer)
    if stage == FULL_TEXT:
        made = final(review, root) if double else decisions
        passed = made[(made["stage"] == TITLE_ABSTRACT) & (made["decision"] == "include")]
        records = records[records["record_id"].isin(set(passed["record_key"]))].reset_index(drop=True)
    here = decisions[(decisions["stage"] == stage) & decisions["record_key"].isin(set(records["record_id"]))]
    if double:  # only the caller's own decisions: the other reviewer's stay unseen
        here = here[here["reviewer"].fillna("") == me]
    decided = dict(zip(here["record_key"], here["decision"]))
    return Queue(review, stage, records, decided, list(here["record_key"]), _ranker(review, records, root),
                 me, double)


def included_at(decisions: pd.DataFrame, record_key: str, stage: str) -> bool:
    """Whether ``decisions`` (screening.csv) include ``record_key`` at ``stage``."""
    here = decisions[(decisions["record_key"] == record_key) & (decisions["stage"] == stage)]
    return bool((here["decision"] == "include").any())


def _check(decision: Decision) -> None:
    if decision.stage not in SCREENING_STAGES:
        raise ScreeningError(f"stage {decision.stage!r}: expected one of {', '.join(SCREENING_STAGES)}")
    if decision.decision not in ("include", "exclude"):
        raise ScreeningError(f"decision {decision.decision!r}: expected include or exclude")
    if decision.decision == "exclude" and decision.reason not in EXCLUSION_REASONS:
        raise ScreeningError(f"an exclusion needs a reason, one of {', '.join(EXCLUSION_REASONS)}; "
                             f"found {decision.reason!r}")
    if contradiction := screening_reason_problem(decision.decision, decision.reason):
        raise ScreeningError(f"{decision.record_key}: {contradiction[1]}; nothing was written")
    if not decision.search_id:
        raise ScreeningError(f"record {decision.record_key!r} was imported without a search id; take the import "
                             "back (litreview undo-import FILE) and import the export again with --search-id, so "
                             "its screening counts in the PRISMA flow")


def decide(review: str, record_key: str, decision: str, reason: str = "", stage: str = TITLE_ABSTRACT,
           root: Path | None = None, reviewer: str | None = None) -> Decision:
    """Append one decision to ``screening.csv`` now (see the module docstring), as ``reviewer``
    (default :func:`reviewer_name`)."""
    records = unique_records(review, root)
    match = records[records["record_id"] == record_key]
    if match.empty:
        raise ScreeningError(f"no imported record {record_key!r} in data/{review}/imports/records.csv "
                             "(or it was removed as a duplicate)")
    made = Decision(record_key, str(match.iloc[0]["search_id"]), stage, decision,
                    reason if decision == "exclude" else reason.strip(), reviewer_name(reviewer))
    _check(made)
    double = reviewers(review, root) == 2
    if double and not made.reviewer:
        raise ScreeningError(f"two reviewers screen {review}: say who you are ({REVIEWER_VARIABLE} or --reviewer)")
    with locked(review, root) as path:
        current = read_decisions(review, root)  # read again under the lock: another writer may have been first
        passed = final(review, root) if double else current
        if stage == FULL_TEXT and not included_at(passed, record_key, TITLE_ABSTRACT):
            raise ScreeningError(f"{record_key} was not included at title/abstract"
                                 + (" by both reviewers or a settlement" if double else "") + ": no full-text decision")
        clash = current[(current["record_key"] == record_key) & (current["stage"] == stage)]
        if double:
            _refuse_third(clash, made)
        elif not clash.empty:
            raise ScreeningError(f"{record_key} already has a {stage} decision ({clash.iloc[0]['decision']}); "
                                 "undo it first to change it")
        _append(path, made)
        _written_here.append((str(path), made.record_key, made.stage, made.reviewer))
    return made


def _refuse_third(clash: pd.DataFrame, made: Decision) -> None:
    """Two reviewers: a reviewer decides a record once, and two reviewers decide it at most."""
    mine = clash[clash["reviewer"].fillna("") == made.reviewer]
    if not mine.empty:
        raise ScreeningError(f"{made.record_key} already has your {made.stage} decision ({mine.iloc[0]['decision']}); "
                             "undo it first to change it")
    if len(clash) >= 2:
        raise ScreeningError(f"{made.record_key} already has two reviewers' {made.stage} decisions; a third "
                             "reviewer settles a conflict: litreview screen settle RECORD_ID --decision ... "
                             "--how third-reviewer")


def _file_header(path: Path) -> list[str] | None:
    """The column names of ``path`` (a BOM dropped), or None for an absent or empty file."""
    if not path.is_file() or path.stat().st_size == 0:
        return None
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return [h.strip() for h in next(csv.reader(handle), [])] or None


def _add_reviewer_column(path: Path) -> None:
    """Give a file written before the ``reviewer`` column one, empty for its rows: the header
    and every line gain a cell at the end, other bytes unchanged (rows spanning lines are
    written anew through the csv module)."""
    text = path.read_bytes().decode("utf-8")
    lines = text.splitlines(keepends=True)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if len(rows) == len(lines):
        out = "".join(line.rstrip("\r\n") + (",reviewer" if i == 0 else ",") + (line[len(line.rstrip("\r\n")):] or "\n")
                      for i, line in enumerate(lines) if line.strip() or i == 0)
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerows([rows[0] + ["reviewer"]] + [r + [""] for r in rows[1:] if r])
        out = buffer.getvalue()
    with paths.replacing(path) as new:
        new.write_text(out, encoding="utf-8", newline="")


def _append(path: Path, decision: Decision) -> None:
    header = _file_header(path)
    if header is not None and "reviewer" not in header and decision.reviewer:
        _add_reviewer_column(path)
        header = _file_header(path)
    with open(path, "a+b") as handle:
        if header is not None:
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) != b"\n":
                handle.write(b"\n")
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        if header is None:
            writer.writerow(SCREENING.names)
        writer.writerow(decision.row(header))
        handle.write(text.getvalue().encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())


def undo(review: str, record_key: str | None = None, stage: str | None = None,
         root: Path | None = None, reviewer: str | None = None) -> Decision:
    """Take back the caller's own last decision (see the module docstring), or the one of
    ``record_key`` (at ``stage``, if given; with two reviewers, the caller's own there if they
    have one), and return it with whose it was. Other rows are kept byte for byte."""
    me = reviewer_name(reviewer)
    with locked(review, root) as path:
        if not path.is_file():
            raise ScreeningError(f"data/{review}/{SCREENING.filename} does not exist: nothing to undo")
        read_decisions(review, root)  # a malformed file is reported, never rewritten
        text = path.read_bytes().decode("utf-8")
        lines = text.splitlines(keepends=True)
        rows = list(csv.reader(io.StringIO(text, newline="")))
        # one physical line per row is what decide() writes; a quoted newline inside a
        # hand-written row would break that, so undo only touches the rows it can place
        if len(rows) != len(lines):
            raise ScreeningError(f"data/{review}/{SCREENING.filename} has values spanning lines; undo by hand")
        header = [h.strip() for h in rows[0]]
        header[0] = header[0].removeprefix("\ufeff")  # Excel's "CSV UTF-8" starts with a BOM
        body = [dict(zip(header, r)) for r in rows[1:]]
        index = _undo_index(body, str(path), record_key, stage, me)
        removed = body[index]
        settled = read_settlements(review, root)
        step = [removed.get(c, "") for c in STEP]
        if (settled[STEP] == step).all(axis=1).any():
            raise ScreeningError(f"{step[0]} at {step[2]} is a settled conflict: take the settlement back first "
                                 f"(litreview screen unsettle {step[0]} --stage {step[2]})")
        keep = lines[:1] + [line for i, line in enumerate(lines[1:]) if i != index]
        with paths.replacing(path) as new:
            new.write_text("".join(keep), encoding="utf-8", newline="")
        mine = (str(path), removed["record_key"], removed["stage"], removed.get("reviewer", ""))
        if mine in _written_here:
            _written_here.remove(mine)
    return Decision(removed["record_key"], removed["search_id"], removed["stage"], removed["decision"],
                    removed.get("reason", ""), removed.get("reviewer", ""))


def _undo_index(body: list[dict], path: str, record_key: str | None, stage: str | None, me: str) -> int:
    """The row to undo: the named one (the caller's own there, if any), else the caller's own
    last (this process's last decision still in the file, else the last of the caller's
    reviewer name)."""
    if record_key is not None:
        at = [i for i, r in enumerate(body) if r and r.get("record_key") == record_key
              and (stage is None or r.get("stage") == stage)]
        if not at:
            raise ScreeningError(f"no decision on {record_key!r} in screening.csv")
        # two reviewers: of the rows of the last one's stage, the caller's own
        own = [i for i in at if me and body[i].get("reviewer") == me and body[i].get("stage") == body[at[-1]]["stage"]]
        return (own or at)[-1]
    places = {(r.get("record_key"), r.get("stage"), r.get("reviewer", "")): i for i, r in enumerate(body) if r}
    for written_in, key, written_stage, who in reversed(_written_here):
        if written_in == path and who == me and (key, written_stage, who) in places:
            return places[(key, written_stage, who)]
    at = [i for i, r in enumerate(body) if r and me and r.get("reviewer") == me]
    if not at:
        raise ScreeningError(f"no decision of yours ({me or 'no reviewer name'}) to undo; set "
                             f"{REVIEWER_VARIABLE} to your name, or name the decision: "
                             "litreview screen undo RECORD_ID --stage STAGE")
    return at[-1]


@dataclass(frozen=True)
class Settlement:
    """How two reviewers' conflicting decisions on a record were settled."""

    record_key: str
    search_id: str
    stage: str
    decision: str
    reason: str
    how: str
    note: str
    settled_by: str = ""

    def row(self) -> dict[str, str]:
        return {c: getattr(self, c) for c in SCREENING_SETTLEMENTS.names}

    def describe(self) -> str:
        return (f"{self.record_key}: {self.decision}" + (f" ({self.reason})" if self.reason else "")
                + f" at {self.stage}, settled by {self.how.replace('-', ' ')}"
                + (f" ({self.settled_by})" if self.settled_by else "") + f": {self.note}")


def settle(review: str, record_key: str, decision: str, how: str, note: str, reason: str = "",
           stage: str = TITLE_ABSTRACT, root: Path | None = None, reviewer: str | None = None) -> Settlement:
    """Record how the conflict on ``record_key`` at ``stage`` was settled: the final decision,
    ``how`` (:data:`litreview.tables.schema.SETTLEMENT_WAYS`) and a note; written by
    ``reviewer`` (default :func:`reviewer_name`). Refused, with nothing written, unless two
    reviewers decided the record differently and it is not settled yet."""
    if how not in SETTLEMENT_WAYS:
        raise ScreeningError(f"--how {how!r}: expected one of {', '.join(SETTLEMENT_WAYS)}")
    if not note.strip():
        raise ScreeningError("a settlement needs a note: what settled it, in your words")
    with locked(review, root):
        if reviewers(review, root) != 2:
            raise ScreeningError(f"one reviewer screens {review} (review.toml [reviewers] screening): "
                                 "there are no conflicts to settle")
        found = conflicts_of(review, stage, root)
        found = found[found["record_key"] == record_key]
        if found.empty:
            raise ScreeningError(f"{record_key} is not a conflict at {stage}: two reviewers have not both decided it, "
                                 "or they agree (litreview screen conflicts lists the conflicts)")
        row = found.iloc[0]
        if row["settled"] is not None:
            raise ScreeningError(f"{record_key} at {stage} is settled already ({row['settled']}, {row['how']}); "
                                 f"take it back first: litreview screen unsettle {record_key} --stage {stage}")
        made = Settlement(record_key, row["search_id"], stage, decision,
                          reason if decision == "exclude" else reason.strip(), how, note.strip(),
                          reviewer_name(reviewer))
        _check(Decision(made.record_key, made.search_id, stage, decision, made.reason))
        current = read_settlements(review, root)
        _write_settlements(review, root, [*current.to_dict("records"), made.row()])
    return made


def unsettle(review: str, record_key: str, stage: str = TITLE_ABSTRACT, root: Path | None = None) -> Settlement:
    """Take back the settlement of ``record_key`` at ``stage``; return it."""
    with locked(review, root):
        current = read_settlements(review, root)
        here = (current["record_key"] == record_key) & (current["stage"] == stage)
        if not here.any():
            raise ScreeningError(f"no settlement of {record_key!r} at {stage} in "
                                 f"data/{review}/{SCREENING_SETTLEMENTS.filename}")
        decisions = read_decisions(review, root)
        if stage == TITLE_ABSTRACT and ((decisions["record_key"] == record_key)
                                        & (decisions["stage"] == FULL_TEXT)).any():
            raise ScreeningError(f"{record_key} has full-text decisions that rest on this settlement: undo them first "
                                 f"(litreview screen undo {record_key} --stage full-text --reviewer NAME)")
        gone = current[here].iloc[0]
        _write_settlements(review, root, current[~here].to_dict("records"))
    return Settlement(**{c: gone[c] or "" for c in SCREENING_SETTLEMENTS.names})


def _write_settlements(review: str, root: Path | None, rows: list[dict]) -> None:
    """``rows`` as the whole of screening_settlements.csv: checked through its schema, then
    swapped in (paths.replacing); the caller holds the screening lock."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, SCREENING_SETTLEMENTS.names, lineterminator="\n")
    writer.writeheader()
    writer.writerows({c: "" if r.get(c) is None else r[c] for c in SCREENING_SETTLEMENTS.names} for r in rows)
    text = buffer.getvalue()
    parse_table(text, SCREENING_SETTLEMENTS, f"data/{review}/{SCREENING_SETTLEMENTS.filename}")
    with paths.replacing(settlements_path(review, root)) as new:
        new.write_text(text, encoding="utf-8", newline="")


__all__ = ["EXCLUSION_REASONS", "REVIEWER_VARIABLE", "Decision", "Queue", "ScreeningError", "SchemaError", "Settlement",
           "conflicts_of", "decide", "final", "queue", "reviewers", "settle", "undo", "unique_records", "unsettle",
           "pico_terms", "reviewer_name"]
