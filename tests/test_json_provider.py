"""orjson writes what Flask's default provider wrote: the same bytes for every resource, error and value.

"Today's output" is Flask's `DefaultJSONProvider`, swapped back in on the same app and the same data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask, url_for
from flask.json.provider import DefaultJSONProvider
from markupsafe import Markup

from app.api.endpoints import detail_endpoints
from app.extensions import db
from app.json_provider import OrjsonProvider, written_default
from tests.factories import make_company
from tests.rest_support import company_body, created


class FlaskDefault(DefaultJSONProvider):
    """Flask's provider, given the values of the JSON the database wrote (app.serialization.json_sql)."""

    default = staticmethod(written_default)


@contextmanager
def flask_default_provider(app: Flask) -> Iterator[None]:
    ours = app.json
    app.json = FlaskDefault(app)
    try:
        yield
    finally:
        app.json = ours


def same_bytes_both_ways(app: Flask, request) -> bytes:
    """The body `request()` answers with our provider; it must equal the default provider's byte for byte."""
    assert isinstance(app.json, OrjsonProvider)
    ours = request()
    with flask_default_provider(app):
        theirs = request()
    assert ours.status_code == theirs.status_code
    assert ours.mimetype == theirs.mimetype == "application/json"
    ours_apart, theirs_apart = _json_values_apart(ours.get_data()), _json_values_apart(theirs.get_data())
    assert ours_apart[0] == theirs_apart[0]  # every byte but the values of JSON columns
    assert ours_apart[1] == theirs_apart[1]  # those as values: their keys come in the order they were stored
    return ours.get_data()


def _json_values_apart(body: bytes) -> tuple[bytes, list]:
    """`body` with the value of each `extra` member (a JSON column) replaced by null, and those values.

    The database writes a JSON column's value as it was stored, keys in their order (an import's column
    order, which exports write back), where Flask's provider sorts them: the one difference allowed.
    """
    text, values, decoder, key = body.decode(), [], json.JSONDecoder(), '"extra":'
    start = text.find(key)
    while start != -1:
        value, end = decoder.raw_decode(text, start + len(key))
        values.append(value)
        text = text[: start + len(key)] + "null" + text[end:]
        start = text.find(key, start + len(key))
    return text.encode(), values


@pytest.fixture
def seeded(app, alice, alice_api) -> None:
    """One of every resource for alice, nested parts filled in, and an application with `extra` data."""
    with app.app_context():
        company = make_company(alice.id, applications=2, statuses=2, links_per_status=2, labels=("Applied",))
        company.applications[0].extra = {"salary": 120000, "ratio": 0.25, "tags": ["a", None, True], "n": {"x": 1}}
        db.session.commit()
    created(alice_api.post("/api/labels/", json={"text": "Mine", "color": "#fff", "order": 3}))
    created(alice_api.post("/api/feeds/", json={"name": "calendar"}))


def collection_urls(app: Flask) -> list[str]:
    """The list URL of every REST resource (each `resource_blueprint`)."""
    endpoints = sorted({endpoint for endpoint in detail_endpoints(app).values() if endpoint.endswith(".resource")})
    with app.test_request_context():
        return [url_for(endpoint) for endpoint in endpoints]


def test_every_resource_list_and_detail_is_byte_identical_to_flask_default(app, alice_api, seeded):
    urls = collection_urls(app)
    assert len(urls) >= 11
    for url in urls:
        body = same_bytes_both_ways(app, lambda url=url: alice_api.get(url))
        page = json.loads(body)
        assert page["results"], f"{url} lists nothing: the comparison would prove nothing"
        for item in page["results"]:
            same_bytes_both_ways(app, lambda item=item: alice_api.get(item["api_url"]))


def test_the_page_keeps_sorted_keys_uuids_and_timezone_aware_timestamps(app, alice, alice_api, seeded):
    body = same_bytes_both_ways(app, lambda: alice_api.get("/api/companies/"))
    company = json.loads(body, object_pairs_hook=lambda pairs: pairs)
    keys = [key for key, _ in dict(company)["results"][0]]
    assert keys == sorted(keys)
    first = json.loads(body)["results"][0]
    assert uuid.UUID(first["uuid"]) and first["user"] == str(alice.id)
    assert dt.datetime.fromisoformat(first["modified_at"]).utcoffset() == dt.timedelta(0)
    assert {status["date"] for status in first["applications"][0]["statuses"]} == {"2026-01-01", "2026-01-02"}
    assert body.endswith(b"}\n")


def test_writes_and_their_errors_answer_the_same_bytes(app, alice_api, seeded):
    company = created(alice_api.post("/api/companies/", json=company_body("Created")))
    same_bytes_both_ways(app, lambda: alice_api.get(company["api_url"]))
    same_bytes_both_ways(app, lambda: alice_api.post("/api/companies/", json={"labels": [5, "Nope"]}))
    same_bytes_both_ways(app, lambda: alice_api.patch("/api/companies/", json=[{"uuid": "x"}, {}]))
    same_bytes_both_ways(app, lambda: alice_api.get(f"/api/companies/{uuid.uuid4()}/"))
    same_bytes_both_ways(app, lambda: alice_api.get("/api/no-such-thing/"))


def test_non_ascii_text_is_written_as_utf8_with_the_same_meaning(app, alice_api):
    created(alice_api.post("/api/companies/", json=company_body("Zürich Ünternehmen ☃ \u2028 日本")))
    ours = alice_api.get("/api/companies/")
    with flask_default_provider(app):
        theirs = alice_api.get("/api/companies/")
    assert "日本".encode() in ours.get_data()
    assert json.loads(ours.get_data()) == json.loads(theirs.get_data())


@dataclasses.dataclass
class Point:
    y: int
    x: dt.date


VALUES = {
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "aware datetime": dt.datetime(2026, 3, 1, 12, 30, 5, 123456, tzinfo=dt.UTC),
    "other timezone": dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    "naive datetime": dt.datetime(2026, 3, 1, 12, 30),
    "date": dt.date(2026, 3, 1),
    "decimal": decimal.Decimal("12.50"),
    "dataclass": Point(1, dt.date(2026, 1, 2)),
    "int keys": {2: "b", 1: "a", 3: [1, 2.5, None, True]},
    "markup": Markup("<b>bold</b>"),
    "huge int": 2**70,
    "deep nesting": json.loads("[" * 300 + "]" * 300),
    "floats": [0.1, 1e16, -0.0, 3.0],
    "escapes": 'quote " backslash \\ tab \t nul \x00 slash /',
}


@pytest.mark.parametrize("name", VALUES)
def test_values_are_encoded_exactly_as_flask_encodes_them(name):
    app = Flask(__name__)
    value = {"value": VALUES[name], "also": [VALUES[name]]}
    with app.test_request_context():
        ours, theirs = (
            OrjsonProvider(app).response(value).get_data(),
            DefaultJSONProvider(app).response(value).get_data(),
        )
    if name == "floats":  # orjson writes 1e16 without the '+': the same number
        assert json.loads(ours) == json.loads(theirs)
    else:
        assert ours == theirs


@pytest.mark.parametrize("debug", [False, True])
def test_debug_responses_are_indented_like_flask(debug):
    app = Flask(__name__)
    app.debug = debug
    value = {"b": [1, {"c": None, "a": []}], "a": {}, "d": "x"}
    with app.test_request_context():
        assert OrjsonProvider(app).response(value).get_data() == DefaultJSONProvider(app).response(value).get_data()


def test_what_neither_can_encode_fails_the_same_way():
    app = Flask(__name__)
    with app.test_request_context():
        with pytest.raises(TypeError):
            DefaultJSONProvider(app).response({"x": object()})
        with pytest.raises(TypeError):
            OrjsonProvider(app).response({"x": object()})
