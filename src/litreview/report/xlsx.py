"""The one writer of spreadsheets (``evidence.xlsx``): tables as sheets, every text cell
stored as text.

A value read from a table or an imported record is data, never a formula: openpyxl stores a
string that starts with ``=`` as a formula (``data_type == "f"``), which a spreadsheet program
would compute (``=HYPERLINK(...)``, ``=1+1``) when the file is opened. Every such cell is
turned back into a text cell here, with Excel's quote prefix so that editing it keeps it text.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import paths

MAX_WIDTH, MIN_WIDTH = 60, 10  # column widths, in characters


def write_sheets(path: Path, sheets: dict[str, pd.DataFrame]) -> None:
    """Write ``sheets`` (name -> table) to ``path``: header frozen, columns sized to their first
    50 values, text kept as text; swapped in whole (:func:`litreview.paths.replacing`)."""
    with paths.replacing(path) as new, pd.ExcelWriter(new, engine="openpyxl") as xl:
        for name, frame in sheets.items():
            frame.to_excel(xl, sheet_name=name, index=False)
            sheet = xl.sheets[name]
            sheet.freeze_panes = "A2"
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.data_type == "f":
                        as_text = str(cell.value)
                        cell.value = as_text
                        cell.data_type = "s"
                        cell.quotePrefix = True
            for col in sheet.columns:
                width = max(len(str(c.value or "")) for c in col[:50])
                sheet.column_dimensions[col[0].column_letter].width = min(MAX_WIDTH, max(MIN_WIDTH, width + 2))
