"""Hostile sizes and shapes: bounded batches, versions (ETag / If-Match), over-deep JSON wherever a body is
parsed, cursors the database could not compare, spreadsheets that would cost minutes, polyglot JPEGs.
Every one is a clear 4xx (never a 500) that writes nothing."""

from __future__ import annotations

import base64
import io
import json
import uuid
import zipfile

import pytest
from PIL import Image

from tests.rest_support import new_company, ok, row_counts

DEEP = "[" * 50_000 + "]" * 50_000
JSON_HEADERS = {"Content-Type": "application/json"}


# -- batch PATCH bounds ---------------------------------------------------------------------------------


def test_a_batch_over_the_limit_is_400_naming_it_and_writes_nothing(app, alice_api):
    app.config["BATCH_MAX_ITEMS"] = 3
    companies = [new_company(alice_api, f"C{i}") for i in range(4)]
    before = row_counts(app)

    response = alice_api.patch("/api/companies/", json=[{"uuid": c["uuid"], "notes": "x"} for c in companies])

    assert response.status_code == 400
    assert "at most 3 items" in response.get_json()["non_field_errors"][0]
    assert row_counts(app) == before
    assert ok(alice_api.get(f"/api/companies/{companies[0]['uuid']}/"))["notes"] != "x"


def test_the_default_batch_limit_is_100(app, alice_api):
    company = new_company(alice_api)
    response = alice_api.patch("/api/companies/", json=[{"uuid": company["uuid"]}] + [{}] * 100)
    assert response.status_code == 400
    assert "at most 100 items (101 given)" in response.get_json()["non_field_errors"][0]


def test_a_uuid_twice_in_one_batch_is_400(app, alice_api):
    company = new_company(alice_api)
    response = alice_api.patch("/api/companies/", json=[{"uuid": company["uuid"], "name": n} for n in ("a", "b")])
    assert response.status_code == 400
    assert company["uuid"] in response.get_json()["non_field_errors"][0]
    assert ok(alice_api.get(f"/api/companies/{company['uuid']}/"))["name"] == company["name"]


# -- optimistic concurrency -------------------------------------------------------------------------------


def _read(api, url: str) -> tuple[dict, str]:
    response = api.get(url)
    assert response.status_code == 200
    return response.get_json(), response.headers["ETag"]


def test_every_detail_get_sends_an_etag_that_changes_with_the_object(alice_api):
    url = f"/api/companies/{new_company(alice_api)['uuid']}/"
    _, tag = _read(alice_api, url)
    assert tag.startswith('"') and _read(alice_api, url)[1] == tag  # stable while nothing changes
    patched = alice_api.patch(url, json={"notes": "changed"})
    assert patched.headers["ETag"] != tag
    assert _read(alice_api, url)[1] == patched.headers["ETag"]


@pytest.mark.parametrize("method", ["PATCH", "PUT", "DELETE"])
def test_a_stale_if_match_is_412_with_the_current_etag_and_changes_nothing(app, alice_api, method):
    company = new_company(alice_api)
    url = f"/api/companies/{company['uuid']}/"
    _, stale = _read(alice_api, url)
    alice_api.patch(url, json={"notes": "someone else"})
    current_body, current = _read(alice_api, url)
    before = row_counts(app)

    response = alice_api.open(method, url, json={"name": "Mine"}, headers={"If-Match": stale})

    assert response.status_code == 412
    assert response.headers["ETag"] == current
    assert "changed since you read it" in response.get_json()["detail"]
    assert row_counts(app) == before
    assert _read(alice_api, url)[0] == current_body


def test_a_current_if_match_or_a_star_lets_the_write_through(alice_api):
    url = f"/api/companies/{new_company(alice_api)['uuid']}/"
    _, tag = _read(alice_api, url)
    assert alice_api.patch(url, json={"notes": "one"}, headers={"If-Match": tag}).status_code == 200
    assert alice_api.patch(url, json={"notes": "two"}, headers={"If-Match": "*"}).status_code == 200
    _, tag = _read(alice_api, url)
    assert alice_api.delete(url, headers={"If-Match": tag}).status_code == 204


def test_a_batch_item_may_carry_its_etag(app, alice_api):
    first, second = new_company(alice_api, "First"), new_company(alice_api, "Second")
    _, first_tag = _read(alice_api, f"/api/companies/{first['uuid']}/")
    _, second_tag = _read(alice_api, f"/api/companies/{second['uuid']}/")
    alice_api.patch(f"/api/companies/{second['uuid']}/", json={"notes": "moved on"})
    _, second_now = _read(alice_api, f"/api/companies/{second['uuid']}/")
    items = [
        {"uuid": first["uuid"], "etag": first_tag, "notes": "batch"},
        {"uuid": second["uuid"], "etag": second_tag, "notes": "batch"},
    ]

    response = alice_api.patch("/api/companies/", json=items)

    assert response.status_code == 412
    assert response.get_json()["stale"] == {"1": second_now}
    assert ok(alice_api.get(f"/api/companies/{first['uuid']}/"))["notes"] != "batch"
    items[1]["etag"] = second_now
    assert alice_api.patch("/api/companies/", json=items).status_code == 200


# -- over-deep JSON, wherever a body is parsed --------------------------------------------------------------


def test_over_deep_json_is_400_on_rest_graphql_and_the_account_restore(app, alice_api):
    before = row_counts(app)
    for url in ("/api/companies/", "/graphql/", "/api/imports/account/"):
        response = alice_api.post(url, data=DEEP, headers=JSON_HEADERS)
        assert response.status_code == 400, (url, response.get_data(as_text=True)[:200])
    assert row_counts(app) == before


@pytest.mark.parametrize("document", [DEEP, '{"a":' * 100 + "1" + "}" * 100])
def test_over_deep_json_in_uploaded_files_and_form_fields_is_400(app, alice_api, document):
    before = row_counts(app)
    restore = alice_api.post(
        "/api/imports/account/",
        data={"file": (io.BytesIO(document.encode()), "account.json")},
        content_type="multipart/form-data",
    )
    mapping = alice_api.post(
        "/api/imports/",
        data={"file": (io.BytesIO(b"Company,Position\nAcme,Dev\n"), "a.csv"), "mapping": document},
        content_type="multipart/form-data",
    )
    assert restore.status_code == 400, restore.get_json()
    assert mapping.status_code == 400 and "mapping" in mapping.get_json(), mapping.get_json()
    assert row_counts(app) == before


@pytest.mark.parametrize("document", [DEEP, '{"a":' * 200_000 + "1" + "}" * 200_000, "[" * 65 + "]" * 65])
def test_over_deep_json_bodies_say_what_is_wrong(alice_api, document):
    """Past Python's recursion limit or just past JSON_MAX_DEPTH (64): the same clear 400."""
    for url in ("/api/companies/", "/api/users/me/password/"):
        response = alice_api.post(url, data=document, headers=JSON_HEADERS)
        assert response.status_code == 400, (url, response.get_data(as_text=True)[:200])
        assert response.get_json() == {"detail": "Malformed JSON in the request body."}, url


def test_json_as_deep_as_allowed_still_parses(alice_api):
    shallow = '{"name": "Acme", "labels": [], "x": ' + "[" * 60 + "]" * 60 + "}"
    response = alice_api.post("/api/companies/", data=shallow, headers=JSON_HEADERS)
    assert response.status_code == 201


# -- GraphQL cursors ---------------------------------------------------------------------------------------


def _cursor_text(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize("name", ["a\\u0000b", "\\ud800", "x\\udfff"])
def test_a_name_cursor_the_database_cannot_compare_is_an_invalid_cursor(alice_api, name):
    new_company(alice_api, "Acme")
    cursor = _cursor_text(f'["name","{name}","{uuid.uuid4()}"]')
    query = f'{{ companies(order_by: "name", after: "{cursor}") {{ count }} }}'
    response = alice_api.post("/graphql/", json={"query": query}, headers=JSON_HEADERS)
    assert response.status_code in (200, 400)
    assert [error["message"] for error in response.get_json()["errors"]] == ["Invalid cursor."]


# -- spreadsheets sized to hurt ------------------------------------------------------------------------------


def _xlsx(extra_strings: int = 0, extra_styles: int = 0, dimension: str | None = None) -> bytes:
    """A one-row workbook, plus unused shared strings or cell styles, or a forged dimension."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["Company", "Position"])
    workbook.active.append(["Acme", "Engineer"])
    plain = io.BytesIO()
    workbook.save(plain)
    source = zipfile.ZipFile(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/styles.xml":
                xf = b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
                data = data.replace(b"</cellXfs>", xf * extra_styles + b"</cellXfs>")
            if item.filename == "xl/worksheets/sheet1.xml" and dimension:
                data = data.replace(b'<dimension ref="A1:B2"/>', f'<dimension ref="{dimension}"/>'.encode())
            archive.writestr(item, data)
        if extra_strings:
            # Any part name will do: the strings are counted in every part.
            strings = b"<x:sst xmlns:x='urn:s'>" + b"<x:si><x:t>s</x:t></x:si>" * extra_strings + b"</x:sst>"
            archive.writestr("xl/other.xml", strings)
    return out.getvalue()


def _upload(api, data: bytes, name: str = "a.xlsx"):
    return api.post("/api/imports/", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_workbooks_over_the_shared_string_or_style_caps_are_413(app, alice_api):
    app.config.update(IMPORT_XLSX_MAX_SHARED_STRINGS=1000, IMPORT_XLSX_MAX_STYLES=500)
    before = row_counts(app)
    strings = _upload(alice_api, _xlsx(extra_strings=1001))
    styles = _upload(alice_api, _xlsx(extra_styles=501))
    assert strings.status_code == 413 and "shared strings" in strings.get_json()["detail"]
    assert styles.status_code == 413 and "cell styles" in styles.get_json()["detail"]
    assert row_counts(app) == before
    assert _upload(alice_api, _xlsx(extra_strings=10, extra_styles=10)).status_code == 201


def test_the_default_cap_refuses_a_million_unused_shared_strings_before_parsing(alice_api):
    response = _upload(alice_api, _xlsx(extra_strings=1_000_000))
    assert response.status_code == 413
    assert "200000 shared strings" in response.get_json()["detail"]


def test_workbooks_over_the_cell_or_time_caps_are_413(app, alice_api):
    app.config["IMPORT_XLSX_MAX_CELLS"] = 3
    cells = _upload(alice_api, _xlsx())
    app.config.update(IMPORT_XLSX_MAX_CELLS=1000, IMPORT_XLSX_MAX_SECONDS=0)
    slow = _upload(alice_api, _xlsx())
    assert cells.status_code == 413 and "cells" in cells.get_json()["detail"]
    assert slow.status_code == 413 and "to read" in slow.get_json()["detail"]


def test_a_forged_dimension_does_not_pad_the_rows(app, alice_api):
    batch = _upload(alice_api, _xlsx(dimension="A1:XFD1048576"))
    assert batch.status_code == 201, batch.get_json()
    assert batch.get_json()["counts"]["rows"] == 1


def test_blank_csv_rows_count_toward_the_row_limit(app, alice_api):
    app.config["IMPORT_MAX_ROWS"] = 50
    before = row_counts(app)
    response = _upload(alice_api, b"Company,Position\nAcme,Dev\n" + b",\n" * 1000, "a.csv")
    assert response.status_code == 413
    assert "blank ones count too" in response.get_json()["detail"]
    assert row_counts(app) == before


# -- polyglot JPEGs ------------------------------------------------------------------------------------------


def _jpeg(**options) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), "teal").save(out, "JPEG", **options)
    return out.getvalue()


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.html", "<script>alert(1)</script>")
    return out.getvalue()


def _post_image(api, data: bytes):
    return api.post(
        "/api/private-image/", data={"file": (io.BytesIO(data), "p.jpg")}, content_type="multipart/form-data"
    )


@pytest.mark.parametrize(
    "tail",
    [b"<html><script>alert(1)</script></html>\xff\xd9", _zip() + b"\xff\xd9", _zip(), b"\xff\xd9"],
    ids=["html-ending-in-eoi", "zip-ending-in-eoi", "zip", "second-eoi"],
)
def test_a_jpeg_with_anything_appended_is_refused_even_when_it_ends_in_ff_d9(app, alice_api, tail):
    before = row_counts(app)
    response = _post_image(alice_api, _jpeg() + tail)
    assert response.status_code == 400
    assert row_counts(app) == before


@pytest.mark.parametrize(
    "options",
    [{}, {"progressive": True}, {"exif": b"Exif\x00\x00" + b"\xff\xd8\xff\xd9" * 4}],
    ids=["baseline", "progressive", "exif-with-markers"],
)
def test_real_jpegs_pass_the_segment_walk(alice_api, options):
    assert _post_image(alice_api, _jpeg(**options)).status_code == 200


def test_the_cap_message_is_json_everywhere(alice_api):
    assert json.loads(json.dumps(_post_image(alice_api, b"\xff\xd8\xff").get_json()))["detail"]
