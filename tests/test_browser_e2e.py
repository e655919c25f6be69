"""The React client's journey in a real browser: headless Chromium, from another origin, against gunicorn.

The server runs as in production (gunicorn with gunicorn.conf.py, APP_ENV=production, a database
migrated by `flask db upgrade`, a user made by `flask users create`), with CORS_ORIGINS naming exactly
the origin of a static page served from another port. That page (tests/browser/) replays the client's
journey with the bodies and headers the contract records, through `fetch(..., {mode: "cors",
credentials: "include"})`. The test holds the browser's own network log against the journey: no failed
request, no CORS error on the console, no status >= 400 the journey did not ask for, and every URL
preflighted and answered with the echoed origin and credentials.

Chromium is Debian's (`apt-get install chromium`), driven by Playwright for Python without its browser
downloads. Skipped when either is missing, unless REQUIRE_BROWSER=1 (as in CI).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import _postgres_database
from infra import chromium, flask, free_port, start_gunicorn, stop_process, wait_for_http

# Under pytest-xdist (make test) one worker runs every test here, so the servers start once.
pytestmark = pytest.mark.xdist_group("test_browser_e2e")

PAGE_DIR = Path(__file__).resolve().parent / "browser"
EMAIL = "browser@example.com"
PASSWORD = "a long and secret browser password"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, launched once for the module."""
    with chromium() as browser:
        yield browser


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def page_origin() -> Iterator[str]:
    """tests/browser/ served on another port of localhost: another origin than the API's."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(PAGE_DIR)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@dataclass
class ApiServer:
    url: str
    log: Path
    startup_seconds: float


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api_server(
    request: pytest.FixtureRequest, page_origin: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServer]:
    """gunicorn on a fresh, migrated database with one user, allowing exactly the page's origin."""
    started = time.monotonic()
    workdir = tmp_path_factory.mktemp(f"browser-{request.param}")
    postgres = _postgres_database() if request.param == "postgresql" else None
    database_url = next(postgres) if postgres else f"sqlite:///{workdir / 'e2e.db'}"
    gunicorn = None
    try:
        flask(database_url, "db", "upgrade")
        flask(database_url, "users", "create", EMAIL, "--password", PASSWORD)
        port = free_port()
        log = workdir / "gunicorn.log"
        gunicorn = start_gunicorn(database_url, port, log, workdir, CORS_ORIGINS=page_origin)
        url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{url}/health-check", gunicorn, log)
        yield ApiServer(url, log, time.monotonic() - started)
    finally:
        if gunicorn is not None:
            stop_process(gunicorn)
        if postgres:
            next(postgres, None)


@dataclass
class NetworkLog:
    """What the browser itself saw: responses, failed requests, console errors and CORS preflights."""

    responses: list[tuple[str, str, int]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console_errors: list[tuple[str, str]] = field(default_factory=list)
    preflights: dict[str, dict[str, Any]] = field(default_factory=dict)

    def attach(self, context: Any, page: Any) -> None:
        page.on("response", lambda r: self.responses.append((r.request.method, r.url, r.status)))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.method} {r.url}: {r.failure}"))
        page.on("pageerror", lambda error: self.console_errors.append((f"uncaught: {error}", "")))
        page.on(
            "console",
            lambda m: m.type == "error" and self.console_errors.append((m.text, m.location.get("url", ""))),
        )
        # Playwright hides preflights from its own events; the DevTools protocol reports them.
        cdp = context.new_cdp_session(page)
        cdp.on("Network.requestWillBeSent", self._on_request)
        cdp.on("Network.responseReceived", self._on_response)
        cdp.send("Network.enable")

    def wait_for(self, page: Any, requests: set[tuple[str, str]], seconds: float = 5) -> None:
        """Let the browser's last events arrive: until every one of `requests` has its response logged."""
        deadline = time.monotonic() + seconds
        while not requests <= {(method, url) for method, url, _ in self.responses} and time.monotonic() < deadline:
            page.wait_for_timeout(50)

    def _on_request(self, event: dict[str, Any]) -> None:
        if event.get("type") == "Preflight" or event.get("initiator", {}).get("type") == "preflight":
            request = event["request"]
            self.preflights[event["requestId"]] = {
                "url": request["url"],
                "method": request["method"],
                "request_headers": {k.lower(): v for k, v in request["headers"].items()},
                "status": None,
                "headers": {},
            }

    def _on_response(self, event: dict[str, Any]) -> None:
        preflight = self.preflights.get(event["requestId"])
        if preflight is not None:
            preflight["status"] = event["response"]["status"]
            preflight["headers"] = {k.lower(): v for k, v in event["response"]["headers"].items()}


def _report(result: dict[str, Any], network: NetworkLog, server: ApiServer) -> str:
    calls = "\n".join(f"  {c['step']}: {c['method']} {c['url']} -> {c['status']}" for c in result["calls"])
    return (
        f"journey error: {result['error']}\ncalls:\n{calls}\nfailed requests: {network.failed}\n"
        f"console errors: {network.console_errors}\ngunicorn log (tail):\n{server.log.read_text()[-3000:]}"
    )


def test_the_client_journey_in_a_browser_has_no_failed_request(
    browser: Any, page_origin: str, api_server: ApiServer
) -> None:
    context = browser.new_context()
    page = context.new_page()
    network = NetworkLog()
    network.attach(context, page)
    try:
        page.goto(f"{page_origin}/journey.html")
        started = time.monotonic()
        result = page.evaluate(
            "config => runJourney(config)", {"api": api_server.url, "username": EMAIL, "password": PASSWORD}
        )
        journey_seconds = time.monotonic() - started
        network.wait_for(page, {(call["method"], call["url"]) for call in result["calls"] if call["status"]})
    finally:
        context.close()
    report = _report(result, network, api_server)
    print(  # shown with -s or -rP: the figures of this run
        f"\nbrowser journey: {len(result['calls'])} calls, {len(network.preflights)} preflights, "
        f"{journey_seconds:.2f} s in the browser; server up in {api_server.startup_seconds:.2f} s"
    )

    assert result["error"] is None, report
    assert result["imageWidth"] == 64, report  # the <img> decoded the stored image
    assert not network.failed, report
    assert "Traceback" not in api_server.log.read_text(), report

    # The browser saw every call, with the status the journey expected, and no other error status.
    seen = {(method, url): status for method, url, status in network.responses}
    for call in result["calls"]:
        assert seen.get((call["method"], call["url"])) is not None, f"the browser did not see {call}\n{report}"
    expected_errors = {(c["method"], c["url"], c["expected"]) for c in result["calls"] if c["expected"] >= 400}
    unexpected = [r for r in network.responses if r[2] >= 400 and r not in expected_errors]
    assert not unexpected, f"unexpected error statuses {unexpected}\n{report}"
    assert ("GET", result["imageUrl"], 200) in network.responses, report

    # No CORS complaint; the only console errors are Chromium's notes of the errors the journey asked for.
    expected_error_urls = {url for _, url, _ in expected_errors}
    for text, url in network.console_errors:
        assert "CORS" not in text and "Access-Control" not in text, report
        assert text.startswith("Failed to load resource") and url in expected_error_urls, report

    # Every URL the journey fetched was preflighted (the browser caches a preflight per URL), and each
    # preflight was answered with the page's origin echoed and credentials allowed.
    assert network.preflights, "no preflight was seen"
    preflighted = {p["url"] for p in network.preflights.values()}
    assert {c["url"] for c in result["calls"]} <= preflighted, report
    for preflight in network.preflights.values():
        headers = preflight["headers"]
        assert preflight["method"] == "OPTIONS"
        assert preflight["status"] in (200, 204), preflight
        assert headers.get("access-control-allow-origin") == page_origin, preflight
        assert headers.get("access-control-allow-credentials") == "true", preflight
        asked = preflight["request_headers"].get("access-control-request-headers", "")
        allowed = {h.strip().lower() for h in headers.get("access-control-allow-headers", "").split(",")}
        assert {h.strip() for h in asked.split(",") if h.strip()} <= allowed, preflight
        methods = {m.strip() for m in headers.get("access-control-allow-methods", "").split(",")}
        assert preflight["request_headers"]["access-control-request-method"] in methods, preflight
