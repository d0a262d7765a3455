"""The walk of a new review, step by step: no silent default review, searches run elsewhere
logged by command, an import without a search refused, a wrong import taken back."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from litreview.checks import check_review
from litreview.cli import main
from litreview.collect.imports import ImportRefused, folder, import_files, load
from litreview.grade.assessment import Assessment
from litreview.report.missing import gaps
from litreview.tables.review import Review
from litreview.workbook.explorer import ClaimExplorer

EXPORT = """TY  - JOUR
AU  - Example, AB
TI  - A fictional trial of ginger for nausea
T2  - Journal of Tests
PY  - 2020
DO  - 10.5555/ginger.1
ER  - 

TY  - JOUR
AU  - Other, Z
TI  - A fictional cohort of tea drinkers
T2  - Journal of Tests
PY  - 2021
ER  - 
"""


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "exports" / "embase.ris"
    path.parent.mkdir()
    path.write_text(EXPORT, encoding="utf-8")
    return path


# --- no silent default review ------------------------------------------------------------------

def test_a_command_without_review_uses_the_only_review(review_root, capsys):
    assert main(["check"]) == 0
    assert "review ginger: ok" in capsys.readouterr().out


def test_a_command_without_review_refuses_when_there_are_several(review_root, export, capsys):
    for part in ("data", "references"):
        shutil.copytree(review_root / part / "ginger", review_root / part / "ginger-two")
    before = sorted(p.name for p in (review_root / "data" / "ginger").iterdir())
    assert main(["import", str(export), "--search-id", "S001"]) == 2
    err = capsys.readouterr().err
    assert "2 reviews under data/ (ginger, ginger-two): name one with --review NAME" in err
    assert sorted(p.name for p in (review_root / "data" / "ginger").iterdir()) == before  # nothing imported
    assert main(["check", "--review", "ginger"]) == 0


# --- searches run elsewhere ------------------------------------------------------------------------

def test_log_search_records_a_search_run_elsewhere_and_its_export_imports_under_it(review_root, export, capsys):
    assert main(["log-search", "--review", "ginger", "--source", "Embase (Ovid)", "--query", "ginger AND nausea",
                 "--hits", "2", "--claims", "G01", "--date", "2026-12-01"]) == 0
    out = capsys.readouterr().out
    assert "S002 logged" in out and "--search-id S002" in out
    log = Review.load("ginger").search_log.set_index("search_id")
    assert log.loc["S002", "source"] == "Embase (Ovid)" and log.loc["S002", "hits"] == 2
    assert log.loc["S002", "query"] == "ginger AND nausea" and log.loc["S002", "date"] == "2026-12-01"
    assert log.loc["S002", "claim_ids"] == ["G01"]
    assert main(["import", str(export), "--review", "ginger", "--search-id", "S002"]) == 0
    assert main(["check", "--review", "ginger"]) == 0  # hits match the records imported


def test_log_search_refuses_a_bad_row_and_writes_nothing(review_root, capsys):
    log = review_root / "data" / "ginger" / "search_log.csv"
    before = log.read_bytes()
    assert main(["log-search", "--review", "ginger", "--source", "Scopus", "--query", "q", "--hits", "3",
                 "--claims", "G09"]) == 2
    assert "G09" in capsys.readouterr().err
    assert main(["log-search", "--review", "ginger", "--source", "Scopus", "--query", "q", "--hits", "3",
                 "--claims", "G01", "--date", "1 Dec 2026"]) == 1
    assert "search_log.csv:3:date" in capsys.readouterr().err
    assert log.read_bytes() == before


def test_an_import_without_search_id_is_refused_before_anything_is_written(review_root, export, capsys):
    with pytest.raises(ImportRefused, match="litreview log-search"):
        import_files("ginger", [export], progress=False)
    assert not folder("ginger").exists()
    assert main(["import", str(export), "--review", "ginger"]) == 2
    assert "litreview log-search --review ginger" in capsys.readouterr().err
    assert not folder("ginger").exists()


def test_a_wrong_import_is_undone_by_command_and_done_again(review_root, export, capsys):
    main(["log-search", "--review", "ginger", "--source", "Embase", "--query", "q", "--hits", "2",
          "--claims", "G01"])
    assert main(["import", str(export), "--review", "ginger", "--search-id", "S001"]) == 0  # the wrong search
    assert main(["undo-import", "nothing.ris", "--review", "ginger"]) == 2
    assert "imported: embase.ris (S001)" in capsys.readouterr().err
    assert main(["undo-import", "embase.ris", "--review", "ginger"]) == 0
    assert "removed embase.ris (2 records, S001)" in capsys.readouterr().out
    assert load("ginger").records.empty and load("ginger").manifest.empty
    assert main(["import", str(export), "--review", "ginger", "--search-id", "S002"]) == 0  # no "already imported"
    assert set(load("ginger").records["search_id"]) == {"S002"}


def test_undo_import_refuses_while_screening_decisions_name_its_records(review_root, export, capsys):
    main(["log-search", "--review", "ginger", "--source", "Embase", "--query", "q", "--hits", "2",
          "--claims", "G01"])
    main(["import", str(export), "--review", "ginger", "--search-id", "S002"])
    assert main(["screen", "decide", "embase.ris:2", "exclude", "--reason", "wrong-population",
                 "--review", "ginger"]) == 0
    capsys.readouterr()
    assert main(["undo-import", "S002", "--review", "ginger"]) == 2
    assert "embase.ris:2" in capsys.readouterr().err
    assert len(load("ginger").records) == 2


# --- evidence before risk of bias --------------------------------------------------------------------

def test_evidence_without_risk_of_bias_is_a_gap_and_the_grade_names_the_cause(review_root):
    rob = review_root / "data" / "ginger" / "rob.csv"
    rob.write_text(rob.read_text().splitlines()[0] + "\n")
    review = Review.load("ginger")
    assert check_review(review) == []  # the form that fixes it must be reachable: not a problem
    [gap] = [g for g in gaps(review) if "risk-of-bias" in g]
    assert gap.startswith("1 study with evidence but no risk-of-bias judgement in rob.csv yet: viljoen2014systematic")
    grade = Assessment.of(review).grades.set_index("claim_id").loc["G01"]
    assert "No risk-of-bias judgement yet for viljoen2014systematic" in grade["rationale"]
    assert "Only evidence set aside" not in grade["rationale"]


# --- explanations, written from the claim explorer -----------------------------------------------

def _explorer(name="ginger"):
    rv = Review.load(name)
    return ClaimExplorer(Assessment.of(rv))


def test_the_explorer_saves_an_explanation_that_names_the_computed_verdict(review_root):
    path = review_root / "data" / "ginger" / "explanations.csv"
    path.write_text("claim_id,explanation\n")
    x = _explorer()
    widget = x.widget()
    widget.children[0].children[1].value = "G01"
    grade = x.explanation_html("G01")
    verdict = Assessment.of(Review.load("ginger")).grades.set_index("claim_id").loc["G01", "verdict"]
    assert f"<b>{verdict}</b>" in grade and "risk of bias" in grade
    before = path.read_bytes()
    for bad, said in [("Too short.", "expected 2 to 4 sentences, found 1"),
                      ("The trials point one way. It is a single review, so the estimate could move.",
                       "name the verdict the grade gives"),
                      (f"The review is {verdict}. It is contradicted by nothing.", "names the verdict 'contradicted'")]:
        x.explanation_text.value = bad
        x.save_button.click()
        assert said in x.saved.value, bad
        assert path.read_bytes() == before  # refused: nothing written
    good = (f"One meta-analysis of trials in pregnant women found less nausea with ginger, so the claim is {verdict}. "
            "It is a single review, and the estimate could still move.")
    x.explanation_text.value = good
    x.save_button.click()
    assert "Saved to data/ginger/explanations.csv" in x.saved.value
    assert dict(zip(*Review.load("ginger").explanations[["claim_id", "explanation"]].T.values))["G01"] == good
    assert check_review(Review.load("ginger")) == []
    # saved again, the row is replaced, not added
    x.explanation_text.value = good.replace("One meta-analysis", "A meta-analysis")
    x.save_button.click()
    assert list(Review.load("ginger").explanations["claim_id"]) == ["G01"]


def test_check_lists_a_graded_claim_without_explanation_under_what_is_missing(review_root, capsys):
    path = review_root / "data" / "ginger" / "explanations.csv"
    path.write_text("claim_id,explanation\n")
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "What is missing" in out and "without the reviewer's explanation" in out and "G01, G02" in out


# --- the full-text widget follows the title/abstract decisions made beside it ------------------------

def test_the_full_text_widget_follows_title_abstract_decisions_in_the_same_notebook(review_root, export):
    from litreview.workbook.screening_widget import ScreeningWidget

    main(["log-search", "--review", "ginger", "--source", "Embase", "--query", "q", "--hits", "2",
          "--claims", "G01"])
    main(["import", str(export), "--review", "ginger", "--search-id", "S002"])
    title_abstract, full_text = ScreeningWidget("ginger"), ScreeningWidget("ginger", "full-text")
    assert "No record is included at title/abstract yet" in full_text.view.value
    shown = title_abstract.record["record_id"]
    title_abstract.include.click()
    assert full_text.record is not None and full_text.record["record_id"] == shown  # no Refresh needed
    title_abstract.undo_button.click()
    assert full_text.record is None


def test_a_stale_explanation_is_a_note_in_the_notebooks_not_an_exception(review_root, monkeypatch):
    from litreview.workbook.notebook import open_review

    path = review_root / "data" / "ginger" / "explanations.csv"
    path.write_text('claim_id,explanation\nG01,"The trials say it is contradicted. Nothing else was found."\n')
    assert [p.column for p in check_review(Review.load("ginger"))] == ["explanation"]  # check still refuses
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append(obj["text/plain"]))
    rv = open_review("ginger")  # notebook 05 opens: its explorer is where the text is rewritten
    assert rv.name == "ginger"
    assert any("names the verdict 'contradicted'" in s and "notebook 05" in s for s in shown)
