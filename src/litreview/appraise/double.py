"""Double extraction: two reviewers extract an evidence row independently
(``data/<review>/extractions.csv``, one row per evidence id and reviewer), their answers are
compared field by field, and each conflict is settled with a reason
(``data/<review>/reconciliation.csv``). The consensus is what grades: it is written to
``evidence.csv`` and ``indirectness.csv`` only by :func:`settle`, once every conflict of the row
is settled; fields the two agree on are copied without asking.

Two independent extractions are the Cochrane Handbook's standard for data collection (chapter
5.5.2); review.toml's ``[reviewers]`` says whether a review follows it, and for which share of
the rows (:attr:`litreview.tables.review.Review.extraction_share`).

- The first and second reviewer of a row are its two reviewers in alphabetical order of their
  names, so "first-kept" and "second-taken" mean the same whoever saved first.
- A reviewer sees only their own extraction (:func:`own_extraction`, :func:`rows_to_extract`):
  nothing here hands one reviewer's answers to the other before both have saved.
- Which rows need two extractions is :meth:`litreview.grade.assessment.Assessment.double_extraction_due`
  (it needs the grades); :func:`sampled` is its deterministic sample.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import hashlib
import io
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .. import paths
from ..collect.screening import reviewer_name
from ..tables.review import Review
from ..tables.schema import (
    DIRECTIONS,
    EVIDENCE,
    EXTRACTION_EVIDENCE_FIELDS,
    EXTRACTION_FIELDS,
    EXTRACTION_TEXT,
    EXTRACTIONS,
    INDIRECTNESS,
    INDIRECTNESS_ANSWERS,
    INDIRECTNESS_QUESTIONS,
    RECONCILIATION,
    Problem,
    SchemaError,
    decode_text,
    parse_table,
    settled_by_problem,
)
from ..tables.words import counted, first_ids
from .agreement import kappa, percent_agreement
from .extraction import ID_PATTERN, cell_text
from .indirectness import answers_text, derive, why
from .rob import _records

QUESTIONS = tuple(INDIRECTNESS_QUESTIONS)
TAKE_WORDS = ("first", "second")  # --take first|second; anything else is a third answer, typed
HASH_DIGITS = 8  # the sample: the first 8 hex digits of sha256("<review>:<evidence_id>") / 16**8 < share

__all__ = ["Conflict", "RowPair", "agreement", "conflicts", "extractions_path", "own_extraction", "pair",
           "problems", "reconciliation_path", "reviewer_name", "rows_to_extract", "sampled", "save_extraction",
           "settle"]


def extractions_path(review: str, root: Path | None = None) -> Path:
    return paths.data_dir(review, root) / EXTRACTIONS.filename


def reconciliation_path(review: str, root: Path | None = None) -> Path:
    return paths.data_dir(review, root) / RECONCILIATION.filename


def sampled(review: str, evidence_id: str, share: float) -> bool:
    """Whether ``evidence_id`` is in the review's sample of ``share`` of the rows: the first
    :data:`HASH_DIGITS` hex digits of sha256 of ``"<review>:<evidence_id>"`` as a fraction of
    16**8 fall below ``share``. Deterministic: the same rows on every machine and every run, and a
    row's membership never changes as rows are added."""
    digest = hashlib.sha256(f"{review}:{evidence_id}".encode()).hexdigest()
    return int(digest[:HASH_DIGITS], 16) / 16 ** HASH_DIGITS < share


# --- comparing two extractions ------------------------------------------------------------------

def _cell(value) -> str:
    return cell_text(value)


@dataclass(frozen=True)
class Conflict:
    """One field on which the two extractions of a row differ, and its settlement (the
    reconciliation row, or None when not yet settled)."""

    evidence_id: str
    claim_id: str
    field: str
    first: str
    second: str
    settled: dict | None = None


@dataclass
class RowPair:
    """The extractions of one evidence row: ``reviewers`` (alphabetical), ``rows`` (theirs),
    the fields both gave alike (``agreed``) and the :class:`Conflict` of each field they did not."""

    evidence_id: str
    reviewers: list[str]
    rows: list[dict]
    agreed: dict[str, str] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def claim_id(self) -> str:
        return self.rows[0]["claim_id"]

    @property
    def study_key(self) -> str:
        return self.rows[0]["study_key"]

    @property
    def unsettled(self) -> list[Conflict]:
        return [c for c in self.conflicts if c.settled is None]

    def consensus(self) -> dict[str, str] | None:
        """Every compared field's consensus value as cell text, once every conflict is settled."""
        if self.unsettled:
            return None
        return {**self.agreed, **{c.field: c.settled["consensus"] or "" for c in self.conflicts}}

    def derived(self, which: int) -> str | None:
        """The indirectness the reviewer's four answers give (None when not all answered)."""
        answers = {q: _cell(self.rows[which].get(q)) for q in QUESTIONS}
        return derive(answers) if all(answers.values()) else None


def _settlements(review: Review) -> dict[tuple[str, str], dict]:
    return {(r["evidence_id"], r["field"]): r for r in review.reconciliation.to_dict("records")}


def pair(review: Review, evidence_id: str) -> RowPair:
    """The extractions of ``evidence_id`` compared (:class:`KeyError` naming extractions.csv
    when it has none; :class:`ValueError` when it has more than two)."""
    mine = [r for r in review.extractions.to_dict("records") if r["evidence_id"] == evidence_id]
    return _compared(review, evidence_id, mine, _settlements(review))


def _compared(review: Review, evidence_id: str, mine: list[dict], settled: dict[tuple[str, str], dict]) -> RowPair:
    """:func:`pair` of the extractions ``mine`` of one row, given the review's settlements."""
    if not mine:
        raise KeyError(f"no extraction of {evidence_id!r} in {_label(review, EXTRACTIONS)}")
    if len(mine) > 2:
        raise ValueError(f"{_label(review, EXTRACTIONS)}: {evidence_id} has {len(mine)} extractions "
                         f"({', '.join(r['reviewer'] for r in mine)}); reconciling compares two")
    mine = sorted(mine, key=lambda r: r["reviewer"])
    out = RowPair(evidence_id, [r["reviewer"] for r in mine], mine)
    for name in EXTRACTION_FIELDS:
        values = [_cell(r.get(name)) for r in mine]
        if len(values) == 1 or values[0] == values[1]:
            out.agreed[name] = values[0]
            continue
        still = still_settles(settled.get((evidence_id, name)), values[0], values[1])
        out.conflicts.append(Conflict(evidence_id, out.claim_id, name, values[0], values[1], still))
    return out


def still_settles(row: dict | None, first: str, second: str) -> dict | None:
    """The settlement ``row`` if it settles the conflict between ``first`` and ``second`` as they
    are now; a settlement of answers since changed settles nothing."""
    return row if row is not None and (row["first"] or "", row["second"] or "") == (first, second) else None


def pairs(review: Review) -> list[RowPair]:
    """Every evidence row with an extraction, compared (rows with more than two are left to
    :func:`problems`)."""
    grouped: dict[str, list[dict]] = {}
    for r in review.extractions.to_dict("records"):
        grouped.setdefault(r["evidence_id"], []).append(r)
    settled = _settlements(review)
    return [_compared(review, eid, rows, settled) for eid, rows in grouped.items() if len(rows) <= 2]


def conflicts(review: Review, unsettled_only: bool = False) -> list[Conflict]:
    """Every conflict between two extractions, or only those not yet settled."""
    return [c for p in pairs(review) for c in (p.unsettled if unsettled_only else p.conflicts)]


# --- what one reviewer sees ---------------------------------------------------------------------

def own_extraction(review: Review, evidence_id: str, reviewer: str) -> dict | None:
    """``reviewer``'s own extraction of ``evidence_id``, or None; never another reviewer's."""
    for r in review.extractions.to_dict("records"):
        if r["evidence_id"] == evidence_id and r["reviewer"] == reviewer:
            return r
    return None


def rows_to_extract(review: Review, reviewer: str) -> list[dict]:
    """The rows ``reviewer`` can extract: every evidence row of evidence.csv and every row
    another reviewer has begun in extractions.csv, but for rows two others have extracted
    already (their own ones listed too, to edit), each as ``evidence_id``, ``claim_id``,
    ``study_key`` and ``mine`` (whether this reviewer has extracted it already). Nothing of
    anyone's answers."""
    seen: dict[str, dict] = {}
    for frame in (review.evidence, review.extractions):
        for r in frame.to_dict("records"):
            seen.setdefault(r["evidence_id"], {"evidence_id": r["evidence_id"], "claim_id": r["claim_id"],
                                               "study_key": r["study_key"], "mine": False})
    count: Counter = Counter()
    for r in review.extractions.to_dict("records"):
        count[r["evidence_id"]] += 1
        if r["reviewer"] == reviewer:
            seen[r["evidence_id"]]["mine"] = True
    return sorted((r for r in seen.values() if r["mine"] or count[r["evidence_id"]] < 2),
                  key=lambda r: _id_number(r["evidence_id"]))


def _id_number(evidence_id: str) -> int:
    m = ID_PATTERN.fullmatch(str(evidence_id))
    return int(m.group(1)) if m else 0


def _next_id(review: Review) -> str:
    used = [*review.evidence["evidence_id"], *review.extractions["evidence_id"]]
    return f"E{max((_id_number(e) for e in used), default=0) + 1:03d}"


# --- writing one reviewer's extraction ------------------------------------------------------------

def _label(review: Review, schema) -> str:
    return review.label(paths.data_dir(review.name, review.root) / schema.filename)


def table_text(schema, rows: list[dict], names: list[str] | None = None) -> str:
    names = names or schema.names
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(names)
    for r in rows:
        writer.writerow([_cell(r.get(c)) for c in names])
    return text.getvalue()


def named(reviewer: str | None) -> str:
    """The reviewer's name as recorded (white space squashed); ValueError when there is none."""
    reviewer = " ".join((reviewer or "").split())
    if not reviewer:
        raise ValueError("no reviewer name: set LITREVIEW_REVIEWER to the name to record")
    return reviewer


def loaded_for(review: str, schema, root: Path | None = None) -> Review:
    """The review loaded to write one reviewer's rows of ``schema``'s table: SchemaError when that
    table does not read (nothing is written over rows that do not parse)."""
    rv = Review.load(review, root)
    if schema.filename in rv.failed:
        raise SchemaError([p for p in rv.problems if p.path == _label(rv, schema)])
    return rv


def save_extraction(review: str, reviewer: str, row: Mapping[str, object], root: Path | None = None) -> str:
    """Write ``reviewer``'s extraction of one evidence row to ``extractions.csv`` and return its
    evidence id: in place of their earlier extraction of that row, else appended; a row without
    an ``evidence_id`` is a new evidence row and gets the next id past every id of evidence.csv
    and extractions.csv. Refused with :class:`SchemaError` (``file:row:column``, nothing written)
    when the table would not pass its schema, the claim or study is unknown, or the row names
    another claim or study than evidence.csv or the other reviewer's extraction gives it.
    The file is swapped in whole under its lock."""
    reviewer = named(reviewer)
    path = extractions_path(review, root)
    with paths.locked(path):
        rv = loaded_for(review, EXTRACTIONS, root)
        label = _label(rv, EXTRACTIONS)
        new = {**{c: row.get(c) for c in EXTRACTIONS.names}, "reviewer": reviewer}
        new["evidence_id"] = new["evidence_id"] or _next_id(rv)
        rows = rv.extractions.to_dict("records")
        mine = (new["evidence_id"], reviewer)
        at = next((i for i, r in enumerate(rows) if (r["evidence_id"], r["reviewer"]) == mine), None)
        if at is None:
            rows.append(new)
            at = len(rows) - 1
        else:
            rows[at] = new
        text = table_text(EXTRACTIONS, rows)
        frame = parse_table(text, EXTRACTIONS, label)  # raises SchemaError naming row and column
        probe = dataclasses.replace(rv, tables={**rv.tables, EXTRACTIONS.filename: frame})
        found = [p for p in _extraction_problems(probe, links=True) if p.row == at + 2]
        if found:
            raise SchemaError(found)
        with paths.replacing(path) as file:
            file.write_text(text, encoding="utf-8")
    return new["evidence_id"]


# --- the check: errors and gaps ---------------------------------------------------------------------

def _extraction_problems(review: Review, links: bool = False) -> list[Problem]:
    """Errors of extractions.csv: more than two extractions of one row, a row naming another
    claim or study than evidence.csv or the row's other extraction, and with ``links`` an unknown
    claim or study (Review's own link check, which ``litreview check`` runs already)."""
    label, rows = review.rows_of(EXTRACTIONS)
    evidence = {r["evidence_id"]: r for r in review.evidence.to_dict("records")}
    problems = [p for p in review._check_links() if p.path == label] if links else []
    first: dict[str, dict] = {}
    count: Counter = Counter()
    for line, r in rows:
        eid = r["evidence_id"]
        count[eid] += 1
        if count[eid] == 3:
            problems.append(Problem(label, line, "reviewer", f"{eid}: a third extraction; reconciling compares two "
                                                             "reviewers' extractions of a row"))
        named = evidence.get(eid) or first.setdefault(eid, r)
        where = "evidence.csv" if eid in evidence else "its other extraction"
        for column in ("claim_id", "study_key"):
            if r[column] != named[column]:
                problems.append(Problem(label, line, column, f"{eid}: {r[column]!r}, but {where} gives "
                                                             f"{named[column]!r}"))
    return problems


def problems(review: Review) -> list[Problem]:
    """What ``litreview check`` refuses about double extraction: the errors of extractions.csv
    (:func:`_extraction_problems`), a settlement of a row with no two extractions, and a
    consensus row (evidence.csv, indirectness.csv) that contradicts a settled conflict. A
    conflict not yet settled, or a row still waiting for its second extraction, is a gap
    (:func:`gaps`), not an error."""
    if {EXTRACTIONS.filename, RECONCILIATION.filename} & review.failed:
        return []  # already reported by the schema
    found = _extraction_problems(review)
    label, rows = review.rows_of(RECONCILIATION)
    compared = {p.evidence_id: p for p in pairs(review)}
    twice = {eid for eid, p in compared.items() if len(p.rows) == 2}
    evidence = review.evidence.set_index("evidence_id", drop=False)
    ev_lines = dict(zip(review.evidence["evidence_id"], review.evidence.attrs.get("lines", [])))
    answers = review.indirectness.set_index("evidence_id", drop=False)
    an_lines = dict(zip(review.indirectness["evidence_id"], review.indirectness.attrs.get("lines", [])))
    for line, r in rows:
        eid, name = r["evidence_id"], r["field"]
        if eid not in twice:
            found.append(Problem(label, line, "evidence_id", f"{eid}: settles a conflict, but extractions.csv "
                                                             "has no two extractions of it"))
            continue
        current = next((c for c in compared[eid].conflicts if c.field == name), None)
        if current is None or current.settled is None or eid not in evidence.index:
            continue  # stale (the answers changed) or the consensus not written yet: gaps
        if name in QUESTIONS:
            if eid not in answers.index:
                found.append(Problem(_label(review, INDIRECTNESS_ANSWERS), None, "evidence_id",
                                     f"{eid}: no answers, but {label}:{line} settled {name} as "
                                     f"{r['consensus']!r}"))
                continue
            where, at, value = _label(review, INDIRECTNESS_ANSWERS), an_lines.get(eid), answers.at[eid, name]
        else:
            where, at, value = _label(review, EVIDENCE), ev_lines.get(eid), evidence.at[eid, name] \
                if name in evidence.columns else None
        if _cell(value) != (r["consensus"] or ""):
            found.append(Problem(where, at, name, f"{eid}: {_cell(value)!r}, but {label}:{line} settled the "
                                                  f"conflict as {r['consensus'] or ''!r}"))
    return found


def gaps(review: Review, due: list[str]) -> list[str]:
    """What double extraction still owes, in plain words: rows ``due`` a second extraction
    (:meth:`~litreview.grade.assessment.Assessment.double_extraction_due`) that lack one,
    conflicts not yet settled, and rows settled but whose consensus is not in evidence.csv yet."""
    if {EXTRACTIONS.filename, RECONCILIATION.filename} & review.failed:
        return []
    count = Counter(review.extractions["evidence_id"])
    out = []
    lacking = [e for e in due if count[e] < 2]
    if lacking:
        out.append(f"{counted(len(lacking), 'evidence row')} to be extracted by a second reviewer (review.toml's "
                   f"[reviewers]: every row that grades a claim, and a sample of "
                   f"{review.extraction_share:.0%}): {first_ids(lacking)}.")
    compared = pairs(review)
    open_ = [c for p in compared for c in p.unsettled]
    if open_:
        rows = list(dict.fromkeys(c.evidence_id for c in open_))
        out.append(f"{counted(len(open_), 'conflict')} between two extractions not yet settled in "
                   f"{counted(len(rows), 'row')} ({first_ids(rows)}): settle them in notebook 04's "
                   "reconcile view or with litreview reconcile.")
    present = set(review.evidence["evidence_id"])
    waiting = [p.evidence_id for p in compared if len(p.rows) == 2 and not p.unsettled and p.evidence_id not in present]
    if waiting:
        out.append(f"{counted(len(waiting), 'evidence row')} extracted twice and settled, but not yet written to "
                   f"evidence.csv ({first_ids(waiting)}): reconcile {'it' if len(waiting) == 1 else 'them'}.")
    return out


# --- settling: the consensus row and the reconciliation rows, written together ------------------------

def _parsed(name: str, raw: str) -> str:
    """A typed third answer as the cell text its column gives it (SchemaError-like message otherwise)."""
    [column] = [c for c in EXTRACTIONS.columns if c.name == name]
    value, err = column.parse(raw)
    if err:
        raise ValueError(f"{name}: {err}")
    return _cell(value)


def settle(review: str, evidence_id: str, decisions: Mapping[str, tuple[str, str]],
           root: Path | None = None) -> RowPair:
    """Settle conflicts of one row: ``decisions`` maps a field to ``(take, reason)``, where take is
    ``first``, ``second`` or the answer to record (a third answer). Each decision becomes a row of
    reconciliation.csv (a settlement of answers since changed is dropped). Once every conflict of
    the row is settled, the consensus (agreed fields copied, settled fields as settled) is written
    to evidence.csv (the row updated in place, or appended with the text of the first extraction
    that has it) and its four answers to indirectness.csv, with the reconciliation rows, all
    checked by their schemas before any file is swapped in. A row with one extraction is written as
    it is, unless it is in the review's sample to be extracted twice (:func:`sampled`). Returns
    the row as now compared."""
    data = paths.data_dir(review, root)
    with paths.locked(data / EVIDENCE.filename), paths.locked(data / INDIRECTNESS_ANSWERS.filename), \
            paths.locked(data / RECONCILIATION.filename):
        rv = Review.load(review, root)
        broken = [p for p in rv.problems if p.path in {_label(rv, s) for s in (EVIDENCE, INDIRECTNESS_ANSWERS,
                                                                                 EXTRACTIONS, RECONCILIATION)}]
        if broken:
            raise SchemaError(broken)
        before = pair(rv, evidence_id)
        if len(before.rows) < 2 and decisions:
            raise ValueError(f"{evidence_id}: one extraction ({before.reviewers[0]}); there is nothing to settle")
        if len(before.rows) < 2 and rv.reviewers_needed("extraction") == 2 \
                and sampled(rv.name, evidence_id, rv.extraction_share):
            raise ValueError(f"{evidence_id}: one extraction ({before.reviewers[0]}), and the row is in the review's "
                             f"sample of {rv.extraction_share:.0%} extracted twice: a second reviewer extracts it "
                             "first")
        by_field = {c.field: c for c in before.conflicts}
        new_rows = {(c.evidence_id, c.field): c.settled for c in before.conflicts if c.settled}
        for name, (take, reason) in decisions.items():
            if name not in by_field:
                raise ValueError(f"{evidence_id} {name}: the two extractions agree "
                                 f"({before.agreed.get(name, '')!r}) or it is not a field compared "
                                 f"({', '.join(EXTRACTION_FIELDS)}); nothing to settle")
            c = by_field[name]
            reason = " ".join((reason or "").split())
            if not reason:
                raise ValueError(f"{evidence_id} {name}: give the reason for the consensus")
            consensus = {"first": c.first, "second": c.second}.get(take) if take in TAKE_WORDS else _parsed(name, take)
            row = {"evidence_id": evidence_id, "claim_id": before.claim_id, "field": name, "first": c.first,
                   "second": c.second, "consensus": consensus, "settled_by": "", "reason": reason}
            row["settled_by"] = settled_by(row)
            new_rows[(evidence_id, name)] = row
        kept = [r for r in rv.reconciliation.to_dict("records") if r["evidence_id"] != evidence_id]
        order = {f: i for i, f in enumerate(EXTRACTION_FIELDS)}
        table = kept + sorted(new_rows.values(), key=lambda r: order[r["field"]])
        table.sort(key=lambda r: (_id_number(r["evidence_id"]), order[r["field"]]))
        writes = {RECONCILIATION.filename: table_text(RECONCILIATION, table)}
        parse_table(writes[RECONCILIATION.filename], RECONCILIATION, _label(rv, RECONCILIATION))
        after = RowPair(before.evidence_id, before.reviewers, before.rows, before.agreed,
                        [Conflict(c.evidence_id, c.claim_id, c.field, c.first, c.second,
                                  new_rows.get((c.evidence_id, c.field))) for c in before.conflicts])
        consensus = after.consensus()
        if consensus is not None:
            writes.update(_consensus_writes(rv, after, consensus))
        with contextlib.ExitStack() as stack:
            for filename, text in writes.items():
                new = stack.enter_context(paths.replacing(data / filename))
                new.write_text(text, encoding="utf-8", newline="")
        return after


def settled_by(row: dict) -> str:
    for word in ("first-kept", "second-taken", "third-answer"):
        if settled_by_problem({**row, "settled_by": word}) is None:
            return word
    raise AssertionError("unreachable: one of the three words fits")


def _consensus_writes(rv: Review, after: RowPair, consensus: dict[str, str]) -> dict[str, str]:
    """The new texts of evidence.csv and indirectness.csv carrying the consensus of ``after``."""
    data = paths.data_dir(rv.name, rv.root)
    eid = after.evidence_id
    answers = {q: consensus[q] for q in QUESTIONS}
    answered = all(answers.values())
    old_answers = {r["evidence_id"]: r for r in rv.indirectness.to_dict("records")}.get(eid, {})
    notes = [_cell(r.get("note")) for r in after.rows if _cell(r.get("note"))]
    writes = {}
    values = {c: consensus[c] for c in EXTRACTION_EVIDENCE_FIELDS}
    if answered:
        judged = _cell(old_answers.get("override")) or derive(answers)
        values["indirectness"] = judged
        note = _cell(old_answers.get("note")) or (notes[0] if notes else why(answers))
        label = _label(rv, INDIRECTNESS_ANSWERS)
        writes[INDIRECTNESS_ANSWERS.filename] = answers_text(
            data / INDIRECTNESS_ANSWERS.filename, label,
            {"evidence_id": eid, **answers, "override": _cell(old_answers.get("override")),
             "override_reason": _cell(old_answers.get("override_reason")), "note": note})
    note = notes[0] if notes else (why(answers) if answered else "")
    writes[EVIDENCE.filename] = _evidence_text(rv, after, values, note)
    return writes


def _evidence_text(rv: Review, after: RowPair, values: dict[str, str], note: str) -> str:
    """evidence.csv with the consensus ``values`` in row ``after.evidence_id`` (every other row
    byte for byte; a column the file lacks is added when a value needs it), or the row appended."""
    path = paths.data_dir(rv.name, rv.root) / EVIDENCE.filename
    label = _label(rv, EVIDENCE)
    text = decode_text(path.read_bytes(), label) if path.is_file() else EVIDENCE.header()
    records = _records(text)
    header = [h.lstrip("\ufeff").strip() for h in records[0][0]]
    eid = after.evidence_id
    needed = [c for c in values if c not in header and values[c]]
    header += needed
    rows = [dict(zip(header, cells)) for cells, _ in records[1:]]
    at = next((i for i, r in enumerate(rows) if r.get("evidence_id", "").strip() == eid), None)
    if at is None:
        row = {"evidence_id": eid, "claim_id": after.claim_id, "study_key": after.study_key}
        for column, target in EXTRACTION_TEXT.items():
            row[target] = next((_cell(r.get(column)) for r in after.rows if _cell(r.get(column))), "")
        missing = [c for c in ("population", "intervention", "outcome", "finding", "locator") if not row[c]]
        if missing:
            columns = ", ".join(k for k, v in EXTRACTION_TEXT.items() if v in missing)
            raise ValueError(f"{eid} is a new evidence row: neither extraction gives its {', '.join(missing)} "
                             f"(extractions.csv columns {columns})")
        if "indirectness" not in values:
            raise ValueError(f"{eid} is a new evidence row: answer the four indirectness questions in the extractions")
        records.append(([], ""))
        rows.append(row)
        at = len(rows) - 1
    row = rows[at]
    row.update(values)
    if row.get("indirectness") not in (None, "", "none") and not (row.get("indirectness_note") or "").strip():
        row["indirectness_note"] = note
    newline = "\r\n" if records[0][1].endswith("\r\n") else "\n"
    parts = []
    for i, (_, raw) in enumerate(records):
        if i == 0:
            parts.append(_line(header, newline) if needed else raw)
        elif i - 1 == at:
            parts.append(_line([_cell(row.get(h)) for h in header], newline))
        else:
            parts.append(raw.rstrip("\r\n") + "," * len(needed) + newline if needed or not raw.endswith("\n")
                         else raw)
    out = "".join(parts)
    parse_table(out, EVIDENCE, label)  # raises SchemaError naming row and column
    return out


def _line(cells: list[str], newline: str) -> str:
    text = io.StringIO()
    csv.writer(text, lineterminator=newline).writerow(cells)
    return text.getvalue()


# --- agreement, for the report's Methods ------------------------------------------------------------

@dataclass(frozen=True)
class Agreement:
    """Agreement between the two extractions of the rows extracted twice, and how their
    conflicts were settled. Kappa is None where undefined (one answer throughout) or not measured."""

    rows: int
    evidence_rows: int
    direction_kappa: float | None
    direction_rows: int
    indirectness_kappa: float | None
    indirectness_rows: int
    design_agreement: float
    n_agreement: float
    conflicts: int
    settled: dict[str, int]


def agreement(review: Review) -> Agreement | None:
    """Agreement over the rows of extractions.csv with two extractions: Cohen's kappa of direction
    and of the indirectness each reviewer's four answers give (:func:`litreview.appraise.indirectness.derive`),
    over the rows both answered; the share of rows with the same design and the same n (both
    empty counts as the same); the conflicts and how the settled ones were settled. None when no
    row was extracted twice."""
    if {EXTRACTIONS.filename, RECONCILIATION.filename} & review.failed:
        return None
    both = [p for p in pairs(review) if len(p.rows) == 2]
    if not both:
        return None

    def kappa_of(values: list[tuple[str | None, str | None]], categories) -> tuple[float | None, int]:
        kept = [(a, b) for a, b in values if a and b]
        return (kappa([a for a, _ in kept], [b for _, b in kept], categories) if kept else None), len(kept)

    direction = kappa_of([(_cell(p.rows[0]["direction"]), _cell(p.rows[1]["direction"])) for p in both], DIRECTIONS)
    derived = kappa_of([(p.derived(0), p.derived(1)) for p in both], INDIRECTNESS)
    same = {name: percent_agreement([_cell(p.rows[0][name]) for p in both], [_cell(p.rows[1][name]) for p in both])
            for name in ("design", "n")}
    found = [c for p in both for c in p.conflicts]
    settled = Counter(c.settled["settled_by"] for c in found if c.settled)
    return Agreement(len(both), len(review.evidence), direction[0], direction[1], derived[0], derived[1],
                     same["design"], same["n"], len(found), dict(settled))


# --- between the extraction form's row and a reviewer's extraction -----------------------------------

def extraction_of(row: Mapping[str, object], answers: Mapping[str, str | None], evidence_id: str | None) -> dict:
    """A reviewer's extraction from an evidence row as the extraction form holds it (evidence.csv
    columns) and the four indirectness answers: the compared fields as they are, the PICO text,
    finding and locator in their ``*_text`` / own columns, the indirectness note as the note."""
    out = {c: row.get(c) for c in EXTRACTION_EVIDENCE_FIELDS}
    out.update({q: answers.get(q) or None for q in QUESTIONS})
    out.update({column: row.get(target) for column, target in EXTRACTION_TEXT.items()})
    out.update(evidence_id=evidence_id, claim_id=row.get("claim_id"), study_key=row.get("study_key"),
               note=row.get("indirectness_note"))
    return out


def form_row_of(extraction: Mapping[str, object]) -> tuple[dict, dict]:
    """The inverse of :func:`extraction_of`: evidence.csv columns to fill the form with, and the answers."""
    row = {c: extraction.get(c) for c in EXTRACTION_EVIDENCE_FIELDS}
    row.update({target: extraction.get(column) for column, target in EXTRACTION_TEXT.items()})
    row.update(claim_id=extraction.get("claim_id"), study_key=extraction.get("study_key"),
               indirectness_note=extraction.get("note"))
    return row, {q: extraction.get(q) for q in QUESTIONS}
