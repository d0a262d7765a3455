"""`litreview new`: a review scaffolded around one article, never over an existing one."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest

from litreview.checks import check_review
from litreview.claims.scaffold import SUGGESTED, ScaffoldError, new_review
from litreview.cli import main
from litreview.report.missing import gaps
from litreview.tables.review import Review
from litreview.tables.schema import TABLES

ARTICLE = ("Cold showers: the new wonder cure?\n"
           "A cold shower every morning strengthens the immune system. "
           "Three minutes at 15 degrees is enough to burn fat all day. "
           "People with heart disease should not try it without asking a doctor.\n"
           "We tried it for a week and felt great.\n")


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname='t'\n")
    (tmp_path / "data").mkdir()
    monkeypatch.setenv("LITREVIEW_ROOT", str(tmp_path))
    return tmp_path


@pytest.fixture
def article(tmp_path: Path) -> Path:
    path = tmp_path / "incoming" / "Cold Showers!.txt"
    path.parent.mkdir()
    path.write_bytes(ARTICLE.encode("utf-8"))
    return path


def rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_new_review_registers_the_article_and_writes_empty_tables(root, article):
    made = new_review("cold-showers", article, url="https://example.org/cold", date="2026-01-05")
    data = root / "data" / "cold-showers"
    assert made.data == data and made.article_id == "cold-showers"
    copied = data / "articles" / "Cold-Showers-.txt"
    assert copied.read_bytes() == article.read_bytes()
    [registered] = rows(data / "articles.csv")
    assert registered["sha256"] == hashlib.sha256(article.read_bytes()).hexdigest()
    assert registered["file"] == copied.name and registered["site"] == "example.org"
    assert registered["title"] == "Cold showers: the new wonder cure?"  # the first line
    for schema in TABLES.values():
        header = (data / schema.filename).read_text(encoding="utf-8").splitlines()[0]
        assert header.split(",") == schema.names
    assert (root / "references" / "cold-showers" / "library.bib").read_text() == ""
    settings = (data / "review.toml").read_text()
    assert "# limitations = " in settings and "\ntitle" not in settings  # explained, all commented out
    review = Review.load("cold-showers", root)
    assert check_review(review) == []
    assert gaps(review)[0].startswith("No claims confirmed yet")


def test_suggestions_are_quotes_at_their_offsets_with_a_category_guess(root, article):
    made = new_review("cold-showers", article)
    suggested = rows(made.data / SUGGESTED)
    assert made.suggestions == len(suggested) >= 3
    for row in suggested:
        assert ARTICLE[int(row["start"]):int(row["end"])] == row["quote"]
        assert row["category_guess"] in ("efficacy", "safety", "dosage", "mechanism", "anatomy",
                                         "traditional-theory")
    quotes = {r["quote"]: r["category_guess"] for r in suggested}
    assert quotes["People with heart disease should not try it without asking a doctor"] == "safety"
    assert "We tried it for a week and felt great." not in quotes  # an anecdote, no health claim


def test_an_existing_review_is_never_overwritten(root, article):
    new_review("cold-showers", article)
    claims = root / "data" / "cold-showers" / "claims.csv"
    claims.write_text(claims.read_text() + "kept,by,the,reviewer\n")
    with pytest.raises(ScaffoldError, match="already exists"):
        new_review("cold-showers", article)
    assert claims.read_text().endswith("kept,by,the,reviewer\n")


@pytest.mark.parametrize("name, content, options, message", [
    ("Cold Showers", ARTICLE.encode(), {}, "lower-case letters"),
    ("cold", b"", {}, "empty"),
    ("cold", b"caf\xe9 au lait\n", {}, "UTF-8"),
    ("cold", ARTICLE.encode(), {"url": "example.org/x"}, "http"),
    ("cold", ARTICLE.encode(), {"date": "5 Jan 2026"}, "YYYY-MM-DD"),
])
def test_bad_input_is_refused_and_nothing_is_written(root, article, name, content, options, message):
    article.write_bytes(content)
    with pytest.raises(ScaffoldError, match=message):
        new_review(name, article, **options)
    assert list((root / "data").iterdir()) == []
    assert not (root / "references").exists() or list((root / "references").iterdir()) == []


def test_non_utf8_error_names_the_file_and_line(root, article):
    article.write_bytes(b"fine first line\nsecond line caf\xe9\n")
    with pytest.raises(ScaffoldError) as err:
        new_review("cold", article)
    assert f"{article}:2" in str(err.value)


def test_command_line(root, article, capsys):
    assert main(["new", "cold-showers", "--article", str(article), "--title", "Cold showers"]) == 0
    out = capsys.readouterr().out
    assert "claims.suggested.csv" in out and "litreview build --review cold-showers" in out
    assert main(["new", "cold-showers", "--article", str(article)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["new", "other", "--article", str(article.with_name("missing.txt"))]) == 2
    assert "no such file" in capsys.readouterr().err
