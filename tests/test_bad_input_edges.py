"""Bad input where schemathesis does not reach (see test_fuzz.py), fuzzed by hand: query strings, headers,
raw JSON oddities, multipart uploads and GraphQL. Never a 500, always the contract's JSON error shape,
and nothing written by a request that failed.
"""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import quote

import pytest

from tests.rest_support import chosen_label, new_application, new_company, new_status, ok, row_counts

NUL_ERROR = ["NUL characters are not allowed."]


@pytest.fixture
def world(alice_api) -> dict[str, Any]:
    company = new_company(alice_api, labels=[chosen_label("Applied")])
    application = new_application(alice_api, company["uuid"])
    status = new_status(alice_api, application["uuid"])
    feed = alice_api.post("/api/feeds/", json={"name": "Sheet"}).get_json()
    return {"company": company, "application": application, "status": status, "feed": feed}


def assert_json_error(response: Any, status: int | None = None) -> Any:
    """A 4xx with a JSON body: `{"detail": ...}` or field keys; never a 5xx, never HTML."""
    assert response.status_code < 500, (response.status_code, response.get_data()[:300])
    assert response.status_code >= 400, response.status_code
    if status is not None:
        assert response.status_code == status, (response.status_code, response.get_json())
    assert response.is_json, response.get_data()[:300]
    body = response.get_json()
    assert isinstance(body, dict) and body
    return body


# -- query strings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/exports/applications.csv", "status"),  # PostgreSQL raised on these: a 500
        ("/api/exports/applications.xlsx", "label"),
        ("/api/exports/activity.csv", "from"),
        ("/api/companies/", "name__icontains"),
        ("/api/applications/", "labels__text"),
    ],
)
def test_a_nul_in_a_compared_query_value_is_a_400_on_that_parameter(alice_api, world, path, name):
    body = assert_json_error(alice_api.get(f"{path}?{name}=a%00b"), 400)
    assert list(body) == [name]


def test_a_nul_in_the_feed_query_is_a_400_too(client, world):
    response = client.get(f"/api/feeds/{world['feed']['token']}/applications.csv?status=%00")
    assert assert_json_error(response, 400) == {"status": NUL_ERROR}


ODD_TEXT = [
    "",
    " ",
    "%",
    "_",
    "\\",
    "'; DROP TABLE company; --",
    "🙂" * 50,
    "\u202eevil",
    "e\u0301" * 100,
    "\ufeff",
    "x" * 20_000,
    "\uff11\uff12",  # full-width digits: int() reads them
]
LIST_QUERIES = [
    "page=0",
    "page=-1",
    "page=abc",
    "page=1e3",
    "page=" + "9" * 40,
    "page=1&page=2",
    "page_size=0",
    "page_size=-5",
    "page_size=2.5",
    "page_size=" + "9" * 40,
    "ordering=-",
    "ordering=--name",
    "ordering=user_id",
    "ordering=-uuid",
    "ordering=labels",
    "ordering=name%3Bdrop",
    "labels__isnull=maybe",
    "labels__isnull=",
    "user_company=%7B00000000-0000-4000-8000-000000000000%7D",
    "user_company=urn%3Auuid%3A00000000-0000-4000-8000-000000000000",
    "user_company=" + "0" * 32,
    "user_company=x",
    "application=" + "f" * 1000,
    "%ff%fe=1",
    "name__icontains=%ff%fe",
    "name__icontains=%ED%A0%80",  # the UTF-8 bytes of a lone surrogate
]


@pytest.mark.parametrize(
    "path", ["/api/companies/", "/api/applications/", "/api/application-statuses/", "/api/labels/"]
)
def test_odd_query_strings_on_lists_are_answered_never_a_500(alice_api, world, path):
    queries = LIST_QUERIES + [
        f"{name}={quote(value)}"
        for value in ODD_TEXT
        for name in ("name__icontains", "labels__text", "ordering", "page")
    ]
    for query in queries:
        response = alice_api.get(f"{path}?{query}")
        if response.status_code == 200:
            assert set(response.get_json()) == {"count", "next", "previous", "results"}, query
        else:
            assert_json_error(response)


@pytest.mark.parametrize(
    "path", ["/api/exports/applications.csv", "/api/exports/applications.xlsx", "/api/exports/activity.csv"]
)
def test_odd_query_strings_on_exports_are_answered_never_a_500(alice_api, world, path):
    dates = ["2024-02-30", "9999-12-31", "0001-01-01", "-1", "2024-1-1", "00000000-0000-4000-8000-000000000000"]
    names = ("label", "status", "from", "to", "layout")
    queries = [f"{name}={quote(value)}" for value in [*ODD_TEXT, *dates] for name in names]
    queries += ["from=2024-05-01&to=2024-01-01", "layout=%7B" + world["company"]["uuid"] + "%7D"]
    for query in queries:
        response = alice_api.get(f"{path}?{query}")
        if response.status_code != 200:
            assert_json_error(response, 400)
        response.close()


@pytest.mark.parametrize("path", ["/api/exports/applications.csv", "/api/exports/activity.csv"])
def test_exports_up_to_the_last_representable_day_hold_everything(alice_api, world, path):
    # `to` + 1 day overflowed the date type: a 500.
    response = alice_api.get(f"{path}?to=9999-12-31")
    assert response.status_code == 200
    assert world["application"]["position_title"] in response.get_data(as_text=True)
    response = alice_api.get(f"{path}?from=0001-01-01&to=9999-12-31")
    assert world["application"]["position_title"] in response.get_data(as_text=True)


# -- headers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        "JWT",
        "JWT ",
        "Bearer",
        "Bearer  ",
        "Basic dXNlcjpwYXNz",
        "JWT a.b.c",
        "JWT ...",
        "JWT " + "a" * 60_000,
        "JWT eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",  # alg none
        "JWT \u00e9\u00e8",
        "Token abc",
        ",,,",
    ],
)
def test_odd_authorization_headers_are_a_json_401(anon_api, authorization):
    response = anon_api.get("/api/companies/", headers={"Authorization": authorization})
    body = assert_json_error(response, 401)
    assert body == {"detail": "Authentication credentials were not provided or are not valid."}


def test_the_token_in_any_case_of_the_scheme_or_with_spaces_is_accepted(alice_api):
    for scheme in ("jwt", "JWT", "bearer", "Bearer", "BEARER"):
        response = alice_api.get("/api/companies/", headers={"Authorization": f"  {scheme}   {alice_api.token}  "})
        assert response.status_code == 200, scheme


def test_a_refresh_token_is_no_access_token(app, alice):
    from tests.conftest import PASSWORD

    tokens = app.test_client().post("/api/api-token-auth/", json={"username": alice.email, "password": PASSWORD})
    refresh = tokens.get_json()["refresh"]
    response = app.test_client().get("/api/companies/", headers={"Authorization": f"JWT {refresh}"})
    assert_json_error(response, 401)


@pytest.mark.parametrize(
    ("content_type", "encoding"),
    [
        ("application/json; charset=utf-8", "utf-8"),
        ("APPLICATION/JSON", "utf-8"),
        ("application/json;", "utf-8"),
        ("application/json; charset=nope", "utf-8"),
        ("application/json; charset=utf-16", "utf-16"),
        ("application/json; charset=latin-1", "latin-1"),
        ("application/vnd.api+json", "utf-8"),
        ("application/merge-patch+json", "utf-8"),
        ("application/json-patch+json", "utf-8"),
        ("text/json", "utf-8"),
        ("application/x-json", "utf-8"),
        ("json", "utf-8"),
        ("multipart/form-data", "utf-8"),  # no boundary
        ("application/json\u00e9", "latin-1"),
    ],
)
def test_odd_content_types_and_charsets_are_answered_never_a_500(app, alice_api, world, content_type, encoding):
    before = row_counts(app)
    data = json.dumps({"name": "Café"}, ensure_ascii=False).encode(encoding)
    response = alice_api.open("POST", "/api/companies/", data=data, headers={"Content-Type": content_type})
    if response.status_code == 201:
        assert response.get_json()["name"] in ("Café", "CafÃ©")
    else:
        assert_json_error(response)
        assert row_counts(app) == before


def test_huge_and_many_headers_are_answered(alice_api):
    headers = {f"X-Junk-{i}": "v" * 100 for i in range(500)}
    response = alice_api.get("/api/companies/", headers=headers)
    assert response.status_code == 200
    response = alice_api.get("/api/companies/", headers={"X-Huge": "h" * 1_000_000})
    assert response.status_code == 200


# -- raw JSON --------------------------------------------------------------------------------------


def _post_raw(api, url: str, raw: str | bytes):
    return api.open("POST", url, data=raw, headers={"Content-Type": "application/json"})


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"text": "a", "order": 1e400}', "order"),
        ('{"text": "a", "order": -1e400}', "order"),
        ('{"text": "a", "order": 1e308}', "order"),
        ('{"text": "a", "order": 9223372036854775808}', "order"),
        ('{"text": "a", "order": -9223372036854775809}', "order"),
        ('{"text": "a", "order": 1E2}', None),
        ('{"text": "a", "order": -0}', None),
        ('{"text": "a", "order": -0.0}', None),
        ('{"text": "a", "order": 0.1e1}', None),
        ('{"text": "a", "order": 5e-324}', "order"),
        ('{"text": "a", "order": true}', "order"),
        ('{"text": "a", "order": "12"}', None),
        ('{"text": "a", "order": " 12 "}', None),
        ('{"text": "a", "order": "0x10"}', "order"),
        ('{"text": "a", "order": "\uff11\uff12"}', None),
        ('{"text": "a", "text": "b", "order": "x", "order": 3}', None),  # duplicate keys: the last wins
        ('{"text": "a", "order": 3, "order": "x"}', "order"),
        ('{"text": "\\ud800", "url": "u"}', "text"),
        ('{"text": "\\udfff\\ud800", "url": "u"}', "text"),
        ('{"text": "ok", "\\ud800": "\\udc00"}', None),  # an unknown key is ignored, even unencodable
        ('{"text": "\\u0000"}', "text"),
        ('{"text": {"a": {"b": {"c": [1, 2, {"d": null}]}}}}', "text"),
        ('{"text": "' + "a" * 201 + '"}', "text"),
        ('{"text": "' + "a" * 200 + '"}', None),
        ('{"text": "🙂", "url": "' + "🙂" * 500 + '"}', None),
        ('{"text": "a", "url": "' + "🙂" * 501 + '"}', "url"),
    ],
)
def test_json_numbers_duplicates_surrogates_and_nesting_on_links(app, alice_api, raw, field):
    before = row_counts(app)
    response = _post_raw(alice_api, "/api/links/", raw)
    if field is None:
        assert response.status_code == 201, (raw, response.get_json())
    else:
        body = assert_json_error(response, 400)
        assert list(body) == [field], (raw, body)
        assert row_counts(app) == before


@pytest.mark.parametrize(
    "raw",
    [
        '{"company": "%(c)s", "value": -0.0}',
        '{"company": "%(c)s", "value": 1.7976931348623157e308}',
        '{"company": "%(c)s", "value": 5e-324}',
        '{"company": "%(c)s", "value": 1e-400}',
        '{"company": "%(c)s", "value": 123456789012345678901234567890}',
        '{"company": "%(c)s", "value": "1e3"}',
    ],
)
def test_extreme_but_finite_numbers_are_stored(alice_api, world, raw):
    response = _post_raw(alice_api, "/api/company-ratings/", raw % {"c": world["company"]["uuid"]})
    assert response.status_code == 201, response.get_json()
    value = response.get_json()["value"]
    assert isinstance(value, float)
    assert ok(alice_api.get(f"/api/company-ratings/{response.get_json()['uuid']}/"))["value"] == value


@pytest.mark.parametrize("depth", [10, 500, 5_000, 200_000])
def test_deeply_nested_json_is_answered_never_a_500(alice_api, world, depth):
    nested = '{"a": ' * depth + "1" + "}" * depth
    for field in ("name", "notes", "hq_location", "labels", "unknown"):
        response = _post_raw(alice_api, "/api/companies/", f'{{"name": "Deep", "{field}": {nested}}}')
        if field in ("unknown", "hq_location") and response.status_code == 201:
            continue  # unknown fields (here: in the address) are ignored, however deep
        body = assert_json_error(response, 400)
        assert list(body) in ([field], ["detail"]), (field, depth, body)
    response = _post_raw(alice_api, "/api/companies/", "[" * depth + "]" * depth)
    assert_json_error(response, 400)


# -- multipart uploads -----------------------------------------------------------------------------


def _multipart(parts: list[tuple[str, bytes, str | None, str | None]]) -> tuple[bytes, str]:
    """A multipart body built by hand (name, data, filename, content type), so every part can be odd."""
    boundary = "----fuzzboundary7MA4YWxkTrZu0gW"
    chunks = []
    for name, data, filename, content_type in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
        if content_type:
            head += f"Content-Type: {content_type}\r\n"
        chunks.append(head.encode("utf-8", "surrogatepass") + b"\r\n" + data + b"\r\n")
    return b"".join(chunks) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (1, 2, 3)).save(buffer, "PNG")
    return buffer.getvalue()


CSV = b"Company,Position,Status,Date\nInitech,Tester,Applied,2024-01-02\n"
ODD_FILENAMES = [
    "",
    "a\x00b.csv",
    "\ud800.csv",
    "../../etc/passwd",
    "x" * 5000 + ".csv",
    "名前.csv",
    'quote".csv',
    "C:\\\\Users\\\\x.csv",
]
ODD_UPLOADS = [
    b"",
    b"\x00" * 100,
    b"\xff\xfe\x00\x00garbage",
    b"PK\x03\x04" + b"\x00" * 100,  # the start of a zip (an XLSX), then nothing
    b"Company,Position\nAc\x00me,Dev\n",
    b"Company,Position\n\xed\xa0\x80,Dev\n",  # a UTF-8-encoded lone surrogate
    b"Company,Position\n" + b'"unterminated,Dev\n' * 3,
    b"Company\n" + b"x" * 100_000 + b"\n",
    b"," * 10_000 + b"\n" + b"a," * 10_000 + b"\n",
    b"\xef\xbb\xbfCompany,Position\n\xe2\x80\xae,\xf0\x9f\x99\x82\n",
    _png(),
]


def _upload_cases() -> list[tuple[str, bytes, str | None, str | None]]:
    cases = [("file", CSV, name, "text/csv") for name in ODD_FILENAMES]
    cases += [("file", data, "data.csv", "text/csv") for data in ODD_UPLOADS]
    cases += [("file", data, "data.xlsx", None) for data in ODD_UPLOADS[:4]]
    cases += [("other", CSV, "data.csv", "text/csv"), ("file", CSV, None, None), ("file", CSV, "x.csv", "\x00/\x00")]
    return cases


def test_odd_spreadsheet_uploads_are_answered_and_a_refused_one_writes_nothing(app, alice_api):
    for part in _upload_cases():
        before = row_counts(app)
        data, content_type = _multipart([part])
        response = alice_api.post("/api/imports/", data=data, content_type=content_type)
        if response.status_code == 201:
            batch = response.get_json()
            # A preview was made: it can be shown, committed and undone without a 500 either.
            ok(alice_api.get(f"/api/imports/{batch['uuid']}/"))
            commit = alice_api.post(f"/api/imports/{batch['uuid']}/commit/")
            assert commit.status_code < 500, (part[1][:40], part[2], commit.get_data()[:300])
            assert alice_api.delete(f"/api/imports/{batch['uuid']}/").status_code in (204, 409)
        else:
            assert_json_error(response)
            assert row_counts(app) == before, (part[1][:40], part[2])


@pytest.mark.parametrize(
    "form",
    [
        {"mapping": "{not json"},
        {"mapping": "[1, 2]"},
        {"mapping": '{"Company": 5}'},
        {"mapping": '{"\\u0000": "company"}'},
        {"mapping": '{"Company": "\\ud800"}'},
        {"status_mapping": '{"Applied": ""}'},
        {"status_mapping": '{"": "x"}'},
        {"status_mapping": "null"},
        {"header_row": "0"},
        {"header_row": "-1"},
        {"header_row": "9" * 30},
        {"header_row": "1.5"},
        {"date_order": "ymd\x00"},
        {"sheet": "\x00"},
        {"sheet": "Nope"},
        {"sheet": "x" * 300},
    ],
)
def test_odd_import_options_are_a_400_and_write_nothing(app, alice_api, form):
    before = row_counts(app)
    parts = [("file", CSV, "jobs.csv", "text/csv")]
    parts += [(key, value.encode("utf-8", "surrogatepass"), None, None) for key, value in form.items()]
    data, content_type = _multipart(parts)
    response = alice_api.post("/api/imports/", data=data, content_type=content_type)
    assert response.status_code in (201, 400), (form, response.get_json())
    if response.status_code == 400:
        assert_json_error(response)
        assert row_counts(app) == before


@pytest.mark.parametrize(
    "body",
    [
        "",
        "--nope--",
        "--" + "b" * 80 + "\r\n",
        "\x00" * 10,
    ],
)
@pytest.mark.parametrize("path", ["/api/imports/", "/api/private-image/", "/api/imports/account/"])
def test_broken_multipart_bodies_are_a_4xx(app, alice_api, path, body):
    before = row_counts(app)
    for content_type in ("multipart/form-data; boundary=fuzzboundary", "multipart/form-data", "multipart/mixed"):
        response = alice_api.post(path, data=body.encode(), content_type=content_type)
        assert_json_error(response)
    assert row_counts(app) == before


def test_odd_image_uploads_are_a_400_and_store_nothing(app, alice_api):
    png = _png()
    before = row_counts(app)
    for part in [
        ("file", b"", "x.png", "image/png"),
        ("file", png[:20], "x.png", "image/png"),
        ("file", png + b"\x00", "x.png", "image/png"),
        ("file", b"\x89PNG\r\n\x1a\n" + b"\xff" * 64, "x.png", "image/png"),
        ("file", b"GIF89a" + b"\x00" * 7, "x.gif", "image/gif"),
        ("file", b"RIFF\x00\x00\x00\x00WEBPVP8 ", "x.webp", "image/webp"),
        ("file", b"\xff\xd8\xff" + b"\x00" * 10, "x.jpg", "image/jpeg"),
        ("image", png, "x.png", "image/png"),
    ]:
        data, content_type = _multipart([part])
        response = alice_api.post("/api/private-image/", data=data, content_type=content_type)
        body = assert_json_error(response, 400)
        assert body["error"]["message"] == body["detail"]
    assert row_counts(app) == before
    for name in ("", "\x00.png", "\ud800.png", "x" * 5000):
        data, content_type = _multipart([("file", png, name, "application/octet-stream")])
        response = alice_api.post("/api/private-image/", data=data, content_type=content_type)
        if response.status_code != 200:  # an undecodable part header reads as no file at all
            assert_json_error(response, 400)


def test_an_upload_named_with_a_nul_is_imported_under_a_storable_name(alice_api):
    # PostgreSQL refused the NUL in the stored file name: a 500.
    for name, shown in (("jobs\x00.csv", "jobs.csv"), ("\x00", ""), ("x" * 300 + ".csv", "x" * 255)):
        data, content_type = _multipart([("file", CSV, name, "text/csv")])
        response = alice_api.post("/api/imports/", data=data, content_type=content_type)
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["filename"] == shown


@pytest.mark.parametrize(
    "body",
    [
        [],
        {},
        {"format": "nope"},
        {"tables": []},
        {"tables": {"company": [{"id": "\x00"}]}},
        {"tables": {"company": "rows"}},
        {"tables": {"company": [[1, 2]]}},
        {"tables": {"company": [{"id": "00000000-0000-4000-8000-000000000000", "name": "\ud800"}]}},
        {"tables": {"nope": [{}]}},
    ],
)
def test_odd_account_restores_are_a_4xx_and_write_nothing(app, alice_api, body):
    before = row_counts(app)
    raw = json.dumps(body)
    response = alice_api.post("/api/imports/account/", data=raw, content_type="application/json")
    assert_json_error(response)
    data, content_type = _multipart([("file", raw.encode("utf-8", "surrogatepass"), "account.json", None)])
    assert_json_error(alice_api.post("/api/imports/account/", data=data, content_type=content_type))
    assert row_counts(app) == before


# -- GraphQL ---------------------------------------------------------------------------------------

CONNECTION = "{ totalCount count pageInfo { endCursor hasNextPage } edges { cursor node { uuid name } } }"
GRAPHQL_DOCUMENTS = [
    "",
    "{",
    "}",
    "query",
    "{ companies }",
    "{ nope }",
    "{ companies { edges { node { nope } } } }",
    "{ __typename }",
    "{ __schema { types { name } } }",
    "mutation { companies { count } }",
    "subscription { companies { count } }",
    "query A { companies { count } } query B { companies { count } }",
    "fragment F on CompanyConnection { ...F } { companies { ...F } }",
    "{ companies { ...Nope } }",
    "{ companies { " + "edges { node { applications { statuses { applicationstatuslink_set { link { " * 5 + "}" * 30,
    "{ " + " ".join(f"a{i}: companies {{ count }}" for i in range(50)) + " }",
    "{ companies(first: " + "9" * 40 + ") { count } }",
    "{ companies(first: -1) { count } }",
    "{ companies(first: 101) { count } }",
    "{ companies(first: 1.5) { count } }",
    '{ companies(first: "1") { count } }',
    '{ companies(after: "!!!") ' + CONNECTION + " }",
    '{ companies(after: "' + "A" * 600 + '") ' + CONNECTION + " }",
    '{ companies(after: "WyItbW9kaWZpZWRfYXQiLCJ4IiwieSJd") ' + CONNECTION + " }",  # ["-modified_at","x","y"]
    '{ companies(after: "WyJuYW1lIiwiYSIsIjAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwMCJd") ' + CONNECTION + " }",
    '{ companies(after: "bnVsbA") ' + CONNECTION + " }",  # null
    '{ companies(after: "W10") ' + CONNECTION + " }",  # []
    '{ companies(order_by: "-") ' + CONNECTION + " }",
    '{ companies(order_by: "user_id") ' + CONNECTION + " }",
    '{ companies(order_by: "\\u0000") ' + CONNECTION + " }",
    '{ companies(labels__text: "\\u0000") ' + CONNECTION + " }",
    '{ companies(name__icontains: "\\u0000") ' + CONNECTION + " }",
    '{ companies(name__icontains: "\\ud800") ' + CONNECTION + " }",
    '{ companies(labels__text: "' + "x" * 20_000 + '") ' + CONNECTION + " }",
    '{ companies(name__icontains: "%_\\\\") ' + CONNECTION + " }",
    "{ companies(labels__isnull: null) " + CONNECTION + " }",
    '{ companies(labels__isnull: "yes") ' + CONNECTION + " }",
    "{ companies(nope: 1) " + CONNECTION + " }",
]


def _graphql(api, body: Any, content_type: str = "application/json"):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return api.open("POST", "/graphql/", data=data, headers={"Content-Type": content_type})


def _assert_graphql_answer(response: Any) -> dict:
    """A JSON answer, 200 or 4xx, whose errors are never a masked crash."""
    assert response.status_code < 500, response.get_data()[:300]
    body = response.get_json()
    assert isinstance(body, dict), response.get_data()[:300]
    for error in body.get("errors") or []:
        assert error["message"] != "Unexpected error.", body
    return body


@pytest.mark.parametrize("document", GRAPHQL_DOCUMENTS)
def test_odd_graphql_documents_are_answered_never_a_crash(alice_api, world, document):
    body = _assert_graphql_answer(_graphql(alice_api, {"query": document}))
    if body.get("errors") and body.get("data"):
        assert body["data"].get("companies") is None, body


@pytest.mark.parametrize(
    "variables",
    [
        {"first": 10**30},
        {"first": -5},
        {"first": "ten"},
        {"first": None},
        {"first": 1.5},
        {"first": [1]},
        {"after": 5},
        {"after": "\x00"},
        {"after": {"a": 1}},
        {"text": "\x00"},
        {"text": "\ud800"},
        {"text": ["x"]},
        {"nope": 1},
    ],
)
def test_odd_graphql_variables_are_answered_never_a_crash(alice_api, world, variables):
    query = (
        "query Q($first: Int, $after: String, $text: String) "
        "{ companies(first: $first, after: $after, labels__text: $text) { count } }"
    )
    raw = json.dumps({"query": query, "variables": variables, "operationName": "Q"})
    _assert_graphql_answer(_graphql(alice_api, raw))


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ("[]", "application/json"),
        ('[{"query": "{ companies { count } }"}]', "application/json"),  # batches are off
        ('"a string"', "application/json"),
        ("null", "application/json"),
        ('{"query": 5}', "application/json"),
        ('{"query": null}', "application/json"),
        ('{"query": ["{ companies { count } }"]}', "application/json"),
        ('{"query": "{ companies { count } }", "variables": "x"}', "application/json"),
        ('{"query": "{ companies { count } }", "variables": [1]}', "application/json"),
        ('{"query": "{ companies { count } }", "operationName": 7}', "application/json"),
        ('{"query": "{ companies { count } }", "operationName": "Nope"}', "application/json"),
        ('{"query": "{ companies { count } }"}', "text/plain"),
        ('{"query": "{ companies { count } }"}', "multipart/form-data; boundary=x"),
        ("query={companies{count}}", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00", "application/json"),
        ('{"query": "' + "{ companies { count } }" * 2000 + '"}', "application/json"),
    ],
)
def test_odd_graphql_requests_are_answered_never_a_crash(alice_api, world, body, content_type):
    response = _graphql(alice_api, body, content_type)
    assert response.status_code < 500, response.get_data()[:300]
    assert response.is_json, response.get_data()[:300]
    _assert_graphql_answer(response)


def test_graphql_input_errors_say_they_are_the_clients(alice_api, world):
    body = _assert_graphql_answer(_graphql(alice_api, {"query": "{ companies(first: 1000) { count } }"}))
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT"}
    assert body["errors"][0]["message"] == "first must be between 0 and 100."


def test_graphql_without_a_valid_token_gets_no_data(anon_api, world):
    for authorization in ("", "JWT", "JWT x.y.z", "Bearer " + "a" * 10_000):
        response = anon_api.open(
            "POST", "/graphql/", json={"query": "{ companies { count } }"}, headers={"Authorization": authorization}
        )
        body = _assert_graphql_answer(response)
        assert not (body.get("data") or {}).get("companies"), body


# -- all or nothing --------------------------------------------------------------------------------


def database_state(app) -> list[list[tuple]]:
    """Every row of every table, ordered by key: a failed write must leave all of it as it was."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import Base

    with app.app_context():
        state = [
            [tuple(row) for row in db.session.execute(sa.select(table).order_by(*table.primary_key))]
            for table in Base.metadata.sorted_tables
        ]
        db.session.remove()
    return state


@pytest.fixture
def full_world(alice_api, world) -> dict[str, Any]:
    """The world with two more companies, a second location and a second status link."""
    application = world["application"]
    locations = [{"uuid": loc["uuid"], "location": {"city": "Remote"}} for loc in application["position_locations"]]
    application = ok(
        alice_api.patch(
            f"/api/applications/{application['uuid']}/",
            json={"position_locations": [*locations, {"location": {"city": "Berlin"}}]},
        )
    )
    status = world["status"]
    links = [{"uuid": link["uuid"], "link": link["link"]} for link in status["applicationstatuslink_set"]]
    status = ok(
        alice_api.patch(
            f"/api/application-statuses/{status['uuid']}/",
            json={"applicationstatuslink_set": [*links, {"link": {"text": "Second", "url": "b"}}]},
        )
    )
    others = [new_company(alice_api, name) for name in ("Second", "Third")]
    return {**world, "application": application, "status": status, "companies": [world["company"], *others]}


def _failing_writes(world: dict[str, Any], bob_company: str) -> list[tuple[str, str, Any]]:
    """Writes whose parent part is valid and applied first, and whose nested or later part fails."""
    company, application, status = world["company"], world["application"], world["status"]
    locations = application["position_locations"]
    links = status["applicationstatuslink_set"]
    first, second, third = (c["uuid"] for c in world["companies"])
    return [
        # the parent's fields, then a label that does not exist
        (
            "PATCH",
            f"/api/companies/{company['uuid']}/",
            {"name": "Renamed", "notes": "n", "hq_location": {"city": "Paris"}, "labels": [chosen_label("Nope")]},
        ),
        # a one-to-one merged, then another one too long
        (
            "PUT",
            f"/api/companies/{company['uuid']}/",
            {"name": "Renamed", "hq_location": {"city": "Paris"}, "home_page": {"url": "u" * 501}},
        ),
        # a one-to-many: the first item updated, the second deleted by omission, a new one created, then a bad one
        (
            "PATCH",
            f"/api/applications/{application['uuid']}/",
            {
                "position_title": "Renamed",
                "position_locations": [
                    {"uuid": locations[0]["uuid"], "location": {"city": "Oslo"}},
                    {"location": {"city": "New"}},
                    {"location": {"zipcode": "z" * 21}},
                ],
            },
        ),
        # status links: the second one's link invalid after the first was merged
        (
            "PATCH",
            f"/api/application-statuses/{status['uuid']}/",
            {
                "text": "Renamed",
                "applicationstatuslink_set": [
                    {"uuid": links[0]["uuid"], "link": {"text": "Changed"}},
                    {"uuid": links[1]["uuid"], "link": {"order": 2**40}},
                ],
            },
        ),
        # a create whose nested status link fails after the status and the first link were built
        (
            "POST",
            "/api/application-statuses/",
            {
                "application": application["uuid"],
                "text": "New",
                "applicationstatuslink_set": [
                    {"link": {"text": "ok"}},
                    {"link": {"text": "\x00"}},
                ],
            },
        ),
        # a batch where item 3 fails validation, is unknown, is someone else's, or has no uuid
        (
            "PATCH",
            "/api/companies/",
            [
                {"uuid": first, "name": "B1"},
                {"uuid": second, "labels": [chosen_label("Applied")]},
                {"uuid": third, "name": "x" * 101},
            ],
        ),
        (
            "PATCH",
            "/api/companies/",
            [
                {"uuid": first, "name": "B1"},
                {"uuid": second, "name": "B2"},
                {"uuid": "00000000-0000-4000-8000-000000000000", "name": "B3"},
            ],
        ),
        ("PATCH", "/api/companies/", [{"uuid": first, "name": "B1"}, {"uuid": second}, {"uuid": bob_company}]),
        ("PATCH", "/api/companies/", [{"uuid": first, "name": "B1"}, {"uuid": second}, {"name": "no uuid"}]),
        ("PATCH", "/api/companies/", [{"uuid": first, "name": "B1"}, {"uuid": second}, "not an object"]),
    ]


def test_a_write_failing_midway_changes_nothing_at_all(app, alice_api, bob_api, full_world):
    bob_company = new_company(bob_api, "Bob's")["uuid"]
    for method, url, body in _failing_writes(full_world, bob_company):
        before = database_state(app)
        response = alice_api.open(method, url, json=body)
        assert_json_error(response, 400)
        assert database_state(app) == before, (method, url, response.get_json())


def test_an_unexpected_error_after_the_parent_was_applied_rolls_everything_back(
    app, alice_api, full_world, monkeypatch
):
    from app.resources import schemas

    apply_list = schemas._apply_list

    def apply_then_crash(current, patches):
        apply_list(current, patches)
        raise RuntimeError("boom after the nested items were applied")

    monkeypatch.setattr(schemas, "_apply_list", apply_then_crash)
    application, status = full_world["application"], full_world["status"]
    before = database_state(app)
    for url, body in (
        (
            f"/api/applications/{application['uuid']}/",
            {"position_title": "Renamed", "position_locations": [{"location": {"city": "Only"}}]},
        ),
        (f"/api/application-statuses/{status['uuid']}/", {"text": "Renamed", "applicationstatuslink_set": []}),
    ):
        response = alice_api.patch(url, json=body)
        assert (response.status_code, response.get_json()) == (500, {"detail": "Internal server error."})
        assert database_state(app) == before, url
    monkeypatch.undo()
    # The session was left clean: the next request of the same client works and sees the old data.
    assert ok(alice_api.get(f"/api/applications/{application['uuid']}/"))["position_title"] == "Engineer"
