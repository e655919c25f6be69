"""The users resource: the caller alone, their own names, their password, and deleting the account."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.auth.tokens import issue_token
from app.extensions import db
from app.models import Base, Label, RevokedToken, StoredImage, User, company_labels
from app.storage import get_storage, new_key
from tests.conftest import PASSWORD
from tests.factories import make_company

PASSWORD_URL = "/api/users/me/password/"


def detail(user: User) -> str:
    return f"/api/users/{user.id}/"


# -- reading --------------------------------------------------------------------------------------------


def test_the_list_holds_the_caller_alone(alice_api, alice, bob):
    body = alice_api.get("/api/users/").get_json()

    assert body["count"] == 1
    [me] = body["results"]
    assert me["uuid"] == str(alice.id)
    assert {"email", "first_name", "last_name", "avatar_url", "api_url", "created_at", "modified_at"} <= set(me)
    assert "password_hash" not in me and "is_admin" not in me


def test_another_users_detail_is_a_404(alice_api, bob):
    assert alice_api.get(detail(bob)).status_code == 404


def test_users_need_a_token(anon_api, alice):
    assert anon_api.get("/api/users/").status_code == 401
    assert anon_api.patch(detail(alice), json={"first_name": "X"}).status_code == 401
    assert anon_api.delete(detail(alice)).status_code == 401


# -- renaming -------------------------------------------------------------------------------------------


def test_patch_changes_the_callers_own_names(app, alice_api, alice):
    response = alice_api.patch(detail(alice), json={"first_name": "Alicia", "last_name": "Smyth"})

    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["first_name"], response.get_json()["last_name"]) == ("Alicia", "Smyth")
    with app.app_context():
        user = db.session.get(User, alice.id)
        assert (user.first_name, user.last_name) == ("Alicia", "Smyth")


def test_patch_ignores_read_only_and_unknown_fields(app, alice_api, alice):
    body = {
        "uuid": str(uuid.uuid4()),
        "email": "mallory@example.com",
        "avatar_url": "https://evil.example/a.png",
        "is_admin": True,
        "is_active": False,
        "password_hash": "x",
        "created_at": "",
        "last_name": "S.",
    }

    response = alice_api.patch(detail(alice).rstrip("/"), json=body)

    assert response.status_code == 200, response.get_json()
    with app.app_context():
        user = db.session.get(User, alice.id)
        assert (user.email, user.avatar_url, user.is_admin, user.is_active) == ("alice@example.com", "", False, True)
        assert user.last_name == "S."


def test_patch_of_another_user_is_a_404_and_changes_nothing(app, alice_api, bob):
    assert alice_api.patch(detail(bob), json={"first_name": "Hacked"}).status_code == 404
    with app.app_context():
        assert db.session.get(User, bob.id).first_name == "Bob"


def test_a_too_long_name_is_a_400_on_the_field(alice_api, alice):
    response = alice_api.patch(detail(alice), json={"first_name": "x" * 151})

    assert response.status_code == 400
    assert "first_name" in response.get_json()


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_users_cannot_be_created_or_replaced_through_the_api(alice_api, alice, method):
    url = "/api/users/" if method == "POST" else detail(alice)

    assert alice_api.open(method, url, json={"email": "x@example.com"}).status_code == 405


# -- password -------------------------------------------------------------------------------------------


def change(api, current: str, new: str):
    return api.post(PASSWORD_URL, json={"current_password": current, "new_password": new})


def can_log_in(client, email: str, password: str) -> bool:
    return client.post("/api/api-token-auth/", json={"username": email, "password": password}).status_code == 200


def test_changing_the_password_needs_the_current_one(client, alice_api, alice):
    response = change(alice_api, "not my password", "a brand new passphrase")

    assert response.status_code == 400
    assert list(response.get_json()) == ["current_password"]
    assert can_log_in(client, alice.email, PASSWORD)


def test_a_changed_password_replaces_the_old_one(client, alice_api, alice):
    response = change(alice_api, PASSWORD, "a brand new passphrase")

    assert response.status_code == 204
    assert can_log_in(client, alice.email, "a brand new passphrase")
    assert not can_log_in(client, alice.email, PASSWORD)


@pytest.mark.parametrize("weak", ["short", "12345678901", "password1", "alice@example.com"])
def test_a_weak_new_password_is_refused_by_the_policy(client, alice_api, alice, weak):
    response = change(alice_api, PASSWORD, weak)

    assert response.status_code == 400
    assert list(response.get_json()) == ["new_password"]
    assert can_log_in(client, alice.email, PASSWORD)


def test_an_account_without_password_cannot_set_one_this_way(app, client):
    with app.app_context():
        db.session.add(User(email="google@example.com"))
        db.session.commit()
        user_id = db.session.scalar(select(User.id).where(User.email == "google@example.com"))
        token = issue_token(user_id, "access")

    body = {"current_password": "x", "new_password": "a good passphrase"}
    response = client.post(PASSWORD_URL.rstrip("/"), json=body, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 400


def test_changing_the_password_needs_a_token(anon_api):
    assert anon_api.post(PASSWORD_URL, json={"current_password": PASSWORD, "new_password": "x" * 12}).status_code == 401


# -- deleting the account -------------------------------------------------------------------------------


def owned_rows(user_id: uuid.UUID) -> dict[str, int]:
    """Rows per table whose owner column names the user (every table that has one)."""
    counts = {}
    for table in Base.metadata.sorted_tables:
        if "user_id" in table.c:
            counts[table.name] = db.session.scalar(
                select(func.count()).select_from(table).where(table.c.user_id == user_id)
            )
    return counts


def give_data(app: Flask, user: User) -> None:
    with app.app_context():
        company = make_company(user.id, applications=2, statuses=2, links_per_status=2, labels=("Applied",))
        own = Label(user_id=user.id, text=f"{user.first_name}'s label")
        company.labels.append(own)
        company.applications[0].labels.append(own)
        db.session.add(StoredImage(user_id=user.id, key=uuid.uuid4().hex, content_type="image/png", size=10))
        db.session.add(
            RevokedToken(user_id=user.id, jti=uuid.uuid4().hex, expires_at=datetime.now(UTC) + timedelta(days=1))
        )
        db.session.commit()


def test_deleting_the_account_removes_every_row_the_user_owned_and_nothing_else(app, alice_api, alice, bob):
    give_data(app, alice)
    give_data(app, bob)
    with app.app_context():
        before = owned_rows(alice.id)
        bob_before = owned_rows(bob.id)
        links_before = db.session.scalar(select(func.count()).select_from(company_labels))
        global_labels = db.session.scalar(select(func.count()).select_from(Label).where(Label.user_id.is_(None)))
    # Every owned kind of row exists before, so the check below proves something for each table.
    assert all(
        before[name] > 0
        for name in (
            "company",
            "application",
            "application_status",
            "address",
            "link",
            "label",
            "stored_image",
            "revoked_token",
            "position_location",
        )
    )

    response = alice_api.delete(detail(alice), json={"uuid": str(alice.id)})

    assert response.status_code == 204 and response.get_data() == b""
    with app.app_context():
        assert db.session.get(User, alice.id) is None
        assert set(owned_rows(alice.id).values()) == {0}
        assert owned_rows(bob.id) == bob_before
        assert db.session.scalar(select(func.count()).select_from(company_labels)) == links_before / 2
        assert (
            db.session.scalar(select(func.count()).select_from(Label).where(Label.user_id.is_(None))) == global_labels
        )


def test_a_deleted_account_can_no_longer_log_in_or_use_its_token(client, alice_api, alice):
    assert alice_api.delete(detail(alice)).status_code == 204

    assert alice_api.get("/api/users/").status_code == 401
    assert not can_log_in(client, alice.email, PASSWORD)


def test_deleting_another_users_account_is_a_404(app, alice_api, bob):
    assert alice_api.delete(detail(bob)).status_code == 404
    with app.app_context():
        assert db.session.get(User, bob.id) is not None


def test_deleting_the_account_removes_its_stored_image_files(app, alice_api, alice, bob):
    keys = {alice.id: new_key(), bob.id: new_key()}
    with app.app_context():
        for user_id, key in keys.items():
            get_storage().save(key, b"\x89PNG bytes", "image/png")
            db.session.add(StoredImage(user_id=user_id, key=key, content_type="image/png", size=11))
        db.session.commit()

    assert alice_api.delete(detail(alice)).status_code == 204

    with app.app_context():
        assert get_storage().load(keys[alice.id]) is None
        assert get_storage().load(keys[bob.id]) == b"\x89PNG bytes"
