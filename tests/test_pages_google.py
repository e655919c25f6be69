"""Google sign-in on the pages: the browser is sent to the provider with a `state`, comes back with a code,
and the existing Google code (app/auth/google.py) exchanges and verifies it — here against a real OpenID
Connect provider on loopback (tests/oidc_provider.py)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import make_config
from flask import Flask
from flask.testing import FlaskClient
from oidc_provider import CLIENT_ID, CLIENT_SECRET, OpenIDProvider, RunningProvider

# Its servers are started once per module: one worker runs the whole module.
pytestmark = pytest.mark.xdist_group("test_pages_google")

CALLBACK = "http://localhost/account/sign-in/google/callback/"


@pytest.fixture(scope="module")
def provider() -> Iterator[OpenIDProvider]:
    running = RunningProvider(OpenIDProvider(redirect_uris={CALLBACK}))
    yield running.provider
    running.stop()


@pytest.fixture
def app_config(database_url: str, provider: OpenIDProvider):
    return make_config(
        database_url,
        GOOGLE_CLIENT_ID=CLIENT_ID,
        GOOGLE_CLIENT_SECRET=CLIENT_SECRET,
        GOOGLE_DISCOVERY_URL=provider.discovery_url,
    )


def start(client: FlaskClient, provider: OpenIDProvider) -> dict[str, list[str]]:
    response = client.get("/account/sign-in/google/?next=/account/feeds/")
    assert response.status_code == 303
    target = urlsplit(response.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{provider.base_url}/auth"
    return parse_qs(target.query)


def test_the_sign_in_page_offers_google_when_it_is_configured(client: FlaskClient) -> None:
    assert "Sign in with Google" in client.get("/account/sign-in/").get_data(as_text=True)


def test_google_sign_in_creates_the_account_and_signs_the_browser_in(
    app: Flask, client: FlaskClient, provider: OpenIDProvider
) -> None:
    query = start(client, provider)
    assert query["client_id"] == [CLIENT_ID] and query["redirect_uri"] == [CALLBACK]
    assert query["response_type"] == ["code"] and "email" in query["scope"][0].split()
    code = provider.issue_code(email="web.person@example.com")
    response = client.get(f"/account/sign-in/google/callback/?code={code}&state={query['state'][0]}")
    assert response.status_code == 303 and response.headers["Location"] == "/account/feeds/"
    assert "web.person@example.com" in client.get("/account/").get_data(as_text=True)
    assert provider.token_requests[-1]["redirect_uri"] == CALLBACK


def test_a_callback_with_another_state_is_refused(client: FlaskClient, provider: OpenIDProvider) -> None:
    start(client, provider)
    code = provider.issue_code(email="forged@example.com")
    response = client.get(f"/account/sign-in/google/callback/?code={code}&state=forged")
    assert response.status_code == 400
    assert "could not be checked" in response.get_data(as_text=True)
    assert client.get("/account/").status_code == 303


def test_a_code_the_provider_refuses_is_shown_on_the_sign_in_page(client: FlaskClient, provider) -> None:
    query = start(client, provider)
    response = client.get(f"/account/sign-in/google/callback/?code=bad&state={query['state'][0]}")
    assert response.status_code == 400
    assert "Google sign-in failed" in response.get_data(as_text=True)


def test_without_configuration_google_is_not_offered(app: Flask, client: FlaskClient) -> None:
    app.config["GOOGLE_CLIENT_ID"] = None
    assert "Sign in with Google" not in client.get("/account/sign-in/").get_data(as_text=True)
    response = client.get("/account/sign-in/google/")
    assert response.status_code == 503
    assert "not configured" in response.get_data(as_text=True)
