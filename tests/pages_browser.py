"""Helpers for the browser tests of the /account/ pages (Debian's Chromium, Playwright, real gunicorn).

- `pages_server(kind)`: a database of `kind` ("sqlite" or "postgresql") migrated by `flask db upgrade`,
  a user made by `flask users create`, the app under gunicorn with the production settings;
- `new_page(browser, server)`: a page in a fresh context that records console errors, CSP violations
  and requests to other hosts (aborted), with downloads accepted;
- `sign_in(page, server)`: through the sign-in form;
- `shoot(page, server, name)`: a full-page screenshot in tests/artifacts/pages/ (git-ignored), path printed;
- `assert_accessible(page)`: axe-core (npm, tests/browser/package.json, installed on first use with
  `npm ci`) run in the page: no serious or critical violation;
- `assert_clean(watch)`: no console error, CSP violation or request that left the machine.
"""

from __future__ import annotations

import os
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

# Runs before any script of a page: records every CSP violation the browser reports.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI}`);
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
    page.on("console", lambda m: m.type == "error" and watch.console.append(m.text))
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
