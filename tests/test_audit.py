"""Printed references against real records: normalisation, differences, status."""

from __future__ import annotations

import pytest

from conftest import ROOT
from litreview.collect.audit import audit_table, author_overlap, compare, same_journal, status
from litreview.tables.bib import Entry, page_range
from litreview.tables.review import Review


def entry(key="k", **fields) -> Entry:
    return Entry(key, "article", fields, 1)


REAL = entry("real", author="Langevin, H. M. and Yandow, J. A.",
             title="Relationship of acupuncture points and meridians to connective tissue planes",
             journal="The Anatomical Record", year="2002", volume="269", number="6", pages="257--265",
             doi="10.1002/ar.10185")


@pytest.mark.parametrize("a, b", [("447-454", "447–54"), ("447 - 454", "447--454"), ("1757 - 1765", "1757–65"),
                                  ("e123", "e123")])
def test_page_range_styles_are_equal(a, b):
    assert page_range(a) == page_range(b)


def test_page_ranges_that_differ():
    assert page_range("447-454") != page_range("447-455")


@pytest.mark.parametrize("a, b, same", [
    ("The Anatomical Record", "Anat Rec", True),
    ("New England Journal of Medicine", "N Engl J Med", True),
    ("Journal of Traditional Chinese Medicine", "J Tradit Chin Med", True),
    ("Journal of Traditional Chinese Medicine", "Journal of Traditional and Complementary Medicine", False),
    ("Archives of Internal Medicine", "Annals of Internal Medicine", False),
])
def test_journal_names_and_abbreviations(a, b, same):
    assert same_journal(a, b) is same


def test_identical_reference_is_verified():
    printed = entry(**{**REAL.fields, "author": "Langevin, H.M. & Yandow, J.A.".replace(" &", " and"),
                       "title": "Relationship of Acupuncture Points and Meridians to Connective-Tissue Planes.",
                       "journal": "Anat Rec", "pages": "257-65", "doi": "https://doi.org/10.1002/AR.10185"})
    assert compare(printed, REAL) == []
    assert status(printed, REAL, []) == "verified"


def test_wrong_issue_is_verified_with_errors():
    printed = entry(**{**REAL.fields, "number": "4"})
    diffs = compare(printed, REAL)
    assert [(d.field, d.printed, d.real) for d in diffs] == [("number", "4", "6")]
    assert status(printed, REAL, diffs) == "verified-with-errors"


def test_diacritics_and_initial_styles_are_not_errors():
    real = entry(author="Müller, Jürgen K. and Ørsted, A.", title="Über die Wärme", year="1999")
    printed = entry(author="Muller, J. and Orsted, A.", title="Uber die Warme", year="1999")
    assert compare(printed, real) == []


def test_title_of_one_work_with_authors_of_another_is_misattributed():
    printed = entry(**{**REAL.fields, "author": "Smith, A. and Jones, B."})
    diffs = compare(printed, REAL)
    assert "author" in [d.field for d in diffs]
    assert status(printed, REAL, diffs) == "misattributed"


def test_no_record_is_not_found():
    assert status(entry(title="Imaginary"), None, []) == "not-found"


def test_author_overlap_counts_family_and_first_initial():
    assert author_overlap("Langevin, H. and Smith, A.", REAL.get("author")) == 0.5
    assert author_overlap("Langevin, X.", REAL.get("author")) == 0.0


def test_shipped_audit_matches_the_research_verdicts():
    """The three printed references were judged by hand from the records found: one not
    found, one with a wrong issue number, one a title with another paper's authors."""
    rv = Review.load("calf-massage", ROOT)
    table = audit_table(rv.cited, rv.library, rv.reference_audit).set_index("cited_key")
    assert table.loc["chen2018acupressure", "status"] == "not-found"
    assert table.loc["langevin2002relationship", "status"] == "verified-with-errors"
    assert table.loc["langevin2002relationship", "differences"] == "number: 4 → 6"
    assert table.loc["sherman2011acupuncture", "status"] == "misattributed"
    assert table.loc["chen2018acupressure", "searches"] >= 5


@pytest.mark.parametrize("tex, text", [
    (r"M\"uller", "Müller"), (r"M\"{u}ller", "Müller"), (r"{\"{U}}ber", "Über"), (r"\'{e}t\'e", "été"),
    (r"Fran\c{c}ois", "François"), (r"Fran\c cois", "François"), (r"Gau\ss{} law", "Gauß law"),
    (r"\"o and", "ö and"),           # the space after an accented letter stays
    (r"\ch{H2O}", "H2O"),              # \ch is a command of its own, not a cedilla on h: dropped, argument kept
    (r"\kelvin", ""), (r"$\log x$", "log x"), (r"pages 10--19", "pages 10–19"),
    (r"$\alpha$-synuclein", "α-synuclein"), (r"50\% of", "50% of"), (r"\emph{In vivo}", "In vivo"),
])
def test_delatex(tex, text):
    from litreview.tables.bib import delatex

    assert delatex(tex) == text
