"""Sessions end when they should: password change, log out everywhere, log-out of one session.

Also: a Google-only account costs the same decoy hash as an unknown e-mail, and the checks cost no
extra statement (the user and the access token's revocation are read together).
"""

from __future__ import annotations

import pytest
from sqlalchemy import event

from app.auth import accounts
from app.extensions import db
from app.models import User
from tests.conftest import PASSWORD

LOGIN = "/api/api-token-auth/"
REFRESH = "/api/api-token-refresh/"
LOGOUT = "/api/logout/"
LOGOUT_ALL = "/api/logout/all/"
PROTECTED = "/api/users/"
NEW_PASSWORD = "a brand new passphrase"


def tokens(client, password: str = PASSWORD) -> dict[str, str]:
    response = client.post(LOGIN, json={"username": "alice@example.com", "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def as_user(access: str) -> dict[str, str]:
    return {"Authorization": f"JWT {access}"}


def works(client, access: str) -> bool:
    return client.get(PROTECTED, headers=as_user(access)).status_code == 200


def refreshes(client, refresh: str) -> bool:
    return client.post(REFRESH, json={"refresh": refresh}).status_code == 200


def test_a_password_change_refuses_every_token_issued_before(client, alice):
    first, second = tokens(client), tokens(client)

    response = client.post(
        "/api/users/me/password/",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=as_user(first["access"]),
    )

    assert response.status_code == 204
    for session in (first, second):
        assert not works(client, session["access"])
        assert not refreshes(client, session["refresh"])
    fresh = tokens(client, NEW_PASSWORD)
    assert works(client, fresh["access"]) and refreshes(client, fresh["refresh"])


def test_log_out_everywhere_ends_every_session_and_only_those(client, alice, bob):
    mine, other = tokens(client), tokens(client)
    bobs = client.post(LOGIN, json={"username": "bob@example.com", "password": PASSWORD}).get_json()

    assert client.post(LOGOUT_ALL, headers=as_user(mine["access"])).status_code == 204

    for session in (mine, other):
        assert not works(client, session["access"])
        assert not refreshes(client, session["refresh"])
    assert works(client, bobs["access"])
    assert works(client, tokens(client)["access"])  # logging in again works


def test_log_out_everywhere_needs_a_valid_token(client, alice):
    assert client.post(LOGOUT_ALL).status_code == 401
    assert client.post(LOGOUT_ALL, headers={"Authorization": "JWT nonsense"}).status_code == 401


def test_log_out_revokes_the_access_token_presented_too(client, alice):
    ending, staying = tokens(client), tokens(client)

    response = client.post(LOGOUT, json={"refresh": ending["refresh"]}, headers=as_user(ending["access"]))

    assert response.status_code == 204
    assert not works(client, ending["access"])
    assert not refreshes(client, ending["refresh"])
    assert works(client, staying["access"]) and refreshes(client, staying["refresh"])


def test_log_out_does_not_revoke_another_users_access_token(client, alice, bob):
    mine = tokens(client)
    bobs = client.post(LOGIN, json={"username": "bob@example.com", "password": PASSWORD}).get_json()

    client.post(LOGOUT, json={"refresh": mine["refresh"]}, headers=as_user(bobs["access"]))

    assert works(client, bobs["access"])


def test_a_refreshed_access_token_dies_with_its_session(client, alice):
    session = tokens(client)
    access = client.post(REFRESH, json={"refresh": session["refresh"]}).get_json()["access"]

    client.post(LOGOUT_ALL, headers=as_user(session["access"]))

    assert not works(client, access)


def test_the_user_and_the_revocation_are_read_in_one_statement(app, client, alice):
    access = tokens(client)["access"]
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get("/api/companies/", headers=as_user(access)).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    loads = [s for s in statements if "revoked_token" in s or 'FROM "user"' in s or "FROM user" in s]
    assert len(loads) == 1, loads
    assert "revoked_token" in loads[0]


@pytest.fixture
def hashes(monkeypatch) -> list[str]:
    checked: list[str] = []
    real = accounts.check_password_hash

    def counting(stored: str, password: str) -> bool:
        checked.append(stored)
        return real(stored, password)

    monkeypatch.setattr(accounts, "check_password_hash", counting)
    return checked


def test_a_google_only_account_costs_the_decoy_hash_like_an_unknown_email(app, client, hashes):
    with app.app_context():
        db.session.add(User(email="google@example.com"))  # signed up with Google: no password
        db.session.commit()

    for email in ("google@example.com", "nobody@example.com"):
        response = client.post(LOGIN, json={"username": email, "password": "whatever it is"})
        assert response.status_code == 401

    assert len(hashes) == 2 and hashes[0] == hashes[1]  # the same decoy, once each
