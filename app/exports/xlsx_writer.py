"""XLSX through openpyxl's write-only mode: rows go to disk as they come, memory holds one chunk.

Dates become date cells and numbers stay numbers; text is neutralised against formulas and always
written as a string cell, stripped of the control characters XML cannot hold, and cut to Excel's
limit of 32,767 characters per cell.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from app.exports.cells import neutralise

MIME_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXCEL_CELL_LIMIT = 32_767


def xlsx_cell(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    """A row value as a cell of `sheet`."""
    if value is None or isinstance(value, int | float):  # bool is an int
        return value
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    text = neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value)))[:EXCEL_CELL_LIMIT]
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # never a formula, whatever the text
    return cell


def write_xlsx(target: IO[bytes], title: str, header: list[str], chunks: Iterable[list[list[Any]]]) -> None:
    """Write a one-sheet workbook of `header` and the rows of `chunks` to the binary file `target`."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.append([xlsx_cell(sheet, name) for name in header])
    for chunk in chunks:
        for row in chunk:
            sheet.append([xlsx_cell(sheet, value) for value in row])
    workbook.save(target)
