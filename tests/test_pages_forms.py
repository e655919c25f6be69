"""The forms of the /account/ pages through the Flask client: what each writes, and each refusal shown
next to its field with nothing written."""

from __future__ import annotations

import io
import json

import pytest
from conftest import PASSWORD, login
from flask import Flask
from flask.testing import FlaskClient
from pages_support import field_errors, sign_in, submit
from rest_support import new_application, new_company
from sqlalchemy import func, select

from app.extensions import db
from app.models import Application, FeedToken, User

ACCOUNT = "/account/"
FEEDS = "/account/feeds/"
EXPORTS = "/account/exports/"


@pytest.fixture
def alice_web(app: Flask, alice: User) -> FlaskClient:
    client = app.test_client()
    sign_in(client, alice.email)
    return client


def user_row(app: Flask, email: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            db.session.expunge(user)
        return user


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# -- Account --------------------------------------------------------------------------------------------


def test_the_names_are_saved(app: Flask, alice_web: FlaskClient) -> None:
    response = submit(alice_web, ACCOUNT, "/account/names/", {"first_name": " Alicia ", "last_name": "Smyth"})
    assert response.status_code == 303
    assert "Your name is saved." in alice_web.get(ACCOUNT).get_data(as_text=True)
    user = user_row(app, "alice@example.com")
    assert (user.first_name, user.last_name) == (" Alicia ", "Smyth")


def test_a_too_long_name_is_refused_next_to_its_field_and_nothing_is_saved(app: Flask, alice_web: FlaskClient) -> None:
    response = submit(alice_web, ACCOUNT, "/account/names/", {"first_name": "A" * 151, "last_name": "Changed"})
    assert response.status_code == 400
    assert field_errors(response, "first_name") == ["Longer than maximum length 150."]
    assert user_row(app, "alice@example.com").last_name == "Smith"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"current_password": "wrong"}, "current_password", "The current password is not correct."),
        ({"new_password": "1234"}, "new_password", "The password must be at least 8 characters long."),
        ({"new_password": "password"}, "new_password", "The password is too common."),
        ({"new_password_again": "something else"}, "new_password_again", "The two new passwords differ."),
        ({"current_password": ""}, "current_password", "Length must be between 1 and 1024."),
    ],
)
def test_a_refused_password_change_says_why_next_to_the_field(
    app: Flask, alice_web: FlaskClient, fields: dict, field: str, message: str
) -> None:
    new = fields.get("new_password", "a good new passphrase")
    data = {"current_password": PASSWORD, "new_password": new, "new_password_again": new, **fields}
    response = submit(alice_web, ACCOUNT, "/account/password/", data)
    assert response.status_code == 400
    assert message in field_errors(response, field)
    assert user_row(app, "alice@example.com").check_password(PASSWORD)


def test_a_password_change_keeps_this_browser_and_ends_every_other_session_and_token(
    app: Flask, alice: User, alice_web: FlaskClient
) -> None:
    other_browser = app.test_client()
    sign_in(other_browser, alice.email)
    api = login(app.test_client(), alice.email)
    new = "a good new passphrase"
    data = {"current_password": PASSWORD, "new_password": new, "new_password_again": new}
    assert submit(alice_web, ACCOUNT, "/account/password/", data).status_code == 303
    assert alice_web.get(ACCOUNT).status_code == 200
    assert other_browser.get(ACCOUNT).status_code == 303
    assert api.get("/api/users/").status_code == 401
    assert login(app.test_client(), alice.email, new).get("/api/users/").status_code == 200


def test_log_out_everywhere_ends_this_and_every_other_session_and_token(
    app: Flask, alice: User, alice_web: FlaskClient
) -> None:
    other_browser = app.test_client()
    sign_in(other_browser, alice.email)
    api = login(app.test_client(), alice.email)
    response = submit(alice_web, ACCOUNT, "/account/log-out-everywhere/", {})
    assert response.status_code == 303 and response.headers["Location"] == "/account/sign-in/"
    assert "signed out everywhere" in alice_web.get("/account/sign-in/").get_data(as_text=True)
    for browser in (alice_web, other_browser):
        assert browser.get(ACCOUNT).status_code == 303
    assert api.get("/api/users/").status_code == 401


def upload(client: FlaskClient, data: bytes, filename: str = "account.json"):
    fields = {"file": (io.BytesIO(data), filename)}
    return submit(client, ACCOUNT, "/account/restore/", fields, content_type="multipart/form-data")


def test_an_account_file_is_restored_into_an_empty_account(app: Flask, alice_api, bob: User) -> None:
    company = new_company(alice_api, "Initech")
    new_application(alice_api, company["uuid"], "Analyst")
    account_file = alice_api.get("/api/exports/account.json").data
    bob_web = app.test_client()
    sign_in(bob_web, bob.email)
    response = upload(bob_web, account_file)
    assert response.status_code == 303
    assert "restored: 1 application, 1 company" in bob_web.get(ACCOUNT).get_data(as_text=True)
    assert count(app, Application) == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "Malformed JSON in the uploaded file."),
        (b"[]", None),  # the restore's own message about the file's shape
        (json.dumps({"version": 1, "tables": {"application": [{"uuid": "x"}]}}).encode(), None),
    ],
)
def test_a_bad_account_file_is_refused_next_to_the_file_field(
    app: Flask, alice_web: FlaskClient, content: bytes, message: str | None
) -> None:
    response = upload(alice_web, content)
    assert response.status_code == 400
    errors = field_errors(response, "file")
    assert errors and (message is None or errors == [message])
    assert count(app, Application) == 0


def test_a_restore_without_a_file_asks_for_one(alice_web: FlaskClient) -> None:
    response = submit(alice_web, ACCOUNT, "/account/restore/", {}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert field_errors(response, "file") == ["Choose the account file to restore."]


def test_a_restore_into_an_account_with_data_is_refused(app: Flask, alice: User, alice_api, alice_web) -> None:
    new_company(alice_api, "Initech")
    response = upload(alice_web, alice_api.get("/api/exports/account.json").data)
    assert response.status_code == 409
    assert "The account is not empty" in field_errors(response, "file")[0]


def test_the_account_is_deleted_once_its_email_is_typed(app: Flask, alice: User, alice_api, alice_web) -> None:
    new_company(alice_api, "Initech")
    response = submit(alice_web, ACCOUNT, "/account/delete/", {"email": " Alice@Example.com "})
    assert response.status_code == 303 and response.headers["Location"] == "/account/sign-in/"
    assert user_row(app, alice.email) is None
    assert alice_web.get(ACCOUNT).status_code == 303
    assert "are deleted" in alice_web.get("/account/sign-in/").get_data(as_text=True)


def test_the_account_is_not_deleted_without_its_email(app: Flask, alice: User, alice_web: FlaskClient) -> None:
    response = submit(alice_web, ACCOUNT, "/account/delete/", {"email": "bob@example.com"})
    assert response.status_code == 400
    assert field_errors(response, "delete-email") == [
        "Type your e-mail address exactly as shown to delete the account."
    ]
    assert user_row(app, alice.email) is not None


# -- Feeds ----------------------------------------------------------------------------------------------


def test_a_feed_is_shown_once_and_works_until_revoked(app: Flask, alice_web: FlaskClient) -> None:
    response = submit(alice_web, FEEDS, FEEDS, {"name": "Sheet"})
    assert response.status_code == 201
    html = response.get_data(as_text=True)
    url = html.split('id="feed-url" class="secret" type="text" value="')[1].split('"')[0]
    assert f"""id="feed-formula" class="secret" type="text" value='=IMPORTDATA("{url}")'""" in html
    assert alice_web.get(url).status_code == 200
    listing = alice_web.get(FEEDS).get_data(as_text=True)
    assert url not in listing and "Sheet" in listing and "Never" not in listing
    with app.app_context():
        feed_id = db.session.scalar(select(FeedToken.id))
    assert submit(alice_web, FEEDS, f"/account/feeds/{feed_id}/revoke/", {}).status_code == 303
    assert alice_web.get(url).status_code == 404


def test_a_too_long_feed_name_is_refused_next_to_its_field(app: Flask, alice_web: FlaskClient) -> None:
    response = submit(alice_web, FEEDS, FEEDS, {"name": "n" * 101})
    assert response.status_code == 400
    assert field_errors(response, "name") == ["Longer than maximum length 100."]
    assert count(app, FeedToken) == 0


def test_another_users_feed_cannot_be_revoked(app: Flask, alice_web: FlaskClient, bob_api) -> None:
    feed = bob_api.post("/api/feeds/", json={"name": "Bob's"}).get_json()
    response = submit(alice_web, FEEDS, f"/account/feeds/{feed['uuid']}/revoke/", {})
    assert response.status_code == 404
    assert "not yours" in response.get_data(as_text=True)
    assert bob_api.client.get(feed["feed_url"].replace("http://localhost", "")).status_code == 200


# -- Exports --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("applications?format=csv&from=2024-13-01", "app-from", "Not a valid date."),
        ("applications?format=csv&from=2024-05-01&to=2024-01-01", "app-to", "Must not be before `from`."),
        ("applications?format=xlsx&label=nonexistent", "app-label", "Label 'nonexistent' does not exist."),
        ("applications?format=csv&layout=00000000-0000-0000-0000-000000000000", "app-layout", "Import does not exist."),
        ("applications?format=pdf", "app-format", "Choose CSV or Excel."),
        ("activity?from=yesterday", "activity-from", "Not a valid date."),
    ],
)
def test_a_bad_export_filter_is_refused_next_to_its_field(
    alice_web: FlaskClient, query: str, field: str, message: str
) -> None:
    response = alice_web.get(f"{EXPORTS}{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert field_errors(response, field) == [message]


def test_the_exports_are_the_apis_files(alice_api, alice_web: FlaskClient) -> None:
    company = new_company(alice_api, "Initech")
    new_application(alice_api, company["uuid"], "Analyst")
    for page, api in [
        ("applications?format=csv", "applications.csv"),
        ("activity?from=2020-01-01", "activity.csv?from=2020-01-01"),
    ]:
        mine = alice_web.get(f"{EXPORTS}{page}")
        body = mine.data  # streamed: read before the next request
        theirs = alice_api.get(f"/api/exports/{api}")
        assert mine.status_code == 200 and body == theirs.data
        assert mine.headers["Content-Disposition"] == theirs.headers["Content-Disposition"]
        assert mine.headers["Cache-Control"] == "no-store"
    xlsx = alice_web.get(f"{EXPORTS}applications?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    xlsx.close()  # the workbook's temporary file
    account = json.loads(alice_web.get(f"{EXPORTS}account.json").data)
    assert [row["position_title"] for row in account["tables"]["application"]] == ["Analyst"]


def test_no_template_holds_an_inline_script_style_or_handler() -> None:
    """The CSP would block them: the pages' behaviour lives in static files."""
    import re
    from pathlib import Path

    import app.pages

    for template in (Path(app.pages.__file__).parent / "templates").rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        assert not re.search(r"\sstyle=|<style|\son[a-z]+=|hx-on", text), template
