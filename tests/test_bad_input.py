"""Bad input of every kind: a clear JSON 4xx with the contract's error shape, never a 500, nothing written."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.rest_support import (
    address_body,
    application_body,
    chosen_label,
    company_body,
    created,
    new_application,
    new_company,
    new_status,
    ok,
    row_counts,
    status_body,
    status_link_body,
)

MALFORMED = {"detail": "Malformed JSON in the request body."}


@pytest.fixture
def world(alice_api) -> dict[str, Any]:
    company = new_company(alice_api, labels=[chosen_label("Target")])
    application = new_application(alice_api, company["uuid"])
    status = new_status(alice_api, application["uuid"])
    return {"company": company, "application": application, "status": status}


def _snapshot(app, api, world) -> tuple:
    """Everything a bad request could have changed: row counts and the objects as the API shows them."""
    return (
        row_counts(app),
        ok(api.get(f"/api/companies/{world['company']['uuid']}/")),
        ok(api.get(f"/api/application-statuses/{world['status']['uuid']}/")),
    )


def _assert_field_errors(body: Any) -> None:
    """A 400 body: one key per field, each a list of strings or a nested dict of the same shape."""
    assert isinstance(body, dict) and body, body
    for key, value in body.items():
        assert isinstance(key, str)
        if isinstance(value, dict):
            _assert_field_errors(value)
        else:
            assert isinstance(value, list) and value and all(isinstance(m, str) for m in value), (key, value)


def _raw(api, method: str, url: str, data: bytes | str, content_type: str | None = "application/json"):
    headers = {"Content-Type": content_type} if content_type else {}
    return api.open(method, url, data=data, headers=headers)


def _cases(values: list[tuple[str, Any]], requests: Any) -> list[tuple[tuple[str, Any], tuple]]:
    """Every (field, value) paired with every request that sends it."""
    return [((field, value), request) for field, value in values for request in requests(field, value)]


def _write_targets(world) -> list[tuple[str, str]]:
    company, status = world["company"]["uuid"], world["status"]["uuid"]
    return [
        ("POST", "/api/companies/"),
        ("PATCH", f"/api/companies/{company}/"),
        ("PUT", f"/api/companies/{company}/"),
        ("PATCH", "/api/companies/"),
        ("POST", "/api/application-statuses/"),
        ("PATCH", f"/api/application-statuses/{status}/"),
    ]


@pytest.mark.parametrize(
    "data",
    ['{"name": ', "{'name': 'single quotes'}", "", "{name: 1}", '{"name": "x"} trailing', b"\xff\xfe{", "[" * 100_000],
)
def test_malformed_json_is_400_and_writes_nothing(app, alice_api, world, data):
    before = _snapshot(app, alice_api, world)
    for method, url in _write_targets(world):
        response = _raw(alice_api, method, url, data)
        assert response.status_code == 400, (method, url, response.get_json())
        assert response.get_json() == MALFORMED
    assert _snapshot(app, alice_api, world) == before


@pytest.mark.parametrize("body", [[], ["x"], "a string", 123, 1.5, True, None, [{"name": "in a list"}]])
def test_non_object_bodies_are_400(app, alice_api, world, body):
    before = _snapshot(app, alice_api, world)
    for method, url in _write_targets(world):
        if url == "/api/companies/" and method == "PATCH":
            continue  # the batch form wants a list; tested in the companies tests
        response = _raw(alice_api, method, url, json.dumps(body))
        assert response.status_code == 400, (method, url, body)
        assert response.get_json() == {"non_field_errors": ["Expected a JSON object."]}
    assert _snapshot(app, alice_api, world) == before


WRONG_TYPES = [
    ("name", 123),
    ("name", ["x"]),
    ("name", {"a": 1}),
    ("name", None),
    ("name", float("nan")),
    ("notes", 5),
    ("hq_location", "Springfield"),
    ("hq_location", ["Springfield"]),
    ("hq_location", 7),
    ("home_page", True),
    ("labels", "Applied"),
    ("labels", [123]),
    ("labels", [{"uuid": "not-a-uuid"}]),
    ("labels", [{"uuid": "", "text": 5}]),
    ("labels", [["Applied"]]),
]


def test_wrong_types_on_companies_are_400_on_that_field(app, alice_api, world):
    before = _snapshot(app, alice_api, world)
    company = world["company"]["uuid"]
    for (field, value), (method, url, body) in _cases(
        WRONG_TYPES,
        lambda field, value: (
            ("POST", "/api/companies/", company_body(**{field: value})),
            ("PATCH", f"/api/companies/{company}/", {field: value}),
            ("PUT", f"/api/companies/{company}/", company_body(**{field: value})),
            ("PATCH", "/api/companies/", [{"uuid": company, field: value}]),
        ),
    ):
        response = alice_api.open(method, url, json=body)
        assert response.status_code == 400, (field, value, method, url, response.get_json())
        errors = response.get_json()
        _assert_field_errors(errors)
        assert list(errors.get("0", errors)) == [field], (field, value, errors)
    assert _snapshot(app, alice_api, world) == before


APPLICATION_VALUES = [
    ("position_locations", {}),
    ("position_locations", "Berlin"),
    ("position_locations", [1]),
    ("position_locations", [{"location": "Berlin"}]),
    ("user_company", 123),
    ("user_company", {}),
    ("user_company", ["x"]),
    ("user_company", "not-a-uuid"),
    ("position_title", None),
    ("position_title", "t" * 151),
    ("job_source", {"url": "u" * 501}),
    ("job_description_page", {"order": "first"}),
]


def test_wrong_values_on_applications_are_400_on_that_field(app, alice_api, world):
    before = _snapshot(app, alice_api, world)
    application = world["application"]["uuid"]
    body = lambda field, value: application_body(world["company"]["uuid"], **{field: value})  # noqa: E731
    for (field, value), (method, url, payload) in _cases(
        APPLICATION_VALUES,
        lambda field, value: (
            ("POST", "/api/applications/", body(field, value)),
            ("PATCH", f"/api/applications/{application}/", {field: value}),
            ("PUT", f"/api/applications/{application}/", body(field, value)),
        ),
    ):
        response = alice_api.open(method, url, json=payload)
        assert response.status_code == 400, (field, value, method, url, response.get_json())
        _assert_field_errors(response.get_json())
        assert list(response.get_json()) == [field], (field, value)
    assert _snapshot(app, alice_api, world) == before


STATUS_VALUES = [
    ("order", 2**31),
    ("order", -(2**31) - 1),
    ("order", 10**30),
    ("order", "first"),
    ("order", 1.5),
    ("order", float("nan")),
    ("order", float("inf")),
    ("date", "2024-02-30"),
    ("date", "yesterday"),
    ("date", 20240101),
    ("date", ""),
    ("text", "t" * 51),
    ("text", "nul\x00byte"),
    ("application", "00000000-0000-4000-8000-000000000000"),
    ("applicationstatuslink_set", [{"link": {"url": "u" * 501}}]),
    ("applicationstatuslink_set", [{"link": {"text": "nul\x00"}}]),
    ("applicationstatuslink_set", "links"),
]


def test_wrong_values_on_statuses_are_400_on_that_field(app, alice_api, world):
    before = _snapshot(app, alice_api, world)
    status = world["status"]["uuid"]
    for (field, value), (method, url, payload) in _cases(
        STATUS_VALUES,
        lambda field, value: (
            ("POST", "/api/application-statuses/", status_body(world["application"]["uuid"], **{field: value})),
            ("PATCH", f"/api/application-statuses/{status}/", {field: value}),
        ),
    ):
        response = alice_api.open(method, url, data=json.dumps(payload), headers={"Content-Type": "application/json"})
        assert response.status_code == 400, (field, value, method, url, response.get_json())
        _assert_field_errors(response.get_json())
        assert list(response.get_json()) == [field], (field, value)
    assert _snapshot(app, alice_api, world) == before


def test_nested_errors_nest(alice_api, world):
    response = alice_api.post("/api/companies/", json=company_body(hq_location=address_body(zipcode="z" * 21)))
    assert response.status_code == 400
    assert response.get_json() == {"hq_location": {"zipcode": ["Longer than maximum length 20."]}}
    body = status_body(
        world["application"]["uuid"],
        applicationstatuslink_set=[status_link_body(), {**status_link_body(), "link": {"url": "u" * 501}}],
    )
    response = alice_api.post("/api/application-statuses/", json=body)
    assert response.get_json() == {
        "applicationstatuslink_set": {"1": {"link": {"url": ["Longer than maximum length 500."]}}}
    }


@pytest.mark.parametrize(
    "text",
    ["nul\x00byte", "\x00", "lone \ud800 surrogate"],
)
def test_unstorable_text_is_400_everywhere_it_can_arrive(app, alice_api, world, text):
    before = _snapshot(app, alice_api, world)
    company = world["company"]["uuid"]
    attempts = [
        ("POST", "/api/companies/", company_body(text), "name"),
        ("PATCH", f"/api/companies/{company}/", {"notes": text}, "notes"),
        ("PATCH", f"/api/companies/{company}/", {"hq_location": {"city": text}}, "hq_location"),
        ("PATCH", f"/api/companies/{company}/", {"labels": [chosen_label(text)]}, "labels"),
        ("POST", "/api/labels/", {"text": text}, "text"),
        ("POST", "/api/links/", {"url": text}, "url"),
    ]
    for method, url, body, field in attempts:
        response = alice_api.open(method, url, data=json.dumps(body), headers={"Content-Type": "application/json"})
        assert response.status_code == 400, (method, url, response.status_code)
        assert list(response.get_json()) == [field]
    assert _snapshot(app, alice_api, world) == before


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"company": "%s", "value": NaN}', "value"),
        ('{"company": "%s", "value": Infinity}', "value"),
        ('{"company": "%s", "value": 1e400}', "value"),
        ('{"company": "%s", "value": ' + "9" * 400 + "}", "value"),
        ('{"company": "%s", "value": "high"}', "value"),
        ('{"company": "%s", "value": 4, "sample_date": "2024-13-01"}', "sample_date"),
    ],
)
def test_bad_numbers_are_400(app, alice_api, world, raw, field):
    before = row_counts(app)
    response = _raw(alice_api, "POST", "/api/company-ratings/", raw % world["company"]["uuid"])
    assert response.status_code == 400, response.get_json()
    assert list(response.get_json()) == [field]
    assert row_counts(app) == before


def test_integers_beyond_the_parser_limit_are_malformed_json(alice_api, world):
    response = _raw(alice_api, "POST", "/api/links/", '{"order": %s}' % ("9" * 5000))
    assert (response.status_code, response.get_json()) == (400, MALFORMED)


def test_read_only_fields_are_ignored_whatever_their_value(alice, alice_api, world):
    body = company_body(
        "Tolerated",
        uuid="not-a-uuid",
        created_at=12,
        modified_at={"x": 1},
        api_url=["nope"],
        user=42,
        applications="not a list",
        ratings=None,
        hq_location={**address_body(city="X"), "uuid": "garbage", "created_at": "yesterday", "api_url": 3},
    )
    company = created(alice_api.post("/api/companies/", json=body))
    assert company["name"] == "Tolerated" and company["user"] == str(alice.id)
    assert company["hq_location"]["city"] == "X"
    patched = ok(alice_api.patch(f"/api/companies/{company['uuid']}/", json={**body, "uuid": 123, "name": "P"}))
    assert patched["uuid"] == company["uuid"] and patched["name"] == "P"
    patched = ok(alice_api.patch(f"/api/companies/{company['uuid']}/", json={"uuid": None, "name": "Q"}))
    assert patched["uuid"] == company["uuid"] and patched["name"] == "Q"
    application = created(
        alice_api.post(
            "/api/applications/",
            json=application_body(company["uuid"], uuid=None, position_locations=[{"uuid": None, "location": None}]),
        )
    )
    assert len(application["position_locations"]) == 1


def test_unknown_fields_are_ignored(alice_api):
    company = created(alice_api.post("/api/companies/", json=company_body("X", favourite_color="blue", id=5)))
    assert "favourite_color" not in company


@pytest.mark.parametrize(
    "url",
    [
        "/api/nope/",
        "/api/companies/not-a-uuid/",
        "/api/companies/123/",
        "/api/companies/00000000-0000-4000-8000-000000000000/x/",
        "/nope",
        "/api/",
    ],
)
def test_unknown_routes_are_json_404(alice_api, url):
    response = alice_api.get(url)
    assert response.status_code == 404
    assert response.is_json and set(response.get_json()) == {"detail"}


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("DELETE", "/api/companies/"),
        ("PUT", "/api/companies/"),
        ("POST", "/api/companies/{company}/"),
        ("PATCH", "/api/labels/"),
        ("PATCH", "/api/applications/"),
        ("GET", "/api/api-token-auth/"),
    ],
)
def test_wrong_methods_are_json_405_with_allow(alice_api, world, method, url):
    response = alice_api.open(method, url.format(company=world["company"]["uuid"]), json={})
    assert response.status_code == 405
    assert response.get_json() == {"detail": "The method is not allowed for the requested URL."}
    assert response.headers["Allow"]
    assert method not in response.headers["Allow"]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None]
)
def test_wrong_content_type_is_415(app, alice_api, world, content_type):
    before = _snapshot(app, alice_api, world)
    for method, url in _write_targets(world):
        response = _raw(alice_api, method, url, json.dumps({"name": "x"}), content_type)
        assert response.status_code == 415, (method, url, response.get_json())
        assert set(response.get_json()) == {"detail"}
    assert _snapshot(app, alice_api, world) == before


def test_json_with_a_charset_is_json(alice_api):
    response = _raw(alice_api, "POST", "/api/companies/", json.dumps({"name": "é"}), "application/json; charset=utf-8")
    assert created(response)["name"] == "é"


def test_too_large_body_is_413(app, alice_api):
    before = row_counts(app)
    response = _raw(alice_api, "POST", "/api/companies/", json.dumps({"name": "x", "notes": "n" * 6_000_000}))
    assert response.status_code == 413
    assert set(response.get_json()) == {"detail"}
    assert row_counts(app) == before


def test_delete_ignores_any_body(alice_api, world):
    response = _raw(alice_api, "DELETE", f"/api/companies/{world['company']['uuid']}/", "{not json")
    assert response.status_code == 204
