"""Inclusion: a record included at full text becomes a library.bib entry built from the
record's own metadata, appended without touching another byte, and `litreview include`."""

from __future__ import annotations

import csv
import io
import multiprocessing
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from litreview.appraise.inclusion import InclusionError, bibtex_name, entry_type, escape, include, library_entry, render
from litreview.checks import check_review
from litreview.cli import main
from litreview.collect.imports import import_files
from litreview.collect.screening import decide, read_decisions
from litreview.tables.bib import citation_key, load_bib, parse_bib
from litreview.tables.latex import to_text
from litreview.tables.review import Review
from litreview.tables.schema import SchemaError

HEADER = ["title", "authors", "journal", "year", "volume", "issue", "pages", "doi", "pmid", "document type"]
# fictional records (DOIs under the 10.1000 test prefix, PMIDs that no test looks up)
RECORDS = [
    # 1: both identifiers, a DOI written as an address, PubMed-style names, an elided page range
    ["Ginger tea for morning sickness: a randomised trial", "Tester AB; Probe C; Sample, Dana",
     "Journal of Kitchen Remedies", "2020", "12", "3", "447-54", "https://doi.org/10.1000/KR.2020.12",
     "31000001", "Journal Article"],
    # 2: a PMID only
    ["Nausea scores in women drinking ginger: a cohort", "Probe, C.", "Cohort Reports", "2019", "4", "",
     "e17", "", "31000002", ""],
    # 3: neither a DOI nor a PMID
    ["Ginger lozenges and travel sickness", "Sample, D.", "Travel Health Notes", "2018", "", "", "", "", "",
     "Journal Article"],
    # 4: LaTeX's special characters in the title and journal
    ['Ginger & nausea: 50% fewer {episodes} with C_2 ~ $5 a #day -- or ^ two \\ ``tea\'\' ?`', "Tester, A. B.",
     "Remedies & Results", "2021", "1", "1", "1-9", "10.1000/sym.2021.1", "", "JOUR"],
    # 5: same first author, year and first title word as the entry already in the library
    ["Ginger capsules for chemotherapy nausea", "Tester, A. B.", "Oncology Kitchen", "2020", "3", "", "10-20",
     "10.1000/onc.2020.3", "", ""],
    # 6: the same study as an entry already in the library (its DOI, another spelling)
    ["Ginger and seasickness in naval cadets", "Mariner, E.", "Sea Medicine", "2016", "2", "", "5-8",
     "doi:10.1000/SEA.2016.2", "", ""],
]
# already in library.bib: a study whose key the record 5 would take, and record 6's study
EXISTING = ("@article{tester2020ginger,\n"
            "  author = {Tester, A. B. and Other, O.},\n"
            "  title = {Ginger sweets for hangover nausea},\n"
            "  journal = {Party Medicine},\n  year = {2020},\n"
            "  doi = {10.1000/party.2020.1},\n  url = {https://doi.org/10.1000/party.2020.1},\n}\n\n"
            "@article{mariner2016ginger,\n"
            "  author = {Mariner, E.},\n  title = {Ginger and seasickness in naval cadets},\n"
            "  journal = {Sea Medicine},\n  year = {2016},\n"
            "  doi = {10.1000/sea.2016.2},\n  url = {https://doi.org/10.1000/sea.2016.2},\n}\n")


@pytest.fixture
def review(review_root: Path) -> Path:
    """The ginger review with the records above imported for S002, every one included at
    title/abstract; library.bib holds the fixture's study and the two of EXISTING."""
    data = review_root / "data" / "ginger"
    log = data / "search_log.csv"
    log.write_text(log.read_text() + "S002,G01,Example database,ginger nausea,2026-11-21,6,6,\n")
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([HEADER] + RECORDS)
    export = review_root / "export.csv"
    export.write_text(text.getvalue(), encoding="utf-8")
    import_files("ginger", [export], search_id="S002", progress=False)
    library = review_root / "references" / "ginger" / "library.bib"
    library.write_text(library.read_text() + "\n" + EXISTING)
    for n in range(1, len(RECORDS) + 1):
        decide("ginger", f"export.csv:{n}", "include")
    return review_root


def included(n: int) -> str:
    key = f"export.csv:{n}"
    decide("ginger", key, "include", stage="full-text")
    return key


def record(n: int) -> dict[str, str]:
    """Record n as records.csv holds it."""
    from litreview.appraise.inclusion import find_record

    return find_record("ginger", f"export.csv:{n}")


def library(root: Path) -> Path:
    return root / "references" / "ginger" / "library.bib"


def entry(root: Path, key: str):
    return next(e for e in load_bib(library(root)) if e.key == key)


def test_the_entry_is_the_records_own_metadata(review):
    key, fields = library_entry(record(1))
    assert key == "tester2020ginger"
    assert fields == {
        "author": "Tester, A. B. and Probe, C. and Sample, Dana",
        "title": "Ginger tea for morning sickness: a randomised trial",
        "journal": "Journal of Kitchen Remedies",
        "year": "2020", "volume": "12", "number": "3", "pages": "447--454",
        "doi": "10.1000/kr.2020.12", "pmid": "31000001",
        "url": "https://doi.org/10.1000/kr.2020.12",
    }


def test_a_record_with_a_pmid_only_points_at_pubmed_and_nothing_is_guessed(review):
    key, fields = library_entry(record(2))
    assert key == "probe2019nausea"
    assert fields["url"] == "https://pubmed.ncbi.nlm.nih.gov/31000002/"
    assert fields["pmid"] == "31000002" and fields["pages"] == "e17"
    assert "doi" not in fields and "number" not in fields  # the record shows no DOI and no issue


def test_a_record_without_doi_or_pmid_is_refused_with_nothing_written(review):
    included(3)
    before = library(review).read_bytes()
    with pytest.raises(InclusionError, match=r"record export.csv:3 \(export.csv line 4\) shows neither a DOI "
                                             r"nor a PMID"):
        include("ginger", "export.csv:3")
    assert library(review).read_bytes() == before
    assert not list(library(review).parent.glob(".library.bib.new"))


def test_include_appends_the_entry_and_keeps_every_byte(review):
    before = library(review).read_bytes()
    done = include("ginger", included(2))
    assert (done.key, done.written) == ("probe2019nausea", True)
    after = library(review).read_bytes()
    assert after.startswith(before)
    assert after[len(before):].decode() == (
        "\n@article{probe2019nausea,\n"
        "  author = {Probe, C.},\n"
        "  title = {Nausea scores in women drinking ginger: a cohort},\n"
        "  journal = {Cohort Reports},\n"
        "  year = {2019},\n"
        "  volume = {4},\n"
        "  pages = {e17},\n"
        "  pmid = {31000002},\n"
        "  url = {https://pubmed.ncbi.nlm.nih.gov/31000002/},\n"
        "}\n")
    assert [str(p) for p in check_review(Review.load("ginger"))] == []


def test_a_study_already_in_the_library_returns_its_key_and_writes_nothing(review):
    before = library(review).read_bytes()
    done = include("ginger", included(6))
    assert (done.key, done.written, done.matched) == ("mariner2016ginger", False, "doi")
    assert "already in references/ginger/library.bib (same doi); nothing written" in done.describe("ginger")
    assert library(review).read_bytes() == before


def test_the_same_study_is_found_by_its_pmid_too(review):
    library(review).write_text(library(review).read_text().replace(
        "  doi = {10.1000/party.2020.1},\n", "  pmid = {31000002},\n"))
    before = library(review).read_bytes()
    done = include("ginger", included(2))
    assert (done.key, done.written, done.matched) == ("tester2020ginger", False, "pmid")
    assert library(review).read_bytes() == before


def _includer(args):
    import os

    root, record_key = args
    os.environ["LITREVIEW_ROOT"] = root
    return include("ginger", record_key).key


def test_two_writers_at_once_take_different_keys(review):
    # records 1 and 5 both want tester2020ginger, which is taken: one gets b, the other c
    keys = [included(1), included(5)]
    with multiprocessing.get_context("fork").Pool(2) as pool:
        written = pool.map(_includer, [(str(review), k) for k in keys])
    assert sorted(written) == ["tester2020gingerb", "tester2020gingerc"]
    assert {e.key for e in load_bib(library(review))} >= set(written)
    assert [str(p) for p in check_review(Review.load("ginger"))] == []


def test_a_key_taken_by_another_study_gets_a_letter_and_the_old_entry_is_untouched(review):
    old = entry(review, "tester2020ginger")
    text = library(review).read_text()
    old_block = text[text.index("@article{tester2020ginger"):text.index("@article{mariner")]
    done = include("ginger", included(5))
    assert done.key == "tester2020gingerb"
    new_text = library(review).read_text()
    assert new_text.startswith(text) and new_text.count(old_block) == 1
    assert entry(review, "tester2020ginger") == old
    assert entry(review, "tester2020gingerb").doi == "10.1000/onc.2020.3"
    # and the next one takes c
    done = include("ginger", included(1))
    assert done.key == "tester2020gingerc"
    assert [str(p) for p in check_review(Review.load("ginger"))] == []


def test_special_characters_round_trip_through_the_file(review):
    done = include("ginger", included(4))
    written = entry(review, done.key)
    source = record(4)
    assert to_text(written.get("title")) == source["title"]
    assert source["title"] == RECORDS[3][0]  # the importer kept the text as the export wrote it
    assert to_text(written.get("journal")) == "Remedies & Results"
    raw = library(review).read_text()
    assert r"title = {Ginger \& nausea: 50\% fewer \{episodes\} with C\_2 \textasciitilde{} \$5 a \#day -{}- or" in raw
    assert done.key == "tester2021ginger"
    assert [str(p) for p in check_review(Review.load("ginger"))] == []


# text from the characters bibliographic records hold, LaTeX's special ones included
TEXT = st.text(alphabet=st.sampled_from(list("abcXYZ019 .,:;()-'`\"!?/<>*+=@&%#_${}~^\\|éøßµα–—")),
               min_size=1, max_size=300)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_escaped_text_reads_back_as_written(text):
    text = " ".join(text.split())  # BibTeX squashes white space; so does escape
    bib = "@article{k,\n  title = {" + escape(text) + "},\n}\n"
    assert to_text(parse_bib(bib, "t")[0].get("title")) == text


def test_a_record_not_included_at_full_text_is_refused(review):
    before = library(review).read_bytes()
    with pytest.raises(InclusionError, match="export.csv:2 is not included at full text"):
        include("ginger", "export.csv:2")
    decide("ginger", "export.csv:2", "exclude", "wrong-outcome", stage="full-text")
    with pytest.raises(InclusionError, match="not included at full text"):
        include("ginger", "export.csv:2")
    assert library(review).read_bytes() == before


def test_decide_records_the_full_text_include_first(review):
    done = include("ginger", "export.csv:2", decide=True)
    rows = read_decisions("ginger")
    full = rows[(rows["record_key"] == "export.csv:2") & (rows["stage"] == "full-text")]
    assert list(full["decision"]) == ["include"]
    assert done.key in {e.key for e in load_bib(library(review))}


def test_decide_writes_no_decision_when_the_entry_is_refused(review):
    screening = review / "data" / "ginger" / "screening.csv"
    before = screening.read_bytes()
    with pytest.raises(InclusionError, match="shows neither a DOI nor a PMID"):
        include("ginger", "export.csv:3", decide=True)
    assert screening.read_bytes() == before


def test_a_same_title_study_under_another_doi_is_refused(review):
    # an erratum or a second record of the study: the library's check allows a title once
    library(review).write_text(library(review).read_text().replace(
        "Ginger sweets for hangover nausea", "Nausea scores in women drinking ginger: a cohort"))
    before = library(review).read_bytes()
    with pytest.raises(InclusionError, match="same title as tester2020ginger"):
        include("ginger", included(2))
    assert library(review).read_bytes() == before


def test_an_unreadable_library_is_reported_not_rewritten(review):
    library(review).write_text(library(review).read_text() + "\n@article{broken,\n  title = {open\n")
    before = library(review).read_bytes()
    with pytest.raises(SchemaError):
        include("ginger", included(2))
    assert library(review).read_bytes() == before


def test_names_and_types_as_bibtex_reads_them():
    assert bibtex_name("Langevin HM") == "Langevin, H. M."
    assert bibtex_name("van der Berg JA Jr") == "van der Berg, Jr, J. A."
    assert bibtex_name("Langevin, Helene M") == "Langevin, Helene M"
    assert bibtex_name("World Health Organization") == "World Health Organization"
    assert entry_type("Journal Article") == "article"
    assert entry_type("CHAP") == "incollection" and entry_type("inproceedings") == "inproceedings"
    assert entry_type("") == "article"


def test_a_medline_title_loses_its_full_stop_and_nothing_else():
    medline = {"record_id": "x.nbib:1", "entry_type": "Randomized Controlled Trial", "authors": "Chef A",
               "title": "Is ginger safe? A trial in 20 cooks.", "year": "2003", "pmid": "31000009"}
    key, fields = library_entry(medline)
    assert fields["title"] == "Is ginger safe? A trial in 20 cooks"
    assert key == "chef2003ginger" and fields["author"] == "Chef, A."
    assert library_entry(dict(medline, title="Is ginger safe?"))[1]["title"] == "Is ginger safe?"


def test_a_chapter_has_a_booktitle_and_a_key_by_the_scheme():
    chapter = {"record_id": "x.ris:1", "entry_type": "CHAP", "authors": "Chef, A.", "title": "The ginger root",
               "journal": "A Book of Roots", "year": "2001", "doi": "10.1000/roots.1"}
    key, fields = library_entry(chapter)
    assert fields["booktitle"] == "A Book of Roots" and "journal" not in fields
    parsed = parse_bib(render(key, entry_type("CHAP"), fields), "t")[0]
    assert parsed.entry_type == "incollection" and citation_key(parsed) == key == "chef2001ginger"


def test_the_include_command(review, capsys):
    assert main(["include", "export.csv:2", "--review", "ginger"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "export.csv:2 is not included at full text" in err
    assert main(["include", "export.csv:2", "--decide", "--review", "ginger"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "probe2019nausea\n"
    assert "probe2019nausea: added to references/ginger/library.bib" in captured.err
    assert main(["include", "export.csv:6", "--decide", "--review", "ginger"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "mariner2016ginger\n" and "already in" in captured.err
    assert main(["include", "export.csv:3", "--decide", "--review", "ginger"]) == 2
    assert "shows neither a DOI nor a PMID" in capsys.readouterr().err
    assert main(["include", "export.csv:99", "--review", "ginger"]) == 2
    assert "no imported record 'export.csv:99'" in capsys.readouterr().err
    assert main(["check", "--review", "ginger"]) == 0
