"""The reconciliation of the two extractions of the sampled rows (benchmarks/agreement/):
every conflict between first_extraction.csv and second_extraction.csv is settled once in
reconciliation.csv, the settlement matches the answers it names, and the shipped tables
carry the consensus."""

from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
AGREEMENT = ROOT / "benchmarks" / "agreement"
DATA = ROOT / "data" / "calf-massage"
EVIDENCE_FIELDS = ("design", "n", "direction")
QUESTIONS = ("population", "intervention", "comparator", "outcome")
SETTLED_BY = ("first-kept", "second-taken", "third-answer")


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _n(value: str) -> str:
    return str(int(float(value))) if value.strip() else ""


def _cell(row, field: str) -> str:
    return _n(row[field]) if field == "n" else row[field]


def conflicts(first: pd.DataFrame, second: pd.DataFrame) -> dict[tuple[str, str], tuple[str, str]]:
    """(evidence_id, field) -> (first answer, second answer) wherever the two differ."""
    a = first.set_index("evidence_id")
    out = {}
    for _, s in second.iterrows():
        f = a.loc[s["evidence_id"]]
        for field in (*EVIDENCE_FIELDS, *QUESTIONS):
            x, y = _cell(f, field), _cell(s, field)
            if x != y:
                out[(s["evidence_id"], field)] = (x, y)
    return out


@pytest.fixture(scope="module")
def tables():
    return (_read(AGREEMENT / "first_extraction.csv"), _read(AGREEMENT / "second_extraction.csv"),
            _read(AGREEMENT / "reconciliation.csv"))


def test_conflicts_found_where_answers_differ():
    first = pd.DataFrame([{"evidence_id": "E1", "design": "rct", "n": "20", "direction": "supports",
                           "population": "same", "intervention": "same", "comparator": "fits", "outcome": "same"}])
    second = first.assign(n="20.0", population="related", outcome="same")
    assert conflicts(first, second) == {("E1", "population"): ("same", "related")}


def test_every_conflict_is_settled_once(tables):
    first, second, rec = tables
    keys = list(zip(rec["evidence_id"], rec["field"]))
    assert len(keys) == len(set(keys))
    assert set(keys) == set(conflicts(first, second))


def test_settlement_matches_the_answers_it_names(tables):
    first, second, rec = tables
    found = conflicts(first, second)
    for r in rec.to_dict("records"):
        where = f"{r['evidence_id']} {r['field']}"
        assert (r["first"], r["second"]) == found[(r["evidence_id"], r["field"])], where
        assert r["settled_by"] in SETTLED_BY, where
        assert r["reason"].strip(), where
        if r["settled_by"] == "first-kept":
            assert r["consensus"] == r["first"], where
        elif r["settled_by"] == "second-taken":
            assert r["consensus"] == r["second"], where
        else:
            assert r["consensus"] not in (r["first"], r["second"]), where


def test_shipped_tables_carry_the_consensus(tables):
    _, _, rec = tables
    evidence = _read(DATA / "evidence.csv").set_index("evidence_id")
    answers = _read(DATA / "indirectness.csv").set_index("evidence_id")
    for r in rec.to_dict("records"):
        table = evidence if r["field"] in EVIDENCE_FIELDS else answers
        assert _cell(table.loc[r["evidence_id"]], r["field"]) == r["consensus"], f"{r['evidence_id']} {r['field']}"
