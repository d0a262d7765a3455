"""Indirectness from questions: the reviewer answers four questions per evidence row against
the claim as the article states it (``indirectness.csv``); the judgement none / some / serious
is derived, and may be overridden only with a reason.

Sources, as read:

- Guyatt GH, Oxman AD, Kunz R, et al. GRADE guidelines: 8. Rating the quality of evidence —
  indirectness. J Clin Epidemiol 2011;64:1303-1310. https://doi.org/10.1016/j.jclinepi.2011.04.014
  Abstract: evidence is indirect in four ways — the patients differ from those of interest; the
  intervention tested differs from the one of interest; the outcomes differ (for instance
  surrogate outcomes, measured on the presumption that they reflect an outcome important to
  patients); or the interventions were never compared head to head. Whether a difference in
  patients or intervention matters depends on whether biological or social factors differ
  enough that one might expect substantial differences in the magnitude of effect. Indirect
  comparisons are rated down one or two levels depending on the extent of the differences.
  Its table of examples (reproduced at
  https://magic.freshdesk.com/support/solutions/articles/201000064204-how-to-rate-indirectness):
  oseltamivir trials in seasonal influenza for avian influenza (population); faecal occult
  blood screening for colonoscopy (intervention); calcium-phosphate load, via vascular
  calcification, for vascular events (surrogate outcome).
- Guyatt GH, Oxman AD, Kunz R, et al. GRADE guidelines: 2. Framing the question and deciding on
  important outcomes. J Clin Epidemiol 2011;64:395-400: population, intervention and outcome
  should be similar enough that a similar magnitude of effect is plausible; a patient-important
  outcome represented by a surrogate will frequently require rating down for indirectness.
- GRADE Handbook (Schünemann et al., eds., 2013), section 5.2.3 "Indirectness of evidence": the
  number its table of contents gives (read at
  http://help.magicapp.org/knowledgebase/articles/371159-the-grade-handbook; 5.2.4 there is
  imprecision). Only the table of contents was read; the rule rests on GRADE guidelines 8.
- How the levels add up: a summary of GRADE's downgrading criteria (Syst Rev 2020, Table 1,
  https://systematicreviewsjournal.biomedcentral.com/articles/10.1186/s13643-020-01293-x/tables/1):
  indirectness of population or outcome rates down one level, of both two.

How this workbook's three judgements map onto GRADE's levels. ``some`` is one level down for
the row's question (GRADE's "serious indirectness"); ``serious`` is what this workbook does
with evidence that answers another question: it is set aside as context and never decides the
direction (litreview.grade.grading, the direction gate). So:

1. An answer ``different`` — a population, intervention or outcome for which one might expect a
   substantially different effect (GRADE guidelines 8) — answers another question: serious.
2. Two or more indirect answers (``related``, ``surrogate``, ``does-not-fit``) would rate down two
   levels (the Syst Rev summary; GRADE guidelines 8 on indirect comparisons, one or two levels by
   the extent of the differences); the workbook has no two-level state for a row, and a row two
   steps from the claim answers another question: serious.
3. One indirect answer rates down one level: some.
4. Otherwise none.

A comparison that is absent (``none``: a case series, a description, a reference standard) is
not indirectness in GRADE: the study design carries it through the starting certainty
(GRADE handbook 5.1.1), so it adds nothing here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from .. import paths
from ..tables.schema import (
    EVIDENCE,
    INDIRECTNESS,
    INDIRECTNESS_ANSWERS,
    INDIRECTNESS_QUESTIONS,
    SchemaError,
    parse_table,
    read_table,
)
from .agreement import kappa, percent_agreement

NONE, SOME, SERIOUS = INDIRECTNESS
QUESTIONS = tuple(INDIRECTNESS_QUESTIONS)  # population, intervention, comparator, outcome
# an answer for which a substantially different effect may be expected (GRADE guidelines 8, abstract)
DIFFERENT = frozenset({"different"})
# an answer one step from the claim: one level down (GRADE guidelines 8; GRADE guidelines 2 on surrogates)
ONE_STEP = frozenset({"related", "surrogate", "does-not-fit"})
# indirect in this many sources → two levels down (Syst Rev 2020 Table 1: population and outcome, -2)
TWO_LEVELS = 2


class AnswerError(ValueError):
    """An answer is missing or not one of its question's answers."""


def check_answers(answers: Mapping[str, str]) -> dict[str, str]:
    """The four answers, stripped; :class:`AnswerError` naming the question otherwise."""
    out = {}
    for q in QUESTIONS:
        a = (answers.get(q) or "").strip()
        if a not in INDIRECTNESS_QUESTIONS[q]:
            raise AnswerError(f"{q}: expected one of {', '.join(INDIRECTNESS_QUESTIONS[q])}; found {a!r}")
        out[q] = a
    return out


def derive(answers: Mapping[str, str]) -> str:
    """none / some / serious from the four answers (the rule in the module's docstring)."""
    a = check_answers(answers)
    if any(v in DIFFERENT for v in a.values()):
        return SERIOUS
    steps = sum(v in ONE_STEP for v in a.values())
    if steps >= TWO_LEVELS:
        return SERIOUS
    return SOME if steps else NONE


def why(answers: Mapping[str, str]) -> str:
    """The rule's reason in a few words: which answers made the judgement."""
    a = check_answers(answers)
    far = [q for q, v in a.items() if v in DIFFERENT]
    near = [f"{q} {a[q]}" for q in QUESTIONS if a[q] in ONE_STEP]
    if far:
        return f"{' and '.join(far)} different: another question"
    if len(near) >= TWO_LEVELS:
        return f"indirect in {len(near)} ways ({', '.join(near)}): another question"
    if near:
        return f"{near[0]}: one step from the claim"
    return "population, intervention, comparison and outcome as the claim's"


def effective(evidence: pd.DataFrame, answers: pd.DataFrame | None) -> pd.DataFrame:
    """The evidence with ``indirectness`` as it grades: the override when given, else the
    judgement derived from the answers; a row not answered yet keeps its recorded judgement.
    Adds ``indirectness_recorded`` (the column as typed in evidence.csv), ``indirectness_derived``
    (empty when unanswered) and ``indirectness_override_reason``."""
    ev = evidence.copy()
    ev["indirectness_recorded"] = ev["indirectness"]
    ev["indirectness_derived"] = None
    ev["indirectness_override_reason"] = None
    if answers is None or answers.empty or ev.empty:
        return ev
    by_id = {r["evidence_id"]: r for r in answers.to_dict("records")}
    derived, final, reason = [], [], []
    for eid, recorded in zip(ev["evidence_id"], ev["indirectness"]):
        r = by_id.get(eid)
        d = derive(r) if r else None
        over = _text(r.get("override")) if r else ""
        derived.append(d)
        final.append((over or d) if r else recorded)
        reason.append(_text(r.get("override_reason")) if over else None)
    for column, values in (("indirectness_derived", derived), ("indirectness", final),
                           ("indirectness_override_reason", reason)):
        ev[column] = pd.Series(values, index=ev.index, dtype=object)
    return ev


def _text(value) -> str:
    """A cell as text: empty for None or NaN."""
    return value.strip() if isinstance(value, str) else ""


def overrides(ev: pd.DataFrame) -> pd.DataFrame:
    """The rows whose derived judgement a reviewer overrode, from the rows as they grade
    (:func:`effective`): evidence_id, claim_id, derived, override, reason — what the report lists."""
    hit = ev["indirectness_override_reason"].notna()
    return ev.loc[hit, ["evidence_id", "claim_id", "indirectness_derived", "indirectness",
                        "indirectness_override_reason"]].set_axis(
        ["evidence_id", "claim_id", "derived", "override", "reason"], axis=1).reset_index(drop=True)


def agreement(first: pd.DataFrame, second: pd.DataFrame) -> pd.DataFrame:
    """Agreement per question between two reviewers' ``indirectness.csv`` tables, over the
    rows both answered: question, rows, agreement (share identical), kappa; the derived
    judgement is the last line."""
    both = first.merge(second, on="evidence_id", suffixes=("_1", "_2"))
    rows = []
    for q, cats in [*((q, tuple(INDIRECTNESS_QUESTIONS[q])) for q in QUESTIONS), ("judgement", INDIRECTNESS)]:
        if q == "judgement":
            a = [derive({k: r[f"{k}_1"] for k in QUESTIONS}) for r in both.to_dict("records")]
            b = [derive({k: r[f"{k}_2"] for k in QUESTIONS}) for r in both.to_dict("records")]
        else:
            a, b = list(both[f"{q}_1"]), list(both[f"{q}_2"])
        rows.append({"question": q, "rows": len(a), "agreement": percent_agreement(a, b) if a else None,
                     "kappa": kappa(a, b, cats) if a else None})
    return pd.DataFrame(rows)


# --- answering a row ------------------------------------------------------------------------------

def answers_path(review: str, root: Path | None = None) -> Path:
    return paths.data_dir(review, root) / INDIRECTNESS_ANSWERS.filename


def save_answers(review: str, evidence_id: str, answers: Mapping[str, str], note: str,
                 override: str = "", override_reason: str = "", root: Path | None = None) -> str:
    """Write one evidence row's answers to ``indirectness.csv`` (replacing its earlier answers;
    rows kept in evidence-id order) and return the judgement that now counts. The row must be
    in ``evidence.csv``; the answers, the note and an override's reason are checked by the
    table's schema, and a table with any problem is not written (:class:`SchemaError`). The
    file is swapped in whole under its lock (:func:`litreview.paths.replacing`)."""
    path = answers_path(review, root)
    label = f"data/{review}/{INDIRECTNESS_ANSWERS.filename}"
    evidence = read_table(paths.data_dir(review, root) / EVIDENCE.filename, EVIDENCE, f"data/{review}/evidence.csv")
    if evidence_id not in set(evidence["evidence_id"]):
        raise KeyError(f"no evidence row {evidence_id!r} in data/{review}/evidence.csv")
    check_answers(answers)
    row = {"evidence_id": evidence_id, **{q: answers[q].strip() for q in QUESTIONS}, "override": override.strip(),
           "override_reason": " ".join(override_reason.split()), "note": " ".join(note.split())}
    with paths.locked(path):
        text = answers_text(path, label, row)
        with paths.replacing(path) as new:
            new.write_text(text, encoding="utf-8")
    return row["override"] or derive(row)


def answers_text(path: Path, label: str, row: Mapping[str, str]) -> str:
    """The text of ``indirectness.csv`` (at ``path``, named ``label`` in messages) with ``row``
    put in place of its evidence row's earlier answers, rows in evidence-id order; checked by
    the table's schema (:class:`SchemaError` naming row and column). Call it under the file's lock."""
    old = read_table(path, INDIRECTNESS_ANSWERS, label) if path.is_file() else INDIRECTNESS_ANSWERS.empty()
    rows = {r["evidence_id"]: r for r in old.to_dict("records")}
    rows[row["evidence_id"]] = dict(row)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(INDIRECTNESS_ANSWERS.names)
    for eid in sorted(rows, key=lambda e: (len(e), e)):
        writer.writerow(["" if rows[eid].get(c) is None else rows[eid][c] for c in INDIRECTNESS_ANSWERS.names])
    parse_table(text.getvalue(), INDIRECTNESS_ANSWERS, label)  # raises SchemaError naming row and column
    return text.getvalue()


__all__ = ["AnswerError", "SchemaError", "agreement", "answers_text", "check_answers", "derive", "effective", "kappa",
           "overrides", "save_answers", "why"]
