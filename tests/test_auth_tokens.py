"""Login, refresh, logout and the access token on every request: what is accepted and what is a 401."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from joserfc import jwt
from joserfc.jwk import OctKey
from sqlalchemy import func, select

from app.auth.tokens import issue_token
from app.extensions import db
from app.models import RevokedToken, User
from tests.conftest import PASSWORD, ApiClient

LOGIN = "/api/api-token-auth/"
REFRESH = "/api/api-token-refresh/"
LOGOUT = "/api/logout/"
PROTECTED = "/api/users/"


def login(client, username: str = "alice@example.com", password: str = PASSWORD):
    # The React client sends an empty Authorization header when it has no token.
    return client.post(LOGIN, json={"username": username, "password": password}, headers={"Authorization": ""})


def tokens(client, username: str = "alice@example.com") -> dict[str, str]:
    response = login(client, username)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def refresh(client, token: str):
    # The client's refresh body carries blank uuid/timestamps besides `refresh`.
    body = {"refresh": token, "uuid": "", "created_at": "", "modified_at": ""}
    return client.post(REFRESH, json=body, headers={"Authorization": ""})


def get_with(client, header: str | None):
    return client.get(PROTECTED, headers={} if header is None else {"Authorization": header})


def assert_401(response) -> None:
    assert response.status_code == 401, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"detail"} and body["detail"]


def part(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def signed(app: Flask, claims: dict, *, secret: str | None = None, alg: str = "HS256") -> str:
    key = OctKey.import_key(secret or app.config["SECRET_KEY"])
    return jwt.encode({"alg": alg, "typ": "JWT"}, claims, key, algorithms=[alg])


# -- login ------------------------------------------------------------------------------------------


def test_login_answers_an_access_and_a_refresh_token_that_work(client, alice):
    body = tokens(client)

    assert set(body) == {"access", "refresh"}
    assert get_with(client, f"JWT {body['access']}").status_code == 200
    assert refresh(client, body["refresh"]).status_code == 200


def test_login_accepts_the_email_in_any_case_and_without_trailing_slash(client, alice):
    response = client.post(LOGIN.rstrip("/"), json={"username": " Alice@Example.COM ", "password": PASSWORD})

    assert response.status_code == 200


def test_tokens_carry_type_jti_iat_and_exp_with_the_configured_lifetimes(app, client, alice):
    body = tokens(client)
    access, refresh_claims = claims_of(body["access"]), claims_of(body["refresh"])

    assert (access["type"], refresh_claims["type"]) == ("access", "refresh")
    assert access["jti"] != refresh_claims["jti"]
    assert access["exp"] - access["iat"] == 7 * 86400
    assert refresh_claims["exp"] - refresh_claims["iat"] == 14 * 86400
    assert access["sub"] == str(alice.id)


def test_wrong_password_is_a_401(client, alice):
    assert_401(login(client, password="not the password"))


def test_unknown_user_is_a_401_with_the_same_message_as_a_wrong_password(client, alice):
    unknown, wrong = login(client, "nobody@example.com"), login(client, password="wrong password")

    assert_401(unknown)
    assert unknown.get_json() == wrong.get_json()


def test_an_account_without_password_cannot_log_in_with_any_password(client, app):
    with app.app_context():
        db.session.add(User(email="google-only@example.com"))
        db.session.commit()

    assert login(client, "google-only@example.com", "").status_code == 400  # a blank password is not input
    assert_401(login(client, "google-only@example.com", "anything at all"))


@pytest.mark.parametrize("body", [{}, {"username": "alice@example.com"}, {"password": PASSWORD}, []])
def test_incomplete_login_bodies_are_400s(client, alice, body):
    response = client.post(LOGIN, json=body)

    assert response.status_code == 400


def test_malformed_json_on_login_is_a_400(client):
    response = client.post(LOGIN, data="{not json", content_type="application/json")

    assert response.status_code == 400
    assert "detail" in response.get_json()


# -- inactive users ---------------------------------------------------------------------------------


def deactivate(app: Flask, user: User) -> None:
    with app.app_context():
        db.session.get(User, user.id).is_active = False
        db.session.commit()


def test_an_inactive_user_cannot_log_in(app, client, alice):
    deactivate(app, alice)

    assert_401(login(client))


def test_an_inactive_user_can_neither_use_nor_refresh_tokens_issued_before(app, client, alice):
    body = tokens(client)
    deactivate(app, alice)

    assert_401(get_with(client, f"JWT {body['access']}"))
    assert_401(refresh(client, body["refresh"]))


def test_tokens_of_a_deleted_user_are_refused(app, client, alice):
    body = tokens(client)
    with app.app_context():
        db.session.delete(db.session.get(User, alice.id))
        db.session.commit()

    assert_401(get_with(client, f"JWT {body['access']}"))
    assert_401(refresh(client, body["refresh"]))
    assert_401(client.post(LOGOUT, json={"refresh": body["refresh"]}))


# -- the Authorization header -------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["JWT", "Bearer", "bearer", "jwt"])
def test_both_header_schemes_are_accepted(client, alice, scheme):
    assert get_with(client, f"{scheme} {tokens(client)['access']}").status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "JWT",
        "JWT ",
        "Bearer",
        "Token {access}",
        "Basic YWxpY2U6cGFzcw==",
        "{access}",
        "JWT not.a.token",
        "JWT {access}x",
        "JWT {access} extra",
    ],
)
def test_missing_and_malformed_headers_are_401s(client, alice, header):
    access = tokens(client)["access"]

    assert_401(get_with(client, None if header is None else header.format(access=access)))


def test_the_login_and_refresh_endpoints_ignore_a_bad_authorization_header(client, alice):
    body = client.post(
        LOGIN, json={"username": alice.email, "password": PASSWORD}, headers={"Authorization": "JWT garbage"}
    )
    assert body.status_code == 200
    response = client.post(REFRESH, json={"refresh": body.get_json()["refresh"]}, headers={"Authorization": "JWT x"})

    assert response.status_code == 200


# -- forged and mistyped tokens -----------------------------------------------------------------------


def test_a_tampered_payload_is_refused(client, alice, bob):
    header, _, signature = tokens(client)["access"].split(".")
    claims = claims_of(tokens(client)["access"]) | {"sub": str(bob.id)}

    assert_401(get_with(client, f"JWT {header}.{part(claims)}.{signature}"))


def test_an_unsigned_alg_none_token_is_refused(client, alice):
    claims = claims_of(tokens(client)["access"])

    assert_401(get_with(client, f"JWT {part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."))
    assert_401(refresh(client, f"{part({'alg': 'none'})}.{part(claims | {'type': 'refresh'})}."))


def test_a_token_signed_with_another_key_is_refused(app, client, alice):
    claims = claims_of(tokens(client)["access"])

    assert_401(get_with(client, f"JWT {signed(app, claims, secret='another-secret-key-of-some-length')}"))


def test_a_token_signed_with_another_algorithm_is_refused_even_with_the_right_key(app, client, alice):
    claims = claims_of(tokens(client)["access"])

    assert_401(get_with(client, f"JWT {signed(app, claims, alg='HS512')}"))


def test_a_correctly_signed_token_without_type_or_jti_is_refused(app, client, alice):
    claims = claims_of(tokens(client)["access"])

    assert get_with(client, f"JWT {signed(app, claims)}").status_code == 200  # the helper signs correctly
    for missing in ("type", "jti", "exp"):
        incomplete = {name: value for name, value in claims.items() if name != missing}
        assert_401(get_with(client, f"JWT {signed(app, incomplete)}"))


def test_an_access_token_is_not_a_refresh_token(client, alice):
    assert_401(refresh(client, tokens(client)["access"]))


def test_a_refresh_token_is_not_an_access_token(client, alice):
    assert_401(get_with(client, f"JWT {tokens(client)['refresh']}"))


def test_a_configured_signing_key_replaces_the_secret_key(app, client, alice):
    app.config["JWT_SIGNING_KEY"] = "a-separately-configured-signing-key"
    body = tokens(client)

    assert get_with(client, f"JWT {body['access']}").status_code == 200
    claims = claims_of(body["access"])
    assert_401(get_with(client, f"JWT {signed(app, claims)}"))  # SECRET_KEY no longer signs


# -- expiry -------------------------------------------------------------------------------------------


def test_an_expired_access_token_is_refused(app, client, alice):
    app.config["JWT_ACCESS_TOKEN_LIFETIME"] = timedelta(seconds=-1)
    body = tokens(client)

    assert_401(get_with(client, f"JWT {body['access']}"))
    assert refresh(client, body["refresh"]).status_code == 200


def test_an_expired_refresh_token_is_refused(app, client, alice):
    app.config["JWT_REFRESH_TOKEN_LIFETIME"] = timedelta(seconds=-1)

    assert_401(refresh(client, tokens(client)["refresh"]))


def test_a_refreshed_access_token_works_and_is_new(client, alice):
    body = tokens(client)

    access = refresh(client, body["refresh"]).get_json()["access"]

    assert access != body["access"]
    assert get_with(client, f"JWT {access}").status_code == 200


# -- logout and revocation ----------------------------------------------------------------------------


def revoked_rows(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(RevokedToken))


def test_logout_revokes_the_refresh_token(app, client, alice):
    body = tokens(client)

    response = client.post(LOGOUT, json={"refresh": body["refresh"]}, headers={"Authorization": ""})

    assert response.status_code == 204
    assert response.get_data() == b""
    assert_401(refresh(client, body["refresh"]))
    assert revoked_rows(app) == 1


def test_logout_revokes_only_that_refresh_token(client, alice):
    first, second = tokens(client), tokens(client)

    client.post(LOGOUT, json={"refresh": first["refresh"]})

    assert refresh(client, second["refresh"]).status_code == 200


def test_logging_out_twice_is_harmless(app, client, alice):
    token = tokens(client)["refresh"]

    assert client.post(LOGOUT, json={"refresh": token}).status_code == 204
    assert client.post(LOGOUT.rstrip("/"), json={"refresh": token}).status_code == 204
    assert revoked_rows(app) == 1


@pytest.mark.parametrize("token", ["", "not-a-token", "{access}"])
def test_logout_with_an_invalid_refresh_token_is_refused(client, alice, token):
    response = client.post(LOGOUT, json={"refresh": token.format(access=tokens(client)["access"])})

    assert response.status_code in (400, 401)
    assert response.status_code == (400 if token == "" else 401)


def add_revocation(app: Flask, user: User, expires_at: datetime) -> None:
    with app.app_context():
        db.session.add(RevokedToken(user_id=user.id, jti=f"old-{expires_at.timestamp()}", expires_at=expires_at))
        db.session.commit()


def test_logout_prunes_expired_revocations(app, client, alice):
    add_revocation(app, alice, datetime.now(UTC) - timedelta(days=1))
    add_revocation(app, alice, datetime.now(UTC) + timedelta(days=1))

    client.post(LOGOUT, json={"refresh": tokens(client)["refresh"]})

    with app.app_context():
        left = db.session.scalars(select(RevokedToken.expires_at)).all()
    assert len(left) == 2 and all(when > datetime.now(UTC) for when in left)


def test_prune_tokens_command_deletes_only_expired_revocations(app, runner, alice):
    add_revocation(app, alice, datetime.now(UTC) - timedelta(seconds=5))
    add_revocation(app, alice, datetime.now(UTC) - timedelta(days=3))
    add_revocation(app, alice, datetime.now(UTC) + timedelta(days=1))

    result = runner.invoke(args=["prune-tokens"])

    assert result.exit_code == 0, result.output
    assert "Pruned 2 expired revoked tokens." in result.output
    assert revoked_rows(app) == 1


def test_the_issued_tokens_are_bound_to_the_app_secret(app, alice):
    with app.app_context():
        token = issue_token(alice.id, "access")
    client = ApiClient(app.test_client(), token)

    assert client.get(PROTECTED).status_code == 200
