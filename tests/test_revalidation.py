"""The revalidation fast path (app.revalidation): an unchanged page's 304 before Flask, or Flask itself.

Every answer of the whole stack is compared with the answer of Flask alone (the app the middleware
wraps) to the same request: the fast path must be invisible but for its cost. A spy on the wrapped app
tells which of the two answered.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import select, text, update

from app.auth import tokens
from app.auth.tokens import InvalidToken, issue_token, signing_secret, verify_token
from app.extensions import db, limiter
from app.models import RevokedToken, User
from app.resources import RESOURCES
from app.revalidation import revalidating_endpoints
from tests.conftest import POSTGRES_ADMIN_URL, ApiClient, make_config
from tests.fast_path_support import both, flask_alone, same_answer
from tests.redis_support import REDIS_URL, reachable_redis
from tests.rest_support import company_body, ok
from tests.subprocess_support import run_script
from tests.test_query_counts import count_statements

ALLOWED_ORIGIN = "http://localhost:3000"


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


def test_the_fast_path_keeps_one_connection_per_thread_and_leaves_no_transaction(app, alice_api, pages, fast_path):
    """Each thread reads on its own connection of the fast path's engine, kept between requests; Flask's
    connections all went back to its pool."""
    with app.app_context():
        engine = db.engine
    middleware = app.extensions["revalidation"]
    assert middleware.holds_connections and middleware.engine is not engine  # the tests' SQLite is a file too
    middleware.release()  # what an earlier test left on this thread (the app is shared)
    assert middleware.engine.pool.checkedout() == 0

    def revalidate_every_page() -> object:
        for _ in range(10):
            for url, tag in pages.items():
                assert alice_api.get(url, headers={"If-None-Match": tag}).status_code == 304
        return middleware.held.connection

    mine = revalidate_every_page()
    assert revalidate_every_page() is mine
    theirs = []

    def in_another_thread() -> None:
        theirs.append((revalidate_every_page(), middleware.engine.pool.checkedout()))
        middleware.release()

    other = threading.Thread(target=in_another_thread)
    other.start()
    other.join()
    assert theirs[0][0] is not mine and theirs[0][1] == 2
    assert fast_path == []
    assert engine.pool.checkedout() == 0
    assert middleware.engine.pool.checkedout() == 1
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
def test_anything_else_is_flasks_answer(app, alice_api, pages, fast_path, headers, status):
    url, tag = next(iter(pages.items()))
    app.extensions["revalidation"].cache.clear()  # a 200 kept for the version is the fast path's too
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


# -- rate limits on: the fast path counts on Flask-Limiter's own counter --------------------------------

REMAINING = "X-RateLimit-Remaining"


def one_fewer(headers: Any) -> list[tuple[str, str]]:
    """`headers` with one request fewer remaining: the answer to the next request on the same counter."""
    return [(name, str(int(value) - 1) if name == REMAINING else value) for name, value in headers.items()]


def redis_or_skip() -> None:
    reachable_redis().close()


@pytest.fixture
def frozen_time(monkeypatch: pytest.MonkeyPatch) -> float:
    """The clock stopped: an answer's X-RateLimit-Reset and Retry-After do not depend on when it is made."""
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now)
    return now


@pytest.mark.parametrize("storage", ["memory", "redis"])
class TestRateLimitsOn:
    @pytest.fixture
    def app_config(self, database_url: str, storage: str):
        if storage == "redis":
            redis_or_skip()
        uri = REDIS_URL if storage == "redis" else "memory://"
        return make_config(
            database_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=uri, RATELIMIT_DEFAULT="9/minute"
        )

    @pytest.fixture(autouse=True)
    def own_counters(self, alice: User, storage: str) -> Iterator[None]:
        """Redis keeps alice's counters (their key holds her id, which no other test has): they go after."""
        yield
        if storage == "redis":
            connection = redis.Redis.from_url(REDIS_URL)
            for key in connection.scan_iter(match=f"*{alice.id}*"):
                connection.delete(key)
            connection.close()

    @pytest.mark.parametrize("extra", [{}, {"Origin": ALLOWED_ORIGIN}], ids=["no-origin", "allowed-origin"])
    def test_the_304_is_one_statement_with_flasks_headers_and_counts(
        self, app, alice_api, pages, fast_path, frozen_time, storage, extra
    ):
        for url, tag in pages.items():
            headers = {"Authorization": f"JWT {alice_api.token}", "If-None-Match": tag, **extra}
            with count_statements(app) as statements:
                stack = alice_api.open("GET", url, headers=headers)
            alone = flask_alone(app, "GET", url, headers)
            assert stack.status == alone.status == "304 NOT MODIFIED"
            assert fast_path == [], "Flask answered"
            assert len(statements) == 1, statements
            assert stack.get_data() == alone.get_data() == b""
            expected = one_fewer(stack.headers)  # Flask's answer came next, on the same counter
            if storage == "redis":  # Redis counts the window's end in whole seconds of its own clock
                reset = int(stack.headers["X-RateLimit-Reset"])
                assert int(alone.headers["X-RateLimit-Reset"]) in (reset - 1, reset)
                expected = [
                    (n, alone.headers[n] if n in ("X-RateLimit-Reset", "Retry-After") else v) for n, v in expected
                ]
            assert list(alone.headers.items()) == expected
            assert [name for name, _ in stack.headers.items()][2:6] == [
                "X-RateLimit-Limit",
                REMAINING,
                "X-RateLimit-Reset",
                "Retry-After",
            ]

    def test_flask_and_the_fast_path_spend_one_allowance_then_flask_answers_429(
        self, app, alice_api, pages, fast_path, frozen_time
    ):
        url, tag = next(iter(pages.items()))
        headers = {"Authorization": f"JWT {alice_api.token}", "If-None-Match": tag}
        answers = []
        for n in range(9):
            response = alice_api.get(url, headers=headers) if n % 2 == 0 else flask_alone(app, "GET", url, headers)
            answers.append((response.status_code, response.headers.get(REMAINING)))
            if response.status_code == 429:
                break
        left = 9 - 1 - len(pages)  # the company's POST and the GET of each page counted already
        assert answers == [(304, str(left - 1 - n)) for n in range(left)] + [(429, "0")]
        assert len(answers) % 2 == 1, "the 429 came through the stack"
        assert fast_path == [url], "Flask answered the 429 alone"
        stack, alone = both(alice_api, "GET", url, {"If-None-Match": tag})
        assert stack.status_code == 429
        same_answer(stack, alone)

    def test_both_paths_count_every_revalidating_endpoint_under_the_same_keys(
        self, app, alice_api, fast_path, monkeypatch
    ):
        """Whatever Flask-Limiter counts a GET of a revalidating endpoint against (keys and limits), the fast
        path counts its 304 against: the keys both hit through the limiter's strategy are the same."""
        app.config["RATELIMIT_DEFAULT"] = "50/minute;500/hour"
        strategy = limiter.limiter
        hit = strategy.hit
        keys: list[str] = []

        def recording(item: Any, *identifiers: str, **kwargs: Any) -> bool:
            keys.append(item.key_for(*identifiers))
            return hit(item, *identifiers, **kwargs)

        monkeypatch.setattr(strategy, "hit", recording)
        monkeypatch.setattr(strategy, "test", None)  # no limit is only tested (deduct_when): it would fail
        lists = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules() if not rule.arguments}
        for endpoint in sorted(revalidating_endpoints(app)):
            keys.clear()
            tag = alice_api.get(lists[endpoint]).headers["ETag"]
            flasks = list(keys)
            keys.clear()
            assert alice_api.get(lists[endpoint], headers={"If-None-Match": tag}).status_code == 304
            assert fast_path == [lists[endpoint]], "Flask answered the first GET alone"
            fast_path.clear()
            assert len(flasks) == 2 and f"/{endpoint}/" in flasks[0], flasks
            assert keys == flasks, endpoint


# The limiter is one object per process, and some of its settings (key prefix, a storage marked dead)
# stick to it once set. Like production, where each worker builds one app, these run in a fresh process:
# a user of its own revalidates the companies list `count` times, every other request (`alternate`) to
# Flask alone, its storage failing after the first page for one request (`down`); it prints (status, who answered,
# X-RateLimit-Remaining) of each.
WORKER = """
import json, sys, uuid
from sqlalchemy import delete
from werkzeug.test import Client
from tests.conftest import create_user, make_config, PASSWORD
from app import create_app
from app.extensions import db, limiter
from app.models import User
from app.revalidation_limits import storage_errors
url, count, mode, overrides = sys.argv[1], int(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4])
app = create_app(make_config(url, RATELIMIT_ENABLED=True, **overrides))
user = create_user(app, f"{uuid.uuid4().hex}@example.com")
stack = Client(app, app.response_class, use_cookies=False)
middleware = app.extensions["revalidation"]
flask_app, seen = middleware.wrapped, []
middleware.wrapped = lambda environ, start_response: seen.append(1) or flask_app(environ, start_response)
alone = Client(flask_app, app.response_class, use_cookies=False)
body = {"username": user.email, "password": PASSWORD}
headers = {"Authorization": "JWT " + stack.post("/api/api-token-auth/", json=body).get_json()["access"]}
headers["If-None-Match"] = stack.get("/api/companies/", headers=headers).headers["ETag"]
if mode == "down":
    failure = storage_errors(limiter.storage)[-1]
    def down(*args, **kwargs):
        raise failure("the storage is down")
    limiter.storage.incr = down
    # Still down when Flask-Limiter checks it (a second after the failure, then less often): a slow machine
    # took that second over three requests, and the revived storage then let the fast path answer.
    limiter.storage.check = lambda: False
answers = []
for n in range(count):
    if mode == "down" and n == 1:
        del limiter.storage.incr  # counting works again, but Flask-Limiter counts in memory until a check passes
    before = len(seen)
    client = alone if mode == "alternate" and n % 2 else stack
    response = client.get("/api/companies/", headers=headers)
    who = "alone" if client is alone else "flask" if len(seen) > before else "fast"
    answers.append([response.status_code, who, response.headers.get("X-RateLimit-Remaining")])
with app.app_context():
    db.session.execute(delete(User).where(User.id == user.id))
    db.session.commit()
print(json.dumps([str(user.id), answers]))
"""


def run_worker(database_url: str, count: int, mode: str, **overrides: object) -> tuple[str, list[list]]:
    user_id, answers = run_script(WORKER, database_url, str(count), mode, json.dumps(overrides))
    return user_id, answers


def test_with_redis_under_its_own_prefix_both_paths_spend_one_allowance(database_url):
    redis_or_skip()
    prefix = f"appl-tracky-test-{uuid.uuid4().hex}"
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        user_id, answers = run_worker(
            database_url,
            6,
            "alternate",
            RATELIMIT_STORAGE_URI=REDIS_URL,
            RATELIMIT_KEY_PREFIX=prefix,
            RATELIMIT_DEFAULT="5/minute",
        )
        keys = [key.decode() for key in connection.scan_iter(match=f"*{prefix}*")]
    finally:
        for key in connection.scan_iter(match=f"*{prefix}*"):
            connection.delete(key)
        connection.close()
    # The first GET (for the tag) counted one; then the stack's fast path and Flask alone share the rest.
    assert answers == [
        [304, "fast", "3"],
        [304, "alone", "2"],
        [304, "fast", "1"],
        [304, "alone", "0"],
        [429, "flask", "0"],
        [429, "alone", "0"],
    ]
    assert any(user_id in key and "companies.resource" in key for key in keys), keys


@pytest.mark.parametrize("uri", ["memory://", REDIS_URL], ids=["memory", "redis"])
def test_when_the_storage_fails_flask_answers_and_counts_in_memory(database_url, uri):
    if uri == REDIS_URL:
        redis_or_skip()
    overrides = {"RATELIMIT_STORAGE_URI": uri, "RATELIMIT_DEFAULT": "3/minute"}
    _, answers = run_worker(database_url, 4, "down", RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}", **overrides)
    # Flask-Limiter's in-memory fallback starts from zero: three 304s, then its 429, all Flask's.
    assert answers == [[304, "flask", "2"], [304, "flask", "1"], [304, "flask", "0"], [429, "flask", "0"]]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite: no server, Flask's engine
def test_one_round_trip_on_a_database_server_no_ping_no_transaction(app, alice_api, pages, fast_path, monkeypatch):
    engine = app.extensions["revalidation"].engine
    calls: list[str] = []
    for name in ("do_ping", "do_begin", "do_commit"):
        monkeypatch.setattr(engine.dialect, name, lambda *args, name=name: calls.append(name))
    with count_statements(app) as statements:
        for url, tag in pages.items():
            assert alice_api.get(url, headers={"If-None-Match": tag}).status_code == 304
    assert fast_path == []
    assert len(statements) == len(pages)
    # The statement runs on psycopg's own connection (app.database: first_row): not even SQLAlchemy's begin
    assert calls == []
    with engine.connect() as connection:
        assert connection.connection.dbapi_connection.autocommit


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite has no server connections to lose
def test_after_the_database_dropped_every_connection_flask_answers_once(app, alice_api, pages, fast_path):
    engine = app.extensions["revalidation"].engine
    url, tag = next(iter(pages.items()))
    assert alice_api.get(url, headers={"If-None-Match": tag}).status_code == 304  # a live pooled connection
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        killed = connection.scalar(
            text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = :name"),
            {"name": engine.url.database},
        )
    admin.dispose()
    assert killed >= 2  # Flask's connection and the fast path's
    assert [alice_api.get(url, headers={"If-None-Match": tag}).status_code for _ in range(3)] == [304] * 3
    assert fast_path == [url], "the fast path's connection was lost once: Flask answered, then the fast path"


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
            refused = origin == "http://other.example"  # flask-cors adds nothing, its Vary neither
            assert stack.headers.getlist("Vary") == (["Cookie"] if refused else ["Origin, Cookie"])
        assert fast_path == []
