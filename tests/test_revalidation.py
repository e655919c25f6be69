"""The revalidation fast path (app.revalidation): an unchanged page's 304 before Flask, or Flask itself.

Every answer of the whole stack is compared with the answer of Flask alone (the app the middleware
wraps) to the same request: the fast path must be invisible but for its cost. A spy on the wrapped app
tells which of the two answered.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import select, text, update
from werkzeug.test import Client

from app.auth import tokens
from app.auth.tokens import InvalidToken, issue_token, signing_secret, verify_token
from app.extensions import db
from app.models import RevokedToken, User
from app.resources import RESOURCES
from app.revalidation import Revalidation, revalidating_endpoints
from tests.conftest import ApiClient, make_config
from tests.rest_support import company_body, ok
from tests.test_query_counts import count_statements

ALLOWED_ORIGIN = "http://localhost:3000"


@pytest.fixture
def fast_path(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The paths Flask answered (the middleware fell through) during the test."""
    middleware: Revalidation = app.extensions["revalidation"]
    flask_app = middleware.wrapped
    seen: list[str] = []

    def spy(environ: dict, start_response: Any) -> Any:
        seen.append(environ["PATH_INFO"])
        return flask_app(environ, start_response)

    spy.flask = flask_app  # type: ignore[attr-defined]
    monkeypatch.setattr(middleware, "wrapped", spy)
    yield seen


def flask_alone(app: Flask, method: str, url: str, headers: dict[str, str]) -> Any:
    """Flask's own answer (the app behind the middleware) to the same request."""
    wrapped = app.extensions["revalidation"].wrapped
    flask_app = getattr(wrapped, "flask", wrapped)  # behind the spy of `fast_path`
    return Client(flask_app, app.response_class, use_cookies=False).open(url, method=method, headers=headers)


def both(api: ApiClient, method: str, url: str, headers: dict[str, str]) -> tuple[Any, Any]:
    """(The whole stack's answer, Flask's alone) to one request of `api`'s user (a Cookie header as given)."""
    app = api.client.application
    all_headers = {"Authorization": f"JWT {api.token}" if api.token else "", **headers}
    stack = Client(app, app.response_class, use_cookies=False).open(url, method=method, headers=all_headers)
    return stack, flask_alone(app, method, url, all_headers)


def same_answer(stack: Any, alone: Any) -> None:
    assert stack.status_code == alone.status_code, (stack.get_data(as_text=True), alone.get_data(as_text=True))
    assert list(stack.headers.items()) == list(alone.headers.items())
    assert stack.get_data() == alone.get_data()


@pytest.fixture
def pages(alice_api: ApiClient) -> dict[str, str]:
    """A list and a detail URL of alice's, with their current tags."""
    company = ok(alice_api.post("/api/companies/", json=company_body("Acme")), 201)
    urls = ["/api/companies/", f"/api/companies/{company['uuid']}/"]
    return {url: alice_api.get(url).headers["ETag"] for url in urls}


# -- the fast path answers ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize(
    "extra",
    [{}, {"Origin": ALLOWED_ORIGIN}, {"Origin": "http://elsewhere.example"}],
    ids=["no-origin", "allowed-origin", "other-origin"],
)
def test_an_unchanged_page_is_a_304_of_one_statement_with_flasks_headers(
    app, alice_api, pages, fast_path, method, extra
):
    for url, tag in pages.items():
        headers = {"If-None-Match": tag, **extra}
        with count_statements(app) as statements:
            stack = alice_api.open(method, url, headers=headers)
        assert stack.status_code == 304
        assert len(statements) == 1, statements
        assert fast_path == [], "Flask answered"
        same_answer(stack, flask_alone(app, method, url, {"Authorization": f"JWT {alice_api.token}", **headers}))
        assert stack.headers["ETag"] == tag
        assert stack.headers["Cache-Control"] == "private, no-cache"


@pytest.mark.parametrize("header", ['W/"{tag}"', '"other", "{tag}"', "{tag}"])
def test_weak_listed_and_bare_tags_are_answered_too(alice_api, pages, fast_path, header):
    url, tag = next(iter(pages.items()))
    stack, alone = both(alice_api, "GET", url, {"If-None-Match": header.format(tag=tag.strip('"'))})
    assert stack.status_code == 304
    assert fast_path == []
    same_answer(stack, alone)


def test_every_resource_endpoint_revalidates_and_nothing_else(app):
    assert revalidating_endpoints(app) == {f"{name}.resource" for name in RESOURCES}


def test_the_fast_path_returns_its_connection_and_leaves_no_transaction(app, alice_api, pages, fast_path):
    with app.app_context():
        engine = db.engine
    for _ in range(20):
        for url, tag in pages.items():
            assert alice_api.get(url, headers={"If-None-Match": tag}).status_code == 304
    assert fast_path == []
    assert engine.pool.checkedout() == 0
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            busy = connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
                )
            )
        assert busy == 0


# -- Flask answers, as it would without the fast path ------------------------------------------------


def test_a_changed_page_is_answered_by_flask_with_its_body(alice_api, pages, fast_path):
    ok(alice_api.post("/api/companies/", json=company_body("Beta")), 201)
    fast_path.clear()
    for url, tag in pages.items():
        stack, alone = both(alice_api, "GET", url, {"If-None-Match": tag})
        assert stack.status_code == 200
        assert stack.get_json()
        same_answer(stack, alone)
    assert fast_path == list(pages)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 200),
        ({"If-None-Match": '""'}, 200),
        ({"If-None-Match": '"0123456789abcdef0123"'}, 200),
        ({"If-None-Match": "{tag}", "Authorization": ""}, 401),
        ({"If-None-Match": "{tag}", "Authorization": "JWT not-a-token"}, 401),
        ({"If-None-Match": "{tag}", "Authorization": "Basic {token}"}, 401),
        ({"If-None-Match": "{tag}", "Cookie": "appl_tracky_session=whatever"}, 304),
        ({"If-None-Match": "{tag}", "Cookie": "remember_token=whatever"}, 401),
    ],
    ids=["no-tag", "empty-tag", "stale-tag", "no-token", "bad-token", "other-scheme", "session", "remember"],
)
def test_anything_else_is_flasks_answer(alice_api, pages, fast_path, headers, status):
    url, tag = next(iter(pages.items()))
    headers = {name: value.format(tag=tag, token=alice_api.token) for name, value in headers.items()}
    stack, alone = both(alice_api, "GET", url, headers)
    assert stack.status_code == status
    same_answer(stack, alone)
    assert fast_path == [url]


def test_a_refresh_token_is_no_access_token(app, alice, alice_api, pages, fast_path):
    with app.app_context():
        refresh = issue_token(alice.id, "refresh")
    url, tag = next(iter(pages.items()))
    stack, alone = both(ApiClient(alice_api.client, refresh), "GET", url, {"If-None-Match": tag})
    assert stack.status_code == 401
    same_answer(stack, alone)
    assert fast_path == [url]


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("GET", "/health-check", None),
        ("GET", "/api/no-such-thing/", 404),
        ("POST", "/api/companies/", 415),
        ("PUT", "/api/companies/", 405),
        ("GET", "/api//companies/", None),
    ],
    ids=["undeclared", "unknown", "post", "method", "redirect"],
)
def test_other_routes_and_methods_are_flasks(alice_api, pages, fast_path, method, url, status):
    tag = next(iter(pages.values()))
    stack, alone = both(alice_api, method, url, {"If-None-Match": tag})
    if status is not None:
        assert stack.status_code == status
    same_answer(stack, alone)
    assert fast_path == [url]


class TestRateLimitsOn:
    @pytest.fixture
    def app_config(self, database_url: str):
        return make_config(database_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")

    def test_flask_answers_and_counts_the_304(self, alice_api, pages, fast_path):
        url, tag = next(iter(pages.items()))
        response = alice_api.get(url, headers={"If-None-Match": tag})
        assert response.status_code == 304
        assert "X-RateLimit-Remaining" in response.headers
        assert fast_path == [url]


def test_a_database_error_leaves_the_request_to_flask(app, alice_api, pages, fast_path, monkeypatch):
    middleware = app.extensions["revalidation"]
    monkeypatch.setattr(middleware, "engine", sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:9/none"))
    url, tag = next(iter(pages.items()))
    response = alice_api.get(url, headers={"If-None-Match": tag})
    assert response.status_code == 304  # Flask's, from its own database connection
    assert fast_path == [url]


# -- a refused token never gets a 304 ----------------------------------------------------------------


def _refuse_revoked(app: Flask, user: User, api: ApiClient) -> None:
    claims = verify_token(api.token, "access", signing_secret(app.config))
    db.session.add(RevokedToken(jti=claims.jti, user_id=user.id, expires_at=claims.expires_at))


def _refuse_older_version(app: Flask, user: User, api: ApiClient) -> None:
    db.session.execute(update(User).where(User.id == user.id).values(token_version=User.token_version + 1))


def _refuse_inactive(app: Flask, user: User, api: ApiClient) -> None:
    db.session.execute(update(User).where(User.id == user.id).values(is_active=False))


@pytest.mark.parametrize("refuse", [_refuse_revoked, _refuse_older_version, _refuse_inactive])
def test_revoked_tokens_older_versions_and_inactive_users_get_401(app, alice, alice_api, pages, fast_path, refuse):
    with app.app_context():
        refuse(app, alice, alice_api)
        db.session.commit()
        assert db.session.scalar(select(User.data_version).where(User.id == alice.id))  # the tags stay current
    for url, tag in pages.items():
        stack, alone = both(alice_api, "GET", url, {"If-None-Match": tag})
        assert stack.status_code == 401
        same_answer(stack, alone)
    assert fast_path == list(pages)


def test_a_token_that_verified_is_refused_once_expired(app, alice_api, pages, fast_path, monkeypatch):
    url, tag = next(iter(pages.items()))
    assert alice_api.get(url, headers={"If-None-Match": tag}).status_code == 304  # its claims are now cached
    expires = verify_token(alice_api.token, "access", signing_secret(app.config)).expires_at.timestamp()

    class Later:
        @staticmethod
        def time() -> float:
            return expires

    monkeypatch.setattr(tokens, "time", Later)
    stack, alone = both(alice_api, "GET", url, {"If-None-Match": tag})
    assert stack.status_code == 401
    same_answer(stack, alone)
    assert fast_path == [url]


def test_an_expired_token_is_refused(app, alice, alice_api, pages, fast_path):
    app.config["JWT_ACCESS_TOKEN_LIFETIME"] = timedelta(seconds=-1)
    with app.app_context():
        expired = issue_token(alice.id, "access")
    url, tag = next(iter(pages.items()))
    stack, alone = both(ApiClient(alice_api.client, expired), "GET", url, {"If-None-Match": tag})
    assert stack.status_code == 401
    same_answer(stack, alone)


# -- the verified-claims cache -----------------------------------------------------------------------


def test_verified_claims_are_cached_per_secret_and_type(app, alice):
    with app.app_context():
        token = issue_token(alice.id, "access")
    secret = signing_secret(app.config)
    first = verify_token(token, "access", secret)
    assert verify_token(token, "access", secret) is first  # from the cache
    with pytest.raises(InvalidToken):
        verify_token(token, "refresh", secret)
    with pytest.raises(InvalidToken):
        verify_token(token, "access", secret + "-another")
    assert first.expires_at.timestamp() > time.time()


# -- several origins: flask-cors varies on Origin, and the fast path with it -------------------------


class TestSeveralOrigins:
    @pytest.fixture
    def app_config(self, database_url: str):
        return make_config(database_url, CORS_ORIGINS=[ALLOWED_ORIGIN, "https://tracky.example"])

    @pytest.mark.parametrize("origin", [None, ALLOWED_ORIGIN, "https://tracky.example", "http://other.example"])
    def test_the_304_carries_flasks_cors_headers(self, app, alice_api, pages, fast_path, origin):
        extra = {"Origin": origin} if origin else {}
        for url, tag in pages.items():
            stack, alone = both(alice_api, "GET", url, {"If-None-Match": tag, **extra})
            assert stack.status_code == 304
            same_answer(stack, alone)
        assert fast_path == []
