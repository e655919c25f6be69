"""Google sign-in (POST /api/login/social/) against a real OpenID provider on loopback (tests/oidc_provider.py)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import User
from tests.conftest import PASSWORD, ApiClient, make_config
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, OpenIDProvider, RunningProvider, new_key

# Its servers are started once per module: one worker runs the whole module.
pytestmark = pytest.mark.xdist_group("test_auth_google")

URL = "/api/login/social/"


@pytest.fixture(scope="module")
def provider() -> Iterator[OpenIDProvider]:
    running = RunningProvider(OpenIDProvider())
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


def sign_in(client, code: str, provider: str = "google-oauth2"):
    # Exactly what the React client sends, empty Authorization header included.
    body = {"code": code, "provider": provider, "redirect_uri": "postmessage"}
    return client.post(URL, json=body, headers={"Authorization": ""})


def users_named(app: Flask, email: str) -> list[User]:
    with app.app_context():
        users = db.session.scalars(select(User).where(User.email == email)).all()
        db.session.expunge_all()
        return list(users)


def test_first_sign_in_creates_a_user_without_password_and_answers_the_contract_shape(app, client, provider):
    response = sign_in(client, provider.issue_code(email="New.Person@Example.com"))

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"token", "refresh", "email", "first_name", "last_name", "avatar_url"}
    assert body["email"] == "new.person@example.com"
    assert (body["first_name"], body["last_name"]) == ("New", "Person")
    assert body["avatar_url"] == "https://lh3.example/avatar.png"
    [user] = users_named(app, "new.person@example.com")
    assert user.password_hash is None
    me = ApiClient(client, body["token"]).get("/api/users/").get_json()["results"]
    assert [row["email"] for row in me] == ["new.person@example.com"]
    refreshed = client.post("/api/api-token-refresh/", json={"refresh": body["refresh"]})
    assert refreshed.status_code == 200


def test_the_code_is_exchanged_at_the_token_endpoint_with_client_credentials_and_postmessage(client, provider):
    provider.token_requests.clear()
    code = provider.issue_code()

    assert sign_in(client, code).status_code == 200

    [form] = provider.token_requests
    assert form["grant_type"] == "authorization_code"
    assert form["code"] == code
    assert form["redirect_uri"] == "postmessage"


def test_an_existing_user_is_matched_by_email_and_gets_names_and_avatar_refreshed(app, client, provider, make_user):
    existing = make_user("carol@example.com", first_name="Old", last_name="Name")

    response = sign_in(
        client,
        provider.issue_code(
            email="CAROL@example.com",
            given_name="Carol",
            family_name="Danvers",
            picture="https://lh3.example/carol.png",
        ),
    )

    assert response.status_code == 200, response.get_json()
    [user] = users_named(app, "carol@example.com")
    assert user.id == existing.id
    assert (user.first_name, user.last_name, user.avatar_url) == ("Carol", "Danvers", "https://lh3.example/carol.png")
    login = client.post("/api/api-token-auth/", json={"username": "carol@example.com", "password": PASSWORD})
    assert login.status_code == 200  # the local password still works


def test_missing_profile_claims_keep_the_names_already_known(app, client, provider, make_user):
    make_user("dora@example.com", first_name="Dora", last_name="Explorer")

    response = sign_in(
        client, provider.issue_code(email="dora@example.com", given_name=None, family_name=None, picture=None)
    )

    assert response.status_code == 200
    assert (response.get_json()["first_name"], response.get_json()["last_name"]) == ("Dora", "Explorer")


def test_an_inactive_user_cannot_sign_in_with_google(app, client, provider, make_user):
    make_user("gone@example.com", is_active=False)

    response = sign_in(client, provider.issue_code(email="gone@example.com"))

    assert response.status_code == 401
    assert "detail" in response.get_json()


def count_users(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def assert_refused(app: Flask, response, before: int) -> None:
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["detail"].startswith("Google sign-in failed")
    assert count_users(app) == before


def test_a_bad_code_is_a_400(app, client, provider):
    assert_refused(app, sign_in(client, "4/not-a-code-the-provider-issued"), count_users(app))


def test_a_code_works_only_once(app, client, provider):
    code = provider.issue_code()
    assert sign_in(client, code).status_code == 200
    assert_refused(app, sign_in(client, code), count_users(app))


def test_an_id_token_signed_with_another_key_is_refused(app, client, provider):
    forger = new_key()
    forger_with_real_kid = type(forger).import_key(forger.as_dict(private=True) | {"kid": provider.key.kid})
    code = provider.issue_code(key=forger_with_real_kid, email="forged@example.com")

    assert_refused(app, sign_in(client, code), count_users(app))
    assert users_named(app, "forged@example.com") == []


def test_an_id_token_signed_with_an_unknown_key_id_is_refused_after_refetching_the_keys(app, client, provider):
    provider.requests.clear()
    code = provider.issue_code(key=new_key())

    assert_refused(app, sign_in(client, code), count_users(app))
    assert provider.requests.count(("GET", "/jwks")) >= 1


def test_a_rotated_provider_key_is_fetched_and_accepted(app, client, provider):
    assert sign_in(client, provider.issue_code(email="before@example.com")).status_code == 200  # keys cached
    provider.rotate_key()

    response = sign_in(client, provider.issue_code(email="after@example.com"))

    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"aud": "someone-else.apps.googleusercontent.com"}, id="wrong-audience"),
        pytest.param({"iss": "https://evil.example"}, id="wrong-issuer"),
        pytest.param({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, id="expired"),
        pytest.param({"email_verified": False}, id="unverified-email"),
        pytest.param({"email_verified": None}, id="email-verified-missing"),
        pytest.param({"email": None}, id="no-email"),
        pytest.param({"aud": ["other-client", CLIENT_ID], "azp": "other-client"}, id="other-authorized-party"),
    ],
)
def test_an_id_token_that_does_not_verify_is_refused(app, client, provider, claims):
    assert_refused(app, sign_in(client, provider.issue_code(**claims)), count_users(app))


def test_an_unverified_email_says_so(client, provider):
    response = sign_in(client, provider.issue_code(email_verified=False))

    assert response.get_json()["detail"] == "Google sign-in failed: the e-mail address is not verified"


def test_an_answer_without_id_token_is_a_400(app, client, provider):
    assert_refused(app, sign_in(client, provider.issue_code(id_token="")), count_users(app))


def test_an_id_token_with_alg_none_is_refused(app, client, provider):
    import base64
    import json

    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    unsigned = f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(provider.id_token_claims())}."
    assert_refused(app, sign_in(client, provider.issue_code(id_token=unsigned)), count_users(app))


def test_an_unknown_provider_is_a_400_without_calling_any_provider(client, provider):
    provider.requests.clear()

    response = sign_in(client, provider.issue_code(), provider="facebook")

    assert response.status_code == 400
    assert "provider" in response.get_json()
    assert provider.requests == []


def test_a_missing_code_is_a_400_on_the_field(client):
    response = client.post(URL, json={"provider": "google-oauth2", "redirect_uri": "postmessage"})

    assert response.status_code == 400
    assert "code" in response.get_json()


def test_the_url_works_without_the_trailing_slash(client, provider):
    response = client.post(URL.rstrip("/"), json={"code": provider.issue_code(), "provider": "google-oauth2"})

    assert response.status_code == 200


@pytest.mark.parametrize("missing", ["GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET", "GOOGLE_DISCOVERY_URL"])
def test_without_configuration_sign_in_is_a_clear_503(app, client, provider, missing):
    app.config[missing] = None

    response = sign_in(client, provider.issue_code())

    assert response.status_code == 503
    assert response.get_json() == {"detail": "Google sign-in is not configured on this server."}


def test_wrong_client_credentials_are_a_503_not_the_callers_fault(app, client, provider):
    app.config["GOOGLE_CLIENT_SECRET"] = "not-the-secret"

    response = sign_in(client, provider.issue_code())

    assert response.status_code == 503
    assert response.get_json() == {"detail": "Google sign-in is not configured correctly on this server."}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_provider_is_a_503(app, client):
    app.config["GOOGLE_DISCOVERY_URL"] = f"http://127.0.0.1:{free_port()}/.well-known/openid-configuration"

    response = sign_in(client, "4/some-code")

    assert response.status_code == 503
    assert "unavailable" in response.get_json()["detail"]
