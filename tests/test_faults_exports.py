"""Untrusted text in what the build writes (defects 1 and 2 of the fault campaign): a value
starting with ``=`` is text in every sheet of evidence.xlsx, and a table shown in a notebook
is escaped like every other HTML the project writes."""

from __future__ import annotations

import json

import openpyxl

from conftest import ROOT
from litreview.collect.audit import audit_table
from litreview.grade.grading import grade_review
from litreview.report.sections import write_workbook
from litreview.tables.review import Review

FORMULAS = ("=1+1", '=HYPERLINK("http://127.0.0.1/x","click")', "=cmd|' /C calc'!A0")


def test_defect2_no_sheet_of_the_workbook_holds_a_formula(review_root, tmp_path):
    evidence = review_root / "data/ginger/evidence.csv"
    evidence.write_text(evidence.read_text().replace("Ginger eased nausea more than placebo.", csv_cell(FORMULAS[1]))
                        .replace(",nausea,supports", f",{FORMULAS[0]},supports"))
    library = review_root / "references/ginger/library.bib"
    library.write_text(library.read_text().replace("journal = {Nutrition Journal}", f"journal = {{{FORMULAS[2]}}}"))
    claims = review_root / "data/ginger/claims.csv"
    claims.write_text(claims.read_text().replace('"restated G01"', '"=2+2"'))
    rv = Review.load("ginger", review_root)
    assert rv.problems == []
    grades = grade_review(rv.claims, rv.evidence, rv.rob, rv.overrides, explanations=rv.explanations)
    path = tmp_path / "evidence.xlsx"
    write_workbook(path, rv, grades, audit_table(rv.cited, rv.library, rv.reference_audit))
    book = openpyxl.load_workbook(path)
    formulas = [(ws.title, c.coordinate, c.value) for ws in book.worksheets for row in ws.iter_rows()
                for c in row if c.data_type == "f"]
    assert formulas == []
    texts = {c.value for ws in book.worksheets for row in ws.iter_rows() for c in row}
    assert {*FORMULAS, "=2+2"} <= texts
    assert len(book.sheetnames) == 7


def csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


INJECTED = "<script>window.__injected = 1</script><img src=x onerror=\"window.__injected = 2\">"


def test_defect1_styled_tables_escape_cells_and_labels():
    import pandas as pd

    from litreview.workbook.views import styled

    frame = pd.DataFrame({"title <b>": [INJECTED], "n": [3]})
    html = styled(frame).hide(axis="index").to_html()
    assert "<script>" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;window.__injected = 1&lt;/script&gt;" in html


def test_defect1_no_notebook_shows_a_table_through_unescaped_style():
    """pandas' ``.style`` writes cell values as markup; the notebooks use views.styled."""
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            source = "".join(cell["source"])
            assert ".style." not in source and ".style\n" not in source, (path.name, source[:200])
            assert "to_html(escape=False" not in source, path.name
