"""Risk of bias by two reviewers: each reviewer's rows of a study are kept beside the other's
(``data/<review>/rob_extractions.csv``, rob.csv's columns and the reviewer), compared domain by
domain, and each conflict settled with a reason (``data/<review>/rob_reconciliation.csv``); once
every conflict of the study is settled, its consensus rows are written to ``rob.csv``, the table
the grade reads (:func:`settle`). Two independent assessors are the Cochrane Handbook's standard
for risk of bias (chapters 7.2.2 and 8.1); review.toml's ``[reviewers] rob = 2`` asks for it.

The rules are those of double extraction (:mod:`litreview.appraise.double`): the first and
second reviewer of a study are its two reviewers in alphabetical order; a reviewer's form shows
only their own rows; ``settled_by`` is first-kept, second-taken or third-answer. When the two
chose different tools (RoB 2 against one design-based judgement), the tool is the one conflict:
settling it takes one reviewer's whole assessment (no third answer).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .. import paths
from ..tables.review import Review
from ..tables.schema import (
    AMSTAR2_JUDGEMENTS,
    ROB,
    ROB_EXTRACTIONS,
    ROB_JUDGEMENTS,
    ROB_RECONCILIATION,
    Problem,
    SchemaError,
    parse_table,
    rob_row_problem,
)
from ..tables.words import counted, first_ids
from .agreement import kappa
from .double import TAKE_WORDS, loaded_for, named, settled_by, still_settles, table_text
from .rob import assessment_of, library_keys, rob_rows, rob_text

TOOL = "tool"


def rob_extractions_path(review: str, root: Path | None = None) -> Path:
    return paths.data_dir(review, root) / ROB_EXTRACTIONS.filename


def _label(review: Review, schema) -> str:
    return review.label(paths.data_dir(review.name, review.root) / schema.filename)


# --- one reviewer's rows ------------------------------------------------------------------------

def save_rob_extraction(review: str, reviewer: str, study_key: str, tool: str, answers: Mapping[str, str],
                        note: str | Mapping[str, str] = "", root: Path | None = None) -> list[dict[str, str]]:
    """Write ``reviewer``'s risk-of-bias rows of ``study_key`` to rob_extractions.csv (replacing
    their earlier rows of it), derived from the answers as :func:`litreview.appraise.rob.save_rob`
    derives them; rob.csv is written only by :func:`settle`. Refuses, writing nothing, what
    save_rob refuses, and a third reviewer of one study."""
    reviewer = named(reviewer)
    if study_key not in library_keys(review, root):
        raise ValueError(f"references/{review}/library.bib: no study {study_key!r}")
    rows = [{**r, "reviewer": reviewer} for r in rob_rows(study_key, tool, answers, note)]
    path = rob_extractions_path(review, root)
    with paths.locked(path):
        rv = loaded_for(review, ROB_EXTRACTIONS, root)
        label = _label(rv, ROB_EXTRACTIONS)
        kept = [r for r in rv.rob_extractions.to_dict("records")
                if (r["study_key"], r["reviewer"]) != (study_key, reviewer)]
        others = {r["reviewer"] for r in kept if r["study_key"] == study_key}
        if len(others) >= 2:
            raise ValueError(f"{label}: {study_key} has two reviewers' rows already ({', '.join(sorted(others))})")
        text = table_text(ROB_EXTRACTIONS, kept + rows)
        parse_table(text, ROB_EXTRACTIONS, label)
        with paths.replacing(path) as new:
            new.write_text(text, encoding="utf-8")
    return rows


def load_own(review: str, study_key: str, reviewer: str,
             root: Path | None = None) -> tuple[str | None, dict[str, str], dict[str, str]]:
    """``reviewer``'s own assessment of ``study_key`` for the form: (tool, answers, notes); never another's."""
    table = Review.load(review, root).rob_extractions
    return assessment_of(table[table["reviewer"] == reviewer], study_key)


# --- comparing ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RobConflict:
    study_key: str
    field: str
    first: str
    second: str
    settled: dict | None = None


@dataclass
class RobPair:
    """A study's risk-of-bias rows by reviewer (alphabetical), and the conflicts between the two."""

    study_key: str
    reviewers: list[str]
    rows: list[list[dict]]
    conflicts: list[RobConflict] = field(default_factory=list)

    @property
    def unsettled(self) -> list[RobConflict]:
        return [c for c in self.conflicts if c.settled is None]

    def judgements(self, which: int) -> dict[str, str]:
        return {r["domain"]: r["judgement"] for r in self.rows[which]}

    def tool(self, which: int) -> str:
        return self.rows[which][0]["tool"]

    def consensus(self) -> list[dict[str, str]] | None:
        """The study's rob.csv rows once every conflict is settled: a settled tool takes that
        reviewer's rows; otherwise each domain the two agree on is the first's row, and a settled
        domain carries the consensus with the support of the reviewer taken (the reason, for a
        third answer)."""
        if self.unsettled:
            return None
        base = self.rows[0]
        settled = {c.field: c.settled for c in self.conflicts}
        if TOOL in settled:
            base = self.rows[0] if settled[TOOL]["settled_by"] == "first-kept" else self.rows[1]
            return [{c: r[c] for c in ROB.names} for r in base]
        second = {r["domain"]: r for r in self.rows[1]}
        out = []
        for r in base:
            row = {c: r[c] for c in ROB.names}
            s = settled.get(r["domain"])
            if s:
                row["judgement"] = s["consensus"]
                row["support"] = {"first-kept": r["support"], "second-taken": second[r["domain"]]["support"]}.get(
                    s["settled_by"], f"reconciled: {s['reason']}")
            out.append(row)
        return out


def pairs(review: Review) -> list[RobPair]:
    """Every study with rows in rob_extractions.csv, compared (studies with more than two reviewers
    are left to :func:`problems`)."""
    grouped: dict[str, dict[str, list[dict]]] = {}
    for r in review.rob_extractions.to_dict("records"):
        grouped.setdefault(r["study_key"], {}).setdefault(r["reviewer"], []).append(r)
    settled = {(r["study_key"], r["field"]): r for r in review.rob_reconciliation.to_dict("records")}
    out = []
    for key, by in grouped.items():
        if len(by) > 2:
            continue
        names = sorted(by)
        p = RobPair(key, names, [by[n] for n in names])
        if len(names) == 2:
            if p.tool(0) != p.tool(1):
                compared = [(TOOL, p.tool(0), p.tool(1))]
            else:
                a, b = p.judgements(0), p.judgements(1)
                compared = [(d, a.get(d, ""), b.get(d, "")) for d in dict.fromkeys([*a, *b]) if a.get(d) != b.get(d)]
            for name, first, second in compared:
                still = still_settles(settled.get((key, name)), first, second)
                p.conflicts.append(RobConflict(key, name, first, second, still))
        out.append(p)
    return out


def pair(review: Review, study_key: str) -> RobPair:
    found = [p for p in pairs(review) if p.study_key == study_key]
    if not found:
        raise KeyError(f"no two reviewers' risk-of-bias rows of {study_key!r} in {_label(review, ROB_EXTRACTIONS)} "
                       "(or more than two)")
    return found[0]


# --- settling ---------------------------------------------------------------------------------------

def settle(review: str, study_key: str, decisions: Mapping[str, tuple[str, str]],
           root: Path | None = None) -> RobPair:
    """Settle conflicts of one study: ``decisions`` maps a domain (or ``tool``) to ``(take,
    reason)``, take being ``first``, ``second`` or the judgement to record. The settlements go to
    rob_reconciliation.csv; once every conflict of the study is settled, its consensus rows
    replace its rows of rob.csv (:meth:`RobPair.consensus`), both files checked before either is
    swapped in."""
    data = paths.data_dir(review, root)
    with paths.locked(data / ROB.filename), paths.locked(data / ROB_RECONCILIATION.filename):
        rv = Review.load(review, root)
        broken = [p for p in rv.problems if p.path in {_label(rv, s) for s in (ROB, ROB_EXTRACTIONS,
                                                                                 ROB_RECONCILIATION)}]
        if broken:
            raise SchemaError(broken)
        before = pair(rv, study_key)
        if len(before.rows) < 2:
            raise ValueError(f"{study_key}: one reviewer's rows ({before.reviewers[0]}); there is nothing to settle")
        by_field = {c.field: c for c in before.conflicts}
        new_rows = {c.field: c.settled for c in before.conflicts if c.settled}
        for name, (take, reason) in decisions.items():
            if name not in by_field:
                raise ValueError(f"{study_key} {name}: the two judgements agree, or it is not a domain judged; "
                                 "nothing to settle")
            c, reason = by_field[name], " ".join((reason or "").split())
            if not reason:
                raise ValueError(f"{study_key} {name}: give the reason for the consensus")
            if take not in TAKE_WORDS and name == TOOL:
                raise ValueError(f"{study_key} tool: take first or second (one reviewer's whole assessment)")
            wrong = None if take in TAKE_WORDS else rob_row_problem({"tool": before.tool(0), "domain": name,
                                                                     "judgement": take})
            if wrong:
                raise ValueError(f"{study_key} {name}: {wrong[1]}")
            row = {"study_key": study_key, "field": name, "first": c.first, "second": c.second,
                   "consensus": {"first": c.first, "second": c.second}.get(take, take), "settled_by": "",
                   "reason": reason}
            row["settled_by"] = settled_by(row)
            new_rows[name] = row
        kept = [r for r in rv.rob_reconciliation.to_dict("records") if r["study_key"] != study_key]
        table = sorted(kept + list(new_rows.values()), key=lambda r: (r["study_key"], r["field"]))
        writes = {ROB_RECONCILIATION.filename: table_text(ROB_RECONCILIATION, table)}
        parse_table(writes[ROB_RECONCILIATION.filename], ROB_RECONCILIATION, _label(rv, ROB_RECONCILIATION))
        after = RobPair(study_key, before.reviewers, before.rows,
                        [RobConflict(c.study_key, c.field, c.first, c.second, new_rows.get(c.field))
                         for c in before.conflicts])
        consensus = after.consensus()
        if consensus is not None:
            writes[ROB.filename] = rob_text(review, study_key, consensus, root)
        with contextlib.ExitStack() as stack:
            for filename, text in writes.items():
                new = stack.enter_context(paths.replacing(data / filename))
                new.write_text(text, encoding="utf-8", newline="")
        return after


# --- the check ----------------------------------------------------------------------------------------

def problems(review: Review) -> list[Problem]:
    """Errors: more than two reviewers of one study, a settlement of a study without two
    reviewers' rows, and rob.csv contradicting a settled conflict."""
    if {ROB_EXTRACTIONS.filename, ROB_RECONCILIATION.filename, ROB.filename} & review.failed:
        return []
    found = []
    label, rows = review.rows_of(ROB_EXTRACTIONS)
    seen: dict[str, set] = {}
    for line, r in rows:
        names = seen.setdefault(r["study_key"], set())
        if r["reviewer"] not in names and len(names) == 2:
            found.append(Problem(label, line, "reviewer", f"{r['study_key']}: a third reviewer; reconciling "
                                                          "compares two"))
        names.add(r["reviewer"])
    compared = {p.study_key: p for p in pairs(review)}
    rob = {(r["study_key"], r["domain"]): (line, r) for line, r in review.rows_of(ROB)[1]}
    tools = {r["study_key"]: r["tool"] for r in review.rob.to_dict("records")}
    rob_label = _label(review, ROB)
    label, rows = review.rows_of(ROB_RECONCILIATION)
    for line, r in rows:
        key, name = r["study_key"], r["field"]
        p = compared.get(key)
        if p is None or len(p.rows) < 2:
            found.append(Problem(label, line, "study_key", f"{key}: settles a conflict, but rob_extractions.csv has "
                                                           "no two reviewers' rows of it"))
            continue
        current = next((c for c in p.conflicts if c.field == name), None)
        if current is None or current.settled is None or key not in tools:
            continue
        if name == TOOL:
            if tools[key] != r["consensus"]:
                found.append(Problem(rob_label, None, "tool", f"{key}: {tools[key]!r}, but {label}:{line} settled "
                                                              f"the tool as {r['consensus']!r}"))
            continue
        at, written = rob.get((key, name), (None, None))
        value = written["judgement"] if written else ""
        if value != r["consensus"]:
            found.append(Problem(rob_label, at, "judgement", f"{key} {name}: {value!r}, but {label}:{line} settled "
                                                             f"the conflict as {r['consensus']!r}"))
    return found


def gaps(review: Review) -> list[str]:
    """Studies with evidence still owed a second risk-of-bias assessment (with ``[reviewers] rob
    = 2``), conflicts not yet settled, and settled studies whose rob.csv rows are not written yet."""
    if {ROB_EXTRACTIONS.filename, ROB_RECONCILIATION.filename} & review.failed:
        return []
    compared = pairs(review)
    reviewers = Counter({p.study_key: len(p.rows) for p in compared})
    out = []
    if review.reviewers_needed("rob") == 2:
        lacking = [k for k in dict.fromkeys(review.evidence["study_key"]) if reviewers[k] < 2]
        if lacking:
            out.append(f"{counted(len(lacking), 'study', 'studies')} with evidence to be judged for risk of bias "
                       f"by a second reviewer (review.toml's [reviewers] rob = 2): {first_ids(lacking)}.")
    open_ = [c for p in compared for c in p.unsettled]
    if open_:
        keys = list(dict.fromkeys(c.study_key for c in open_))
        out.append(f"{counted(len(open_), 'risk-of-bias conflict')} between two reviewers not yet settled "
                   f"({first_ids(keys)}): settle them with litreview reconcile --study.")
    written = set(review.rob["study_key"])
    waiting = [p.study_key for p in compared if len(p.rows) == 2 and not p.unsettled and p.study_key not in written]
    if waiting:
        out.append(f"{counted(len(waiting), 'study', 'studies')} judged by two reviewers and settled, but not yet "
                   f"in rob.csv ({first_ids(waiting)}): write the consensus with litreview reconcile --study KEY "
                   "--write.")
    return out


# --- agreement ------------------------------------------------------------------------------------------

def agreement(review: Review) -> list[dict] | None:
    """Cohen's kappa per domain over the studies two reviewers judged with the same tool:
    domain, studies, kappa (None where undefined); and the conflicts with how they were settled
    (one line with domain ``"conflicts"``). None when no study was judged twice."""
    both = [p for p in pairs(review) if len(p.rows) == 2]
    if not both:
        return None
    per: dict[str, tuple[list, list, tuple]] = {}
    for p in both:
        if p.tool(0) != p.tool(1):
            continue
        cats = AMSTAR2_JUDGEMENTS if p.tool(0) == "amstar2" else ROB_JUDGEMENTS
        a, b = p.judgements(0), p.judgements(1)
        for d in a:
            if d in b:
                first, second, _ = per.setdefault(d, ([], [], cats))
                first.append(a[d])
                second.append(b[d])
    lines = [{"domain": d, "studies": len(f), "kappa": kappa(f, s, cats)} for d, (f, s, cats) in per.items()]
    found = [c for p in both for c in p.conflicts]
    settled = Counter(c.settled["settled_by"] for c in found if c.settled)
    lines.append({"domain": "conflicts", "studies": len(both), "kappa": None, "conflicts": len(found),
                  "settled": dict(settled)})
    return lines


__all__ = ["RobConflict", "RobPair", "agreement", "gaps", "load_own", "pair", "pairs", "problems",
           "save_rob_extraction", "settle"]
