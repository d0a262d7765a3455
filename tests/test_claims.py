"""The shipped claims table and the claim finder."""

from __future__ import annotations

import hashlib

import pytest

from conftest import ROOT
from litreview.claims.finder import evaluate, sentences, suggest
from litreview.tables.bib import load_bib
from litreview.tables.quotes import locate_problem
from litreview.tables.review import Review


@pytest.fixture(scope="module")
def shipped():
    return Review.load("calf-massage", ROOT)


def test_article_hashes_match_the_registered_ones(shipped):
    for row in shipped.articles.itertuples():
        data = (ROOT / "data/calf-massage/articles" / row.file).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row.sha256


def test_articles_are_the_originals_byte_for_byte(shipped):
    originals = ROOT.parent / "shared" / "articles"
    if not originals.is_dir():
        pytest.skip("the original article folder is not beside this checkout")
    names = {"acupressure-calf-energy-flow.txt": "000_f124bb70a459607e.txt",
             "calf-massage-benefits.txt": "003_277c27948de8beb4.txt"}
    for ours, theirs in names.items():
        assert (ROOT / "data/calf-massage/articles" / ours).read_bytes() == (originals / theirs).read_bytes()


def test_every_quote_is_at_its_offsets(shipped):
    for row in shipped.claims.itertuples():
        assert shipped.texts[row.article_id][row.start:row.end] == row.quote, row.claim_id


def test_claims_cover_both_articles_and_every_category(shipped):
    per_article = shipped.claims.groupby("article_id").size()
    assert per_article["acupressure-calf"] >= 40 and per_article["calf-massage-benefits"] >= 20
    assert set(shipped.claims["category"]) == {"mechanism", "efficacy", "safety", "dosage", "anatomy",
                                                 "traditional-theory"}


def test_traditional_theory_is_never_testable(shipped):
    c = shipped.claims
    assert not c.loc[c["category"] == "traditional-theory", "testable"].any()
    assert c.loc[c["category"] != "traditional-theory", "testable"].all()


def test_cited_bib_is_the_printed_reference_list(shipped):
    text = shipped.texts["acupressure-calf"]
    cited = load_bib(ROOT / "references/calf-massage/cited.bib")
    assert len(cited) == 3
    for entry in cited:
        assert entry.get("printed") in text, entry.key
    has_refs = shipped.articles.set_index("article_id")["has_references"]
    assert has_refs["acupressure-calf"] and not has_refs["calf-massage-benefits"]


def test_locate_problem_reports_the_real_place():
    text = "one two three two"
    row = {"claim_id": "X01", "article_id": "a", "quote": "two", "start": 0, "end": 3}
    message = locate_problem(row, text)
    assert "X01: quote is not at [0, 3)" in message and "it occurs at [4, 7), [14, 17)" in message
    assert locate_problem({**row, "start": 4, "end": 7}, text) is None


def test_sentences_keep_offsets_and_drop_bullets():
    text = "Title line\n- Pain Relief: it helps. Second one here!\nLast (one)."
    got = sentences(text)
    assert [s.text for s in got] == ["Title line", "Pain Relief: it helps.", "Second one here!", "Last (one)."]
    assert all(text[s.start:s.end] == s.text for s in got)


UNSEEN = """Why turmeric belongs in your kitchen
Turmeric is a golden spice used in curries.
Curcumin, its active compound, can help reduce joint inflammation in people with arthritis.
Take 500 mg twice a day with black pepper for best absorption.
High doses may cause stomach upset, so consult your doctor if you take blood thinners.
Our grandmothers loved the colour it gave to rice.
Turmeric paste is said to brighten the skin within two weeks.
"""


def test_finder_on_an_article_it_has_never_seen():
    found = suggest(UNSEEN)
    quotes = list(found["quote"])
    assert any(q.startswith("Curcumin, its active compound") for q in quotes)
    assert any(q.startswith("Take 500 mg twice a day") for q in quotes)
    assert any(q.startswith("High doses may cause stomach upset") for q in quotes)
    assert any(q.startswith("Turmeric paste is said") for q in quotes)
    assert not any(q.startswith("Our grandmothers") for q in quotes)
    assert not any(q.startswith("Why turmeric belongs") for q in quotes)
    guess = dict(zip(found["quote"].str[:4], found["category_guess"]))
    assert guess["Take"] == "dosage" and guess["High"] == "safety"


def test_finder_recall_on_the_shipped_articles(shipped):
    """The target of the claims issue: recall of at least 0.9 on the curated claims."""
    found = claims = 0
    for article_id, text in shipped.texts.items():
        m = evaluate(suggest(text), shipped.claims[shipped.claims["article_id"] == article_id])
        found += m["claims_found"]
        claims += m["claims"]
    assert found / claims >= 0.9


def test_finder_cues_hold_no_article_words():
    """The cues must be general: no word that only these two articles use."""
    from litreview.claims import finder as module
    source = " ".join(module.CUES.values()) + module.HEALTH_TERMS
    for word in ("asthrit", "revoery", "yanglingquan", "zusanli", "chengshan", "stomach 36"):
        assert word not in source.lower()
