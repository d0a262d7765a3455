"""Bad values that the tables once accepted (defects 15, 16, 17 of the fault campaign, and the
zero-width interval): each is now a check problem naming file, row and column."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from litreview.checks import check_review
from litreview.cli import main
from litreview.collect.screening import Decision, ScreeningError, _check
from litreview.tables.review import Review
from litreview.tables.schema import EVIDENCE, SchemaError, parse_table

EVIDENCE_ROW = ("E001,G01,viljoen2014systematic,meta-analysis,pregnant women,1278,ginger,placebo,nausea,"
                "supports,,,,,none,,Ginger eased nausea more than placebo.,abstract,")


def problems_of(root: Path) -> list[str]:
    return [str(p) for p in check_review(Review.load("ginger", root))]


def _evidence(root: Path, n: str = "1278", effect: str = "", low: str = "", high: str = "", measure: str = ""):
    path = root / "data/ginger/evidence.csv"
    header = path.read_text().splitlines()[0]
    row = (f"E001,G01,viljoen2014systematic,meta-analysis,pregnant women,{n},ginger,placebo,nausea,"
           f"supports,{measure},{effect},{low},{high},none,,Ginger eased nausea more than placebo.,abstract,")
    path.write_text(f"{header}\n{row}\n")


def test_defect15_sample_size_beyond_any_population_is_refused(review_root):
    _evidence(review_root, n="99999999999999999999")
    [problem] = problems_of(review_root)
    assert problem.startswith("data/ginger/evidence.csv:2:n: expected at most 1e+10")


@pytest.mark.parametrize("bad", ["inf", "-inf", "nan", "Infinity"])
def test_defect15_infinite_limits_are_refused(review_root, bad):
    _evidence(review_root, effect="0.5", low="0.1", high=bad, measure="SMD")
    problems = problems_of(review_root)
    assert problems and problems[0].startswith("data/ginger/evidence.csv:2:ci_high: expected a finite number")


@pytest.mark.parametrize(("low", "high", "what"), [("0.5", "0.5", "zero-width"), ("0.9", "0.1", "inverted")])
def test_zero_width_and_inverted_intervals_are_check_problems(review_root, low, high, what):
    _evidence(review_root, effect="0.5", low=low, high=high, measure="SMD")
    [problem] = problems_of(review_root)
    assert problem.startswith("data/ginger/evidence.csv:2:ci_high: expected ci_low < ci_high")
    assert what in problem


@settings(max_examples=60, deadline=None)
@given(low=st.floats(allow_nan=True, allow_infinity=True), high=st.floats(allow_nan=True, allow_infinity=True))
def test_any_interval_the_schema_accepts_is_finite_and_ordered(low, high):
    """Generated limits: whatever passes the schema can be fitted (finite, low < high)."""
    header = ",".join(c.name for c in EVIDENCE.columns if not c.may_be_absent)  # a file without the late columns
    effect = 0.0
    row = EVIDENCE_ROW.replace("supports,,,,,", f"supports,SMD,{effect!r},{low!r},{high!r},")
    try:
        frame = parse_table(f"{header}\n{row}\n", EVIDENCE, "evidence.csv")
    except SchemaError as exc:
        assert all(p.row == 2 and p.column in ("ci_low", "ci_high", "effect") for p in exc.problems)
        return
    r = frame.iloc[0]
    assert float("-inf") < r["ci_low"] < r["ci_high"] < float("inf")


def test_defect16_inclusion_with_an_exclusion_reason_is_refused(review_root):
    path = review_root / "data/ginger/screening.csv"
    path.write_text(path.read_text().replace("full-text,include,", "full-text,include,wrong-population"))
    [problem] = problems_of(review_root)
    assert problem.startswith("data/ginger/screening.csv:2:reason: an inclusion cannot carry the exclusion reason")
    with pytest.raises(ScreeningError, match="cannot carry the exclusion reason"):
        _check(Decision("x.ris:1", "S001", "title-abstract", "include", "wrong-population"))


def test_inclusion_note_is_still_allowed(review_root):
    path = review_root / "data/ginger/screening.csv"
    path.write_text(path.read_text().replace("full-text,include,", "full-text,include,record page with DOI"))
    assert problems_of(review_root) == []


def test_defect17_impossible_search_log_date_is_refused(review_root):
    path = review_root / "data/ginger/search_log.csv"
    path.write_text(path.read_text().replace("2026-11-21", "2026-13-45"))
    [problem] = problems_of(review_root)
    assert problem.startswith("data/ginger/search_log.csv:2:date: expected a calendar date YYYY-MM-DD")


def test_defect17_new_refuses_an_impossible_date(tmp_path, monkeypatch, capsys):
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n")
    (tmp_path / "data").mkdir()
    monkeypatch.setenv("LITREVIEW_ROOT", str(tmp_path))
    article = tmp_path / "a.txt"
    article.write_text("A title\nSome text that says ginger cures colds.\n")
    assert main(["new", "demo", "--article", str(article), "--date", "2026-13-45"]) == 2
    assert "calendar date" in capsys.readouterr().err
    assert not (tmp_path / "data" / "demo").exists()


def test_files_saved_with_a_bom_are_read(review_root):
    """BOM-tolerant reading everywhere: a table, library.bib and review.toml saved by an editor
    that writes a BOM read as the same review."""
    for path in (review_root / "data/ginger/evidence.csv", review_root / "references/ginger/library.bib"):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    (review_root / "data/ginger/review.toml").write_bytes(b"\xef\xbb\xbf" + b"\n")
    review = Review.load("ginger", review_root)
    assert problems_of(review_root) == []
    assert [e.key for e in review.library] == ["viljoen2014systematic"]


@settings(max_examples=150, deadline=None)
@given(year=st.integers(0, 9999), month=st.integers(0, 99), day=st.integers(0, 99),
       n=st.one_of(st.integers(-10, 10**12), st.integers(10**19, 10**21)))
def test_generated_dates_and_sample_sizes_are_read_only_when_real(year, month, day, n):
    """A search-log date passes only when it is on the calendar; a sample size only within 1..10**10."""
    import datetime as dt

    from litreview.tables.schema import SEARCH_LOG

    date = f"{year:04d}-{month:02d}-{day:02d}"
    log = f"{','.join(SEARCH_LOG.names)}\nS001,A01,PubMed,q,{date},3,1,\n"
    try:
        dt.date(year, month, day)
        real = True
    except ValueError:
        real = False
    try:
        parse_table(log, SEARCH_LOG, "search_log.csv")
        assert real, date
    except SchemaError as exc:
        assert not real and [(p.row, p.column) for p in exc.problems] == [(2, "date")]
    row = EVIDENCE_ROW.replace(",1278,", f",{n},")
    try:
        header = ",".join(c.name for c in EVIDENCE.columns if not c.may_be_absent)
        frame = parse_table(f"{header}\n{row}\n", EVIDENCE, "evidence.csv")
        assert 1 <= frame.iloc[0]["n"] <= 10**10
    except SchemaError as exc:
        assert not 1 <= n <= 10**10 and [(p.row, p.column) for p in exc.problems] == [(2, "n")]
