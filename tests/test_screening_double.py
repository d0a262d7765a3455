"""Two reviewers screening independently (review.toml ``[reviewers] screening = 2``): each
sees and counts only their own decisions, conflicts are listed and settled, and every reader
of "included" (PRISMA, the full-text queue, inclusion, the check) uses the final decisions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from litreview.appraise.agreement import screening_agreement
from litreview.checks import check_review
from litreview.cli import main
from litreview.collect.prisma import counts_of
from litreview.collect.screening import (
    ScreeningError,
    conflicts_of,
    decide,
    final,
    queue,
    read_decisions,
    settle,
    undo,
    unsettle,
)
from litreview.report.missing import gaps
from litreview.report.sections import _screening_agreement_methods
from litreview.tables.decisions import conflicts, final_decisions
from litreview.tables.review import Review
from litreview.tables.schema import SCREENING, SCREENING_SETTLEMENTS
from test_screening import imported  # noqa: F401  (the fixture: five records imported for S002)

ANN, BOB = "ann", "bob"


@pytest.fixture
def double(imported: Path) -> Path:  # noqa: F811
    """The ginger review with five imported records, screened by two reviewers; its older
    screening rows (hand-logged search S001, no reviewer) are dropped."""
    data = imported / "data" / "ginger"
    (data / "review.toml").write_text("[reviewers]\nscreening = 2\n", encoding="utf-8")
    (data / "screening.csv").write_text(SCREENING.header(), encoding="utf-8")
    log = data / "search_log.csv"
    log.write_text(log.read_text().replace(",2026-11-21,12,2,", ",2026-11-21,12,0,"), encoding="utf-8")
    return imported


def frame(rows: list[tuple], schema=SCREENING) -> pd.DataFrame:
    return pd.DataFrame([dict(zip(schema.names, r)) for r in rows], columns=schema.names)


def test_final_decisions_are_the_agreed_and_the_settled_ones():
    rows = frame([("r1", "S001", "title-abstract", "include", "", ANN),
                  ("r2", "S001", "title-abstract", "exclude", "wrong-population", ANN),
                  ("r3", "S001", "title-abstract", "include", "", ANN),
                  ("r1", "S001", "title-abstract", "include", "", BOB),
                  ("r2", "S001", "title-abstract", "exclude", "wrong-outcome", BOB),
                  ("r3", "S001", "title-abstract", "exclude", "not-a-study", BOB),
                  ("r4", "S001", "title-abstract", "include", "", BOB),
                  ("r5", "S001", "title-abstract", "include", "", ANN),
                  ("r5", "S001", "title-abstract", "exclude", "duplicate", BOB)])
    settled = frame([("r3", "S001", "title-abstract", "exclude", "not-a-study", "consensus", "a letter", "carl")],
                    SCREENING_SETTLEMENTS)
    # one reviewer: every row is final, as before
    assert final_decisions(rows, settled, 1) is rows
    out = final_decisions(rows, settled, 2)
    # r1, r2 agreed (r2 with the first reviewer's reason), r3 settled; r4 awaits bob's partner, r5 is unsettled
    assert list(zip(out["record_key"], out["decision"], out["reason"])) == [
        ("r1", "include", ""), ("r2", "exclude", "wrong-population"), ("r3", "exclude", "not-a-study")]
    assert list(out.columns) == SCREENING.names
    clash = conflicts(rows, settled)
    assert list(clash["record_key"]) == ["r3", "r5"] and list(clash["settled"]) == ["exclude", None]


def test_each_reviewer_sees_and_counts_only_their_own_decisions(double):
    decide("ginger", "export.ris:1", "include", reviewer=ANN)
    decide("ginger", "export.ris:3", "exclude", "wrong-population", reviewer=ANN)
    bob = queue("ginger", reviewer=BOB)
    assert bob.decided == {} and "0 of 4 records decided by bob" in bob.progress()
    assert set(bob.pending()["record_id"]) == {f"export.ris:{n}" for n in (1, 2, 3, 4)}
    decide("ginger", "export.ris:1", "include", reviewer=BOB)
    ann = queue("ginger", reviewer=ANN)
    assert ann.decided == {"export.ris:1": "include", "export.ris:3": "exclude"}
    assert set(ann.pending()["record_id"]) == {"export.ris:2", "export.ris:4"}
    assert queue("ginger", reviewer=BOB).decided == {"export.ris:1": "include"}
    # both rows are kept, one per reviewer
    rows = read_decisions("ginger")
    assert list(zip(rows["record_key"], rows["reviewer"])) == [("export.ris:1", ANN), ("export.ris:3", ANN),
                                                                ("export.ris:1", BOB)]
    # the full-text queue holds the record both included, not the one only ann decided
    assert set(queue("ginger", "full-text", reviewer=ANN).records["record_id"]) == {"export.ris:1"}


def test_a_reviewer_decides_once_and_two_reviewers_at_most(double):
    path = double / "data/ginger/screening.csv"
    decide("ginger", "export.ris:2", "include", reviewer=ANN)
    with pytest.raises(ScreeningError, match="already has your title-abstract decision"):
        decide("ginger", "export.ris:2", "exclude", "other", reviewer=ANN)
    decide("ginger", "export.ris:2", "exclude", "wrong-population", reviewer=BOB)
    before = path.read_bytes()
    with pytest.raises(ScreeningError, match="already has two reviewers'.*third reviewer settles"):
        decide("ginger", "export.ris:2", "include", reviewer="carl")
    with pytest.raises(ScreeningError, match="not included at title/abstract by both reviewers"):
        decide("ginger", "export.ris:2", "include", stage="full-text", reviewer=ANN)
    assert path.read_bytes() == before


def test_a_conflict_is_listed_settled_and_taken_back(double):
    settlements = double / "data/ginger" / SCREENING_SETTLEMENTS.filename
    decide("ginger", "export.ris:1", "include", reviewer=ANN)
    decide("ginger", "export.ris:1", "include", reviewer=BOB)
    decide("ginger", "export.ris:2", "include", reviewer=ANN)
    decide("ginger", "export.ris:2", "exclude", "wrong-population", reviewer=BOB)
    [row] = conflicts_of("ginger").to_dict("records")
    assert (row["record_key"], row["first_reviewer"], row["first_decision"], row["second_reviewer"],
            row["second_decision"], row["second_reason"], row["settled"]) == (
        "export.ris:2", ANN, "include", BOB, "exclude", "wrong-population", None)
    with pytest.raises(ScreeningError, match="export.ris:1 is not a conflict"):
        settle("ginger", "export.ris:1", "include", "consensus", "agreed anyway")
    with pytest.raises(ScreeningError, match="needs a note"):
        settle("ginger", "export.ris:2", "include", "consensus", " ")
    with pytest.raises(ScreeningError, match="expected one of consensus, third-reviewer"):
        settle("ginger", "export.ris:2", "include", "coin", "tossed")
    with pytest.raises(ScreeningError, match="an exclusion needs a reason"):
        settle("ginger", "export.ris:2", "exclude", "consensus", "talked")
    assert not settlements.exists()
    assert set(queue("ginger", "full-text", reviewer=ANN).records["record_id"]) == {"export.ris:1"}

    made = settle("ginger", "export.ris:2", "include", "third-reviewer", "pregnant women are the population",
                  reviewer="carl")
    assert settlements.read_text() == (",".join(SCREENING_SETTLEMENTS.names) + "\nexport.ris:2,S002,title-abstract,"
                                       "include,,third-reviewer,pregnant women are the population,carl\n")
    assert made.settled_by == "carl"
    assert set(final("ginger")["record_key"]) == {"export.ris:1", "export.ris:2"}
    assert set(queue("ginger", "full-text", reviewer=BOB).records["record_id"]) == {"export.ris:1", "export.ris:2"}
    with pytest.raises(ScreeningError, match="settled already"):
        settle("ginger", "export.ris:2", "exclude", "consensus", "again", "other")
    # a decision a settlement rests on is undone only after the settlement, and a settlement
    # full-text decisions rest on only after them
    with pytest.raises(ScreeningError, match="settled conflict: take the settlement back first"):
        undo("ginger", "export.ris:2", "title-abstract", reviewer=BOB)
    decide("ginger", "export.ris:2", "exclude", "not-retrieved", stage="full-text", reviewer=ANN)
    with pytest.raises(ScreeningError, match="full-text decisions that rest on this settlement"):
        unsettle("ginger", "export.ris:2")
    undo("ginger", "export.ris:2", "full-text", reviewer=ANN)
    gone = unsettle("ginger", "export.ris:2")
    assert (gone.decision, gone.how) == ("include", "third-reviewer")
    assert settlements.read_text() == ",".join(SCREENING_SETTLEMENTS.names) + "\n"
    assert set(final("ginger")["record_key"]) == {"export.ris:1"}
    # a named undo takes back the caller's own row, not the other reviewer's
    assert undo("ginger", "export.ris:2", "title-abstract", reviewer=BOB).reviewer == BOB
    assert list(read_decisions("ginger")["reviewer"]) == [ANN, BOB, ANN]


def test_prisma_counts_only_final_decisions(double):
    for who in (ANN, BOB):
        decide("ginger", "export.ris:1", "include", reviewer=who)
        decide("ginger", "export.ris:3", "exclude", "not-a-study", reviewer=who)
    decide("ginger", "export.ris:2", "include", reviewer=ANN)
    decide("ginger", "export.ris:2", "exclude", "wrong-population", reviewer=BOB)
    decide("ginger", "export.ris:4", "exclude", "wrong-outcome", reviewer=ANN)
    c = counts_of(Review.load("ginger"))
    # S002: 5 imported, 1 removed as a duplicate; records 1 and 3 final, 2 (conflict) and 4 (one reviewer) not yet
    assert (c.assessed, c.included_records, c.excluded, c.not_yet_screened) == (2, 1, 1, 2)
    assert c.title_abstract_reasons == {"not a study": 1}
    settle("ginger", "export.ris:2", "exclude", "consensus", "not pregnancy nausea", "wrong-population")
    decide("ginger", "export.ris:4", "exclude", "wrong-outcome", reviewer=BOB)
    c = counts_of(Review.load("ginger"))
    assert (c.assessed, c.included_records, c.excluded, c.not_yet_screened, c.screening_rows) == (4, 1, 3, 0, 4)


def test_unsettled_conflicts_and_waiting_records_are_gaps_not_errors(double):
    decide("ginger", "export.ris:1", "include", reviewer=ANN)
    decide("ginger", "export.ris:2", "include", reviewer=ANN)
    decide("ginger", "export.ris:2", "exclude", "wrong-population", reviewer=BOB)
    review = Review.load("ginger")
    assert check_review(review) == []
    found = gaps(review)
    assert any("1 record decided at title-abstract by one of the two reviewers only (export.ris:1)" in g
               for g in found)
    assert any(g.startswith("1 screening conflict at title-abstract not settled yet (export.ris:2)") for g in found)
    settle("ginger", "export.ris:2", "exclude", "consensus", "talked it through", "wrong-population")
    assert not any("conflict" in g for g in gaps(Review.load("ginger")))


def test_the_check_holds_one_row_per_reviewer_and_settlements_to_conflicts(double):
    data = double / "data/ginger"
    decide("ginger", "export.ris:1", "include", reviewer=ANN)
    decide("ginger", "export.ris:1", "include", reviewer=BOB)
    (data / SCREENING_SETTLEMENTS.filename).write_text(
        ",".join(SCREENING_SETTLEMENTS.names) + "\nexport.ris:1,S002,title-abstract,include,,consensus,agreed,\n")
    messages = [str(p) for p in check_review(Review.load("ginger"))]
    assert messages == ["data/ginger/screening_settlements.csv:2:record_key: export.ris:1 at title-abstract: no "
                        "conflict to settle (two reviewers' different decisions)"]
    # a settlement is read through its schema
    (data / SCREENING_SETTLEMENTS.filename).write_text(
        ",".join(SCREENING_SETTLEMENTS.names) + "\nexport.ris:1,S002,title-abstract,include,,coin-toss,heads,\n")
    assert [str(p) for p in check_review(Review.load("ginger"))] == [
        "data/ginger/screening_settlements.csv:2:how: expected one of consensus, third-reviewer; found 'coin-toss'"]
    (data / SCREENING_SETTLEMENTS.filename).unlink()
    # one reviewer again: the same two rows are one decision too many, as before
    (data / "review.toml").write_text("[reviewers]\nscreening = 1\n")
    messages = [str(p) for p in check_review(Review.load("ginger"))]
    assert messages == ["data/ginger/screening.csv:3:record_key: duplicate record_key/search_id/stage "
                        "'export.ris:1 S002 title-abstract'; first at row 2 (one reviewer screens this review "
                        "(review.toml [reviewers] screening))"]
    # and a file without reviewers keeps its key as it was
    (data / "screening.csv").write_text("record_key,search_id,stage,decision,reason\n"
                                        "export.ris:1,S002,title-abstract,include,\n"
                                        "export.ris:1,S002,title-abstract,exclude,other\n")
    assert any("duplicate record_key/search_id/stage/reviewer 'export.ris:1 S002 title-abstract'; first at row 2"
               in str(p) for p in check_review(Review.load("ginger")))


def test_the_screen_command_with_two_reviewers(double, capsys):
    assert main(["screen", "decide", "export.ris:2", "include", "--reviewer", ANN, "--review", "ginger"]) == 0
    assert main(["screen", "decide", "export.ris:2", "exclude", "--reason", "wrong-population", "--reviewer", BOB,
                 "--review", "ginger"]) == 0
    assert "by bob" in capsys.readouterr().out
    assert main(["screen", "status", "--reviewer", BOB, "--review", "ginger"]) == 0
    assert "1 of 4 records decided by bob" in capsys.readouterr().out
    assert main(["screen", "conflicts", "--review", "ginger"]) == 0
    out = capsys.readouterr().out
    assert "export.ris:2  [S002] ann: include; bob: exclude (wrong-population) -- not settled" in out
    assert "1 conflict(s) at title-abstract, 1 not settled" in out
    assert main(["screen", "settle", "export.ris:2", "--decision", "include", "--how", "consensus",
                 "--note", "the women were pregnant", "--review", "ginger"]) == 0
    assert "settled: export.ris:2: include at title-abstract, settled by consensus" in capsys.readouterr().out
    assert main(["screen", "conflicts", "--review", "ginger"]) == 0
    assert "settled include by consensus: the women were pregnant" in capsys.readouterr().out
    assert main(["screen", "unsettle", "export.ris:2", "--review", "ginger"]) == 0
    assert main(["screen", "settle", "export.ris:2", "--decision", "include", "--review", "ginger"]) == 2
    assert "usage: litreview screen settle" in capsys.readouterr().err


def test_agreement_per_stage_in_methods(double):
    for n, (a, b) in enumerate([("include", "include"), ("include", "exclude"), ("exclude", "exclude"),
                                ("exclude", "exclude")], start=1):
        decide("ginger", f"export.ris:{n}", a, "" if a == "include" else "wrong-outcome", reviewer=ANN)
        decide("ginger", f"export.ris:{n}", b, "" if b == "include" else "wrong-outcome", reviewer=BOB)
    settle("ginger", "export.ris:2", "exclude", "consensus", "no nausea outcome", "wrong-outcome")
    review = Review.load("ginger")
    [stage] = screening_agreement(review.screening, review.settlements)
    # 3 of 4 alike; kappa by hand: p_o = 0.75, p_e = (2/4)(1/4) + (2/4)(3/4) = 0.5, kappa = 0.25 / 0.5
    assert (stage.records, stage.agreement, stage.conflicts, stage.by_consensus, stage.unsettled) == (4, 0.75, 1, 1, 0)
    assert stage.kappa == pytest.approx(0.5)
    [text] = _screening_agreement_methods(review)
    assert ("At title/abstract, both decided 4 records and agreed on 3 (75%; Cohen's κ 0.50); 1 conflict: 1 settled "
            "by consensus.") in text
    (double / "data/ginger/review.toml").write_text("[reviewers]\nscreening = 1\n")
    assert _screening_agreement_methods(Review.load("ginger")) == []


def test_the_widget_names_its_reviewer_hides_the_other_and_settles_in_its_conflicts_view(double):
    from litreview.workbook.screening_widget import ScreeningWidget

    ann = ScreeningWidget("ginger", reviewer=ANN)
    assert ann.status.value.startswith("Reviewer: ann.") and ann.conflicts.button.layout.display == "flex"
    first = ann.record["record_id"]
    ann.include.click()
    bob = ScreeningWidget("ginger", reviewer=BOB)
    assert bob.record["record_id"] == first and "0 of 4 records decided by bob" in bob.status.value
    bob.keys.value = "1"  # exclude: wrong-population
    assert "1 to settle" in bob.conflicts.button.description
    bob.conflicts.button.click()
    assert bob.conflicts.box.layout.display == "flex"
    table = bob.conflicts.table.value
    assert "ann: include" in table and "bob: exclude (wrong-population)" in table and "not settled" in table
    bob.conflicts.decision.value = "include"
    bob.conflicts.how.value = "consensus"
    bob.conflicts.note.value = "the population fits"
    bob.conflicts.settle_button.click()
    assert "settled:" in bob.conflicts.message.value
    assert list(final("ginger")["record_key"]) == [first]
    bob.conflicts.unsettle_button.click()
    assert "taken back" in bob.conflicts.message.value and final("ginger").empty
    # one reviewer: no Conflicts button
    (double / "data/ginger/review.toml").write_text("[reviewers]\nscreening = 1\n")
    assert ScreeningWidget("ginger", reviewer=ANN).conflicts.button.layout.display == "none"


def test_undo_in_one_process_takes_back_the_callers_own_last_decision(double):
    """Two widgets in one kernel (or one terminal with --reviewer): each undoes its own."""
    decide("ginger", "export.ris:1", "include", reviewer=ANN)
    decide("ginger", "export.ris:1", "exclude", "wrong-outcome", reviewer=BOB)
    decide("ginger", "export.ris:2", "include", reviewer=BOB)
    gone = undo("ginger", reviewer=ANN)
    assert (gone.record_key, gone.reviewer) == ("export.ris:1", ANN)
    assert list(zip(read_decisions("ginger")["record_key"], read_decisions("ginger")["reviewer"])) == [
        ("export.ris:1", BOB), ("export.ris:2", BOB)]


def test_a_full_text_include_enters_the_library_once_final(review_root, capsys):
    """Two reviewers: one reviewer's full-text include waits for the other's; both including
    writes the entry, and so does a full-text conflict settled include."""
    from litreview.appraise.inclusion import include
    from litreview.collect.imports import import_files
    from litreview.tables.bib import load_bib

    data = review_root / "data/ginger"
    (data / "review.toml").write_text("[reviewers]\nscreening = 2\n")
    log = data / "search_log.csv"
    log.write_text(log.read_text() + "S002,G01,Example database,ginger nausea,2026-11-21,2,0,\n")
    export = review_root / "export.ris"
    export.write_text(
        "TY  - JOUR\nAU  - Quist, Ada\nTI  - Ginger capsules and nausea in pregnancy: a trial\nT2  - Journal of Tests\n"
        "PY  - 2019\nDO  - 10.1000/ginger.2019.7\nER  - \n\n"
        "TY  - JOUR\nAU  - Rook, Ben\nTI  - Ginger sweets for nausea in early pregnancy\nT2  - Journal of Tests\n"
        "PY  - 2020\nDO  - 10.1000/ginger.2020.3\nER  - \n\n", encoding="utf-8")
    import_files("ginger", [export], search_id="S002", progress=False)
    library = review_root / "references/ginger/library.bib"
    keys = lambda: {e.key for e in load_bib(library)}  # noqa: E731
    for record in ("export.ris:1", "export.ris:2"):
        for who in (ANN, BOB):
            decide("ginger", record, "include", reviewer=who)
    waiting = include("ginger", "export.ris:1", decide=True, reviewer=ANN)
    assert waiting.waiting and not waiting.written and "quist2019ginger" not in keys()
    assert "once the other reviewer includes it too" in waiting.describe("ginger")
    assert include("ginger", "export.ris:1", decide=True, reviewer=BOB).written and "quist2019ginger" in keys()
    # a full-text conflict, settled include from the terminal: its entry is written with it
    include("ginger", "export.ris:2", decide=True, reviewer=ANN)
    decide("ginger", "export.ris:2", "exclude", "wrong-outcome", stage="full-text", reviewer=BOB)
    assert "rook2020ginger" not in keys()
    assert main(["screen", "settle", "export.ris:2", "--decision", "include", "--how", "third-reviewer",
                 "--note", "nausea is the outcome", "--stage", "full-text", "--review", "ginger"]) == 0
    assert "rook2020ginger: added to references/ginger/library.bib" in capsys.readouterr().out
    assert "rook2020ginger" in keys()
