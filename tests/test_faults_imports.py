"""Exports that imported wrongly or silently (defects 8, 12, 13, 14, 19, 20 of the fault
campaign, and PMIDs in RIS accession numbers), with generated damage (Hypothesis): an export
cut short anywhere inside a line is refused, or gives only records that are whole."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from litreview.cli import main
from litreview.collect.importers import read_file
from litreview.collect.imports import folder, load
from litreview.tables.schema import SchemaError

# made-up records (the 10.5555 prefix is the DOI handbook's example)
RIS = ("TY  - JOUR\nAU  - Tester, Ann\nTI  - Ginger tea and morning nausea: a fixture trial\nT2  - Journal of Tests\n"
       "PY  - 2020\nVL  - 4\nSP  - 10\nEP  - 19\nDO  - 10.5555/fixture.ris1\nAB  - Made-up abstract one.\nER  - \n\n"
       "TY  - JOUR\nAU  - Tester, Bob\nTI  - A second fixture record about tea\nT2  - Journal of Tests\nPY  - 2021\n"
       "DO  - 10.5555/fixture.ris2\nER  - \n")
MEDLINE = ("PMID- 90000001\nTI  - Ginger tea and morning nausea: a fixture trial.\nAB  - Made-up abstract one.\n"
           "AU  - Tester A\nDP  - 2020 Jan\nTA  - J Tests\nLID - 10.5555/fixture.med1 [doi]\n\n"
           "PMID- 90000002\nTI  - A second fixture record about tea.\nAU  - Tester B\nDP  - 2021\n"
           "TA  - J Tests\nLID - 10.5555/fixture.med2 [doi]\n")
CSV = ("Title,Authors,Year,DOI,Abstract\n"
       '"Ginger tea and morning nausea: a fixture trial","Tester, A",2020,10.5555/fixture.csv1,"Made-up, one."\n'
       '"A second fixture record about tea","Tester, B",2021,10.5555/fixture.csv2,"Made-up two."\n')
BIB = ("@article{tester2020ginger,\n  author = {Tester, Ann},\n  title = {Ginger tea and morning nausea: a fixture"
       " trial},\n  journal = {Journal of Tests},\n  year = {2020},\n  doi = {10.5555/fixture.bib1},\n}\n\n"
       "@article{tester2021second,\n  author = {Tester, Bob},\n  title = {A second fixture record about tea},\n"
       "  journal = {Journal of Tests},\n  year = {2021},\n  doi = {10.5555/fixture.bib2},\n}\n")
EXPORTS = {"export.ris": RIS, "export.nbib": MEDLINE, "export.csv": CSV, "export.bib": BIB}
CONTENT = ["entry_type", "authors", "title", "journal", "year", "volume", "issue", "pages", "doi", "pmid", "abstract"]


def write(tmp: Path, name: str, data: str | bytes) -> Path:
    path = tmp / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def whole_records(tmp: Path, name: str) -> list[dict]:
    return read_file(write(tmp, "whole-" + name, EXPORTS[name]), progress=False).records[CONTENT].to_dict("records")


@pytest.mark.parametrize("name", sorted(EXPORTS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_defect13_an_export_cut_inside_a_line_is_refused_or_gives_whole_records(tmp_path, name, data):
    text = EXPORTS[name]
    inside = [i for i in range(1, len(text)) if text[i - 1] != "\n" and text[i] != "\n"]
    cut = data.draw(st.sampled_from(inside))
    path = write(tmp_path, name, text[:cut])
    whole = whole_records(tmp_path, name)
    try:
        result = read_file(path, progress=False, skip_bad=True)
    except SchemaError as exc:
        assert all(p.path == name for p in exc.problems)
        return
    for record in result.records[CONTENT].to_dict("records"):
        assert record in whole, (text[:cut][-60:], record)


@pytest.mark.parametrize("name", sorted(EXPORTS))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40), at=st.integers(0, 10_000))
def test_junk_inserted_anywhere_is_reported_or_harmless(tmp_path, name, junk, at):
    """Generated junk in an export: the read ends in problems naming the file, or in records."""
    text = EXPORTS[name]
    at %= len(text)
    path = write(tmp_path, name, text[:at] + junk + text[at:])
    try:
        result = read_file(path, progress=False, skip_bad=True)
    except SchemaError as exc:
        assert exc.problems and all(p.path == name for p in exc.problems)
        return
    assert all(p.path == name for p in result.skipped)
    assert not result.records["title"].str.contains("\x00").any()


def test_defect13_the_two_campaign_cases(tmp_path):
    with pytest.raises(SchemaError, match="export.nbib:5: the file ends inside this record"):
        read_file(write(tmp_path, "export.nbib", "PMID- 12345678\nTI  - A whole record\nAB  - text\n\nPMID- 3"),
                  progress=False)
    result = read_file(write(tmp_path, "export.csv", CSV[:CSV.rindex(".csv2") + 3]), progress=False, skip_bad=True)
    assert list(result.records["doi"]) == ["10.5555/fixture.csv1"]
    assert result.skipped[0].row == 3


def test_defect8_an_extra_brace_does_not_drop_the_fields_after_it(tmp_path):
    bib = BIB.replace("morning nausea: a fixture trial}", "morning} nausea: a fixture trial}")
    with pytest.raises(SchemaError, match=r"export.bib:1: @article\{tester2020ginger ends before its field\(s\) "
                                          r"journal, year, doi"):
        read_file(write(tmp_path, "export.bib", bib), progress=False)


@pytest.mark.parametrize(("content", "says"), [
    (b"", "is empty"), (b"  \n\n\t\n", "only white space"),
    (b"Thank you for your download. Your file is being prepared.\n", "holds no bibtex record"),
    (b"<!DOCTYPE html>\n<html><body><h1>502 Bad Gateway</h1></body></html>\n", "is a web page"),
])
def test_defect12_an_export_without_records_is_refused_and_not_recorded(review_root, capsys, content, says):
    export = write(review_root, "pubmed-2026.bib", content)
    for extra in ([], ["--skip-bad"]):
        assert main(["import", "--review", "ginger", "--search-id", "S001", *extra, str(export)]) == 1
        err = capsys.readouterr().err
        assert says in err and "--skip-bad" not in err
    assert not folder("ginger", review_root).exists() or load("ginger", review_root).manifest.empty
    write(review_root, "pubmed-2026.bib", BIB)  # the real export, under the same name
    assert main(["import", "--review", "ginger", "--search-id", "S001", str(export)]) == 0


def test_defect14_untitled_records_are_warned_and_nul_bytes_refused(review_root, capsys):
    untitled = write(review_root, "untitled.ris", RIS.replace("TI  - A second fixture record about tea\n", ""))
    assert main(["import", "--review", "ginger", "--search-id", "S001", str(untitled)]) == 0
    assert "warning: untitled.ris:13:title: a record without a title" in capsys.readouterr().err
    nul = write(review_root, "nul.ris", RIS.replace("fixture trial", "fixture\x00trial"))
    assert main(["import", "--review", "ginger", "--search-id", "S001", str(nul)]) == 1
    assert "nul.ris:3: a NUL byte" in capsys.readouterr().err
    assert set(load("ginger", review_root).manifest["file"]) == {"untitled.ris"}


def test_defect19_malformed_library_bib_gives_its_reason_and_no_knock_on(review_root, capsys):
    bib = review_root / "references/ginger/library.bib"
    bib.write_text(bib.read_text().replace("journal = {Nutrition Journal}, year = {2014}",
                                           "journal = {Nutrition Journal, year = {2014}"))
    assert main(["check", "--review", "ginger"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "1 problem(s) in review ginger"
    assert err[0].startswith("references/ginger/library.bib:1: malformed BibTeX block @article{viljoen2014systematic: ")
    assert len(err[0]) > len("references/ginger/library.bib:1: malformed BibTeX block @article{viljoen2014systematic: ")


def test_defect20_messages_say_what_is_wrong(review_root, capsys):
    args = ["import", "--review", "ginger", "--search-id", "S001"]
    assert main([*args, str(review_root / "data")]) == 2
    assert "is a folder" in capsys.readouterr().err
    utf16 = write(review_root, "utf16.csv", CSV.encode("utf-16-le"))
    assert main([*args, str(utf16)]) == 1
    err = capsys.readouterr().err
    assert "NUL byte" in err and "UTF-16 without a BOM" in err and "no title column" not in err
    latin = write(review_root, "latin.ris", RIS.replace("Ann", "Ann\u00e9").encode("latin-1"))
    assert main([*args, str(latin)]) == 1
    err = capsys.readouterr().err
    assert "not UTF-8 text" in err and "--skip-bad" not in err
    long_abstract = "word " * 40_000  # 200 KB, over the csv module's default limit of 128 KiB
    big = write(review_root, "big.csv", CSV.replace("Made-up two.", long_abstract))
    assert main([*args, str(big)]) == 0
    assert load("ginger", review_root).records["abstract"].str.len().max() > 150_000
    manifest = folder("ginger", review_root) / "manifest.csv"
    manifest.write_text("file,sha256\nbig.csv,00\n")
    assert main([*args, str(write(review_root, "more.ris", RIS))]) == 1
    err = capsys.readouterr().err
    assert "manifest.csv:1: missing column(s)" in err and "--skip-bad" not in err


@pytest.mark.parametrize(("lines", "pmid"), [
    ("AN  - 7845465\nDP  - NLM\n", "7845465"),             # EndNote from PubMed
    ("AN  - 22424230\nDB  - PubMed\n", "22424230"),
    ("AN  - MEDLINE:22424230\nDB  - MEDLINE\n", "22424230"),  # Web of Science, MEDLINE database
    ("AN  - MEDLINE:21871088\n", "21871088"),
    ("AN  - PMID: 123456\n", "123456"),
    ("AN  - WOS:A1997YL59200008\n", ""),                    # Web of Science Core Collection
    ("AN  - 104567890\nDB  - CINAHL Complete\n", ""),        # another database's number
    ("C1  - 57279\nID  - 57530\nDB  - Scopus\n", ""),       # Scopus record numbers
    ("AN  - 104567890\n", ""),                               # a bare number naming no database
])
def test_ris_pmid_where_exporters_put_it(tmp_path, lines, pmid):
    record = f"TY  - JOUR\nTI  - A fixture record\n{lines}ER  - \n"
    assert list(read_file(write(tmp_path, "an.ris", record), progress=False).records["pmid"]) == [pmid]


def test_utf16_with_a_bom_still_reads(tmp_path):
    path = write(tmp_path, "bom.csv", codecs.BOM_UTF16_LE + CSV.encode("utf-16-le"))
    assert len(read_file(path, progress=False).records) == 2
