"""Helpers for the browser tests of the /account/ pages (Debian's Chromium, Playwright, real gunicorn).

- `pages_server(kind)`: a database of `kind` ("sqlite" or "postgresql") migrated by `flask db upgrade`,
  a user made by `flask users create`, the app under gunicorn with the production settings;
- `new_page(browser, server)`: a page in a fresh context that records console errors, CSP violations
  and requests to other hosts (aborted), with downloads accepted;
- `sign_in(page, server)`: through the sign-in form;
- `shoot(page, server, name)`: a full-page screenshot in tests/artifacts/pages/ (git-ignored), path printed;
- `assert_accessible(page)`: axe-core (npm, tests/browser/package.json, installed on first use with
  `npm ci`) run in the page: no serious or critical violation;
- `PagesClient(server.url)`: the pages over plain HTTP (requests), signed in, for concurrent requests;
- `assert_clean(page, watch)`: no console error, CSP violation, failed asset or request that left the machine.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from conftest import _postgres_database
from infra import flask, free_port, start_gunicorn, stop_process, wait_for_http

TESTS = Path(__file__).resolve().parent
ARTIFACTS = TESTS / "artifacts" / "pages"
BROWSER_TOOLS = TESTS / "browser"
AXE = BROWSER_TOOLS / "node_modules" / "axe-core" / "axe.min.js"
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
EMAIL = "pages@example.com"
PASSWORD = "a long and secret pages password"
BLOCKING_IMPACTS = ("serious", "critical")
SESSION_COOKIE = "appl_tracky_session"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
DOCUMENT_STATUS_MESSAGE = "Failed to load resource: the server responded with a status of 4"

# Runs before any script of a page: records every CSP violation the browser reports.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}:${event.columnNumber}`;
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI} at ${where}`);
});
"""


@dataclass
class PagesServer:
    kind: str  # "sqlite" or "postgresql"
    url: str  # gunicorn's, e.g. http://127.0.0.1:PORT
    database_url: str
    log: Path
    email: str = EMAIL
    password: str = PASSWORD


@contextmanager
def pages_server(kind: str, **env: str) -> Iterator[PagesServer]:
    """gunicorn (production settings) on a freshly migrated database of `kind` with one user."""
    workdir = Path(tempfile.mkdtemp(prefix="appl-tracky-pages-"))
    generator = None
    if kind == "sqlite":
        database_url = f"sqlite:///{workdir / 'pages.db'}"
    else:
        generator = _postgres_database()
        database_url = next(generator)
    port = free_port()
    log = workdir / "gunicorn.log"
    process = None
    try:
        flask(database_url, "db", "upgrade")
        flask(database_url, "users", "create", EMAIL, "--password", PASSWORD)
        # Reached directly over plain HTTP on loopback: no proxy in front; Chromium keeps Secure cookies
        # for 127.0.0.1 as for HTTPS.
        process = start_gunicorn(database_url, port, log, workdir, PROXY_HOPS="0", **env)
        wait_for_http(f"http://127.0.0.1:{port}/health-check", process, log)
        yield PagesServer(kind, f"http://127.0.0.1:{port}", database_url, log)
    finally:
        if process is not None:
            stop_process(process)
        if generator is not None:
            next(generator, None)
        shutil.rmtree(workdir, ignore_errors=True)


@dataclass
class PageWatch:
    """What the browser reported while the test drove the page."""

    console: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # scripts, styles, htmx requests answered >= 400

    def record_console(self, message: Any) -> None:
        # A page answered with its form's errors (4xx) is logged as a failed load: that is not a fault.
        if message.type == "error" and not message.text.startswith(DOCUMENT_STATUS_MESSAGE):
            self.console.append(message.text)

    def record_response(self, response: Any) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.failed.append(f"{response.status} {response.url}")

    def violations(self, page: Any) -> list[str]:
        return page.evaluate("window.__cspViolations || []")


def new_page(browser: Any, server: PagesServer, **context_options: Any) -> tuple[Any, PageWatch]:
    """A page in a fresh browser context (its own cookies), watched; close its `.context` when done."""
    context = browser.new_context(
        accept_downloads=True, **{"viewport": {"width": 1280, "height": 900}, **context_options}
    )
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    watch = PageWatch()

    def only_loopback(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).scheme in ("http", "https") and urlsplit(url).hostname not in LOOPBACK:
            watch.blocked.append(url)
            route.abort("blockedbyclient")
        else:
            route.continue_()

    context.route("**/*", only_loopback)
    page = context.new_page()
    page.on("console", watch.record_console)
    page.on("response", watch.record_response)
    page.on("pageerror", lambda error: watch.console.append(f"uncaught: {error}"))
    return page, watch


def sign_in(page: Any, server: PagesServer, email: str | None = None, password: str | None = None) -> None:
    """Sign in through the form, as a person would; lands on the Account page."""
    page.goto(f"{server.url}/account/sign-in/")
    page.get_by_label("E-mail").fill(email or server.email)
    page.get_by_label("Password").fill(password or server.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.url}/account/**")


def shoot(page: Any, server: PagesServer, name: str) -> Path:
    """A full-page screenshot of the page as it is now, for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{server.kind}-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


@cache
def axe_source() -> str:
    """axe-core's script, installed from tests/browser/package-lock.json on first use."""
    if not AXE.exists():
        npm = shutil.which("npm")
        if npm is None:
            if os.environ.get("REQUIRE_BROWSER") == "1":
                pytest.fail("REQUIRE_BROWSER=1 but npm is not installed (axe-core comes from npm)")
            pytest.skip("npm is not installed: axe-core cannot be installed")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=BROWSER_TOOLS, check=True, timeout=300)
    return AXE.read_text()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (run through DevTools: the page's CSP is untouched)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    return page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5),
        }))"""
    )


def assert_accessible(page: Any) -> list[dict[str, Any]]:
    """No serious or critical axe-core violation; returns the lesser ones (to print)."""
    violations = axe_violations(page)
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"axe-core on {page.url}: {blocking}"
    return violations


def assert_clean(page: Any, watch: PageWatch) -> None:
    """No console error, CSP violation, or request to another host since the page opened."""
    assert watch.violations(page) == [], watch.violations(page)
    assert watch.console == [], watch.console
    assert watch.blocked == [], watch.blocked
    assert watch.failed == [], watch.failed


class PagesClient:
    """The pages over real HTTP without a browser (for concurrent requests): signs in through the form and
    sends the session cookie itself, as a browser does for 127.0.0.1 (requests keeps Secure cookies to
    HTTPS)."""

    def __init__(self, base_url: str, email: str = EMAIL, password: str = PASSWORD) -> None:
        self.base_url = base_url
        self.cookie = ""
        answer = self.post("/account/sign-in/", "/account/sign-in/", {"email": email, "password": password})
        assert answer.status_code == 303, answer.text

    def _remember(self, answer: requests.Response) -> requests.Response:
        for cookie in answer.cookies:
            if cookie.name == SESSION_COOKIE:
                self.cookie = cookie.value or ""
        return answer

    def get(self, path: str) -> requests.Response:
        headers = {"Cookie": f"{SESSION_COOKIE}={self.cookie}"} if self.cookie else {}
        answer = requests.get(self.base_url + path, headers=headers, allow_redirects=False, timeout=60)
        return self._remember(answer)

    def csrf_token(self, page: str) -> str:
        match = CSRF_FIELD.search(self.get(page).text)
        assert match, f"no CSRF field on {page}"
        return match.group(1)

    def post(self, page: str, action: str, data: dict[str, str], files: dict | None = None) -> requests.Response:
        """POST the form at `action` with the CSRF token of `page`."""
        token = self.csrf_token(page)
        headers = {"Cookie": f"{SESSION_COOKIE}={self.cookie}"}
        answer = requests.post(
            self.base_url + action,
            data={**data, "csrf_token": token},
            files=files,
            headers=headers,
            allow_redirects=False,
            timeout=120,
        )
        return self._remember(answer)
