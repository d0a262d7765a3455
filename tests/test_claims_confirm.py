"""Confirming claims: accept, split, add, reject and undo, with offsets computed and every write
checked before it is swapped in."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from conftest import ROOT
from litreview.checks import check
from litreview.claims import confirm
from litreview.claims.confirm import ClaimFields, ConfirmError
from litreview.claims.scaffold import SUGGESTED, SUGGESTED_COLUMNS, new_review
from litreview.cli import main
from litreview.tables.schema import SchemaError

ARTICLE = ("Foam rolling: does it work?\n"
           "Foam rolling reduces soreness, improves circulation and eases tension. "
           "Roll each muscle for thirty seconds. "
           "Foam rolling reduces soreness after runs.\n")
SENTENCE = "Foam rolling reduces soreness, improves circulation and eases tension"


def fields(claim: str = "Foam rolling reduces muscle soreness.", category: str = "efficacy",
           kind: str = "intervention", **more) -> ClaimFields:
    return ClaimFields(claim, category, kind, "recovery", population="adults who exercise",
                       intervention="foam rolling", outcome="soreness", **more)


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname='t'\n")
    (tmp_path / "data").mkdir()
    monkeypatch.setenv("LITREVIEW_ROOT", str(tmp_path))
    article = tmp_path / "foam.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    new_review("foam", article)
    # suggestions as an older finder wrote them: one per sentence, the first bundling three claims
    rows = []
    for i, quote in enumerate([SENTENCE, "Roll each muscle for thirty seconds",
                               "Foam rolling reduces soreness after runs"], 1):
        start = ARTICLE.index(quote)
        rows.append({"suggestion_id": f"S{i:03d}", "article_id": "foam", "quote": quote, "start": start,
                     "end": start + len(quote), "category_guess": "efficacy", "cues": "benefit-verb"})
    with (tmp_path / "data" / "foam" / SUGGESTED).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=SUGGESTED_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return tmp_path


def claims_rows(root: Path) -> list[dict]:
    with (root / "data" / "foam" / "claims.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_accept_writes_the_quote_at_computed_offsets(root):
    saved = confirm.accept("foam", "S003", fields())
    assert (saved.claim_id, saved.quote) == ("C01", "Foam rolling reduces soreness after runs")
    [row] = claims_rows(root)
    assert ARTICLE[int(row["start"]):int(row["end"])] == row["quote"]
    assert row["testable"] == "true" and row["group"] == "recovery"
    assert check("foam", root) == []
    assert list(confirm.pending("foam")["suggestion_id"]) == ["S001", "S002"]


def test_split_cuts_a_bundled_sentence_into_claims_inside_its_span(root):
    saved = confirm.split("foam", "S001", [("reduces soreness", fields()),
                                           ("improves circulation", fields("It improves circulation.", "mechanism")),
                                           ("eases tension", fields("It eases muscle tension."))])
    assert [s.claim_id for s in saved] == ["C01", "C02", "C03"]
    first = ARTICLE.index(SENTENCE)
    # "reduces soreness" also occurs in the last sentence: the one inside the suggestion is taken
    assert saved[0].start == first + len("Foam rolling ")
    assert [r["category"] for r in claims_rows(root)] == ["efficacy", "mechanism", "efficacy"]
    assert check("foam", root) == []
    # words outside the suggestion are not a part of it
    before = (root / "data" / "foam" / "claims.csv").read_bytes()
    with pytest.raises(ConfirmError, match=r"'after runs' is not inside the suggestion \[28, 97\)"):
        confirm.split("foam", "S001", [("after runs", fields())])
    assert (root / "data" / "foam" / "claims.csv").read_bytes() == before
    # a split suggestion may take another part (the form saves one at a time); an accepted one may not
    confirm.split("foam", "S001", [("Foam rolling", fields("Foam rolling is a kind of self-massage."))])
    assert "S001" not in set(confirm.pending("foam")["suggestion_id"])


def test_add_finds_the_words_once_or_nearest(root):
    saved = confirm.add("foam", "foam", "improves circulation", fields("It improves circulation."))
    assert ARTICLE[saved.start:saved.end] == "improves circulation"
    with pytest.raises(ConfirmError, match="occurs 2 times"):
        confirm.add("foam", "foam", "reduces soreness", fields())
    late = confirm.add("foam", "foam", "reduces soreness", fields(), near=len(ARTICLE) - 5)
    assert late.start == ARTICLE.rindex("reduces soreness")
    with pytest.raises(ConfirmError, match="does not occur"):
        confirm.add("foam", "foam", "cures everything", fields())
    with pytest.raises(ConfirmError, match="other capitals"):
        confirm.add("foam", "foam", "IMPROVES circulation", fields())
    with pytest.raises(ConfirmError, match="already claim C01"):
        confirm.add("foam", "foam", "improves circulation", fields())


def test_a_bad_row_is_refused_with_its_place_and_nothing_is_written(root):
    before = (root / "data" / "foam" / "claims.csv").read_bytes()
    with pytest.raises(SchemaError) as err:
        confirm.accept("foam", "S002", fields(kind="traditional-theory", testable=True))
    assert "data/foam/claims.csv:2:kind" in str(err.value)
    with pytest.raises(SchemaError, match="claims.csv:2:group"):
        confirm.accept("foam", "S002", ClaimFields("Hold it.", "dosage", "intervention", "Not A Key"))
    assert (root / "data" / "foam" / "claims.csv").read_bytes() == before
    assert not (root / "data" / "foam" / confirm.DECISIONS).exists()
    assert "S002" in set(confirm.pending("foam")["suggestion_id"])


def test_reject_hides_a_suggestion_and_undo_brings_it_back(root):
    confirm.reject("foam", "S002")
    assert "S002" not in set(confirm.pending("foam")["suggestion_id"])
    with pytest.raises(ConfirmError, match="already rejected"):
        confirm.accept("foam", "S002", fields())
    gone = confirm.undo("foam")
    assert (gone.decision, gone.suggestion_id) == ("rejected", "S002")
    assert "S002" in set(confirm.pending("foam")["suggestion_id"])


def test_undo_removes_the_last_claim_and_keeps_every_other_byte(root):
    confirm.accept("foam", "S003", fields())
    after_first = (root / "data" / "foam" / "claims.csv").read_bytes()
    confirm.split("foam", "S001", [("improves circulation", fields("It improves circulation."))])
    gone = confirm.undo("foam")
    assert (gone.claim_id, gone.quote) == ("C02", "improves circulation")
    assert (root / "data" / "foam" / "claims.csv").read_bytes() == after_first
    assert confirm.undo("foam").claim_id == "C01"
    assert claims_rows(root) == []
    with pytest.raises(ConfirmError, match="nothing to undo"):
        confirm.undo("foam")


def test_undo_refuses_a_claim_that_a_search_already_names(root):
    confirm.accept("foam", "S003", fields())
    (root / "data" / "foam" / "search_log.csv").write_text(
        "search_id,claim_ids,source,query,date,hits,screened,note\n"
        "S001,C01,PubMed,foam rolling soreness,2026-12-01,0,0,\n", encoding="utf-8")
    before = (root / "data" / "foam" / "claims.csv").read_bytes()
    with pytest.raises(ConfirmError, match=r"C01 is already used \(data/foam/search_log.csv:2\)"):
        confirm.undo("foam")
    assert (root / "data" / "foam" / "claims.csv").read_bytes() == before


def test_claim_ids_follow_the_articles_letter():
    import pandas as pd

    claims = pd.DataFrame({"claim_id": ["A01", "A02", "B01"], "article_id": ["a", "a", "b"]})
    assert confirm.next_claim_id(claims, "a") == "A03"
    assert confirm.next_claim_id(claims, "new") == "C01"
    assert confirm.next_claim_id(claims.iloc[:0], "a") == "C01"
    many = pd.DataFrame({"claim_id": [f"C{i:02d}" for i in range(1, 100)], "article_id": ["a"] * 99})
    assert confirm.next_claim_id(many, "a") == "C100"


def test_command_line(root, capsys):
    with pytest.raises(SystemExit) as done:
        main(["claims", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "traditional-theory" in out and "how much, how often" in out
    assert main(["claims", "list", "--review", "foam"]) == 0
    assert "S001 [efficacy] foam" in capsys.readouterr().out
    assert main(["claims", "split", "S001", "--review", "foam", "--part", "reduces soreness",
                 "--part", "eases tension", "--claim", "It reduces soreness.", "--claim", "It eases tension.",
                 "--category", "efficacy", "--kind", "intervention", "--group", "recovery"]) == 0
    assert "C02 from S001 (split): 'eases tension'" in capsys.readouterr().out
    assert main(["claims", "accept", "S002", "--review", "foam", "--claim", "x", "--category", "dose",
                 "--kind", "intervention", "--group", "g"]) == 2
    assert "--category 'dose': expected one of" in capsys.readouterr().err
    assert main(["claims", "split", "S003", "--review", "foam", "--part", "a", "--part", "b", "--claim", "1",
                 "--claim", "2", "--claim", "3", "--category", "efficacy", "--kind", "intervention",
                 "--group", "g"]) == 2
    assert "--claim is given 3 times" in capsys.readouterr().err
    assert main(["claims", "undo", "--review", "foam"]) == 0
    assert "undone: C02" in capsys.readouterr().out
    assert check("foam") == []


def test_the_list_count_follows_the_quotes_when_both_streams_go_to_one_place(root):
    # a terminal or a log that shows stdout and stderr together: the count comes after the last
    # quote, not in the middle of the listing (stdout through a pipe is block-buffered)
    import os
    import subprocess
    import sys

    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}, "PYTHONPATH": str(ROOT / "src")}
    run = subprocess.run([sys.executable, "-m", "litreview.cli", "claims", "list", "--review", "foam"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, check=True)
    lines = run.stdout.splitlines()
    assert lines[-1] == "3 suggestion(s) pending" and lines[0].startswith("S001 ")


def test_every_value_of_the_vocabularies_has_its_meaning():
    from litreview.tables.schema import CATEGORIES, CATEGORY_MEANINGS, KIND_MEANINGS, KINDS, TESTABLE_MEANINGS

    assert tuple(CATEGORY_MEANINGS) == CATEGORIES and tuple(KIND_MEANINGS) == KINDS
    assert tuple(TESTABLE_MEANINGS) == ("true", "false")
    assert all(m and "\n" not in m for m in [*CATEGORY_MEANINGS.values(), *KIND_MEANINGS.values()])


def test_an_unknown_review_is_named(root, capsys):
    assert main(["claims", "list", "--review", "nowhere"]) == 2
    assert "no review named 'nowhere'" in capsys.readouterr().err
