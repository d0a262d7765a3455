"""`litreview check`: every kind of bad input gives one clear file:row:column error."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import claim_row
from litreview.checks import check_review
from litreview.cli import main
from litreview.report.missing import gaps
from litreview.tables.review import Review


def problems_of(root: Path) -> list[str]:
    return [str(p) for p in check_review(Review.load("ginger", root))]


def test_fixture_review_is_clean(review_root):
    assert problems_of(review_root) == []


def test_missing_column(review_root):
    path = review_root / "data/ginger/evidence.csv"
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    drop = header.index("direction")
    path.write_text("\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != drop)
                              for line in lines) + "\n")
    assert problems_of(review_root) == ["data/ginger/evidence.csv:1:direction: missing column"]


def test_value_outside_vocabulary(review_root):
    path = review_root / "data/ginger/evidence.csv"
    path.write_text(path.read_text().replace(",supports,", ",proves,"))
    [problem] = problems_of(review_root)
    assert problem.startswith("data/ginger/evidence.csv:2:direction: expected one of supports, ")
    assert "found 'proves'" in problem


def test_duplicate_id(review_root):
    path = review_root / "data/ginger/claims.csv"
    path.write_text(path.read_text() + claim_row("G01", "Ginger balances the body's inner fire"))
    assert "data/ginger/claims.csv:5:claim_id: duplicate claim_id 'G01'; first at row 2" in problems_of(review_root)


@pytest.mark.parametrize("table, old, new, expected", [
    ("evidence.csv", ",G01,viljoen", ",G09,viljoen",
     "data/ginger/evidence.csv:2:claim_id: unknown claim (not in claims.csv) 'G09'"),
    ("evidence.csv", ",viljoen2014systematic,meta", ",nobody2020nothing,meta",
     "data/ginger/evidence.csv:2:study_key: unknown study (not in library.bib) 'nobody2020nothing'"),
    ("screening.csv", "unrelated,S001", "unrelated,S002",
     "data/ginger/screening.csv:3:search_id: unknown search (not in search_log.csv) 'S002'"),
    ("search_log.csv", "S001,G01 G02", "S001,G01 G07",
     "data/ginger/search_log.csv:2:claim_ids: unknown claim (not in claims.csv) 'G07'"),
])
def test_dangling_reference(review_root, table, old, new, expected):
    path = review_root / "data/ginger" / table
    path.write_text(path.read_text().replace(old, new))
    assert expected in problems_of(review_root)


def test_offsets_that_do_not_match_the_quote_say_where_it_is(review_root):
    path = review_root / "data/ginger/claims.csv"
    rows = path.read_text().splitlines()
    quote = "Ginger balances the body's inner fire"
    rows[3] = claim_row("G03", quote, category="traditional-theory", testable="false", start=5).strip()
    path.write_text("\n".join(rows) + "\n")
    [problem] = problems_of(review_root)
    from conftest import ARTICLE
    real = ARTICLE.index(quote)
    assert problem.startswith("data/ginger/claims.csv:4:quote: G03: quote is not at [5, ")
    assert problem.endswith(f"it occurs at [{real}, {real + len(quote)})")


def test_quote_that_is_nowhere_in_the_article(review_root):
    path = review_root / "data/ginger/claims.csv"
    path.write_text(path.read_text().replace("inner fire", "inner water"))
    [problem] = problems_of(review_root)
    assert "G03" in problem and "it does not occur anywhere in the article" in problem


def test_malformed_bibtex(review_root):
    path = review_root / "references/ginger/library.bib"
    path.write_text(path.read_text() + "\n@article{broken2020entry,\n  title = {unclosed\n")
    found = problems_of(review_root)
    assert any(p.startswith("references/ginger/library.bib:") and "malformed BibTeX" in p for p in found)


def test_duplicate_study_in_library(review_root):
    path = review_root / "references/ginger/library.bib"
    text = path.read_text()
    path.write_text(text + text.replace("viljoen2014systematic", "viljoen2014systematica"))
    found = problems_of(review_root)
    assert any(":title: viljoen2014systematica: same title as viljoen2014systematic" in p for p in found)


def test_library_entry_without_identifier_or_url(review_root):
    path = review_root / "references/ginger/library.bib"
    path.write_text(path.read_text().replace("  note = {record shows no DOI or PMID},\n", "")
                    .replace("  url = {https://pmc.ncbi.nlm.nih.gov/articles/PMC3995184},\n", ""))
    found = problems_of(review_root)
    assert "references/ginger/library.bib:1:url: viljoen2014systematic: a url where the record can be read is required" in found
    assert any(p.startswith("references/ginger/library.bib:1:doi: viljoen2014systematic: expected a doi or pmid") for p in found)


def test_file_that_is_not_utf8(review_root):
    path = review_root / "data/ginger/claims.csv"
    path.write_bytes(path.read_bytes() + "G04,ginger,caf\xe9\n".encode("latin-1"))
    [problem] = problems_of(review_root)
    assert problem.startswith("data/ginger/claims.csv:5: expected UTF-8 text, found byte 0xe9")


def test_empty_file(review_root):
    (review_root / "data/ginger/evidence.csv").write_text("")
    [problem] = problems_of(review_root)
    assert problem.startswith("data/ginger/evidence.csv: file is empty; expected at least the header: evidence_id,")


def test_article_changed_after_registration(review_root):
    path = review_root / "data/ginger/articles/ginger.txt"
    path.write_text(path.read_text() + "An extra line.\n")
    assert any(p.startswith("data/ginger/articles.csv:2:sha256: expected ") for p in problems_of(review_root))


def test_wrong_field_count_and_bad_number(review_root):
    path = review_root / "data/ginger/search_log.csv"
    path.write_text(path.read_text() + "S002,G01,PubMed,x,2026-11-21,many,0,\nS003,G01\n")
    found = problems_of(review_root)
    assert "data/ginger/search_log.csv:3:hits: expected a whole number, found 'many'" in found
    assert "data/ginger/search_log.csv:4: expected 8 fields, found 2" in found


def test_effect_needs_all_its_fields(review_root):
    path = review_root / "data/ginger/evidence.csv"
    path.write_text(path.read_text().replace("supports,,,,,none", "supports,SMD,-0.5,,,none"))
    assert "data/ginger/evidence.csv:2:ci_low: an effect needs effect_measure, effect, ci_low and ci_high together" in problems_of(review_root)


def test_cli_check_prints_every_problem_and_exits_non_zero(review_root, capsys):
    path = review_root / "data/ginger/evidence.csv"
    path.write_text(path.read_text().replace(",supports,", ",proves,"))
    path = review_root / "data/ginger/rob.csv"
    path.write_text(path.read_text().replace("viljoen2014systematic,", "nobody2020nothing,"))
    assert main(["check", "--review", "ginger"]) == 1
    err = capsys.readouterr().err
    assert "data/ginger/evidence.csv:2:direction:" in err
    assert "data/ginger/rob.csv:2:study_key: unknown study" in err
    assert "2 problem(s) in review ginger" in err


def test_cli_check_passes_on_good_review(review_root, capsys):
    assert main(["check", "--review", "ginger"]) == 0
    assert "review ginger: ok" in capsys.readouterr().out


def test_cli_check_unknown_review(review_root, capsys):
    assert main(["check", "--review", "nope"]) == 2
    assert "no review named 'nope'" in capsys.readouterr().err


def test_shipped_review_passes_check():
    from conftest import ROOT
    problems = check_review(Review.load("calf-massage", ROOT))
    assert [str(p) for p in problems] == []


def test_screened_count_must_match_the_screening_record(review_root):
    path = review_root / "data/ginger/search_log.csv"
    path.write_text(path.read_text().replace("2026-11-21,12,2,", "2026-11-21,12,5,"))
    assert "data/ginger/search_log.csv:2:screened: expected 2 (the screening rows of S001), found 5" in problems_of(review_root)


def test_screened_counts_are_not_judged_without_a_screening_record(review_root):
    (review_root / "data/ginger/screening.csv").unlink()
    assert not any(":screened:" in p for p in problems_of(review_root))


def test_review_settings_are_read_and_checked(review_root):
    settings = review_root / "data" / "ginger" / "review.toml"
    settings.write_text('title = "Ginger, graded"\nlimitations = ["One reviewer."]\n')
    review = Review.load("ginger", review_root)
    assert check_review(review) == [] and review.settings["title"] == "Ginger, graded"
    settings.write_text('titel = "typo"\nlimitations = "not a list"\nsearch_strategy = 3\n')
    messages = [str(p) for p in check_review(Review.load("ginger", review_root))]
    assert messages == ["data/ginger/review.toml:titel: unknown setting; expected one of title, search_strategy, "
                        "indirectness_examples, limitations, base_url, reviewers",
                        "data/ginger/review.toml:limitations: expected a list of sentences",
                        "data/ginger/review.toml:search_strategy: expected text (one or two sentences on how the "
                        "searches were run (methods section))"]
    settings.write_text('title = "unclosed\n')
    [problem] = check_review(Review.load("ginger", review_root))
    assert str(problem).startswith("data/ginger/review.toml:1: not valid TOML")


def test_reviewers_per_stage_are_read_from_review_toml(review_root):
    settings = review_root / "data" / "ginger" / "review.toml"
    review = Review.load("ginger", review_root)
    assert [review.reviewers_needed(s) for s in ("screening", "extraction", "rob")] == [1, 1, 1]
    assert review.extraction_share == 0.0
    settings.write_text("[reviewers]\nscreening = 2\nextraction = 2\nextraction_share = 0.25\n")
    review = Review.load("ginger", review_root)
    assert check_review(review) == []
    assert [review.reviewers_needed(s) for s in ("screening", "extraction", "rob")] == [2, 2, 1]
    assert review.extraction_share == 0.25
    settings.write_text("[reviewers]\nscreening = 3\nscreenng = 2\nextraction_share = 2\n")
    messages = [str(p) for p in check_review(Review.load("ginger", review_root))]
    assert messages == ["data/ginger/review.toml:reviewers.screening: expected 1 or 2 reviewers, got 3",
                        "data/ginger/review.toml:reviewers.screenng: unknown stage; expected one of screening, "
                        "extraction, rob, extraction_share",
                        "data/ginger/review.toml:reviewers.extraction_share: expected a share from 0 to 1, got 2"]


def test_a_claim_without_an_explanation_is_a_gap_not_an_error(review_root):
    """A review in progress (a claim searched or extracted, not yet explained) still passes
    check and builds; what is missing is listed instead."""
    path = review_root / "data/ginger/explanations.csv"
    path.write_text("\n".join(line for line in path.read_text().splitlines() if not line.startswith("G01,")) + "\n")
    rv = Review.load("ginger", review_root)
    assert check_review(rv) == []
    assert rv.unexplained_claims() == ["G01"]
    assert any("without the reviewer's explanation" in g and "G01" in g for g in gaps(rv))


def test_an_explanation_naming_another_verdict_is_an_error(review_root):
    path = review_root / "data/ginger/explanations.csv"
    path.write_text(path.read_text().replace("It is a single review", "The claim is contradicted; it is a single review"))
    [problem] = problems_of(review_root)
    assert problem.startswith("data/ginger/explanations.csv:2:explanation:") and "contradicted" in problem


def test_many_warnings_of_one_kind_are_one_line():
    from litreview.checks import summarised
    from litreview.tables.schema import Problem

    bib = "references/x/library.bib"
    many = [Problem(bib, 10 * i, None, f"study{i}: not verified (no record read)", code="not-verified",
                    subject=f"study{i}") for i in range(12)]
    few = [Problem(bib, 500, "doi", "odd2020: no DOI or PMID", code="no-identifier", subject="odd2020")]
    lines = summarised(many + few)
    assert lines[0] == (f"{bib}: 12 studies: not verified (no record read): "
                        + ", ".join(f"study{i}" for i in range(10))
                        + " and 2 more (all: litreview check --all-warnings)")
    assert lines[1:] == [f"{bib}:500:doi: odd2020: no DOI or PMID"]
    assert summarised(many[:5]) == [str(w) for w in many[:5]]  # few of a kind: one line each


def test_check_prints_every_warning_when_asked(capsys, monkeypatch):
    from conftest import ROOT
    from litreview.checks import warnings

    monkeypatch.setenv("LITREVIEW_ROOT", str(ROOT))
    assert main(["check", "--review", "calf-massage"]) == 0
    short = capsys.readouterr().err.count("\n")
    assert main(["check", "--review", "calf-massage", "--all-warnings"]) == 0
    every = capsys.readouterr().err.count("\n")
    assert short < every == len(warnings(Review.load("calf-massage", ROOT)))
