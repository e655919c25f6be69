"""Every kind of file people upload: encodings, delimiters, dates, and what is not a spreadsheet at all."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from app.imports.dates import parse_date
from tests.import_support import applications, import_file, upload, upload_ok

ROWS = [["Company", "Position", "Status", "Notes"], ["Café Müller", "Barista", "Applied", 'says "hi", then;\tleaves']]


def _csv(delimiter: str, newline: str = "\r\n") -> str:
    def quote(cell: str) -> str:
        return '"' + cell.replace('"', '""') + '"' if any(c in cell for c in (delimiter, '"', "\n")) else cell

    return newline.join(delimiter.join(quote(cell) for cell in row) for row in ROWS) + newline


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_in_every_common_encoding_and_delimiter_reads_the_same(alice_api, encoding, delimiter):
    batch = upload_ok(alice_api, _csv(delimiter).encode(encoding))
    assert batch["preview"]["file"]["delimiter"] == delimiter
    values = batch["preview"]["rows"][0]["values"]
    assert (values["company"], values["position_title"]) == ("Café Müller", "Barista")
    assert values["notes"] == "<p>says &quot;hi&quot;, then;\tleaves</p>"


def test_quoted_newlines_stay_inside_their_cell(alice_api):
    data = b'Company,Position,Notes\nAcme,Engineer,"line one\nline two"\nGlobex,Analyst,\n'
    import_file(alice_api, data)
    assert [a["notes"] for a in applications(alice_api)] == ["<p>line one<br>line two</p>", ""]


def test_blank_rows_and_empty_cells_are_skipped_quietly(alice_api):
    data = b"Company,Position,Notes\n\n,,\nAcme,Engineer,\n  ,  ,  \n\nGlobex,,\n"
    batch = upload_ok(alice_api, data)
    assert batch["counts"]["rows"] == 2
    assert [p["message"] for p in batch["preview"]["problems"]] == ["No position: imported as 'Unknown position'."]


@pytest.mark.parametrize(
    ("value", "order", "expected"),
    [
        (45356, "mdy", date(2024, 3, 5)),
        (45356.75, "mdy", date(2024, 3, 5)),
        ("45356", "mdy", date(2024, 3, 5)),
        (datetime(2024, 3, 5, 14, 30), "mdy", date(2024, 3, 5)),
        ("2024-03-05", "dmy", date(2024, 3, 5)),
        ("2024/3/5", "mdy", date(2024, 3, 5)),
        ("05/03/2024", "dmy", date(2024, 3, 5)),
        ("03/05/2024", "mdy", date(2024, 3, 5)),
        ("5.3.24", "dmy", date(2024, 3, 5)),
        ("March 5, 2024", "dmy", date(2024, 3, 5)),
        ("5 Mar 2024", "mdy", date(2024, 3, 5)),
        ("Tue, 5 March 2024", "mdy", date(2024, 3, 5)),
        ("2024-03-05T10:00:00Z", "mdy", date(2024, 3, 5)),
        ("31/02/2024", "dmy", None),
        ("soon", "mdy", None),
        ("n/a", "mdy", None),
        ("12", "mdy", None),
        (True, "mdy", None),
    ],
)
def test_dates_in_the_forms_spreadsheets_hold_them(value, order, expected):
    assert parse_date(value, order) == expected


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "status", "reason"),
    [
        (b"", 400, "The file is empty."),
        (b"  \r\n\n ", 400, "The file is empty."),
        (b"Company,Position\n", 400, "header row but no data rows"),
        (b"Company,Position\n\n,\n", 400, "header row but no data rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01", 400, "not a spreadsheet"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\x00\x01\x02", 400, "not a spreadsheet"),
        (bytes(range(256)) * 40, 400, "not a spreadsheet"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, 400, ".xls"),
        (b"PK\x03\x04 broken zip", 400, "not a readable XLSX"),
    ],
)
def test_files_that_cannot_be_imported_get_a_400_with_the_reason(alice_api, data, status, reason):
    response = upload(alice_api, data)
    assert response.status_code == status
    assert reason in response.get_json()["detail"]
    assert alice_api.get("/api/imports/").get_json()["count"] == 0


def test_a_zip_that_is_not_a_workbook_is_a_400(alice_api):
    response = upload(alice_api, _docx(), "letter.docx")
    assert response.status_code == 400
    assert "not a readable XLSX" in response.get_json()["detail"]


def test_a_header_only_workbook_and_an_empty_sheet_are_400s(alice_api):
    response = upload(alice_api, _xlsx([["Company", "Position"]]), "a.xlsx")
    assert response.status_code == 400 and "no data rows" in response.get_json()["detail"]
    response = upload(alice_api, _xlsx([]), "b.xlsx")
    assert response.status_code == 400 and "no rows with data" in response.get_json()["detail"]


def test_a_missing_file_field_is_a_400_on_that_field(alice_api):
    response = alice_api.post("/api/imports/", data={"upload": "x"}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "file" in response.get_json()


def test_a_50_mb_file_is_a_413_and_stores_nothing(alice_api):
    data = b"Company,Position\n" + b"Acme,Engineer\n" * (50 * 1024 * 1024 // 14)
    # The multipart body is built here: the test client would spool it to a temporary file it never
    # closes when the server refuses the body unread (as it should, from Content-Length alone).
    boundary = "----appltrackyboundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="huge.csv"\r\n'
            f"Content-Type: text/csv\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = alice_api.post("/api/imports/", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    assert "at most 10 MB" in response.get_json()["detail"]
    assert alice_api.get("/api/imports/").get_json()["count"] == 0


def test_limits_on_size_rows_and_columns_are_configurable(app, alice_api):
    app.config.update(IMPORT_MAX_BYTES=1024, IMPORT_MAX_ROWS=3, IMPORT_MAX_COLUMNS=4)
    too_big = upload(alice_api, b"Company,Position\n" + b"Acme,Engineer\n" * 100)
    assert too_big.status_code == 413 and "at most 1 KB" in too_big.get_json()["detail"]
    too_long = upload(alice_api, b"Company,Position\n" + b"Acme,Engineer\n" * 4)
    assert too_long.status_code == 413 and "more than 3 data rows" in too_long.get_json()["detail"]
    too_wide = upload(alice_api, b"a,b,c,d,e\n1,2,3,4,5\n")
    assert too_wide.status_code == 413 and "at most 4" in too_wide.get_json()["detail"]
    assert upload(alice_api, b"Company,Position\n" + b"Acme,Engineer\n" * 3).status_code == 201


def test_overlong_cells_are_shortened_with_a_problem_never_refused(alice_api):
    # The source row keeps the whole text.
    data = ("Company,Position,Status\n" + "A" * 150 + ",Engineer," + "S" * 80 + "\n").encode()
    batch = upload_ok(alice_api, data)
    values = batch["preview"]["rows"][0]["values"]
    assert len(values["company"]) == 100 and len(values["statuses"][0][0]) == 50
    assert len(batch["preview"]["problems"]) == 2


def test_a_workbook_that_expands_to_gigabytes_is_refused_before_it_is_read(alice_api, monkeypatch):
    from app.imports import reading

    monkeypatch.setattr(reading, "XLSX_MAX_EXPANDED", 1000)
    response = upload(alice_api, _xlsx([["Company", "Position"], ["Acme", "Engineer"]]), "bomb.xlsx")
    assert response.status_code == 413
    assert "expands" in response.get_json()["detail"]
