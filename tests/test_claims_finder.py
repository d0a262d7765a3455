"""The claim finder splits bundled claims and guesses a category from each claim's predicate."""

from __future__ import annotations

import pandas as pd
import pytest

from litreview.claims.finder import guess_category, matched, parts, suggest


def quotes(sentence: str) -> list[str]:
    return [sentence[a:b] for a, b in parts(sentence)]


def test_a_list_of_benefits_becomes_one_claim_each():
    assert quotes("Massage reduces soreness, improves circulation and eases tension.") == [
        "Massage reduces soreness", "improves circulation", "eases tension"]


def test_a_means_and_a_relative_clause_are_claims_of_their_own():
    sentence = ("Foam rolling can alleviate muscle soreness and stiffness by increasing blood flow to the "
                "muscles and reducing tension.")
    assert quotes(sentence) == ["Foam rolling can alleviate muscle soreness and stiffness",
                                "by increasing blood flow to the muscles", "reducing tension"]
    assert quotes("Cold water causes vasoconstriction, which increases blood flow to vital organs.") == [
        "Cold water causes vasoconstriction", "which increases blood flow to vital organs"]


def test_a_list_of_conditions_after_a_benefit_verb_is_split_but_near_synonyms_are_not():
    assert quotes("Pressing this point can relieve calf cramps, back pain, and sciatica.") == [
        "Pressing this point can relieve calf cramps", "back pain", "sciatica"]
    # two items joined by "and" are one outcome; a list in the subject is no list of benefits
    assert quotes("It can ease muscle soreness and stiffness.") == ["It can ease muscle soreness and stiffness"]
    assert quotes("Stress, injury, poor diet, and toxins can disrupt sleep.") == [
        "Stress, injury, poor diet, and toxins can disrupt sleep"]


def test_the_comma_before_the_next_claim_does_not_make_a_list():
    sentence = "It helps to improve range of motion, reduce soreness and stiffness, and enhance performance."
    assert quotes(sentence) == ["It helps to improve range of motion", "reduce soreness and stiffness",
                                "enhance performance"]


def test_a_leading_label_is_left_out():
    assert quotes("Improved range of motion: Rolling can increase flexibility.") == [
        "Rolling can increase flexibility"]


def test_a_noun_is_not_taken_for_a_verb():
    # "support" and "release" are nouns here: no modal or "to" before them
    assert len(parts("Family support and release of tension matter for sleep.")) == 1
    # a past participle is an adjective: "improved circulation" is one item of a list
    assert quotes("Cupping promotes pain relief, improved circulation, and relaxation.") == [
        "Cupping promotes pain relief", "improved circulation", "relaxation"]


def test_every_part_is_at_its_offsets_in_the_article():
    text = ("Foam rolling: why bother?\n"
            "Foam rolling can improve overall performance by reducing muscle fatigue and enhancing "
            "muscle activation. Overdoing it can bruise the skin.\n")
    found = suggest(text)
    assert len(found) == 4
    for row in found.itertuples():
        assert text[row.start:row.end] == row.quote


@pytest.mark.parametrize("claim, category", [
    # the old finder called these safety: "injury" and "risk" anywhere in the sentence
    ("This can reduce the risk of injuries", "efficacy"),
    ("Foam rolling can help to prevent injury", "efficacy"),
    # advice with a keyword of benefit is still advice
    ("consult your physician if the massage hurts too much", "safety"),
    ("Overmassaging your calves can cause more harm than good", "safety"),
    # the means is the predicate's object, not a word of the subject
    ("by increasing blood flow to the muscles", "mechanism"),
    ("It promotes improved blood circulation", "efficacy"),
    ("enhanced blood flow in this area can reduce swelling", "efficacy"),
    ("Cold water stimulates the release of endorphins", "mechanism"),
    # a dose with a benefit of its own is a claim of benefit; a dose alone is dosage
    ("a ten-minute massage will help you heal faster", "efficacy"),
    ("give each leg ten to fifteen minutes", "dosage"),
    ("This point is located below the knee", "anatomy"),
    ("Qi flows through the meridians", "traditional-theory"),
])
def test_category_comes_from_the_predicate(claim, category):
    assert guess_category(claim) == category


def test_one_to_one_matching_counts_a_bundled_sentence_once():
    claims = pd.DataFrame({"start": [0, 10, 20], "end": [8, 18, 28], "category": ["efficacy"] * 3})
    whole = pd.DataFrame({"start": [0], "end": [28], "category_guess": ["efficacy"]})
    m = matched(whole, claims)
    assert (m["matched"], m["recall"], m["precision"]) == (1, 1 / 3, 1.0)
    split = pd.DataFrame({"start": [0, 10, 20], "end": [8, 18, 28],
                          "category_guess": ["efficacy", "safety", "efficacy"]})
    m = matched(split, claims)
    assert (m["matched"], m["category_agrees"]) == (3, 2)


def test_the_labelled_articles_quote_exactly_at_their_offsets():
    import csv

    from conftest import ROOT
    from litreview.tables.schema import CATEGORIES, read_text

    folder = ROOT / "benchmarks" / "claim_finder"
    with (folder / "labels.csv").open(encoding="utf-8", newline="") as handle:
        labels = list(csv.DictReader(handle))
    assert len(labels) == 77 and len({r["file"] for r in labels}) == 4
    for row in labels:
        text = read_text(folder / "articles" / row["file"])
        assert text[int(row["start"]):int(row["end"])] == row["quote"], row
        assert row["category"] in CATEGORIES
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert all(f"articles/{name}" in readme for name in {r["file"] for r in labels})  # each with its source
