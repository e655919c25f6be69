"""Kept reads (app.response_cache) as shipped: gunicorn (2 workers of 4 threads, production settings) behind
the real nginx, on SQLite and PostgreSQL, with writers and readers sending requests at the same time.

A read that starts after a write has returned must show that write (or a later one), whichever worker
and thread kept which page: the list, the detail and the GraphQL dashboard are read over and over while
the company's name moves on. Skipped without nginx, unless REQUIRE_NGINX=1 (as in CI).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from conftest import _postgres_database
from infra import Stack, nginx_stack

pytestmark = pytest.mark.xdist_group("test_kept_reads_e2e")

EMAIL, PASSWORD = "kept@example.com", "a long and secret password"
WRITES = 25
READERS = 6
DASHBOARD = {"query": "{ companies(first: 5) { edges { node { name } } } }"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def stack(request: pytest.FixtureRequest) -> Iterator[Stack]:
    generator = _postgres_database() if request.param == "postgresql" else None
    database_url = next(generator) if generator is not None else None
    settings = {"GUNICORN_WORKERS": "2", "RATELIMIT_ENABLED": "false"}
    try:
        with nginx_stack({EMAIL: PASSWORD}, database_url, **settings) as running:
            yield running
    finally:
        if generator is not None:
            next(generator, None)


def _session(stack: Stack) -> requests.Session:
    session = requests.Session()
    login = session.post(f"{stack.url}/api/api-token-auth/", json={"username": EMAIL, "password": PASSWORD}, timeout=10)
    assert login.status_code == 200, login.text
    session.headers["Authorization"] = f"JWT {login.json()['access']}"
    return session


def test_a_read_after_a_write_shows_it_whichever_worker_kept_the_page(stack: Stack) -> None:
    writer = _session(stack)
    created = writer.post(f"{stack.url}/api/companies/", json={"name": "v0"}, timeout=10)
    assert created.status_code == 201, created.text
    detail = created.json()["api_url"]
    written = 0  # the last version whose PATCH has returned
    lock = threading.Lock()
    done = threading.Event()

    def names(session: requests.Session) -> list[str]:
        listing = session.get(f"{stack.url}/api/companies/", timeout=10)
        one = session.get(detail, timeout=10)
        dashboard = session.post(f"{stack.url}/graphql/", json=DASHBOARD, timeout=10)
        for response in (listing, one, dashboard):
            assert response.status_code == 200, response.text
        return [
            listing.json()["results"][0]["name"],
            one.json()["name"],
            dashboard.json()["data"]["companies"]["edges"][0]["node"]["name"],
        ]

    def read() -> list[list[str]]:
        session = _session(stack)
        while not done.is_set():
            with lock:
                floor = written
            for name in names(session):
                assert int(name[1:]) >= floor, f"read {name} after v{floor} was written"
        # Nothing is written any more: the second of these reads is a kept page's case on its worker.
        return [names(session) for _ in range(3)]

    with ThreadPoolExecutor(READERS) as pool:
        readers = [pool.submit(read) for _ in range(READERS)]
        for n in range(1, WRITES + 1):
            response = writer.patch(detail, json={"name": f"v{n}"}, timeout=10)
            assert response.status_code == 200, response.text
            with lock:
                written = n
        done.set()
        last_reads = [reader.result() for reader in readers]
    assert last_reads == [[[f"v{WRITES}"] * 3] * 3] * READERS
