"""Rate limits: 20/minute per client address on sign-in, a per-user default elsewhere, memory or Redis.

The testing settings switch limits off; this module switches them on, with the real sign-in limit and a
small default (5/minute) so that the per-user limit is quick to reach.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterator

import pytest
import redis

from tests.conftest import PASSWORD, make_config
from tests.redis_support import REDIS_URL, reachable_redis
from tests.subprocess_support import run_script

LOGIN = "/api/api-token-auth/"


@pytest.fixture
def app_config(database_url: str):
    return make_config(
        database_url,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_AUTH="20/minute",
        RATELIMIT_DEFAULT="5/minute",
    )


def client_address() -> str:
    """A fresh client address (via X-Forwarded-For, as nginx sends it): counters start at zero."""
    return f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"


def login(client, address: str, password: str = PASSWORD):
    return client.post(
        LOGIN,
        json={"username": "alice@example.com", "password": password},
        headers={"Authorization": "", "X-Forwarded-For": address},
    )


def assert_throttled(response) -> None:
    assert response.status_code == 429, response.get_data(as_text=True)
    assert list(response.get_json()) == ["detail"]
    assert 0 <= int(response.headers["Retry-After"]) <= 61  # seconds until the window resets


def test_the_21st_login_in_a_minute_is_a_429_with_retry_after(client, alice):
    address = client_address()
    answers = [login(client, address, PASSWORD if n % 2 else "wrong password").status_code for n in range(20)]

    assert set(answers) == {200, 401}  # failed logins count too: that is what a guesser sends
    assert_throttled(login(client, address))


def test_the_login_limit_is_per_client_address(client, alice):
    crowded = client_address()
    for _ in range(20):
        login(client, crowded)

    assert_throttled(login(client, crowded))
    assert login(client, client_address()).status_code == 200


def test_refresh_logout_and_social_login_have_their_own_limit_per_address(client, alice):
    address = client_address()
    refresh_token = login(client, address).get_json()["refresh"]
    headers = {"X-Forwarded-For": address, "Authorization": ""}
    for url, body in (
        ("/api/api-token-refresh/", {"refresh": refresh_token}),
        ("/api/logout/", {"refresh": "not-a-token"}),
        ("/api/login/social/", {"provider": "unknown"}),
    ):
        answers = {client.post(url, json=body, headers=headers).status_code for _ in range(20)}
        assert 429 not in answers, url
        assert_throttled(client.post(url, json=body, headers=headers))


def test_cors_preflights_are_not_counted(client, alice):
    address = client_address()
    preflight = {
        "Origin": "http://localhost:3000",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
        "X-Forwarded-For": address,
    }
    for _ in range(30):
        assert client.options(LOGIN, headers=preflight).status_code == 200

    assert login(client, address).status_code == 200


def test_the_default_limit_counts_per_user_not_per_address(client, alice_api, bob_api):
    address = {"X-Forwarded-For": client_address()}
    for _ in range(5):
        assert alice_api.get("/api/users/", headers=address).status_code == 200

    assert_throttled(alice_api.get("/api/users/", headers=address))
    assert alice_api.get("/api/users/", headers={"X-Forwarded-For": client_address()}).status_code == 429
    assert bob_api.get("/api/users/", headers=address).status_code == 200  # same address, other user


def test_requests_without_a_valid_token_are_counted_per_address(client, anon_api):
    address = client_address()
    headers = {"X-Forwarded-For": address, "Authorization": "JWT forged.token.here"}
    answers = [client.get("/api/companies/", headers=headers).status_code for _ in range(5)]

    assert answers == [401] * 5
    assert_throttled(client.get("/api/companies/", headers=headers))
    assert client.get("/api/companies/", headers={"X-Forwarded-For": client_address()}).status_code == 401


def test_health_checks_are_never_limited(client):
    address = {"X-Forwarded-For": client_address()}
    for url in ("/health-check", "/", "/home/"):
        assert {client.get(url, headers=address).status_code for _ in range(10)} <= {200, 503}


def test_ratelimit_enabled_false_switches_limits_off(app_config, database_url, alice):
    from app import create_app

    app = create_app(make_config(database_url, RATELIMIT_ENABLED=False, RATELIMIT_AUTH="2/minute"))
    client = app.test_client()
    address = client_address()

    assert {login(client, address).status_code for _ in range(25)} == {200}


# -- Redis --------------------------------------------------------------------------------------------


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    connection = reachable_redis()
    yield connection
    connection.close()


def delete_keys(connection: redis.Redis, pattern: str) -> None:
    for key in connection.scan_iter(match=pattern):
        connection.delete(key)


def test_with_redis_storage_the_21st_login_is_a_429_and_counters_live_in_redis(database_url, alice, redis_client):
    from app import create_app

    address = client_address()  # unique: this test's counters are its own, and found again below
    config = {"RATELIMIT_ENABLED": True, "RATELIMIT_AUTH": "20/minute", "RATELIMIT_STORAGE_URI": REDIS_URL}
    client = create_app(make_config(database_url, **config)).test_client()
    try:
        answers = {login(client, address).status_code for _ in range(20)}

        assert answers == {200}
        assert_throttled(login(client, address))
        assert list(redis_client.scan_iter(match=f"*{address}*")), "no rate-limit counter in Redis"
        # Another worker on the same Redis shares the counter.
        other_worker = create_app(make_config(database_url, **config)).test_client()
        assert_throttled(login(other_worker, address))
    finally:
        delete_keys(redis_client, f"*{address}*")


# The limiter is one object per process, and some of its settings (key prefix, a storage marked dead)
# stick to it once set. Like production, where each worker builds one app, these run in a fresh process.
WORKER = """
import json, sys
from tests.conftest import make_config
from app import create_app
url, address, count, overrides = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
client = create_app(make_config(url, RATELIMIT_ENABLED=True, **overrides)).test_client()
body = {"username": "alice@example.com", "password": sys.argv[5]}
print(json.dumps([client.post("/api/api-token-auth/", json=body, headers={"X-Forwarded-For": address}).status_code
                  for _ in range(count)]))
"""


def run_worker(database_url: str, address: str, count: int, **overrides: object) -> list[int]:
    return run_script(WORKER, database_url, address, str(count), json.dumps(overrides), PASSWORD)


def test_a_worker_with_redis_storage_keeps_its_counters_under_its_key_prefix(database_url, alice, redis_client):
    prefix = f"appl-tracky-test-{uuid.uuid4().hex}"
    address = client_address()
    try:
        answers = run_worker(database_url, address, 21, RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_KEY_PREFIX=prefix)

        assert answers == [200] * 20 + [429]
        keys = [key.decode() for key in redis_client.scan_iter(match=f"*{prefix}*")]
        assert keys and all(address in key for key in keys)
    finally:
        delete_keys(redis_client, f"*{prefix}*")


def test_a_failing_storage_falls_back_to_memory_instead_of_failing_requests(database_url, alice):
    # Nothing listens on port 1: every request would otherwise be a 500.
    answers = run_worker(
        database_url, client_address(), 4, RATELIMIT_AUTH="3/minute", RATELIMIT_STORAGE_URI="redis://127.0.0.1:1"
    )

    assert answers == [200, 200, 200, 429]


def test_password_change_gets_the_sign_in_allowance_per_user(alice_api, bob_api):
    def attempt(api):
        return api.post("/api/users/me/password/", json={"current_password": "guess", "new_password": "x" * 12})

    assert {attempt(alice_api).status_code for _ in range(20)} == {400}  # more than the 5/minute default

    assert_throttled(attempt(alice_api))
    assert attempt(bob_api).status_code == 400
