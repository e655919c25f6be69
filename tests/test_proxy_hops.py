"""PROXY_HOPS against a real gunicorn (gunicorn.conf.py, APP_ENV=production), reached directly.

Whatever X-Forwarded-* a client sends is trusted exactly as far as PROXY_HOPS says: with 0 not at all (the
sign-in rate limit counts the socket's address, so rotating X-Forwarded-For does not help a password
guesser, and absolute URLs use the Host the server was reached at); with 1 the last hop (nginx's); with 2
the second-to-last (what the load balancer told the proxy behind it).
"""

from __future__ import annotations

import collections
import http.client
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from infra import flask, free_port, start_gunicorn, stop_process, wait_for_http
from PIL import Image

# Under pytest-xdist (make test) one worker runs every test here, so the servers start once.
pytestmark = pytest.mark.xdist_group("test_proxy_hops")

EMAIL = "hops@example.com"
PASSWORD = "a long and secret password"
AUTH_LIMIT = 5  # RATELIMIT_AUTH per client address (20/minute by default: fewer guesses keep the test short)
GUESSES = 10


@dataclass
class Server:
    url: str
    port: int
    hops: int
    token: str


@pytest.fixture(scope="module", params=[0, 1, 2], ids=lambda hops: f"PROXY_HOPS={hops}")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    hops = request.param
    workdir = tmp_path_factory.mktemp(f"hops-{hops}")
    database_url = f"sqlite:///{workdir / 'hops.db'}"
    flask(database_url, "db", "upgrade")
    flask(database_url, "users", "create", EMAIL, "--password", PASSWORD)
    port, log = free_port(), workdir / "gunicorn.log"
    gunicorn = start_gunicorn(
        database_url, port, log, workdir, PROXY_HOPS=str(hops), RATELIMIT_AUTH=f"{AUTH_LIMIT}/minute"
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{url}/health-check", gunicorn, log)
        # Signed in from a loopback address of its own, so that every limit below starts from zero.
        status, body = _login(port, PASSWORD, "192.0.2.250, 192.0.2.251", source="127.0.0.2")
        assert status == 200, body
        yield Server(url, port, hops, body["access"])
    finally:
        stop_process(gunicorn)


def _login(port: int, password: str, forwarded_for: str, source: str) -> tuple[int, dict]:
    """POST the login from the loopback address `source`: the socket's address, which PROXY_HOPS=0 counts."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        body = json.dumps({"username": EMAIL, "password": password})
        headers = {"Content-Type": "application/json", "X-Forwarded-For": forwarded_for}
        connection.request("POST", "/api/api-token-auth/", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def _guesses(server: Server, forwarded_for: list[str], source: str) -> dict[int, int]:
    """How many of the wrong-password logins, one per X-Forwarded-For value, answered each status."""
    statuses = [_login(server.port, f"guess {i}", xff, source)[0] for i, xff in enumerate(forwarded_for)]
    counts = dict(collections.Counter(statuses))
    print(f"PROXY_HOPS={server.hops}: {len(forwarded_for)} guesses -> {counts}")
    return counts


def test_a_client_rotating_x_forwarded_for(server: Server) -> None:
    """Guesses, each claiming another address in the header's last hop."""
    rotating = [f"198.51.100.7, 203.0.113.{i}" for i in range(1, GUESSES + 1)]
    counts = _guesses(server, rotating, source="127.0.0.3")
    if server.hops == 1:
        assert counts == {401: GUESSES}  # each forwarded address is its own client
    else:  # 0: the header is ignored; 2: the hop that counts is 198.51.100.7 every time
        assert counts == {401: AUTH_LIMIT, 429: GUESSES - AUTH_LIMIT}


def test_a_client_rotating_the_second_to_last_hop(server: Server) -> None:
    rotating = [f"203.0.113.{i}, 198.51.100.8" for i in range(101, 101 + GUESSES)]
    counts = _guesses(server, rotating, source="127.0.0.4")
    if server.hops == 2:
        assert counts == {401: GUESSES}  # what the outer proxy saw: each guess another client
    else:
        assert counts == {401: AUTH_LIMIT, 429: GUESSES - AUTH_LIMIT}


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def test_absolute_urls_honour_forwarded_scheme_and_host_only_when_trusted(server: Server) -> None:
    auth = {"Authorization": f"JWT {server.token}"}
    forwarded = {
        "X-Forwarded-For": "192.0.2.10, 192.0.2.11",
        "X-Forwarded-Proto": "https, http",
        "X-Forwarded-Host": "outer.example, inner.example:8080",
    }
    for name in ("First", "Second"):
        created = requests.post(f"{server.url}/api/companies/", json={"name": name}, headers=auth, timeout=10)
        assert created.status_code == 201, created.text
    company = requests.get(f"{server.url}/api/companies/?page_size=1", headers={**auth, **forwarded}, timeout=10)
    image = requests.post(
        f"{server.url}/api/private-image/",
        files={"file": ("dot.png", _png(), "image/png")},
        headers={**auth, **forwarded},
        timeout=10,
    )
    assert company.status_code == 200 and image.status_code == 200, (company.text, image.text)
    expected = {0: server.url, 1: "http://inner.example:8080", 2: "https://outer.example"}[server.hops]
    page = company.json()
    assert page["next"].startswith(f"{expected}/api/companies/?")
    assert page["results"][0]["api_url"].startswith(f"{expected}/api/companies/")
    assert image.json()["image_url"].startswith(f"{expected}/api/private-image/")
