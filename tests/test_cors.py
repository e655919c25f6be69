"""CORS: the React client's preflights succeed for allowed origins only, credentials included."""

from __future__ import annotations

import pytest

from tests.rest_support import new_company

ALLOWED = "http://localhost:3000"
PREFLIGHT = {
    "Origin": ALLOWED,
    "Access-Control-Request-Method": "PATCH",
    "Access-Control-Request-Headers": "authorization, content-type",
}


def _allowed_methods(response) -> set[str]:
    return {m.strip() for m in response.headers.get("Access-Control-Allow-Methods", "").split(",")}


@pytest.mark.parametrize(
    "url",
    [
        "/api/companies/",
        "/api/companies/00000000-0000-4000-8000-000000000000/",
        "/api/application-statuses/",
        "/api/labels/",
        "/api/api-token-auth/",
        "/api/api-token-refresh/",
    ],
)
def test_preflight_from_the_client_origin_is_allowed(client, url):
    response = client.options(url, headers=PREFLIGHT)
    assert response.status_code in (200, 204)
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED  # echoed, never "*"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert {"GET", "POST", "PUT", "PATCH", "DELETE"} <= _allowed_methods(response)
    allowed_headers = {h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type"} <= allowed_headers


def test_preflight_needs_no_token(client):
    response = client.options("/api/companies/", headers={**PREFLIGHT, "Authorization": ""})
    assert response.status_code in (200, 204)


def test_disallowed_origin_gets_no_allow_origin(client):
    response = client.options("/api/companies/", headers={**PREFLIGHT, "Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_actual_requests_carry_the_cors_headers_even_on_errors(alice_api, anon_api):
    new_company(alice_api)
    response = alice_api.get("/api/companies/", headers={"Origin": ALLOWED})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    unauthorized = anon_api.get("/api/companies/", headers={"Origin": ALLOWED})
    assert unauthorized.status_code == 401
    assert unauthorized.headers["Access-Control-Allow-Origin"] == ALLOWED  # the client can read the 401
    invalid = alice_api.post("/api/companies/", json={}, headers={"Origin": ALLOWED})
    assert invalid.status_code == 400
    assert invalid.headers["Access-Control-Allow-Origin"] == ALLOWED


def test_actual_request_from_a_disallowed_origin_gets_no_allow_origin(alice_api):
    response = alice_api.get("/api/companies/", headers={"Origin": "http://localhost:3001"})
    assert "Access-Control-Allow-Origin" not in response.headers
