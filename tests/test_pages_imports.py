"""The import wizard's pages (/account/imports/) through the Flask client: each step's validation, CSRF,
sign-in, ownership, and that a page writes exactly what the API's service would (nothing before commit)."""

from __future__ import annotations

import html
import io
import re
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pages_support import csrf_token, form_errors, sign_in, submit
from pages_support import field_errors as escaped_field_errors
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.extensions import db
from app.imports.writer import BulkWriter
from app.models import Application, Company
from app.models.import_batch import ImportBatch
from tests.import_support import applications, fixture, upload_ok

WIZARD = "/account/imports/"
WORKBOOK = "job_hunt_2025.xlsx"
TRACKER = (
    "Company,Position,Status,Date\n"
    "Acme,Engineer,Applied,2024-03-01\n"
    "Globex,Analyst,phone scrn,2024-03-05\n"
    ",,,\n"
    "Initech,,Rejected,someday\n"
)


@pytest.fixture
def web(client: FlaskClient, alice: Any) -> FlaskClient:
    sign_in(client, alice.email)
    return client


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _batch(app: Flask, batch_id: str) -> ImportBatch | None:
    with app.app_context():
        batch = db.session.get(ImportBatch, uuid.UUID(batch_id))
        if batch is not None:
            db.session.expunge(batch)
        return batch


def _upload(web: FlaskClient, data: bytes, filename: str, **kwargs: Any):
    return submit(
        web,
        WIZARD,
        WIZARD,
        {"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
        **kwargs,
    )


def _uploaded(web: FlaskClient, data: bytes = TRACKER.encode(), filename: str = "tracker.csv") -> str:
    """Upload through the page; the new batch's id (the mapping page's URL names it)."""
    response = _upload(web, data, filename)
    assert response.status_code == 303, response.get_data(as_text=True)
    match = re.fullmatch(r"/account/imports/([0-9a-f-]{36})/", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def _mapping_url(batch_id: str) -> str:
    return f"{WIZARD}{batch_id}/"


def _change(web: FlaskClient, batch_id: str, data: dict[str, str], **kwargs: Any):
    url = _mapping_url(batch_id)
    return submit(web, url, url, data, **kwargs)


def _form_of(web: FlaskClient, batch_id: str) -> dict[str, str]:
    """The mapping form's fields as the page fills them (what a browser would send unchanged)."""
    page = web.get(_mapping_url(batch_id)).get_data(as_text=True)
    form = page[page.index('id="mapping-form"') : page.index("</form>", page.index('id="mapping-form"'))]
    values: dict[str, str] = {}
    for name, body in re.findall(r'<select id="[^"]+" name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        selected = re.search(r'<option value="([^"]*)" selected>', body)
        values[name] = html.unescape(selected.group(1)) if selected else ""
    for tag in re.findall(r"<input [^>]+>", form):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and name.group(1) != "csrf_token" and ('type="radio"' not in tag or " checked" in tag):
            values[name.group(1)] = html.unescape(value.group(1)) if value else ""
    return values


def field_errors(response: Any, field: str) -> list[str]:
    return [html.unescape(message) for message in escaped_field_errors(response, field)]


def _html(response: Any) -> str:
    return response.get_data(as_text=True)


# Signed out, CSRF, ownership


def test_every_wizard_page_sends_a_signed_out_visitor_to_sign_in(app, client, alice_api):
    batch = upload_ok(alice_api, TRACKER.encode())["uuid"]
    steps = (f"{WIZARD}{batch}/", f"{WIZARD}{batch}/rows/", f"{WIZARD}{batch}/result/", f"{WIZARD}{batch}/delete/")
    for url in (WIZARD, *steps):
        response = client.get(url)
        assert response.status_code == 303, url
        assert response.headers["Location"].startswith("/account/sign-in/?next=")
    for url in (WIZARD, f"{WIZARD}{batch}/", f"{WIZARD}{batch}/commit/", f"{WIZARD}{batch}/delete/"):
        assert client.post(url).status_code in (303, 400), url
    assert _batch(app, batch).state == "preview"
    assert _count(app, Application) == 0


@pytest.mark.parametrize("step", ["upload", "change", "commit", "delete"])
def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(app, web, step):
    batch_id = _uploaded(web)
    before = _batch(app, batch_id).options
    url, data = {
        "upload": (WIZARD, {"file": (io.BytesIO(TRACKER.encode()), "again.csv")}),
        "change": (f"{WIZARD}{batch_id}/", {"date_order": "dmy"}),
        "commit": (f"{WIZARD}{batch_id}/commit/", {}),
        "delete": (f"{WIZARD}{batch_id}/delete/", {}),
    }[step]
    response = web.post(url, data=data, content_type="multipart/form-data")

    assert response.status_code == 400
    assert "Nothing was changed" in _html(response)
    assert _count(app, ImportBatch) == 1
    assert _batch(app, batch_id).state == "preview" and _batch(app, batch_id).options == before
    assert _count(app, Application) == 0


def test_another_users_import_is_not_found_on_every_step(app, client, alice_api, bob):
    batch = upload_ok(alice_api, TRACKER.encode())["uuid"]
    sign_in(client, bob.email)
    for url in (f"{WIZARD}{batch}/", f"{WIZARD}{batch}/rows/", f"{WIZARD}{batch}/result/", f"{WIZARD}{batch}/delete/"):
        assert client.get(url).status_code == 404, url
    for url in (f"{WIZARD}{batch}/commit/", f"{WIZARD}{batch}/delete/"):
        assert submit(client, WIZARD, url, {}).status_code == 404, url
    assert _batch(app, batch).state == "preview"


# Step 1: upload


def test_upload_without_a_file_is_refused_beside_the_file_field(app, web):
    response = submit(web, WIZARD, WIZARD, {}, content_type="multipart/form-data")

    assert response.status_code == 400
    assert field_errors(response, "file") == ["Choose a CSV or XLSX file to upload."]
    assert _count(app, ImportBatch) == 0


def test_upload_of_a_file_that_is_no_spreadsheet_says_why_beside_the_field(app, web):
    response = _upload(web, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "photo.png")

    assert response.status_code == 400
    assert field_errors(response, "file") == ["The file is not a spreadsheet: its text encoding cannot be recognised."]
    assert _count(app, ImportBatch) == 0


def test_upload_over_the_import_limit_is_refused_with_the_limit(app, web):
    app.config.update(IMPORT_MAX_BYTES=1000)
    try:
        just_over = _upload(web, b"Company,Position\n" + b"Acme,Engineer\n" * 100, "big.csv")
        far_over = _upload(web, b"Company,Position\n" + b"Acme,Engineer\n" * 10_000, "bigger.csv")
    finally:
        app.config.update(IMPORT_MAX_BYTES=10 * 1024 * 1024)

    for response in (just_over, far_over):
        assert response.status_code == 413
        assert field_errors(response, "file") == ["The file is too large: at most 1e+03 bytes can be imported."]
    assert _count(app, ImportBatch) == 0


def test_upload_larger_than_the_app_wide_body_limit_is_accepted_up_to_the_import_limit(app, web):
    notes = "a long note about this application " * 3
    rows = "".join(f"Company {i},Position {i},{notes}\n" for i in range(50_000))  # about 6 MB: over the 5 MB default
    data = ("Company,Position,Notes\n" + rows).encode()
    assert len(data) > app.config["MAX_CONTENT_LENGTH"]

    # Encoded here, in memory: the test client would spool a body this large to a file it never closes.
    boundary, body = encode_multipart(
        {"file": FileStorage(io.BytesIO(data), "large.csv"), "csrf_token": csrf_token(web, WIZARD)}
    )
    response = web.post(WIZARD, data=body, content_type=f"multipart/form-data; boundary={boundary}")

    assert response.status_code == 303, _html(response)
    batch_id = response.headers["Location"].split("/")[-2]
    assert _batch(app, batch_id).counts["rows"] == 50_000
    assert _count(app, Application) == 0


def test_upload_makes_a_preview_and_writes_no_application(app, web):
    batch_id = _uploaded(web, fixture(WORKBOOK), WORKBOOK)
    page = web.get(_mapping_url(batch_id))

    assert page.status_code == 200
    html = _html(page)
    assert "Nothing has been written to your applications yet" in html
    # The data sheet is found on its own: the first sheet is prose.
    assert '<option value="Applications" selected>' in html and '<option value="Read me">' in html
    assert _batch(app, batch_id).state == "preview"
    assert _count(app, Application) == 0 and _count(app, Company) == 0


def test_the_page_and_the_api_preview_a_file_alike(app, web, alice_api):
    batch_id = _uploaded(web, fixture(WORKBOOK), WORKBOOK)
    from_api = upload_ok(alice_api, fixture(WORKBOOK), WORKBOOK)
    page = _batch(app, batch_id)

    assert page.preview == from_api["preview"] and page.counts == from_api["counts"]


# Step 2: the mapping


def _applications_sheet(web: FlaskClient) -> str:
    return _uploaded(web, fixture(WORKBOOK), WORKBOOK)  # the upload reads the Applications sheet


def test_choosing_a_sheet_reads_its_own_header_and_columns(app, web):
    batch_id = _applications_sheet(web)
    options = _batch(app, batch_id).options
    assert options["sheet"] == "Applications" and options["header_row"] == 4
    assert [c["header"] for c in options["columns"]][:3] == ["Company", "Role", "Status"]

    response = _change(web, batch_id, {**_form_of(web, batch_id), "sheet": "2024"})

    assert response.status_code == 303, _html(response)
    options = _batch(app, batch_id).options
    assert options["sheet"] == "2024" and options["header_row"] == 1
    assert [c["header"] for c in options["columns"]][:3] == ["Employer", "Job title", "Stage"]


def test_a_sheet_the_workbook_lacks_is_refused_beside_the_sheet_field(app, web):
    batch_id = _uploaded(web, fixture(WORKBOOK), WORKBOOK)

    response = _change(web, batch_id, {**_form_of(web, batch_id), "sheet": "Nope"})

    assert response.status_code == 400
    assert field_errors(response, "sheet") == [
        "The workbook has no sheet 'Nope'; its sheets are: Read me, Applications, 2024."
    ]
    assert _batch(app, batch_id).options["sheet"] == "Applications"


@pytest.mark.parametrize(
    ("header_row", "message"),
    [
        ("abc", "Not a valid integer."),
        ("0", "Must be greater than or equal to 1 and less than or equal to 1000000."),
        ("3", "Row 3 is blank or beyond the rows read; it cannot be the header."),
    ],
)
def test_a_header_row_that_cannot_be_the_header_is_refused_beside_its_field(app, web, header_row, message):
    batch_id = _applications_sheet(web)

    response = _change(web, batch_id, {**_form_of(web, batch_id), "header_row": header_row})

    assert response.status_code == 400
    assert field_errors(response, "header_row") == [message]
    assert f'value="{header_row}"' in _html(response)  # the user's entry stays in the field
    assert _batch(app, batch_id).options["header_row"] == 4


def test_a_mapping_change_sends_only_what_changed(app, web):
    batch_id = _applications_sheet(web)
    form = _form_of(web, batch_id)
    heard_back = next(c for c in _batch(app, batch_id).options["columns"] if c["header"] == "Heard back")
    rejected = next(k for k, v in form.items() if k.startswith("word-") and v == "Rejected after final round")
    form[f"field-{heard_back['index']}"] = "status_date"
    form[rejected.replace("word-", "stage-")] = "Rejected"

    response = _change(web, batch_id, form)

    assert response.status_code == 303
    options = _batch(app, batch_id).options
    by_header = {c["header"]: c for c in options["columns"]}
    assert (by_header["Heard back"]["field"], by_header["Heard back"]["confidence"]) == ("status_date", 1.0)
    assert (by_header["Applied"]["field"], by_header["Applied"]["stage"]) == ("stage_date", "Applied")
    assert by_header["Applied"]["confidence"] == 0.8  # untouched: still the proposal's
    assert options["status_mapping"]["Rejected after final round"] == "Rejected"
    rows = {row["row"]: row for row in _batch(app, batch_id).preview["rows"]}
    assert rows[8]["values"]["statuses"][-1] == ["Rejected after final round", "2025-10-28", "Rejected", "given"]


def test_an_unchanged_form_changes_nothing(app, web):
    batch_id = _applications_sheet(web)
    before = _batch(app, batch_id).options

    response = _change(web, batch_id, _form_of(web, batch_id))

    assert response.status_code == 303
    assert _batch(app, batch_id).options == before


def test_an_unknown_field_is_refused_beside_its_column_and_the_choice_is_kept(app, web):
    batch_id = _applications_sheet(web)
    before = _batch(app, batch_id).options
    form = {**_form_of(web, batch_id), "field-4": "favourite_colour"}

    response = _change(web, batch_id, form)

    assert response.status_code == 400
    assert field_errors(response, "field-4")[0].startswith("Unknown field 'favourite_colour'; one of: company")
    assert 'id="field-4" name="field-4" aria-describedby="field-4-error" aria-invalid="true"' in _html(response)
    assert _batch(app, batch_id).options == before


def test_a_stage_date_without_its_stage_is_refused_beside_its_column(app, web):
    batch_id = _applications_sheet(web)

    response = _change(web, batch_id, {**_form_of(web, batch_id), "field-4": "stage_date"})

    assert response.status_code == 400
    assert field_errors(response, "field-4") == ['A stage_date column needs its stage, e.g. "stage_date:Interviewing".']


def test_a_date_order_that_is_neither_is_refused_beside_the_dates(app, web):
    batch_id = _applications_sheet(web)

    response = _change(web, batch_id, {**_form_of(web, batch_id), "date_order": "ymd"})

    assert response.status_code == 400
    assert field_errors(response, "date_order") == ["Must be one of: dmy, mdy."]


def test_a_status_stage_too_long_is_refused_beside_its_word(app, web):
    batch_id = _applications_sheet(web)
    form = _form_of(web, batch_id)

    response = _change(web, batch_id, {**form, "stage-0": "x" * 51})

    assert response.status_code == 400
    assert field_errors(response, "stage-0") == ["Length must be between 1 and 50."]


def test_the_live_preview_answers_an_htmx_change_with_the_redrawn_page(app, web):
    batch_id = _applications_sheet(web)
    form = {**_form_of(web, batch_id), "date_order": "mdy"}

    response = _change(web, batch_id, form, headers={"HX-Request": "true"}, follow_redirects=True)

    assert response.status_code == 200
    assert 'id="wizard-live"' in _html(response) and 'id="commit-panel"' in _html(response)
    assert "Dates are read month first (mdy), as chosen." in _html(response)


# Step 3: the rows


def test_the_rows_page_filters_and_shows_each_problem_at_its_row(app, web):
    batch_id = _uploaded(web)

    problems = web.get(f"{WIZARD}{batch_id}/rows/?show=problems")
    new = web.get(f"{WIZARD}{batch_id}/rows/?show=create")

    assert problems.status_code == 200
    html = _html(problems)
    assert re.findall(r'<tr id="row-(\d+)"', html) == ["5"]
    row = html[html.index('<tr id="row-5"') : html.index("</tr>", html.index('<tr id="row-5"'))]
    assert "someday" in row and "is not a date; kept in extra." in row
    assert "No position: imported as &#39;Unknown position&#39;." in row
    assert re.findall(r'<tr id="row-(\d+)"', _html(new)) == ["2", "3", "5"]


def test_the_rows_page_pages_through_the_whole_file(app, web):
    rows = "".join(f"Company {i},Position {i}\n" for i in range(30))
    batch_id = _uploaded(web, ("Company,Position\n" + rows).encode(), "thirty.csv")

    first = web.get(f"{WIZARD}{batch_id}/rows/?page_size=25")
    second = web.get(f"{WIZARD}{batch_id}/rows/?page_size=25&page=2")

    assert len(re.findall(r'<tr id="row-', _html(first))) == 25
    assert re.findall(r'<tr id="row-(\d+)"', _html(second)) == [str(n) for n in range(27, 32)]
    assert 'rel="next"' in _html(first) and 'rel="prev"' in _html(second)


@pytest.mark.parametrize("query", ["show=everything", "page=99", "page=0"])
def test_an_unknown_filter_or_page_goes_back_to_the_first_page(app, web, query):
    batch_id = _uploaded(web)

    response = web.get(f"{WIZARD}{batch_id}/rows/?{query}")

    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"{WIZARD}{batch_id}/rows/")


# Steps 4 and 5: commit, result, undo


def test_commit_without_a_company_or_position_column_is_refused_beside_the_button(app, web):
    batch_id = _uploaded(web, b"Where,When\nBerlin,2024-03-01\n", "places.csv")

    response = submit(web, _mapping_url(batch_id), f"{WIZARD}{batch_id}/commit/", {})

    assert response.status_code == 400
    assert field_errors(response, "commit") == [
        "No column is mapped to the company or the position: nothing can be imported."
    ]
    assert _batch(app, batch_id).state == "preview"


def test_commit_writes_the_preview_and_the_result_page_shows_each_row(app, web, alice_api):
    batch_id = _uploaded(web)

    response = submit(web, _mapping_url(batch_id), f"{WIZARD}{batch_id}/commit/", {})

    assert response.status_code == 303 and response.headers["Location"] == f"{WIZARD}{batch_id}/result/"
    assert [(a["company"], a["position_title"]) for a in applications(alice_api)] == [
        ("Acme", "Engineer"),
        ("Globex", "Analyst"),
        ("Initech", "Unknown position"),
    ]
    result = " ".join(_html(web.get(response.headers["Location"])).split())
    assert "3 new applications, 0 updated, 0 unchanged, 0 skipped, from 3 rows." in result
    assert "Undo this import" in result


def _large_tracker(rows: int) -> bytes:
    lines = ["Company,Position,Status,Date"] + [f"Company {n},Engineer {n},Applied,2024-03-01" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def test_a_large_commit_streams_the_rows_written_then_commits_all_of_them(app, web, alice_api):
    batch_id = _uploaded(web, _large_tracker(1200))

    response = submit(web, _mapping_url(batch_id), f"{WIZARD}{batch_id}/commit/", {}, buffered=False)

    assert response.status_code == 200
    assert response.headers["X-Accel-Buffering"] == "no"
    chunks = [chunk.decode() for chunk in response.response]  # read as the browser would, chunk by chunk
    page = "".join(chunks)
    written = [int(n) for n in re.findall(r'<progress max="1200" value="(\d+)"', page)]
    assert written == [0, 250, 500, 750, 1000]
    first_progress = next(i for i, chunk in enumerate(chunks) if "<progress" in chunk)
    assert first_progress < len(chunks) - 1  # the progress comes before the end, not all at once
    assert "All 1200 rows are written." in page and f'href="{WIZARD}{batch_id}/result/"' in page
    response.close()
    assert _batch(app, batch_id).state == "committed"
    assert len(applications(alice_api)) == 1200


def test_a_large_commit_failing_midway_writes_nothing_and_says_so(app, web, alice_api, monkeypatch):
    batch_id = _uploaded(web, _large_tracker(1200))
    original = BulkWriter.add
    calls = []

    def add_then_fail(self: BulkWriter, plan: Any) -> None:
        calls.append(plan)
        if len(calls) == 800:
            raise SQLAlchemyError("the database went away")
        original(self, plan)

    monkeypatch.setattr(BulkWriter, "add", add_then_fail)
    response = submit(web, _mapping_url(batch_id), f"{WIZARD}{batch_id}/commit/", {}, buffered=False)
    page = "".join(chunk.decode() for chunk in response.response)
    response.close()

    assert "Nothing was written" in page and "All 1200 rows are written." not in page
    assert _batch(app, batch_id).state == "preview"
    assert _count(app, Application) == 0 and _count(app, Company) == 0


def test_a_large_commit_refused_before_it_starts_answers_its_status_not_a_stream(app, web, alice_api):
    batch_id = _uploaded(web, _large_tracker(1200))
    assert "All 1200 rows are written." in _html(submit(web, _mapping_url(batch_id), f"{WIZARD}{batch_id}/commit/", {}))

    again = submit(web, f"{WIZARD}{batch_id}/result/", f"{WIZARD}{batch_id}/commit/", {})

    assert again.status_code == 303  # back to the result, with the reason flashed (a stream would be a 200)
    assert len(applications(alice_api)) == 1200


def test_a_second_commit_is_refused_and_writes_nothing_more(app, web, alice_api):
    batch_id = _uploaded(web)
    submit(web, _mapping_url(batch_id), f"{WIZARD}{batch_id}/commit/", {})

    again = submit(web, f"{WIZARD}{batch_id}/result/", f"{WIZARD}{batch_id}/commit/", {}, follow_redirects=True)

    assert "This import is already committed." in _html(again)
    assert len(applications(alice_api)) == 3


def test_undo_removes_exactly_what_the_import_added(app, web, alice_api):
    alice_api.post("/api/companies/", json={"name": "Acme"})
    batch_id = _uploaded(web)
    submit(web, _mapping_url(batch_id), f"{WIZARD}{batch_id}/commit/", {})
    confirm = web.get(f"{WIZARD}{batch_id}/delete/")
    assert "Undoing removes exactly what this import added: the 3 applications it" in _html(confirm)

    response = submit(web, f"{WIZARD}{batch_id}/delete/", f"{WIZARD}{batch_id}/delete/", {})

    assert response.status_code == 303 and response.headers["Location"] == WIZARD
    assert applications(alice_api) == []
    assert [c["name"] for c in alice_api.get("/api/companies/").get_json()["results"]] == ["Acme"]
    assert _batch(app, batch_id).state == "undone"
    listing = _html(web.get(WIZARD))
    assert "was undone: what it added is gone." in listing and "Remove from the list" in listing


def test_an_undo_refused_by_a_later_import_says_why_on_the_confirmation(app, web, alice_api):
    first = _uploaded(web)
    submit(web, _mapping_url(first), f"{WIZARD}{first}/commit/", {})
    second = _uploaded(web, TRACKER.replace("Applied,2024-03-01", "Interview,2024-03-09").encode(), "newer.csv")
    submit(web, _mapping_url(second), f"{WIZARD}{second}/commit/", {})

    response = submit(web, f"{WIZARD}{first}/delete/", f"{WIZARD}{first}/delete/", {})

    assert response.status_code == 409
    assert field_errors(response, "delete")[0].startswith("A later import (newer.csv) updated rows of this one")
    assert _batch(app, first).state == "committed" and len(applications(alice_api)) == 3


def test_discarding_an_import_in_preview_deletes_it_and_nothing_else(app, web):
    batch_id = _uploaded(web)

    response = submit(web, f"{WIZARD}{batch_id}/delete/", f"{WIZARD}{batch_id}/delete/", {})

    assert response.status_code == 303
    assert _batch(app, batch_id) is None and _count(app, Application) == 0
    assert "was discarded." in _html(web.get(WIZARD))


def test_the_list_of_past_imports_offers_each_state_its_own_actions(app, web):
    committed = _uploaded(web)
    submit(web, _mapping_url(committed), f"{WIZARD}{committed}/commit/", {})
    pending = _uploaded(web, b"Company,Position\nHooli,Engineer\n", "pending.csv")

    html = _html(web.get(WIZARD))

    assert f'href="{WIZARD}{pending}/">Continue' in html and f'href="{WIZARD}{committed}/result/">Result' in html
    assert f'href="{WIZARD}{committed}/delete/">Undo' in html
    assert form_errors(web.get(WIZARD)) == []
