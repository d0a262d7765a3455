"""Extraction: an evidence row validated in the words of `litreview check`, appended without
touching the other rows, and the claim's grade before and after. Run on a copy of the fixture
review in tests/fixtures/workbook (four claims, three meta-analyses with risk-of-bias rows)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from conftest import ROOT, copy_project
from litreview.appraise.extraction import (
    REJUDGED,
    RowRefused,
    append_row,
    blank_row,
    next_evidence_id,
    prefill_from,
    validate_row,
)
from litreview.checks import check_review, still_needed
from litreview.grade.assessment import claim_grade
from litreview.grade.claim import grade_change
from litreview.report.missing import gaps
from litreview.tables.review import Review
from litreview.tables.schema import EVIDENCE, read_table

FIXTURE = Path(__file__).parent / "fixtures" / "workbook"
NAME = "after-exercise"
LABEL = f"data/{NAME}/evidence.csv"


def unappraised_study() -> tuple[str, str]:
    """A study of the shipped review's library (a record that was read), not in the fixture
    review: added to its library.bib, it is a study with no risk-of-bias rows yet."""
    text = (ROOT / "references" / "calf-massage" / "library.bib").read_text(encoding="utf-8")
    start = text.index("@article{airaksinen1989changes,")
    return "airaksinen1989changes", text[start:text.index("\n}\n", start) + 3]


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return copy_project(FIXTURE, tmp_path, monkeypatch)


def evidence_file(root: Path) -> Path:
    return root / "data" / NAME / "evidence.csv"


def good_row(claim_id: str = "M01") -> dict:
    """A row a reviewer could save: the davis2020effect study, judged for ``claim_id``."""
    row = blank_row(claim_id, "davis2020effect")
    row.update(design="meta-analysis", population="athletes and active adults", n=1012, intervention="manual massage",
               comparator="no massage", outcome="perceived fatigue", direction="supports", indirectness="some",
               indirectness_note="massage at various sites", finding="Massage lowered perceived fatigue.",
               locator="abstract, results")
    return row


def test_the_next_id_is_one_past_the_highest(root):
    assert next_evidence_id(NAME) == "E004"
    path = evidence_file(root)
    text = path.read_text().replace("E002,", "E017,")
    path.write_text(text)
    assert next_evidence_id(NAME) == "E018"
    path.write_text(EVIDENCE.header())
    assert next_evidence_id(NAME) == "E001"


def test_a_valid_row_is_appended_with_the_next_id_and_the_other_rows_kept_byte_for_byte(root):
    path = evidence_file(root)
    before = path.read_bytes()
    row = good_row()
    row["finding"] = "Massage lowered\nperceived   fatigue."  # a text area's line break
    assert validate_row(NAME, row) == []
    assert append_row(NAME, row) == "E004"
    after = path.read_bytes()
    assert after.startswith(before)
    assert after[len(before):] == (b"E004,M01,davis2020effect,meta-analysis,athletes and active adults,1012,"
                                   b"manual massage,no massage,perceived fatigue,supports,,,,,some,"
                                   b"massage at various sites,Massage lowered perceived fatigue.,"
                                   b"\"abstract, results\",\n")
    table = read_table(path, EVIDENCE, LABEL)
    assert list(table["evidence_id"]) == ["E001", "E002", "E003", "E004"]
    assert append_row(NAME, {**good_row(), "evidence_id": "E001"}) == "E005"  # an id given is replaced
    assert not list(path.parent.glob(".evidence.csv.new-*"))


@pytest.mark.parametrize("change, expected", [
    ({"design": "rct-ish"},
     ["5:design: expected one of systematic-review, meta-analysis, rct, non-randomised-trial, cohort, case-control, "
      "cross-sectional, case-series, case-report, mechanistic-human, animal, in-vitro, narrative-review, guideline, "
      "reference-standard; found 'rct-ish'"]),
    ({"direction": "positive"}, ["5:direction: expected one of supports, contradicts, mixed, no-effect; found 'positive'"]),
    ({"effect_measure": "SMD", "effect": -0.4},
     ["5:ci_low: an effect needs effect_measure, effect, ci_low and ci_high together"]),
    ({"effect_measure": "RR", "effect": 0.8, "ci_low": 0.9, "ci_high": 1.2},
     ["5:effect: expected ci_low <= effect <= ci_high, found 0.9 / 0.8 / 1.2"]),
    ({"n": "about 40"}, ["5:n: expected a whole number, found 'about 40'"]),
    ({"n": 0}, ["5:n: expected at least 1, found '0'"]),
    ({"indirectness_note": ""}, ["5:indirectness_note: indirectness is 'some': say why"]),
    ({"review_certainty": "low", "design": "rct"},
     ["5:review_certainty: only a systematic review or meta-analysis reports its own GRADE certainty; "
      "design is 'rct'"]),
    ({"study_key": "smith2099nowhere"}, ["5:study_key: unknown study (not in library.bib) 'smith2099nowhere'"]),
    ({"claim_id": "M09"}, ["5:claim_id: unknown claim (not in claims.csv) 'M09'"]),
    ({"claim_id": "M09", "direction": None},
     ["5:direction: a value is required, found an empty cell", "5:claim_id: unknown claim (not in claims.csv) 'M09'"]),
])
def test_bad_input_is_refused_with_the_check_message_and_nothing_written(root, change, expected):
    path = evidence_file(root)
    before = path.read_bytes()
    messages = [f"{LABEL}:{e}" for e in expected]
    row = {**good_row(), **change}
    assert validate_row(NAME, row) == messages
    with pytest.raises(RowRefused) as refused:
        append_row(NAME, row)
    assert refused.value.messages == messages
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir() if p.name.startswith(".evidence")) == [".evidence.csv.lock"]


def test_the_messages_are_the_ones_litreview_check_gives_for_the_same_row_written_by_hand(root):
    """The same bad row, typed into the file: `check` reports what validate_row reported."""
    row = {**good_row(), "direction": "positive", "study_key": "smith2099nowhere"}
    messages = validate_row(NAME, row)
    path = evidence_file(root)
    with path.open("a") as handle:
        handle.write("E004,M01,smith2099nowhere,meta-analysis,athletes,1012,massage,,fatigue,positive,,,,,none,,"
                     "Lower fatigue.,abstract,\n")
    reported = [str(p) for p in check_review(Review.load(NAME)) if p.path == LABEL]
    assert messages[0] in reported  # the schema's message (check stops at schema errors)
    path.write_text(path.read_text().replace(",positive,", ",supports,"))
    assert messages[1] in [str(p) for p in check_review(Review.load(NAME))]


def test_a_broken_table_is_never_appended_to(root):
    path = evidence_file(root)
    path.write_text(path.read_text().replace("E002,M01", "E002,M1"))
    before = path.read_bytes()
    assert validate_row(NAME, good_row()) == [f"{LABEL}:3:claim_id: expected a value matching [A-Z][0-9]{{2,3}}, "
                                              "found 'M1'"]
    with pytest.raises(RowRefused) as refused:
        append_row(NAME, good_row())
    assert refused.value.messages == [f"{LABEL}:3:claim_id: expected a value matching [A-Z][0-9]{{2,3}}, found 'M1'"]
    assert path.read_bytes() == before


def test_a_new_review_gets_the_header_and_crlf_files_keep_their_line_ends(root):
    path = evidence_file(root)
    path.unlink()
    assert validate_row(NAME, good_row()) == []
    assert append_row(NAME, good_row()) == "E001"
    assert path.read_text().splitlines()[0] == ",".join(EVIDENCE.names)
    crlf = path.read_bytes().replace(b"\n", b"\r\n")
    path.write_bytes(crlf)
    assert validate_row(NAME, {**good_row(), "n": "x"}) == [f"{LABEL}:3:n: expected a whole number, found 'x'"]
    append_row(NAME, good_row())
    assert path.read_bytes().startswith(crlf) and path.read_bytes().endswith(b",\r\n")
    assert b"\n" not in path.read_bytes().replace(b"\r\n", b"")


def test_prefill_copies_the_study_and_leaves_direction_and_indirectness_to_be_judged_again(root):
    row = prefill_from(NAME, "E003", "M02")
    assert row["claim_id"] == "M02" and row["evidence_id"] is None
    assert (row["study_key"], row["design"], row["n"], row["effect_measure"], row["effect"], row["ci_low"],
            row["ci_high"]) == ("guo2017massage", "meta-analysis", 504, "SMD", -1.16, -1.60, -0.72)
    assert all(row[c] is None for c in REJUDGED)
    assert validate_row(NAME, row) == [f"{LABEL}:5:direction: a value is required, found an empty cell",
                                       f"{LABEL}:5:indirectness: a value is required, found an empty cell"]
    with pytest.raises(KeyError, match="E099"):
        prefill_from(NAME, "E099", "M02")


def test_the_claims_grade_before_and_after_a_save(root):
    before = claim_grade(NAME, "M04")
    assert before.short() == "M04: unsupported, very low"
    # one meta-analysis of 1012 participants with one critical AMSTAR 2 flaw (some concerns), indirect: high,
    # rated down twice
    row = {**good_row("M04"), "indirectness_note": "sessions of various lengths, not compared by duration"}
    append_row(NAME, row)
    after = claim_grade(NAME, "M04")
    assert grade_change(before, after) == "M04: unsupported, very low -> partly supported, low"
    rob, indirect = after.reasons
    assert rob.startswith("risk of bias: ") and "100% with some concerns" in rob and "E004" in rob
    assert indirect == "indirectness: 100% of the weight is indirect to the claim (E004)"
    assert grade_change(after, claim_grade(NAME, "M04")) == "M04: unchanged (partly supported, low)"


def test_one_claims_grade_is_the_review_grade_of_that_claim(root):
    from litreview.grade.grading import grade_review

    rv = Review.load(NAME)
    full = grade_review(rv.claims, rv.evidence, rv.rob, rv.overrides, searched=rv.searched_claims(),
                        study_status=rv.study_status).set_index("claim_id")
    for cid in rv.claims["claim_id"]:
        g = claim_grade(rv, cid)
        assert (g.verdict, g.certainty, g.rationale) == (full.loc[cid, "verdict"], full.loc[cid, "certainty"]
                                                         if cid != "M03" else None, full.loc[cid, "rationale"])


def test_check_still_passes_after_a_save_for_an_explained_claim_and_an_appraised_study(root):
    assert check_review(Review.load(NAME)) == []
    append_row(NAME, good_row("M01"))
    assert check_review(Review.load(NAME)) == []
    assert still_needed(NAME, "M01", "davis2020effect") == []


def test_what_check_will_still_ask_for_is_reported_not_written(root):
    explanations = root / "data" / NAME / "explanations.csv"
    rob = root / "data" / NAME / "rob.csv"
    untouched = explanations.read_bytes(), rob.read_bytes()
    key, entry = unappraised_study()
    with (root / "references" / NAME / "library.bib").open("a") as handle:
        handle.write("\n" + entry)
    row = {**good_row("M04"), "study_key": key, "design": "rct", "population": "patients after ankle injury",
           "n": None, "intervention": "intermittent pneumatic compression", "indirectness": "serious",
           "indirectness_note": "compression of an injured ankle, not massage after exercise"}
    assert validate_row(NAME, row) == []  # extraction comes before appraisal: not a reason to refuse
    append_row(NAME, row)
    needed = still_needed(NAME, "M04", key)
    assert needed == [f"{LABEL}:5:study_key: {key} has no risk-of-bias rows in rob.csv",
                      f"data/{NAME}/explanations.csv:claim_id: M04: no explanation yet for this graded claim "
                      "(two to four sentences in your own words)"]
    # the missing risk of bias and the missing explanation are gaps of a review in progress, not problems
    assert check_review(Review.load(NAME)) == []
    assert "M04" in Review.load(NAME).unexplained_claims()
    assert any(key in gap and "no risk-of-bias judgement" in gap for gap in gaps(Review.load(NAME)))
    assert (explanations.read_bytes(), rob.read_bytes()) == untouched


def _append_many(root: str, claim: str, count: int) -> list[str]:
    import os

    os.environ["LITREVIEW_ROOT"] = root
    return [append_row(NAME, good_row(claim)) for _ in range(count)]


def test_two_writers_at_once_take_different_ids_and_lose_nothing(root):
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2) as pool:
        runs = pool.starmap(_append_many, [(str(root), "M01", 6), (str(root), "M01", 6)])
    ids = sorted(runs[0] + runs[1])
    assert ids == [f"E{n:03d}" for n in range(4, 16)]
    table = read_table(evidence_file(root), EVIDENCE, LABEL)
    assert list(table["evidence_id"]) == [f"E{n:03d}" for n in range(1, 16)]
