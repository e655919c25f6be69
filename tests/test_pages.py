"""The /account/ pages through the Flask client: sign-in, CSRF, sessions, refusal when signed out, and
each form's errors next to its fields."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from conftest import PASSWORD, app_for, login, make_config
from flask import Flask
from flask.testing import FlaskClient
from pages_support import SIGN_IN, csrf_token, field_errors, form_errors, sign_in, submit

from app.extensions import limiter
from app.models import User

# Every page, with the method a browser uses on it: signed out, each redirects to the sign-in page.
_BATCH = "/account/imports/00000000-0000-0000-0000-000000000000"  # the login is checked before the import is looked up
SIGNED_OUT_PAGES = [
    ("GET", "/account/"),
    ("POST", "/account/names/"),
    ("POST", "/account/password/"),
    ("POST", "/account/log-out-everywhere/"),
    ("POST", "/account/restore/"),
    ("POST", "/account/delete/"),
    ("GET", "/account/exports/"),
    ("GET", "/account/exports/applications?format=csv"),
    ("GET", "/account/exports/activity"),
    ("GET", "/account/exports/account.json"),
    ("GET", "/account/feeds/"),
    ("POST", "/account/feeds/"),
    ("POST", "/account/feeds/00000000-0000-0000-0000-000000000000/revoke/"),
    ("GET", "/account/imports/"),
    ("POST", "/account/imports/"),
    *(("GET", f"{_BATCH}/{step}") for step in ("", "rows/", "result/", "delete/")),
    *(("POST", f"{_BATCH}/{step}") for step in ("", "commit/", "delete/")),
]


def test_every_page_of_the_app_is_in_the_signed_out_list(app: Flask) -> None:
    """A new page must be added above: then it is proved to refuse a signed-out browser."""
    public = {"pages.sign_in", "pages.sign_out", "pages.google_start", "pages.google_callback", "pages.asset"}
    listed = {rule.split("?")[0] for _, rule in SIGNED_OUT_PAGES}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("pages.") and rule.endpoint not in public:
            example = re.sub(r"<uuid:\w+>", "00000000-0000-0000-0000-000000000000", rule.rule)
            assert example in listed, f"{rule.rule} is not in SIGNED_OUT_PAGES"


@pytest.mark.parametrize(("method", "url"), SIGNED_OUT_PAGES)
def test_every_page_redirects_to_sign_in_when_signed_out(client: FlaskClient, method: str, url: str) -> None:
    response = client.open(url, method=method, data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303
    assert response.headers["Location"].startswith(SIGN_IN)
    if method == "GET":
        assert unquote(response.headers["Location"]) == f"{SIGN_IN}?next={url}"


def test_signing_in_brings_the_user_back_to_the_page_asked_for(client: FlaskClient, alice: User) -> None:
    response = submit(
        client, SIGN_IN, SIGN_IN, {"email": "ALICE@example.com ", "password": PASSWORD, "next": "/account/"}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/"
    page = client.get("/account/")
    assert page.status_code == 200
    assert "alice@example.com" in page.get_data(as_text=True)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/account/", "/api/users/", "/\\evil"])
def test_sign_in_never_redirects_off_the_pages(client: FlaskClient, alice: User, target: str) -> None:
    response = submit(client, SIGN_IN, SIGN_IN, {"email": alice.email, "password": PASSWORD, "next": target})
    assert response.headers["Location"] == "/account/"


def test_a_wrong_password_is_refused_with_the_apis_message_and_no_session(client: FlaskClient, alice: User) -> None:
    response = submit(client, SIGN_IN, SIGN_IN, {"email": alice.email, "password": "not it"})
    assert response.status_code == 401
    assert form_errors(response) == ["No active account found with the given credentials."]
    assert client.get("/account/").status_code == 303


def test_sign_in_errors_stand_next_to_their_fields(client: FlaskClient) -> None:
    response = submit(client, SIGN_IN, SIGN_IN, {"email": "", "password": ""})
    assert response.status_code == 400
    assert field_errors(response, "email") and field_errors(response, "password")
    assert 'aria-invalid="true" aria-describedby="email-error"' in response.get_data(as_text=True)


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(client: FlaskClient, alice: User) -> None:
    response = client.post(SIGN_IN, data={"email": alice.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "Nothing was changed" in response.get_data(as_text=True)
    assert client.get("/account/").status_code == 303


def test_a_csrf_token_of_another_session_is_refused(app: Flask, client: FlaskClient, alice: User) -> None:
    foreign = csrf_token(app.test_client())
    response = client.post(SIGN_IN, data={"email": alice.email, "password": PASSWORD, "csrf_token": foreign})
    assert response.status_code == 400


def test_the_api_ignores_the_session_cookie_and_needs_no_csrf_token(
    app: Flask, client: FlaskClient, alice: User
) -> None:
    sign_in(client, alice.email)
    assert client.get("/api/users/").status_code == 401  # the cookie is not a credential there
    api = login(client, alice.email)  # same client, cookie and all: the token path is untouched
    assert api.patch(f"/api/users/{alice.id}/", json={"first_name": "Al"}).status_code == 200


def test_log_out_everywhere_through_the_api_ends_the_page_session(client: FlaskClient, alice: User) -> None:
    sign_in(client, alice.email)
    assert client.get("/account/").status_code == 200
    api = login(client.application.test_client(), alice.email)
    assert api.post("/api/logout/all/").status_code == 204
    assert client.get("/account/").status_code == 303


def test_a_password_change_through_the_api_ends_the_page_session(client: FlaskClient, alice: User) -> None:
    sign_in(client, alice.email)
    api = login(client.application.test_client(), alice.email)
    body = {"current_password": PASSWORD, "new_password": "a brand new passphrase"}
    assert api.post("/api/users/me/password/", json=body).status_code == 204
    assert client.get("/account/").status_code == 303


def test_signing_out_ends_the_session(client: FlaskClient, alice: User) -> None:
    sign_in(client, alice.email)
    response = submit(client, "/account/", "/account/sign-out/", {})
    assert response.status_code == 303
    assert client.get("/account/").status_code == 303


def test_the_session_cookie_is_httponly_lax_and_secure_outside_development(client: FlaskClient, alice: User) -> None:
    response = sign_in(client, alice.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_pages_carry_a_strict_csp_and_the_security_headers(client: FlaskClient) -> None:
    response = client.get(SIGN_IN)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["Cache-Control"] == "no-store"
    assert "<script>" not in response.get_data(as_text=True) and "style=" not in response.get_data(as_text=True)


def test_the_sign_in_page_is_rate_limited_like_the_api(database_url: str, alice: User) -> None:
    limited = app_for(make_config(database_url, RATELIMIT_ENABLED=True, RATELIMIT_AUTH="3/minute"))
    limiter.init_app(limited)  # fresh counters
    client = limited.test_client()
    statuses = [
        submit(client, SIGN_IN, SIGN_IN, {"email": alice.email, "password": "no"}).status_code for _ in range(3)
    ]
    assert statuses == [401, 401, 401]
    refused = submit(client, SIGN_IN, SIGN_IN, {"email": alice.email, "password": PASSWORD})
    assert refused.status_code == 429 and "Too many attempts" in refused.get_data(as_text=True)
    assert refused.headers["Retry-After"]
    assert client.get(SIGN_IN).status_code == 200  # showing the form is not a guess
