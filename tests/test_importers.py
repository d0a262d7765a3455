"""Importers: each format read into the record table, bad blocks reported with file:line.

The fixtures in tests/fixtures/imports/ are fictional records written for these tests; the
expected values below are read off those files by hand. Line-end and encoding variants are
written byte by byte into a temporary folder, so that no checkout setting can change them.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from litreview.collect.importers import RECORD_COLUMNS, detect_format, read_file, read_files
from litreview.tables.schema import SchemaError

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "imports"
BENCH = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks" / "imports"


def records(name: str, **kw):
    return read_file(FIXTURES / name, progress=False, **kw).records


def row(frame, record_id: str) -> dict:
    match = frame[frame.record_id == record_id]
    assert len(match) == 1, f"{record_id} not found once in {list(frame.record_id)}"
    return match.iloc[0].to_dict()


# --- each reader -------------------------------------------------------------------------------

def test_ris_fields_normalised():
    frame = records("basic.ris", search_id="S001")
    assert list(frame.columns) == list(RECORD_COLUMNS)
    assert list(frame.record_id) == ["basic.ris:1", "basic.ris:2", "basic.ris:3"]
    assert list(frame.source_line) == ["1", "21", "30"]  # the TY lines
    first = row(frame, "basic.ris:1")
    assert first["authors"] == "Example, AB; Sample, CD"
    assert first["title"] == "Example trial of tea for testing"
    assert first["journal"] == "Journal of Tests"
    assert (first["year"], first["volume"], first["issue"]) == ("2019", "12", "3")
    assert first["pages"] == "447-454"                      # SP and EP joined
    assert first["doi"] == "10.5555/test.0001"              # prefix gone, lower case
    assert first["pmid"] == "31000001"                      # AN of a PubMed record
    assert first["abstract"] == ("First line of an abstract continued without indent "
                                 "and continued with an indent.")
    assert first["search_id"] == "S001" and first["source_file"] == "basic.ris"
    second = row(frame, "basic.ris:2")
    assert (second["authors"], second["title"]) == ("Placeholder, Q", "A chapter with no journal tag")
    assert (second["year"], second["pages"], second["pmid"]) == ("2001", "10-19", "31000002")
    third = row(frame, "basic.ris:3")
    assert third["pmid"] == "31000003"        # PUBMED-n in C1; the WOS: accession is no PMID
    assert third["doi"] == "10.5555/test.0003"  # from a doi.org address
    assert third["year"] == "2020"


def test_medline_fields_normalised():
    frame = records("records.nbib")
    first = row(frame, "records.nbib:1")
    assert first["source_line"] == "1"
    assert first["title"] == "A fictional MEDLINE record whose title runs over two lines."
    assert first["authors"] == "Example AB; Sample CD"
    assert (first["journal"], first["year"], first["volume"], first["issue"]) == (
        "Journal of Tests", "2018", "7", "2")
    assert first["pages"] == "447-54"  # as written
    assert (first["doi"], first["pmid"]) == ("10.5555/test.0011", "31000011")
    assert first["entry_type"] == "Journal Article"
    second = row(frame, "records.nbib:2")
    assert second["source_line"] == "19"
    assert second["doi"] == "10.5555/test.0012"  # the [doi] AID, not the [pii] one
    assert second["journal"] == "J Tests"        # TA when there is no JT


def test_bibtex_accents_macros_types_and_duplicate_keys():
    frame = records("library.bib")
    assert list(frame.source_line) == ["4", "17", "24", "32"]
    first = row(frame, "library.bib:1")
    assert first["authors"] == "Müller, Anna; García, José; Food and Drug Administration"
    assert first["title"] == "Example Trial of Tea for Testing"
    assert first["journal"] == "Journal of Tests"      # @string macro resolved
    assert first["pages"] == "447-454"
    assert first["doi"] == "10.5555/test.0101"         # the commented-out doi is ignored
    assert first["pmid"] == "31000101"
    thesis = row(frame, "library.bib:2")
    assert (thesis["entry_type"], thesis["year"]) == ("thesis", "2020")  # year from date
    online = row(frame, "library.bib:3")
    assert online["entry_type"] == "online"
    assert (online["doi"], online["pmid"]) == ("10.5555/test.0103", "31000103")
    # the same key twice: both kept, the second even with a repeated field
    again = row(frame, "library.bib:4")
    assert (again["title"], again["year"]) == ("Same key, another record", "2018")


def test_csv_aliases_of_each_export():
    scopus = row(records("scopus.csv"), "scopus.csv:1")
    assert scopus["authors"] == "Example A.B.; Sample C.D."
    assert scopus["title"] == "Example trial of tea, with commas"
    assert (scopus["journal"], scopus["pages"], scopus["pmid"]) == ("Journal of Tests", "447-454", "31000201")
    assert scopus["abstract"] == "An abstract over two lines."
    assert row(records("scopus.csv"), "scopus.csv:2")["source_line"] == "4"  # the quoted line break counts
    pubmed = row(records("pubmed.csv"), "pubmed.csv:1")
    assert pubmed["authors"] == "Example AB; Sample CD; Placeholder Q."
    assert (pubmed["journal"], pubmed["year"], pubmed["doi"], pubmed["pmid"]) == (
        "J Tests", "2018", "10.5555/test.0301", "31000301")
    wos = row(records("wos.txt"), "wos.txt:1")  # tab-delimited, tags as headers
    assert wos["title"] == 'A "quoted" fictional title'
    assert (wos["authors"], wos["pages"], wos["pmid"]) == ("Example, AB; Sample, CD", "1-9", "31000401")
    zotero = row(records("zotero.csv"), "zotero.csv:1")
    assert (zotero["journal"], zotero["pages"], zotero["issue"], zotero["volume"]) == (
        "Journal of Tests", "100-109", "4", "8")
    assert zotero["pmid"] == "31000501"  # from "PMID: n" in Extra


def test_csv_without_title_column_names_file_and_columns():
    with pytest.raises(SchemaError) as err:
        records("notitle.csv")
    message = str(err.value)
    assert message.startswith("notitle.csv:1:")
    assert "name, year, doi" in message


def test_all_values_are_strings():
    for name in ("basic.ris", "records.nbib", "library.bib", "scopus.csv"):
        frame = records(name)
        assert all(isinstance(v, str) for v in frame.to_numpy().ravel()), name


# --- encodings and line ends -------------------------------------------------------------------

RIS_TWO = ["TY  - JOUR", "TI  - First title", "PY  - 2001", "ER  - ", "",
           "TY  - JOUR", "TI  - Second title", "PY  - 2002", "ER  - "]


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_ris_bom_and_each_line_end(tmp_path, ending):
    path = write(tmp_path, "ends.ris", b"\xef\xbb\xbf" + ending.join(RIS_TWO).encode())
    frame = read_file(path, progress=False).records
    assert list(frame.title) == ["First title", "Second title"]
    assert list(frame.source_line) == ["1", "6"]


def test_mixed_line_ends_count_as_an_editor_does(tmp_path):
    ends = ["\r\n", "\n", "\r", "\r\n", "\n", "\r", "\n", "\r\n"]
    text = "".join(line + end for line, end in zip(RIS_TWO, ends)) + RIS_TWO[-1]
    frame = read_file(write(tmp_path, "mixed.ris", text.encode()), progress=False).records
    assert list(frame.source_line) == ["1", "6"]
    assert list(frame.year) == ["2001", "2002"]


def test_utf16_export_is_read(tmp_path):
    text = "Title\tPY\r\nÉtude fictive\t1999\r\n"
    frame = read_file(write(tmp_path, "wos16.txt", text.encode("utf-16")), progress=False).records
    assert (frame.title[0], frame.year[0]) == ("Étude fictive", "1999")


def test_non_utf8_byte_named_with_its_line(tmp_path):
    data = "\r\n".join(RIS_TWO[:6] + ["TI  - Caf\xe9"] + RIS_TWO[7:]).encode("latin-1")
    with pytest.raises(SchemaError) as err:
        read_file(write(tmp_path, "latin.ris", data), progress=False)
    assert str(err.value).startswith("latin.ris:7:")
    assert "0xe9" in str(err.value)


# --- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name, expected", [
    ("bad.ris", ["bad.ris:6: record has no 'ER  - ' before the next 'TY  - ' at line 10",
                 "bad.ris:10: line 12 looks like a tag"]),
    ("bad.nbib", ["bad.nbib:4: MEDLINE record has neither a title (TI) nor a PMID",
                  "bad.nbib:7: line 9 is neither a tag"]),
    ("bad.bib", ["bad.bib:6: field 'title' of @article{bad2002missing runs into the next field",
                 "bad.bib:11: malformed BibTeX block @book{bad2003unclosed"]),
    ("bad.csv", ["bad.csv:3: expected 3 fields, found 4"]),
])
def test_every_bad_block_stops_the_import_with_file_and_line(name, expected):
    with pytest.raises(SchemaError) as err:
        records(name)
    problems = [str(p) for p in err.value.problems]
    assert len(problems) == len(expected)
    for problem, start in zip(problems, expected):
        assert problem.startswith(start)


@pytest.mark.parametrize("name, good_ids, skipped_lines", [
    ("bad.ris", ["bad.ris:1", "bad.ris:4"], [6, 10]),
    ("bad.nbib", ["bad.nbib:1", "bad.nbib:4"], [4, 7]),
    ("bad.bib", ["bad.bib:1", "bad.bib:4"], [6, 11]),
    ("bad.csv", ["bad.csv:1", "bad.csv:3"], [3]),
])
def test_skip_bad_returns_the_rest_and_lists_what_it_skipped(name, good_ids, skipped_lines):
    result = read_file(FIXTURES / name, skip_bad=True, progress=False)
    assert list(result.records.record_id) == good_ids  # ids count the skipped blocks too
    assert [p.row for p in result.skipped] == skipped_lines
    assert all(p.path == name for p in result.skipped)


def test_ris_as_rispy_writes_it_numbered_records_and_all(tmp_path):
    """rispy's writer puts each record's number ("1.") on the line before its TY; those lines
    are no stray text, and a stray word between numbered records still is."""
    import rispy

    text = rispy.dumps([{"type_of_reference": "JOUR", "title": "First", "accession_number": "123",
                         "name_of_database": "PubMed"},
                        {"type_of_reference": "JOUR", "title": "Second", "doi": "10.1000/x1"}])
    assert text.startswith("1.\n")
    result = read_file(write(tmp_path, "rispy.ris", text.encode()), progress=False)
    assert list(result.records.title) == ["First", "Second"]
    assert list(result.records.pmid) == ["123", ""] and list(result.records.doi) == ["", "10.1000/x1"]
    bad = read_file(write(tmp_path, "bad.ris", text.replace("2.\n", "2.\nstray words\n").encode()),
                    skip_bad=True, progress=False)
    assert [p.message.split(",")[0] for p in bad.skipped] == ["text outside a record"]


def test_ris_text_outside_records_and_missing_final_er(tmp_path):
    text = "\n".join(["TY  - JOUR", "TI  - Kept", "ER  - ", "stray words", "",
                      "TY  - JOUR", "TI  - Never ended"])
    result = read_file(write(tmp_path, "tail.ris", text.encode()), skip_bad=True, progress=False)
    assert list(result.records.title) == ["Kept"]
    assert [(p.row, p.message.split(",")[0]) for p in result.skipped] == [
        (4, "text outside a record"), (6, "record has no 'ER  - ' before the end of the file")]


def test_read_files_lists_bad_blocks_of_every_file(tmp_path):
    other = tmp_path / "other.csv"
    shutil.copy(FIXTURES / "bad.csv", other)
    with pytest.raises(SchemaError) as err:
        read_files([FIXTURES / "bad.ris", other], progress=False)
    assert [(p.path, p.row) for p in err.value.problems] == [
        ("bad.ris", 6), ("bad.ris", 10), ("other.csv", 3)]


def test_read_files_concatenates_with_unique_ids():
    result = read_files([FIXTURES / "basic.ris", FIXTURES / "records.nbib"], search_id="S002",
                        progress=False)
    frame = result.records
    assert list(frame.record_id) == ["basic.ris:1", "basic.ris:2", "basic.ris:3", "records.nbib:1", "records.nbib:2"]
    assert set(frame.search_id) == {"S002"}
    assert frame.record_id.is_unique


def test_read_files_refuses_two_files_with_one_name(tmp_path):
    copy = tmp_path / "basic.ris"
    shutil.copy(FIXTURES / "library.bib", copy)
    with pytest.raises(SchemaError, match="same name"):
        read_files([FIXTURES / "basic.ris", copy], progress=False)


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(SchemaError, match="file is missing"):
        read_file(tmp_path / "absent.ris", progress=False)
    # an export without a record is refused whole (it would be recorded as imported)
    with pytest.raises(SchemaError, match="empty.ris: holds only white space; nothing was imported"):
        read_file(write(tmp_path, "empty.ris", b"\n\n"), progress=False)


# --- format detection --------------------------------------------------------------------------

@pytest.mark.parametrize("name, fmt", [
    ("basic.ris", "ris"), ("records.nbib", "medline"), ("library.bib", "bibtex"),
    ("scopus.csv", "csv"), ("wos.txt", "csv"), ("pubmed.csv", "csv"),
])
def test_detect_format_of_fixtures(name, fmt):
    assert detect_format(FIXTURES / name) == fmt


def test_detect_format_reads_content_not_extension(tmp_path):
    ris = write(tmp_path, "export.txt", b"\xef\xbb\xbf" + "\r\n".join(RIS_TWO).encode())
    medline = write(tmp_path, "export.csv", (FIXTURES / "records.nbib").read_bytes())
    bib = write(tmp_path, "export.dat", (FIXTURES / "library.bib").read_bytes())
    assert [detect_format(p) for p in (ris, medline, bib)] == ["ris", "medline", "bibtex"]
    assert len(read_file(medline, progress=False).records) == 2
    with pytest.raises(SchemaError, match="cannot tell the format"):
        detect_format(write(tmp_path, "notes.dat", b"just some words\n"))


# --- the real exports: nothing silently lost ---------------------------------------------------

needs_bench = pytest.mark.skipif(not BENCH.is_dir(), reason="../shared/benchmarks is absent")


def count_in_file(path: Path) -> int:
    """Records in an export, counted without the importers: 'ER  -' lines for RIS, lines
    that open an entry (not @comment/@string/@preamble) for BibTeX."""
    lines = re.split(r"\r\n|\r|\n", path.read_text(encoding="utf-8"))
    if path.suffix == ".bib":
        entry = re.compile(r"[\s\ufeff]*@\s*(?!(?:comment|string|preamble)\b)\w+\s*[{(]", re.I)
        return sum(1 for line in lines if entry.match(line))
    return sum(1 for line in lines if line.lstrip("\ufeff").startswith("ER  -"))


@needs_bench
@pytest.mark.parametrize("name", ["wos_test.ris", "ris_export.txt", "zotero_export.ris",
                                  "zotero_export.bib", "handcurated_2820.bib"])
def test_real_export_read_without_loss(name):
    path = BENCH / name
    result = read_file(path, skip_bad=True, progress=False)
    assert len(result.records) + len(result.skipped) == count_in_file(path)
    assert result.records.record_id.is_unique
    assert (result.records.title != "").mean() > 0.99


@needs_bench
def test_real_exports_counts_match_readme():
    # the README's figures: the two Zotero exports hold the same 1,000 records
    ris = read_file(BENCH / "zotero_export.ris", progress=False).records
    bib = read_file(BENCH / "zotero_export.bib", progress=False).records
    assert len(ris) == len(bib) == 1000
    assert (ris.doi == bib.doi).mean() > 0.99


@pytest.mark.parametrize("raw, plain", [
    (r"Garc{\'\i}a", "García"),
    (r"M{\"u}ller and Fran{\c{c}}ois", "Müller and François"),
    (r"Lithium \ch{Li^{+}} at 300\,\kelvin", "Lithium Li^+ at 300"),
    (r"50\% of \textless{}5", "50% of <5"),
])
def test_latex_in_bibtex_values_becomes_plain_text(tmp_path, raw, plain):
    text = f"@article{{k,\n  title = {{{raw}}},\n}}\n"
    path = write(tmp_path, "one.bib", text.encode())
    assert read_file(path, progress=False).records.title[0] == plain


def test_every_format_has_one_registered_reader_behind_one_interface(tmp_path, monkeypatch):
    from litreview.collect.importers import FORMATS, READERS, Reader, Record

    assert set(READERS) == set(FORMATS) and all(isinstance(r, Reader) for r in READERS.values())
    assert {ext for r in READERS.values() for ext in r.extensions} >= {".ris", ".nbib", ".bib", ".csv"}

    class Lines(Reader):  # a format of one title per line, announced by "#lines"
        name, extensions = "lines", (".lines",)

        def recognises(self, line):
            return line.startswith("#lines")

        def items(self, path, label, progress):
            rows = path.read_text(encoding="utf-8").splitlines()[1:]
            return ((n, Record(title=t)) for n, t in enumerate(rows, 2))

    monkeypatch.setitem(READERS, "lines", Lines())
    monkeypatch.setattr("litreview.collect.importers._ANNOUNCED", ("ris", "medline", "bibtex", "lines"))
    path = tmp_path / "two.txt"
    path.write_text("#lines\nWalking and tea\nCoffee and sleep\n", encoding="utf-8")
    assert detect_format(path) == "lines"
    records = read_file(path, search_id="S001", progress=False).records
    assert list(records["title"]) == ["Walking and tea", "Coffee and sleep"]
    assert list(records["source_line"]) == ["2", "3"] and list(records["journal"]) == ["", ""]
