"""Live feeds: tokens created, listed without secrets, revoked; the feed URL serves the owner's CSV
without a JWT, never anyone else's data, and is rate-limited per feed."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import FeedToken
from tests.conftest import make_config
from tests.export_support import EXPECTED_HEADER, EXPECTED_ROWS, parse_csv, seed_applications
from tests.rest_support import created, new_application, new_company, ok


def feed_path(feed: dict) -> str:
    """The feed URL's path (the test client talks to the app directly)."""
    return feed["feed_url"].removeprefix("http://localhost")


@pytest.fixture
def feed(alice_api) -> dict:
    return created(alice_api.post("/api/feeds/", json={"name": "My sheet"}))


def test_creating_a_feed_shows_its_token_and_url_once(alice, alice_api, feed):
    assert feed["name"] == "My sheet"
    assert feed["user"] == str(alice.id)
    assert feed["revoked"] is False and feed["revoked_at"] is None and feed["last_used_at"] is None
    assert len(feed["token"]) >= 43  # 32 random bytes
    assert feed["feed_url"] == f"http://localhost/api/feeds/{feed['token']}/applications.csv"
    listed = ok(alice_api.get("/api/feeds/"))["results"]
    assert [item["uuid"] for item in listed] == [feed["uuid"]]
    assert "token" not in listed[0] and "feed_url" not in listed[0]
    detail = ok(alice_api.get(f"/api/feeds/{feed['uuid']}/"))
    assert "token" not in detail and "feed_url" not in detail


def test_tokens_are_random_and_stored_only_as_a_hash(app, alice_api, feed):
    other = created(alice_api.post("/api/feeds/", json={"name": "Another"}))
    assert other["token"] != feed["token"]
    with app.app_context():
        rows = db.session.scalars(select(FeedToken)).all()
        stored = {row.token_hash for row in rows}
        assert stored == {hashlib.sha256(t.encode()).hexdigest() for t in (feed["token"], other["token"])}
        every_value = [str(getattr(row, column.key)) for row in rows for column in FeedToken.__table__.columns]
        assert not any(feed["token"] in value or other["token"] in value for value in every_value)


def test_the_feed_serves_the_owners_csv_without_a_jwt(app, client, alice_api, feed):
    seed_applications(app, alice_api)
    response = client.get(feed_path(feed))  # no Authorization header at all
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # one charset, not two
    assert response.headers["Cache-Control"] == "no-store"
    assert not response.data.startswith("\ufeff".encode())  # IMPORTDATA would show a BOM in A1
    rows = parse_csv(response.data)
    assert rows == [EXPECTED_HEADER, *EXPECTED_ROWS]
    assert rows == parse_csv(alice_api.get("/api/exports/applications.csv").data)


def test_the_feed_accepts_the_export_filters(app, client, alice_api, feed):
    seed_applications(app, alice_api)
    rows = parse_csv(client.get(feed_path(feed) + "?label=Archived").data)
    assert [row[1] for row in rows[1:]] == ["Manager"]
    assert client.get(feed_path(feed) + "?from=nope").status_code == 400


def test_using_a_feed_records_when(alice_api, client, feed):
    client.get(feed_path(feed))
    assert ok(alice_api.get(f"/api/feeds/{feed['uuid']}/"))["last_used_at"] is not None


def test_a_revoked_feed_is_a_404(alice_api, client, feed):
    assert client.get(feed_path(feed)).status_code == 200
    response = alice_api.delete(f"/api/feeds/{feed['uuid']}/", json=feed)
    assert response.status_code == 204
    response = client.get(feed_path(feed))
    assert (response.status_code, response.get_json()) == (404, {"detail": "Not found."})
    listed = ok(alice_api.get(f"/api/feeds/{feed['uuid']}/"))
    assert listed["revoked"] is True and listed["revoked_at"] is not None
    assert alice_api.delete(f"/api/feeds/{feed['uuid']}/").status_code == 204  # revoking again is harmless


@pytest.mark.parametrize("token", ["nope", "x" * 43, "6f1c2d2e-8f3a-4c2b-9d55-3b1f4f0e7a10"])
def test_an_unknown_token_is_a_404(client, token):
    response = client.get(f"/api/feeds/{token}/applications.csv")
    assert (response.status_code, response.get_json()) == (404, {"detail": "Not found."})


def test_a_feed_never_shows_another_users_data(app, client, alice_api, bob_api, feed):
    seed_applications(app, alice_api)
    bobs_feed = created(bob_api.post("/api/feeds/", json={"name": "Bob's"}))
    company = new_company(bob_api, "Bob Ltd")
    new_application(bob_api, company["uuid"], "Bob's job", position_locations=[])
    rows = parse_csv(client.get(feed_path(bobs_feed)).data)
    assert [row[:2] for row in rows[1:]] == [["Bob Ltd", "Bob's job"]]
    # Bob can neither see, rename nor revoke Alice's feed.
    assert ok(bob_api.get("/api/feeds/"))["count"] == 1
    assert bob_api.get(f"/api/feeds/{feed['uuid']}/").status_code == 404
    assert bob_api.patch(f"/api/feeds/{feed['uuid']}/", json={"name": "mine"}).status_code == 404
    assert bob_api.delete(f"/api/feeds/{feed['uuid']}/").status_code == 404
    assert client.get(feed_path(feed)).status_code == 200
    # A JWT of Bob's on Alice's feed URL changes nothing: the URL alone decides whose rows.
    rows = parse_csv(bob_api.get(feed_path(feed)).data)
    assert [row[1] for row in rows[1:]] == ["Backend engineer", "'+Data scientist", "Manager"]


def test_a_deactivated_users_feed_is_a_404(app, alice, client, feed):
    from app.models import User

    with app.app_context():
        db.session.get(User, alice.id).is_active = False
        db.session.commit()
    assert client.get(feed_path(feed)).status_code == 404


def test_feed_management_needs_a_jwt(anon_api, feed):
    assert anon_api.get("/api/feeds/").status_code == 401
    assert anon_api.post("/api/feeds/", json={"name": "x"}).status_code == 401
    assert anon_api.delete(f"/api/feeds/{feed['uuid']}/").status_code == 401


def test_the_token_and_url_cannot_be_set_by_the_client(app, alice_api):
    body = {"name": "x", "token": "chosen", "token_hash": "0" * 64, "revoked_at": "2020-01-01T00:00:00Z"}
    feed = created(alice_api.post("/api/feeds/", json=body))
    assert feed["token"] != "chosen" and feed["revoked"] is False
    with app.app_context():
        assert db.session.get(FeedToken, uuid.UUID(feed["uuid"])).token_hash != "0" * 64


class TestRateLimit:
    @pytest.fixture
    def app_config(self, database_url):
        return make_config(
            database_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", FEED_RATE_LIMIT="3/minute"
        )

    def test_a_feed_is_rate_limited_per_token(self, client, alice_api, feed):
        answers = [client.get(feed_path(feed)).status_code for _ in range(3)]
        assert answers == [200, 200, 200]
        response = client.get(feed_path(feed))
        assert response.status_code == 429
        assert "Retry-After" in response.headers
        # Another feed (say, another user's sheet behind the same spreadsheet service) is not affected.
        other = created(alice_api.post("/api/feeds/", json={"name": "Other"}))
        assert client.get(feed_path(other)).status_code == 200


@pytest.mark.parametrize(
    ("logged", "expected"),
    [
        (
            "GET /api/feeds/Ab-_9z/applications.csv?x=1 HTTP/1.1",
            "GET /api/feeds/[redacted]/applications.csv?x=1 HTTP/1.1",
        ),
        (
            "https://h.example/api/feeds/Ab-_9z/applications.csv",
            "https://h.example/api/feeds/[redacted]/applications.csv",
        ),
        ("//API//Feeds//Ab-_9z/applications.CSV", "//API//Feeds//[redacted]/applications.CSV"),
        ("/api/feeds/Ab-_9z", "/api/feeds/[redacted]"),
        ("/api/feeds/4b3c2d1e-1111-4222-8333-123456789abc/", "/api/feeds/4b3c2d1e-1111-4222-8333-123456789abc/"),
        ("/api/feeds/4b3c2d1e-1111-4222-8333-123456789abcX/applications.csv", "/api/feeds/[redacted]/applications.csv"),
        ("/api/feeds/?page=2", "/api/feeds/?page=2"),
    ],
)
def test_access_logs_redact_the_token_of_every_feed_url(logged, expected):
    from app.access_log import redact_feed_tokens

    assert redact_feed_tokens(logged) == expected
