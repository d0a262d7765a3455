"""Schemas of the curated tables, and a strict reader that reports every problem.

Each table of a review is a CSV file with a declared set of columns. Reading one checks the
encoding (UTF-8), the header, each value against its column (type, vocabulary, pattern,
required) and the table's unique key, and collects every problem as a :class:`Problem`
that names ``file:row:column``. Rows are numbered as lines of the file (the header is line
1), so an editor's "go to line" lands on the record.

The vocabularies below are the words of the field (GRADE, RoB 2, AMSTAR 2, PRISMA); the
report prints them, so they live here once.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

# --- vocabularies -------------------------------------------------------------------------

CATEGORIES = ("mechanism", "efficacy", "safety", "dosage", "anatomy", "traditional-theory")
# what a claim asserts, and so the standard it is judged by (litreview.grade.grading.START_BY_KIND):
# an effect of doing something; a fact of physiology or anatomy; a description of what a
# tradition holds (where a point lies); advice or a safety statement; traditional theory
KINDS = ("intervention", "physiology", "tradition", "advice-safety", "traditional-theory")
# one line each, shown beside the choice by the claims form and `litreview claims --help`
CATEGORY_MEANINGS = {
    "mechanism": "how it is said to work: a go-between in the body (blood flow, nerves, hormones, lymph)",
    "efficacy": "a benefit to the reader: an effect on a symptom, a condition, recovery or performance",
    "safety": "a harm, a warning, or advice on using it safely",
    "dosage": "how much, how often, how long or how to do it",
    "anatomy": "where something is in the body: a point's location, a structure",
    "traditional-theory": "a tenet of a tradition (Qi, meridians) that no study can test",
}
KIND_MEANINGS = {
    "intervention": "an effect of doing something: GRADE for interventions, trials first",
    "physiology": "a fact of physiology or anatomy: direct measurement in humans or a reference",
    "tradition": "what a tradition holds (where a point lies): judged against its standard reference",
    "advice-safety": "advice or a safety statement: clinical guidance and evidence of harm",
    "traditional-theory": "traditional theory: not testable, graded 'not testable'",
}
TESTABLE_MEANINGS = {
    "true": "evidence could confirm or refute it (every kind but traditional-theory)",
    "false": "no study could test it: traditional theory only",
}
DESIGNS = ("systematic-review", "meta-analysis", "rct", "non-randomised-trial", "cohort",
           "case-control", "cross-sectional", "case-series", "case-report", "mechanistic-human",
           "animal", "in-vitro", "narrative-review", "guideline", "reference-standard")
REVIEW_DESIGNS = ("systematic-review", "meta-analysis")
DIRECTIONS = ("supports", "contradicts", "mixed", "no-effect")
INDIRECTNESS = ("none", "some", "serious")
# The indirectness questions, answered per evidence row against the claim as the article states it
# (litreview.appraise.indirectness derives the judgement from them). Each answer with its meaning
# in one line and examples from this field. GRADE guidelines 8 (Guyatt et al. 2011, J Clin
# Epidemiol 64:1303) names the sources: population, intervention, outcome, and comparisons not
# made head to head; Cochrane's GRADE training on indirectness lists comparators beside them
# (https://training.cochrane.org/path/grade-approach-evaluating-quality-evidence-pathway/5).
# Population and intervention count as indirect only where biological or social factors differ
# enough to expect a substantially different effect (GRADE guidelines 8, abstract, as read at
# https://doi.org/10.1016/j.jclinepi.2011.04.014; its text as summarised at
# https://www.bohrium.com/paper-details/grade-guidelines-8-rating-the-quality-of-evidence-indirectness/813366814900748288-10440:
# do not rate down for population differences without a compelling reason). Hence healthy
# volunteers, exercisers and athletes are "same" for a claim about adults in general. The wording
# was sharpened after two independent extractions disagreed most on the population question
# (benchmarks/agreement/README.md); the answers do not change the derivation rule.
INDIRECTNESS_QUESTIONS: dict[str, dict[str, str]] = {
    "population": {
        "same": "the people the claim is about: for a claim about adults in general, any adults not chosen for a "
                "disease (healthy volunteers, students, workers, older adults, exercisers, athletes); people with "
                "the claim's condition or a form of it (labour pain for acute pain, knee osteoarthritis for "
                "arthritis); people recovering from hard exercise for a claim about athletes' recovery; people "
                "having massage, not chosen for a risk, for a claim about its harms; human bodies, living or dead, "
                "for an anatomical claim",
        "related": "people chosen for a disease or state the claim does not name, in whom a similar effect is "
                   "plausible though its size may differ (stroke survivors, people on dialysis, with cancer, HIV, "
                   "chronic back or neck pain, after surgery, pregnant women, children, for a claim about adults in "
                   "general); the claim's condition arising from a disease it does not name (cramps in people on "
                   "dialysis for calf cramps); a neighbouring condition (exercise soreness for muscle injury)",
        "different": "not living people (animals, cells, computer models; cadavers for a claim about how living "
                     "people respond), or people whose condition changes the mechanism the claim relies on "
                     "(spastic calf muscles after stroke for a claim about ordinary calf tension)",
    },
    "intervention": {
        "same": "what the claim describes, at its body site or point, by its mode; a tool counts only if the claim "
                "names one (a foam roller, roller or massage gun on the calf is calf massage; electrically induced "
                "calf contraction is calf contraction; fingertip pressure on ST36 is pressing ST36)",
        "related": "the same kind of treatment over a region that includes the claimed site or lies in the same "
                   "limb segment, or a near mode there (whole-leg massage, massage behind the knee, lower-leg "
                   "points for a calf claim; calf massage for pressing calf points; several points including the "
                   "claimed one; reviews of the treatment pooled over various sites)",
        "different": "another treatment or mode, or the same treatment only at a site that does not include the "
                     "claimed one (needling for pressing; thigh, forearm, arm, back, neck, foot or forehead for a "
                     "calf claim; for a claim about one named point, points not shown to include it)",
    },
    "comparator": {
        "fits": "the finding compares with what the claim implies: no treatment, usual or standard care, a sham, "
                "rest, or an add-on design (treatment plus background care against background care alone); a "
                "missing sham is risk of bias, not indirectness",
        "does-not-fit": "the finding compares with something that changes the question (another active treatment "
                        "when the claim is against doing nothing; one point against another)",
        "none": "the finding rests on no comparison: a case series, a description, a reference standard, or "
                "change before and after in the same people, also when two versions of the treatment were tried "
                "(a matter of design, which the starting certainty carries, not of indirectness)",
    },
    "outcome": {
        "same": "what the claim promises, measured, or the usual direct measure of the quantity it names (cramp "
                "frequency for cramps; popliteal venous flow velocity for venous return; heart rate or "
                "heart-rate variability for an autonomic relaxation response; blood lactate for lactate clearance)",
        "surrogate": "a measure standing in for it (heart-rate variability for feeling relaxed; blood flow for "
                     "'detox'; a pressure-pain threshold for 'relieves pain'; tissue or blood markers for recovery; "
                     "same-day swelling for lasting calf size)",
        "different": "another outcome that does not stand for it (e.g. anxiety scores for a claim about "
                     "circulation; point location for a claim about an effect)",
    },
}
EFFECT_MEASURES = ("SMD", "MD", "RR", "OR", "HR", "RD")
RATIO_MEASURES = ("RR", "OR", "HR")  # pooled and plotted on the log scale; no effect at 1
# what a row's control group received (litreview.grade.certainty_rules): a sham or placebo, another
# active treatment, usual care, no treatment or a waiting list, or no control group
COMPARATOR_TYPES = ("sham-placebo", "active", "usual-care", "no-treatment", "none")
# what the outcome measures: a score (continuous) or whether an event happened (dichotomous)
OUTCOME_TYPES = ("continuous", "dichotomous")
ROB_TOOLS = ("rob2", "amstar2", "design")
ROB2_DOMAINS = ("randomisation", "deviations", "missing-data", "measurement", "selection")
# the critical items of AMSTAR 2 (Shea et al. 2017, BMJ 358:j4008, Box 1): 2, 4, 7, 9, 11, 13, 15
AMSTAR2_DOMAINS = ("protocol", "search", "excluded-studies", "rob-assessment", "meta-methods",
                   "rob-in-interpretation", "publication-bias")
ROB_JUDGEMENTS = ("low", "some-concerns", "high")
AMSTAR2_JUDGEMENTS = ("yes", "partial-yes", "no")
SCREENING_STAGES = ("title-abstract", "full-text")
SCREENING_DECISIONS = ("include", "exclude")
# how two reviewers' conflicting screening decisions were settled: by talking it through, or by a
# third reviewer deciding (Cochrane Handbook, chapter 4.6.4, "resolving disagreements")
SETTLEMENT_WAYS = ("consensus", "third-reviewer")
# Reasons a record is excluded, as PRISMA 2020 flow diagrams report them (Page et al. 2021,
# BMJ 372:n71, item 16a and the flow diagram's "reports excluded, with reasons")
EXCLUSION_REASONS = ("wrong-population", "wrong-intervention", "wrong-comparator", "wrong-outcome",
                     "wrong-study-design", "not-a-study", "duplicate", "not-retrieved", "wrong-language",
                     "other")
SUPPORT_JUDGEMENTS = ("yes", "partly", "no", "not-applicable")
OVERRIDE_FIELDS = ("certainty", "verdict")
CERTAINTIES = ("high", "moderate", "low", "very low")
# the fact-check verdicts (litreview.grade.verdicts), best first
VERDICTS = ("supported", "accurate description", "partly supported", "partly accurate description",
            "overstated", "disputed", "unsupported", "contradicted", "inaccurate description", "not testable")
# Medizin Transparent's scale (litreview.grade.verdicts.expert_label), "yes" first
EXPERT_VERDICTS = ("yes", "yes, a little", "probably yes", "probably yes, a little", "possibly yes",
                   "possibly yes, a little", "contradictory", "evidence lacking", "possibly no", "probably no",
                   "no", "not applicable")

CLAIM_ID = r"[A-Z][0-9]{2,3}"
KEY = r"[a-z0-9][a-z0-9_:-]*"
DATE = r"\d{4}-\d{2}-\d{2}"
# the largest sample a study can have: every person alive. The world population was 8.2 billion
# in 2024 (United Nations, World Population Prospects 2024); 10**10 bounds it with room to spare,
# and a larger n can only be a typing slip, which would otherwise weigh without limit in pooling
MAX_N = 10**10


def calendar_date(raw: str) -> str | None:
    """What is wrong with ``raw`` as a date ``YYYY-MM-DD`` of the calendar (None when it is one):
    the shape alone lets ``2026-13-45`` through."""
    if not re.fullmatch(DATE, raw):
        return f"expected a date YYYY-MM-DD, found {raw!r}"
    try:
        dt.date.fromisoformat(raw)
    except ValueError as exc:
        return f"expected a calendar date YYYY-MM-DD, found {raw!r} ({exc})"
    return None


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where it is and what was expected. ``code`` names the
    kind of problem and ``subject`` the study key or claim id it is about, so that callers
    branch on them and never on the wording of ``message``, which is for people."""

    path: str
    row: int | None
    column: str | None
    message: str
    code: str = ""
    subject: str = ""

    def __str__(self) -> str:
        where = self.path
        if self.row is not None:
            where += f":{self.row}"
        if self.column is not None:
            where += f":{self.column}"
        return f"{where}: {self.message}"


class SchemaError(ValueError):
    """Raised with every problem found, so that one run lists them all."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Column:
    """One column: its type (``str``, ``int``, ``float`` (finite), ``bool``, ``list``, ``date``
    (a calendar date, kept as its text)), whether a value is required, bounds, and optionally a
    vocabulary or a regular expression every value must match.
    ``list`` values are space-separated (``"A01 A02"``); the vocabulary/pattern applies to
    each item."""

    name: str
    kind: str = "str"
    required: bool = True
    vocab: tuple[str, ...] | None = None
    pattern: str | None = None
    description: str = ""
    minimum: float | None = None
    # a column added after tables were written: a file without it still reads (every value None)
    may_be_absent: bool = False
    maximum: float | None = None

    def parse(self, raw: str) -> tuple[object, str | None]:
        """Return ``(value, None)`` or ``(None, what was expected)``."""
        raw = raw.strip()
        if raw == "":
            if self.required:
                return None, "a value is required, found an empty cell"
            return ([] if self.kind == "list" else None), None
        value, err = self._typed(raw)
        if err:
            return None, err
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if self.minimum is not None and value < self.minimum:
                return None, f"expected at least {self.minimum:g}, found {raw!r}"
            if self.maximum is not None and value > self.maximum:
                return None, f"expected at most {self.maximum:g}, found {raw!r}"
        items = value if isinstance(value, list) else [value]
        for item in items:
            if self.vocab is not None and item not in self.vocab:
                return None, f"expected one of {', '.join(self.vocab)}; found {item!r}"
            if self.pattern is not None and not re.fullmatch(self.pattern, str(item)):
                return None, f"expected a value matching {self.pattern}, found {item!r}"
        return value, None

    def _typed(self, raw: str) -> tuple[object, str | None]:
        """The non-empty cell as a value of the column's kind."""
        if self.kind == "int":
            if not re.fullmatch(r"-?\d+", raw):
                return None, f"expected a whole number, found {raw!r}"
            return int(raw), None
        if self.kind == "float":
            try:
                value = float(raw)
            except ValueError:
                return None, f"expected a number, found {raw!r}"
            return (value, None) if math.isfinite(value) else (None, f"expected a finite number, found {raw!r}")
        if self.kind == "bool":
            if raw not in ("true", "false"):
                return None, f"expected true or false, found {raw!r}"
            return raw == "true", None
        if self.kind == "list":
            return raw.split(), None
        if self.kind == "date":
            return raw, calendar_date(raw)
        return raw, None


RowCheck = Callable[[dict], "str | tuple[str, str] | None"]


@dataclass(frozen=True)
class TableSchema:
    """A table: file name, columns in order, the columns whose values must be unique
    together, and row-level checks that span columns (returning ``(column, message)``)."""

    filename: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    row_checks: tuple[RowCheck, ...] = field(default_factory=tuple)
    description: str = ""

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def empty(self) -> pd.DataFrame:
        # bool columns typed, so that ``frame[frame["testable"]]`` selects rows even when empty
        return pd.DataFrame({c.name: pd.Series(dtype=bool if c.kind == "bool" else object) for c in self.columns})

    def header(self) -> str:
        return ",".join(self.names) + "\n"


def _line_of_byte(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def read_text(path: Path, label: str | None = None) -> str:
    """Read a file as strict UTF-8; an undecodable byte is reported with its line."""
    return decode_text(path.read_bytes(), label or str(path))


def decode_text(data: bytes, label: str) -> str:
    """A file's bytes as strict UTF-8; an undecodable byte is reported with its line."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = _line_of_byte(data, exc.start)
        raise SchemaError([Problem(label, line, None,
                                   f"expected UTF-8 text, found byte 0x{data[exc.start]:02x} "
                                   f"at byte {exc.start}")]) from None


def none_for_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as objects with every missing value None (NaN would print as "nan" and is
    truthy in a template)."""
    frame = frame.astype(object)
    return frame.where(frame.notna(), None)


def read_table(path: Path, schema: TableSchema, label: str | None = None) -> pd.DataFrame:
    """Read and validate one table; raise :class:`SchemaError` listing every problem.

    ``label`` is the name used in messages (a path relative to the workbook root)."""
    label = label or str(path)
    if not path.is_file():
        raise SchemaError([Problem(label, None, None, "file is missing")])
    return parse_table(read_text(path, label), schema, label)


def parse_table(text: str, schema: TableSchema, label: str, first_line: int = 1) -> pd.DataFrame:
    """:func:`read_table` on text already read: its header at line ``first_line`` of the file
    (a part of a file that grew, given its header, is read with the lines it has there)."""
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise SchemaError([Problem(label, None, None,
                                   f"file is empty; expected at least the header: {schema.header().strip()}")])
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header = _header(reader, schema, label)
    problems: list[Problem] = []
    records: list[dict] = []
    lines: list[int] = []
    seen: dict[tuple, int] = {}
    for start, raw in _raw_rows(reader, label, problems, first_line - 1):
        if len(raw) != len(header):
            problems.append(Problem(label, start, None, f"expected {len(header)} fields, found {len(raw)}"))
            continue
        record = _parse_row(schema, header, raw, label, start, problems)
        _check_key(schema, record, seen, label, start, problems)
        records.append(record)
        lines.append(start)
    if problems:
        raise SchemaError(problems)
    # an empty optional cell is None, never NaN
    frame = none_for_missing(pd.DataFrame.from_records(records, columns=schema.names)) if records else schema.empty()
    frame.attrs["path"] = label
    frame.attrs["lines"] = LineNumbers(lines)
    return frame


def _header(reader, schema: TableSchema, label: str) -> list[str]:
    """The header's column names, once every column of the schema is there exactly once."""
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        raise SchemaError([Problem(label, 1, None, f"malformed CSV header: {exc}")]) from None
    problems = [Problem(label, 1, c.name, "missing column") for c in schema.columns
                if c.name not in header and not c.may_be_absent]
    problems += [Problem(label, 1, name, f"unknown column; expected only {', '.join(schema.names)}")
                 for name in header if name not in schema.names]
    problems += [Problem(label, 1, name, "column appears more than once")
                 for name in sorted({h for h in header if header.count(h) > 1})]
    if problems:
        raise SchemaError(problems)
    return header


def _raw_rows(reader, label: str, problems: list[Problem], before: int = 0):
    """``(first line, cells)`` of every row that is not blank, counting ``before`` lines ahead
    of the text read; a malformed row ends the file."""
    line = reader.line_num
    while True:
        start = before + line + 1
        try:
            raw = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.append(Problem(label, before + reader.line_num, None, f"malformed CSV: {exc}"))
            return
        line = reader.line_num
        if raw and any(v.strip() for v in raw):
            yield start, raw


def _parse_row(schema: TableSchema, header: list[str], raw: list[str], label: str, start: int,
               problems: list[Problem]) -> dict:
    """The row's values by column; each cell's problem, then (when every cell reads) the
    checks that span columns."""
    by_name = {c.name: c for c in schema.columns}
    record: dict = {}
    ok = True
    for name, cell in zip(header, raw):
        value, err = by_name[name].parse(cell)
        if err:
            problems.append(Problem(label, start, name, err))
            ok = False
        record[name] = value
    if ok:
        for check in schema.row_checks:
            result = check(record)
            if result:
                column, message = result if isinstance(result, tuple) else (None, result)
                problems.append(Problem(label, start, column, message))
    return record


@functools.cache
def _required_key_columns(schema: TableSchema) -> tuple[str, ...]:
    return tuple(c.name for c in schema.columns if c.name in schema.key and c.required)


def _check_key(schema: TableSchema, record: dict, seen: dict[tuple, int], label: str, start: int,
               problems: list[Problem]) -> None:
    """A row whose key columns repeat an earlier row's is reported with that row's line."""
    if not schema.key:
        return
    if any(record.get(k) is None for k in _required_key_columns(schema)):
        return  # the empty cell is reported already
    # an empty optional key cell (a screening row without a reviewer) is a value like any other
    key = tuple("" if record.get(k) is None else " ".join(record[k]) if isinstance(record[k], list) else record[k]
                for k in schema.key)
    if key in seen:
        problems.append(Problem(label, start, schema.key[0],
                                f"duplicate {'/'.join(schema.key)} {' '.join(map(str, key)).strip()!r}; "
                                f"first at row {seen[key]}"))
    else:
        seen[key] = start


class LineNumbers(tuple):
    """The file line of each row of a table read by :func:`read_table`. pandas deep-copies a
    frame's ``attrs`` on every operation; being immutable, this one is shared instead (a copy
    per filter cost 10,000-row screening files tens of milliseconds)."""

    def __deepcopy__(self, memo):
        return self


# --- row checks -----------------------------------------------------------------------------

def _offsets_ordered(r: dict) -> tuple[str, str] | None:
    if r["start"] >= r["end"]:
        return "end", f"expected end > start, found start={r['start']} end={r['end']}"
    return None


def _effect_complete(r: dict) -> tuple[str, str] | None:
    fields = ("effect_measure", "effect", "ci_low", "ci_high")
    present = [f for f in fields if r[f] not in (None, "")]
    if present and len(present) != len(fields):
        absent = [f for f in fields if f not in present]
        return absent[0], "an effect needs effect_measure, effect, ci_low and ci_high together"
    if present and r["ci_low"] >= r["ci_high"]:
        what = "a zero-width" if r["ci_low"] == r["ci_high"] else "an inverted"
        return "ci_high", (f"expected ci_low < ci_high, found {what} interval ci_low={r['ci_low']} "
                           f"ci_high={r['ci_high']}")
    if present and not (r["ci_low"] <= r["effect"] <= r["ci_high"]):
        return "effect", f"expected ci_low <= effect <= ci_high, found {r['ci_low']} / {r['effect']} / {r['ci_high']}"
    if present and r["effect_measure"] in RATIO_MEASURES and r["ci_low"] <= 0:
        return "ci_low", f"a ratio's confidence limits must be positive, found {r['ci_low']}"
    return None


def _indirectness_explained(r: dict) -> tuple[str, str] | None:
    if r["indirectness"] != "none" and not r["indirectness_note"]:
        return "indirectness_note", f"indirectness is {r['indirectness']!r}: say why"
    return None


def _kind_fits_testable(r: dict) -> tuple[str, str] | None:
    if (r["kind"] == "traditional-theory") == r["testable"]:
        return "kind", (f"kind {r['kind']!r} with testable={str(r['testable']).lower()}: traditional theory, and "
                        "only it, is not testable")
    return None


# what only a systematic review or meta-analysis reports about the trials it pooled
REVIEW_REPORTS = ("trials", "rob_high_share", "rob_unclear_share", "i2", "rob_reported", "heterogeneity_p",
                  "substantial_heterogeneity", "small_study_effects")


def _trial_shares_fit(r: dict) -> tuple[str, str] | None:
    """What a review reports about its trials belongs to a review, and its shares are parts of one whole;
    a review that reports its trials' shares has reported their risk of bias."""
    given = [c for c in REVIEW_REPORTS if r.get(c) is not None]
    if given and r["design"] not in REVIEW_DESIGNS:
        return given[0], (f"only a systematic review or meta-analysis reports {given[0]} of its trials; "
                          f"found design {r['design']!r}")
    high, unclear = r.get("rob_high_share"), r.get("rob_unclear_share")
    if r.get("rob_reported") is False and (high is not None or unclear is not None):
        return "rob_reported", "false, but the row gives shares of the review's trials at high or unclear risk"
    if (high or 0) + (unclear or 0) > 1:
        return "rob_unclear_share", (f"shares of trials at high ({high}) and unclear ({unclear}) risk "
                                     "add up to more than 1")
    if r.get("i2") is not None and r["i2"] > 100:
        return "i2", f"I² is a percentage from 0 to 100, found {r['i2']}"
    events, n = r.get("events"), r.get("n")
    if events is not None and n is not None and events > n:
        return "events", f"more events ({events}) than participants ({n})"
    return None


def _review_certainty_from_a_review(r: dict) -> tuple[str, str] | None:
    if r["review_certainty"] and r["design"] not in REVIEW_DESIGNS:
        return "review_certainty", (f"only a systematic review or meta-analysis reports its own GRADE certainty; "
                                    f"design is {r['design']!r}")
    return None


# Where one sentence ends and the next begins: after ".", "!" or "?" (and any closing quote or
# bracket), before white space and a capital, digit or opening quote; never after "e.g.", "i.e.",
# "et al." or "vs.". The one rule for the claim finder's spans and the explanations' length.
SENTENCE_BREAK = re.compile(r"(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bet al\.)(?<!\bvs\.)(?<=[.!?])[\"”’)]*\s+"
                            r"(?=[\"“‘(]?[A-Z0-9])")


def sentence_count(text: str) -> int:
    """How many sentences ``text`` holds (:data:`SENTENCE_BREAK`)."""
    return len([p for p in SENTENCE_BREAK.split(text.strip()) if p.strip()])
EXPLANATION_SENTENCES = (2, 4)  # the "two to four sentences": short enough to lead a claim


def _explanation_length(r: dict) -> tuple[str, str] | None:
    n = sentence_count(r["explanation"])
    low, high = EXPLANATION_SENTENCES
    if not low <= n <= high:
        return "explanation", f"expected {low} to {high} sentences, found {n}"
    return None


def _screened_le_hits(r: dict) -> tuple[str, str] | None:
    if r["screened"] > r["hits"]:
        return "screened", f"expected screened <= hits ({r['hits']}), found {r['screened']}"
    return None


def rob_row_problem(r: dict) -> tuple[str, str] | None:
    """A domain of the row's tool, judged in that tool's words (the one rule, for rob.csv and
    for settling two reviewers' judgements)."""
    domains = {"rob2": ROB2_DOMAINS, "amstar2": AMSTAR2_DOMAINS, "design": ("overall",)}[r["tool"]]
    if r["domain"] not in domains:
        return "domain", f"for tool {r['tool']} expected one of {', '.join(domains)}; found {r['domain']!r}"
    judgements = AMSTAR2_JUDGEMENTS if r["tool"] == "amstar2" else ROB_JUDGEMENTS
    if r["judgement"] not in judgements:
        return "judgement", (f"for tool {r['tool']} expected one of {', '.join(judgements)}; "
                             f"found {r['judgement']!r}")
    return None


def _override_value(r: dict) -> tuple[str, str] | None:
    allowed = CERTAINTIES if r["field"] == "certainty" else VERDICTS
    if r["value"] not in allowed:
        return "value", f"for field {r['field']} expected one of {', '.join(allowed)}; found {r['value']!r}"
    return None


def _indirectness_override_reasoned(r: dict) -> tuple[str, str] | None:
    if r["override"] and not r["override_reason"]:
        return "override_reason", f"override {r['override']!r} needs a reason"
    if r["override_reason"] and not r["override"]:
        return "override", "a reason is given but no override value (none, some or serious)"
    return None


def screening_reason_problem(decision: str, reason: str) -> tuple[str, str] | None:
    """An exclusion needs a reason; an inclusion may carry a note there, but never one of the
    :data:`EXCLUSION_REASONS` (a row ``include,wrong-population`` says two things at once). One
    rule, for the file and for the writer (:func:`litreview.collect.screening.decide`)."""
    if decision == "exclude" and not reason.strip():
        return "reason", "an exclusion needs a reason"
    if decision == "include" and reason.strip() in EXCLUSION_REASONS:
        return "reason", (f"an inclusion cannot carry the exclusion reason {reason.strip()!r}; "
                          "decide exclude, or leave the reason empty")
    return None


# --- the tables -----------------------------------------------------------------------------

ARTICLES = TableSchema(
    "articles.csv",
    (
        Column("article_id", pattern=KEY),
        Column("file", pattern=r"[A-Za-z0-9._-]+"),
        Column("title"),
        Column("site"),
        Column("date_shown", required=False),
        Column("url", required=False, pattern=r"https?://\S+"),
        Column("sha256", pattern=r"[0-9a-f]{64}"),
        Column("has_references", kind="bool"),
        Column("note", required=False),
    ),
    key=("article_id",),
    description="One row per article under review; the text is in articles/<file>, byte-for-byte.",
)

CLAIMS = TableSchema(
    "claims.csv",
    (
        Column("claim_id", pattern=CLAIM_ID),
        Column("article_id", pattern=KEY),
        Column("quote"),
        Column("start", kind="int", minimum=0),
        Column("end", kind="int", minimum=1),
        Column("claim"),
        Column("category", vocab=CATEGORIES),
        Column("kind", vocab=KINDS, description="the standard the claim is judged by"),
        Column("group", pattern=KEY),
        Column("population", required=False),
        Column("intervention", required=False),
        Column("comparator", required=False),
        Column("outcome", required=False),
        Column("testable", kind="bool"),
        Column("cited_keys", kind="list", required=False, pattern=KEY),
    ),
    key=("claim_id",),
    row_checks=(_offsets_ordered, _kind_fits_testable),
    description="One row per checkable claim; text[start:end] == quote.",
)

SEARCH_LOG = TableSchema(
    "search_log.csv",
    (
        Column("search_id", pattern=r"S[0-9]{3}"),
        Column("claim_ids", kind="list", pattern=CLAIM_ID),
        Column("source"),
        Column("query"),
        Column("date", kind="date"),
        Column("hits", kind="int", minimum=0),
        Column("screened", kind="int", minimum=0),
        Column("note", required=False),
    ),
    key=("search_id",),
    row_checks=(_screened_le_hits,),
    description="One row per search run; feeds the PRISMA flow diagram.",
)

SCREENING = TableSchema(
    "screening.csv",
    (
        Column("record_key"),
        Column("search_id", pattern=r"S[0-9]{3}"),
        Column("stage", vocab=SCREENING_STAGES),
        Column("decision", vocab=SCREENING_DECISIONS),
        Column("reason", required=False),
        Column("reviewer", required=False, may_be_absent=True,
               description="who decided (LITREVIEW_REVIEWER, else the login name); undo takes back one's own"),
    ),
    # with two reviewers (review.toml [reviewers] screening = 2) a record has one row per reviewer at each
    # stage; with one, litreview.tables.review checks that it has one row (litreview.tables.decisions)
    key=("record_key", "search_id", "stage", "reviewer"),
    row_checks=(lambda r: screening_reason_problem(r["decision"], r["reason"] or ""),),
    description="One row per screened record (a library key when included, else a DOI or url).",
)

SCREENING_SETTLEMENTS = TableSchema(
    "screening_settlements.csv",
    (
        Column("record_key"),
        Column("search_id", pattern=r"S[0-9]{3}"),
        Column("stage", vocab=SCREENING_STAGES),
        Column("decision", vocab=SCREENING_DECISIONS, description="the settled decision"),
        Column("reason", required=False),
        Column("how", vocab=SETTLEMENT_WAYS),
        Column("note", description="what settled it, in the reviewers' words"),
        Column("settled_by", required=False, description="who recorded the settlement"),
    ),
    key=("record_key", "search_id", "stage"),
    row_checks=(lambda r: screening_reason_problem(r["decision"], r["reason"] or ""),),
    description=("With two screening reviewers: the settlement of each record they decided differently "
                 "(litreview screen settle); the record's final decision."),
)

EVIDENCE = TableSchema(
    "evidence.csv",
    (
        Column("evidence_id", pattern=r"E[0-9]{3,4}"),
        Column("claim_id", pattern=CLAIM_ID),
        Column("study_key", pattern=KEY),
        Column("design", vocab=DESIGNS),
        Column("population"),
        Column("n", kind="int", required=False, minimum=1, maximum=MAX_N),
        Column("intervention"),
        Column("comparator", required=False),
        Column("outcome"),
        Column("direction", vocab=DIRECTIONS),
        Column("effect_measure", required=False, vocab=EFFECT_MEASURES),
        Column("effect", kind="float", required=False),
        Column("ci_low", kind="float", required=False),
        Column("ci_high", kind="float", required=False),
        Column("indirectness", vocab=INDIRECTNESS),
        Column("indirectness_note", required=False),
        Column("finding"),
        Column("locator"),
        Column("review_certainty", required=False, vocab=CERTAINTIES,
               description="the GRADE certainty a systematic review reports for this outcome"),
        # added later; a table written before them still reads (litreview.grade.certainty_rules)
        Column("comparator_type", required=False, vocab=COMPARATOR_TYPES, may_be_absent=True,
               description="what the control group received"),
        Column("outcome_type", required=False, vocab=OUTCOME_TYPES, may_be_absent=True,
               description="continuous (a score) or dichotomous (an event happened or not)"),
        Column("events", kind="int", required=False, minimum=0, may_be_absent=True,
               description="participants with the event, both arms together (dichotomous outcomes)"),
        Column("control_risk", kind="float", required=False, minimum=0, maximum=1, may_be_absent=True,
               description="risk of the event in the control group, as reported (a summary-of-findings "
                           "table's 482 per 1000 is 0.482); dichotomous outcomes without events"),
        Column("trials", kind="int", required=False, minimum=1, may_be_absent=True,
               description="number of trials a review pooled for this outcome"),
        Column("rob_high_share", kind="float", required=False, minimum=0, may_be_absent=True,
               description="share (0-1) of a review's trials (or weight) at high risk of bias, as it reports"),
        Column("rob_unclear_share", kind="float", required=False, minimum=0, may_be_absent=True,
               description="share (0-1) of a review's trials (or weight) at unclear risk or some concerns"),
        Column("i2", kind="float", required=False, minimum=0, may_be_absent=True,
               description="I² in percent that a review reports for this outcome"),
        Column("overlaps", kind="list", required=False, pattern=KEY + "|E[0-9]{3,4}", may_be_absent=True,
               description="evidence ids or study keys whose participants this row shares (space-separated)"),
        Column("rob_reported", kind="bool", required=False, may_be_absent=True,
               description="false when a review says nothing about its trials' risk of bias (no shares, no summary)"),
        Column("heterogeneity_p", kind="float", required=False, minimum=0, maximum=1, may_be_absent=True,
               description="P of the test for heterogeneity (Chi², Cochran's Q) a review reports for this outcome"),
        Column("substantial_heterogeneity", kind="bool", required=False, may_be_absent=True,
               description="true when a review's results (not its GRADE table) call this outcome's trials "
                           "substantially heterogeneous; false when they say the trials agree"),
        Column("small_study_effects", kind="bool", required=False, may_be_absent=True,
               description="true when a review reports funnel-plot asymmetry or a small-study test (e.g. Egger's) "
                           "for this outcome; false when it looked and found none"),
    ),
    key=("evidence_id",),
    row_checks=(_effect_complete, _indirectness_explained, _review_certainty_from_a_review, _trial_shares_fit),
    description="One row per (claim, study, outcome). Risk of bias comes from rob.csv.",
)

INDIRECTNESS_ANSWERS = TableSchema(
    "indirectness.csv",
    (
        Column("evidence_id", pattern=r"E[0-9]{3,4}", description="a row of evidence.csv"),
        *(Column(q, vocab=tuple(answers), description="; ".join(f"{a}: {m}" for a, m in answers.items()))
          for q, answers in INDIRECTNESS_QUESTIONS.items()),
        Column("override", required=False, vocab=INDIRECTNESS,
               description="the reviewer's judgement when it differs from the derived one"),
        Column("override_reason", required=False, description="why the derived judgement does not fit"),
        Column("note", description="why the chosen answers apply, in the reviewer's words"),
    ),
    key=("evidence_id",),
    row_checks=(_indirectness_override_reasoned,),
    description=("The indirectness questions per evidence row, answered against the claim as the article "
                 "states it; the judgement is derived (litreview.appraise.indirectness) and may be "
                 "overridden only with a reason."),
)

ROB = TableSchema(
    "rob.csv",
    (
        Column("study_key", pattern=KEY),
        Column("tool", vocab=ROB_TOOLS),
        Column("domain"),
        Column("judgement"),
        Column("support"),
    ),
    key=("study_key", "domain"),
    row_checks=(rob_row_problem,),
    description="Risk of bias per study and domain (RoB 2, AMSTAR 2, or one design-based judgement).",
)

REFERENCE_AUDIT = TableSchema(
    "reference_audit.csv",
    (
        Column("cited_key", pattern=KEY),
        Column("matched_key", required=False, pattern=KEY),
        Column("also_matches", kind="list", required=False, pattern=KEY),
        Column("nearest_keys", kind="list", required=False, pattern=KEY),
        Column("search_ids", kind="list", required=False, pattern=r"S[0-9]{3}"),
        Column("supports_claims", vocab=SUPPORT_JUDGEMENTS),
        Column("relevance"),
    ),
    key=("cited_key",),
    description=("One row per reference the articles cite. The status and the field-by-field "
                 "differences are computed (litreview.collect.audit), never typed."),
)

OVERRIDES = TableSchema(
    "overrides.csv",
    (
        Column("claim_id", pattern=CLAIM_ID),
        Column("field", vocab=OVERRIDE_FIELDS),
        Column("value"),
        Column("justification"),
        Column("reviewer"),
        Column("date", kind="date"),
    ),
    key=("claim_id", "field"),
    row_checks=(_override_value,),
    description="Reviewer overrides of computed grades, each with a justification.",
)

EXPLANATIONS = TableSchema(
    "explanations.csv",
    (
        Column("claim_id", pattern=CLAIM_ID),
        Column("explanation"),
    ),
    key=("claim_id",),
    row_checks=(_explanation_length,),
    description=("The reviewer's explanation of each graded claim, two to four sentences in the reviewer's "
                 "own words; the report leads the claim with it and ClaimReview carries it."),
)

# --- double extraction: each reviewer's own extraction, and how conflicts were settled -------------
# (litreview.appraise.double). The consensus of the two is what grades: evidence.csv and
# indirectness.csv stay the tables the grade reads.

def _like(schema: TableSchema, column_name: str, **changes) -> Column:
    """A column of ``schema`` as another table uses it: the same type, vocabulary and bounds
    (one definition of each), with ``changes`` (``required``, ``description``...)."""
    [column] = [c for c in schema.columns if c.name == column_name]
    return replace(column, **changes)


# the fields two extractions of a row are compared on, field by field: what the row's grade reads
# (design, n, direction, effect and interval, comparator and outcome type) and the four
# indirectness answers, from which each reviewer's indirectness is derived
EXTRACTION_EVIDENCE_FIELDS = ("design", "n", "direction", "effect_measure", "effect", "ci_low", "ci_high",
                              "comparator_type", "outcome_type")
EXTRACTION_FIELDS = (*EXTRACTION_EVIDENCE_FIELDS, *INDIRECTNESS_QUESTIONS)
# how a conflict was settled: the first reviewer's answer kept, the second's taken, or an answer
# neither gave (benchmarks/agreement/reconciliation.csv, the same words)
SETTLED_BY = ("first-kept", "second-taken", "third-answer")
# the text an evidence row needs beside the compared fields, carried from an extraction into a new
# consensus row (extractions.csv column -> evidence.csv column); never compared
EXTRACTION_TEXT = {"population_text": "population", "intervention_text": "intervention",
                   "comparator_text": "comparator", "outcome_text": "outcome", "finding": "finding",
                   "locator": "locator"}


def _answers_all_or_none(r: dict) -> tuple[str, str] | None:
    given = [q for q in INDIRECTNESS_QUESTIONS if r.get(q)]
    if given and len(given) != len(INDIRECTNESS_QUESTIONS):
        absent = [q for q in INDIRECTNESS_QUESTIONS if q not in given]
        return absent[0], ("answer all four indirectness questions (population, intervention, comparator, "
                           "outcome) or none")
    return None


def settled_by_problem(r: dict) -> tuple[str, str] | None:
    """``settled_by`` says which answer the consensus is: the first's, the second's, or neither's.
    One rule, for the file and for the writer (:func:`litreview.appraise.double.settle`)."""
    first, second, consensus = (r.get(k) or "" for k in ("first", "second", "consensus"))
    if first == second:
        return "second", f"first and second agree ({first!r}): there is no conflict to settle"
    expected = ("first-kept" if consensus == first else "second-taken" if consensus == second else "third-answer")
    if r["settled_by"] != expected:
        return "settled_by", (f"consensus {consensus!r} with first {first!r} and second {second!r} is "
                              f"{expected}, found {r['settled_by']!r}")
    return None


EXTRACTIONS = TableSchema(
    "extractions.csv",
    (
        _like(EVIDENCE, "evidence_id", description="the row of evidence.csv both reviewers extract"),
        _like(EVIDENCE, "claim_id"),
        _like(EVIDENCE, "study_key"),
        Column("reviewer", description="who extracted (LITREVIEW_REVIEWER, else the login name)"),
        _like(EVIDENCE, "design"),
        _like(EVIDENCE, "n"),
        _like(EVIDENCE, "direction", required=False),
        *(_like(EVIDENCE, c, may_be_absent=False) for c in ("effect_measure", "effect", "ci_low", "ci_high",
                                                            "comparator_type", "outcome_type")),
        *(_like(INDIRECTNESS_ANSWERS, q, required=False) for q in INDIRECTNESS_QUESTIONS),
        Column("note", required=False, description="what the study did and why the answers apply, in the "
                                                   "reviewer's words"),
        Column("url", required=False, may_be_absent=True, pattern=r"https?://\S+",
               description="the public page where the record was read"),
        *(_like(EVIDENCE, e, name=c, required=False, may_be_absent=True,
                description=f"evidence.csv's {e} as this reviewer wrote it (a new row's consensus takes it)")
          for c, e in EXTRACTION_TEXT.items()),
    ),
    key=("evidence_id", "reviewer"),
    row_checks=(_effect_complete, _answers_all_or_none),
    description=("Each reviewer's independent extraction of an evidence row, one row per (evidence_id, reviewer); "
                 "the consensus goes to evidence.csv and indirectness.csv through reconciling."),
)

RECONCILIATION = TableSchema(
    "reconciliation.csv",
    (
        _like(EVIDENCE, "evidence_id"),
        _like(EVIDENCE, "claim_id"),
        Column("field", vocab=EXTRACTION_FIELDS),
        Column("first", required=False, description="the first reviewer's answer (reviewers in alphabetical order)"),
        Column("second", required=False, description="the second reviewer's answer"),
        Column("consensus", required=False, description="the answer now in evidence.csv / indirectness.csv"),
        Column("settled_by", vocab=SETTLED_BY),
        Column("reason", description="one sentence on why"),
    ),
    key=("evidence_id", "field"),
    row_checks=(settled_by_problem,),
    description="One row per settled conflict between two extractions of an evidence row.",
)

# Risk of bias by two reviewers: each reviewer's rows beside the other's, then the conflicts settled
# (litreview.appraise.double_rob) into rob.csv, which stays the table the grade reads. A conflict
# is a domain judged differently, or the tool itself when the two chose different tools.
ROB_FIELDS = ("tool", *ROB2_DOMAINS, *AMSTAR2_DOMAINS, "overall")

ROB_EXTRACTIONS = TableSchema(
    "rob_extractions.csv",
    (
        _like(ROB, "study_key"),
        Column("reviewer", description="who judged (LITREVIEW_REVIEWER, else the login name)"),
        *(_like(ROB, c) for c in ("tool", "domain", "judgement", "support")),
    ),
    key=("study_key", "reviewer", "domain"),
    row_checks=(rob_row_problem,),
    description="Each reviewer's own risk-of-bias rows of a study; the consensus goes to rob.csv by reconciling.",
)

ROB_RECONCILIATION = TableSchema(
    "rob_reconciliation.csv",
    (
        _like(ROB, "study_key"),
        Column("field", vocab=ROB_FIELDS, description="the domain judged differently, or the tool"),
        *(_like(RECONCILIATION, c) for c in ("first", "second", "consensus", "settled_by", "reason")),
    ),
    key=("study_key", "field"),
    row_checks=(settled_by_problem,),
    description="One row per settled conflict between two reviewers' risk-of-bias judgements of a study.",
)

# --- study status: retractions, corrections, expressions of concern (litreview.collect.status) ----------

# Most serious first. A study's status is the most serious notice any source shows.
# ``no-notice-seen``: a record of the study was read and showed no notice; ``not-verified``:
# no record could be read, so nothing is claimed either way.
STUDY_STATUSES = ("retracted", "withdrawn", "expression-of-concern", "corrected", "no-notice-seen",
                  "not-verified")
STATUS_BIBS = ("library", "cited")


def _status_sourced(r: dict) -> tuple[str, str] | None:
    if r["status"] == "not-verified":
        if not r["note"]:
            return "note", "a study not verified needs a note saying why"
        return None
    if not r["source"]:
        return "source", f"status {r['status']!r} needs the source that showed it (a service or a url)"
    if not r["checked_on"]:
        return "checked_on", f"status {r['status']!r} needs the date it was checked"
    if r["status"] not in ("no-notice-seen",) and not (r["notice_doi"] or r["notice_pmid"] or r["note"]):
        return "notice_doi", f"status {r['status']!r} needs the notice's DOI or PMID, or a note naming it"
    return None


STUDY_STATUS = TableSchema(
    "study_status.csv",
    (
        Column("key", pattern=KEY, description="a key of library.bib or cited.bib"),
        Column("bib", vocab=STATUS_BIBS),
        Column("doi", required=False),
        Column("pmid", required=False, pattern=r"\d+"),
        Column("status", vocab=STUDY_STATUSES),
        Column("notice_doi", kind="list", required=False, description="the notices' DOIs"),
        Column("notice_pmid", kind="list", required=False, pattern=r"\d+"),
        Column("notice_date", required=False, pattern=r"\d{4}(-\d{2}(-\d{2})?)?"),
        Column("source", required=False, description="services that answered, or the url read"),
        Column("checked_on", required=False, kind="date"),
        Column("differences", required=False, description="source.field: ours → the record's; ..."),
        Column("note", required=False),
    ),
    key=("bib", "key"),
    row_checks=(_status_sourced,),
    description=("One row per library study and cited reference: retraction, withdrawal, expression of "
                 "concern or correction as the records show them, and metadata differences. Written by "
                 "`litreview verify-library`, or by hand from a record read."),
)

TABLES: dict[str, TableSchema] = {s.filename: s for s in
                                  (ARTICLES, CLAIMS, SEARCH_LOG, SCREENING, EVIDENCE, INDIRECTNESS_ANSWERS,
                                   ROB, REFERENCE_AUDIT, OVERRIDES, EXPLANATIONS, STUDY_STATUS)}

# the tables that name a claim of claims.csv, with the column and whether it holds a list: a claim
# they name cannot be taken back
CLAIM_NAMED_IN: tuple[tuple[TableSchema, str, bool], ...] = (
    (EVIDENCE, "claim_id", False), (SEARCH_LOG, "claim_ids", True),
    (EXPLANATIONS, "claim_id", False), (OVERRIDES, "claim_id", False))
