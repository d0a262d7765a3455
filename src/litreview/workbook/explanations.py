"""The reviewer's explanation of a graded claim, written from the claim explorer (notebook 05).

An explanation is two to four sentences in the reviewer's own words that name the verdict the
grade gives (either scale: "unsupported" or "evidence lacking"). :func:`save_explanation`
checks the new text as ``litreview check`` would read it (the table's schema, the explanation
checks of :func:`litreview.checks.explanation_problems`), and also that it names the computed
verdict and is not the grade's own rationale pasted in; then, under the table's lock, writes the
whole table beside ``explanations.csv`` and swaps it in. A refused text writes nothing.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from pathlib import Path

from .. import paths
from ..checks import allowed_verdicts, explanation_problems
from ..grade.assessment import Assessment
from ..grade.verdicts import verdicts_named
from ..tables.review import Review
from ..tables.schema import EXPLANATIONS, SchemaError, decode_text, parse_table

# words in a row shared with the computed rationale that make a text the machine's, not the
# reviewer's: eight, the length past which a shared run is no longer a stock phrase
COPIED_RUN = 8


class ExplanationRefused(ValueError):
    """The explanation was not saved; ``problems`` say why, each naming file, row and column."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _copied(text: str, source: str, run: int = COPIED_RUN) -> bool:
    words, theirs = _words(text), _words(source)
    runs = {tuple(theirs[i:i + run]) for i in range(len(theirs) - run + 1)}
    return any(tuple(words[i:i + run]) in runs for i in range(len(words) - run + 1))


def _table_text(existing: str, claim_id: str, explanation: str) -> tuple[str, int]:
    """The table with ``claim_id``'s explanation replaced (or added at the end), and its line."""
    rows = list(csv.reader(io.StringIO(existing))) if existing.strip() else [list(EXPLANATIONS.names)]
    header, body = rows[0], [r for r in rows[1:] if r]
    found = next((i for i, r in enumerate(body) if r and r[0] == claim_id), None)
    new = [claim_id, " ".join(explanation.split())]
    if found is None:
        body.append(new)
        found = len(body) - 1
    else:
        body[found] = new
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(body)
    return out.getvalue(), found + 2


def save_explanation(review: str | Review, claim_id: str, explanation: str, root: Path | None = None) -> str:
    """Check and write one claim's explanation; return the file label written. Raises
    :class:`ExplanationRefused` with every problem, writing nothing."""
    rv = review if isinstance(review, Review) else Review.load(review, root)
    path = paths.data_dir(rv.name, rv.root) / EXPLANATIONS.filename
    label = rv.label(path)
    assessment = Assessment.of(rv, claim_ids=[claim_id])  # a claim's grade reads no other claim's rows
    grades = assessment.grades.set_index("claim_id")
    if claim_id not in grades.index or not grades.loc[claim_id, "testable"]:
        raise ExplanationRefused([f"{label}:claim_id: {claim_id!r} is not a testable claim of claims.csv: "
                                  "nothing to explain"])
    grade = grades.loc[claim_id].to_dict()
    with paths.locked(path):
        existing = path.read_text(encoding="utf-8") if path.is_file() else ""
        text, line = _table_text(existing, claim_id, explanation)
        problems: list[str] = []
        try:
            table = parse_table(decode_text(text.encode("utf-8"), label), EXPLANATIONS, label)
        except SchemaError as exc:
            problems += [str(p) for p in exc.problems if p.row in (None, line)]
            table = None
        if table is not None:
            table.attrs.update(path=label)
            probe = dataclasses.replace(rv, tables={**rv.tables, EXPLANATIONS.filename: table})
            problems += [str(p) for p in explanation_problems(probe, assessment) if p.row == line]
        allowed = allowed_verdicts(grade)
        if not verdicts_named(explanation) & allowed:
            problems.append(f"{label}:{line}:explanation: {claim_id}: name the verdict the grade gives "
                            f"({' or '.join(repr(v) for v in sorted(allowed))})")
        if _copied(explanation, grade.get("rationale") or ""):
            problems.append(f"{label}:{line}:explanation: {claim_id}: this repeats the computed rationale; "
                            "say it in your own words")
        if problems:
            raise ExplanationRefused(problems)
        with paths.replacing(path) as new:
            new.write_text(text, encoding="utf-8", newline="")
    return label


__all__ = ["ExplanationRefused", "save_explanation"]
