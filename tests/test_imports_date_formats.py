"""How a column writes its dates, found at import and used by the layout export (app/imports/date_formats.py)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from app.imports.date_formats import column_format, format_date
from tests.export_support import download, parse_csv
from tests.import_support import fixture, import_file


@pytest.mark.parametrize(
    ("texts", "order", "spec", "written"),
    [
        (["1/14/2025", "12/9/2024", "1/28/2025 2:30pm"], "mdy", "M/D/YYYY", "3/7/2025"),
        (["16/03/2025", "07/05/2025"], "dmy", "DD/MM/YYYY", "07/03/2025"),
        (["28.02.2025", "15.11.2024"], "dmy", "DD.MM.YYYY", "07.03.2025"),
        (["September 17, 2025", "September 24, 2025 → September 26, 2025"], "mdy", "MMMM D, YYYY", "March 7, 2025"),
        (["Sep 3, 2025", "Oct 12, 2025"], "mdy", "MMM D, YYYY", "Mar 7, 2025"),
        (["17 March 2025"], "dmy", "D MMMM YYYY", "7 March 2025"),
        (["2022-02-26 19:17:05", "2022-12-15 08:00:00"], "mdy", "YYYY-MM-DD", "2025-03-07"),
        (["3/4/25", "12/20/24"], "mdy", "M/D/YY", "3/7/25"),
        (["Nov 2", "3/4"], "mdy", None, None),  # no year: no format
        (["1/14/2025", "2025-01-20"], "mdy", None, None),  # two formats: none
    ],
)
def test_a_columns_format_is_found_from_its_values(texts, order, spec, written):
    assert column_format(texts, order) == spec
    if spec:
        assert format_date(dt.date(2025, 3, 7), spec) == written


def test_layout_export_writes_airtable_dates_as_airtable_did_and_xlsx_keeps_date_cells(alice_api):
    batch = import_file(alice_api, fixture("airtable_export.csv"), "airtable.csv")
    assert batch["mapping"]["date_formats"] == {"Applied": "M/D/YYYY", "Interview": "M/D/YYYY"}
    rows = parse_csv(alice_api.get(f"/api/exports/applications.csv?layout={batch['uuid']}").data)
    by_position = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert (by_position["UI Engineer"]["Applied"], by_position["UI Engineer"]["Interview"]) == (
        "12/9/2024",
        "12/18/2024",
    )
    sheet = load_workbook(
        io.BytesIO(download(alice_api, f"/api/exports/applications.xlsx?layout={batch['uuid']}").data)
    ).active
    header = [cell.value for cell in sheet[1]]
    values = {row[0]: row[header.index("Applied")] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["UI Engineer"] == dt.datetime(2024, 12, 9)  # a real date cell, whatever the CSV's format
