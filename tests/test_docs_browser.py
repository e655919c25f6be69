"""The API docs page in a real browser, offline: Debian's Chromium opens /api/docs on gunicorn directly and
through the real nginx, with every request to another host aborted (and recorded).

Every tag and every operation of /api/openapi.json must be drawn by Swagger UI, the console must stay free
of errors (a CSP violation is one), and nothing may try to leave the machine. A full-page screenshot of
each is saved under tests/artifacts/ (ignored by git), its path printed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from infra import Stack, chromium, nginx_stack

# Under pytest-xdist (make test) one worker runs every test here, so the servers start once.
pytestmark = pytest.mark.xdist_group("test_docs_browser")

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}

# Runs before any script of the page: records every CSP violation the browser reports to the page.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""

# What Swagger UI drew: each tag section with the method and path of every operation in it.
DRAWN_OPERATIONS = """
() => [...document.querySelectorAll(".opblock-tag-section")].map((section) => ({
  tag: section.querySelector(".opblock-tag").dataset.tag,
  operations: [...section.querySelectorAll(".opblock")].map((block) => [
    block.querySelector(".opblock-summary-method").textContent.trim().toLowerCase(),
    block.querySelector(".opblock-summary-path").dataset.path,
  ]),
}))
"""


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with nginx_stack({}) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as browser:
        yield browser


@dataclass
class PageLog:
    """Everything the browser reported while the page loaded."""

    blocked: list[str] = field(default_factory=list)  # requests to another host, aborted
    console: list[str] = field(default_factory=list)  # console errors and uncaught exceptions
    failed: list[str] = field(default_factory=list)
    responses: list[tuple[str, int, dict[str, str]]] = field(default_factory=list)

    def attach(self, context: Any, page: Any) -> None:
        context.route("**/*", self._only_loopback)
        page.on("console", lambda m: m.type in ("error", "warning") and self.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda error: self.console.append(f"uncaught: {error}"))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.method} {r.url}: {r.failure}"))
        page.on("response", lambda r: self.responses.append((r.url, r.status, r.headers)))

    def _only_loopback(self, route: Any) -> None:
        url = route.request.url
        if urlsplit(url).scheme in ("http", "https") and urlsplit(url).hostname not in LOOPBACK:
            self.blocked.append(url)
            route.abort("blockedbyclient")
        else:
            route.continue_()


def _documented(base_url: str) -> dict[str, set[tuple[str, str]]]:
    document = requests.get(f"{base_url}/api/openapi.json", timeout=30).json()
    operations: dict[str, set[tuple[str, str]]] = {tag["name"]: set() for tag in document["tags"]}
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            for tag in operation["tags"]:
                operations[tag].add((method, path))
    return operations


@pytest.mark.parametrize("through", ["gunicorn", "nginx"])
def test_the_docs_page_draws_every_operation_offline_without_a_console_error(
    browser: Any, stack: Stack, through: str
) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout  # installed: the browser fixture says so

    base_url = stack.app_url if through == "gunicorn" else stack.url
    documented = _documented(base_url)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    page = context.new_page()
    log = PageLog()
    log.attach(context, page)
    try:
        page.goto(f"{base_url}/api/docs", wait_until="networkidle")
        try:
            page.wait_for_selector(".opblock-tag-section .opblock", timeout=15_000)
        except PlaywrightTimeout as error:  # nothing drawn: the report below says why
            log.console.append(f"nothing drawn: {error.message.splitlines()[0]}")
        drawn = {
            section["tag"]: {tuple(op) for op in section["operations"]} for section in page.evaluate(DRAWN_OPERATIONS)
        }
        violations = page.evaluate("window.__cspViolations")
        ARTIFACTS.mkdir(exist_ok=True)
        screenshot = ARTIFACTS / f"api-docs-{through}.png"
        page.screenshot(path=str(screenshot), full_page=True)
        print(f"\nscreenshot of /api/docs through {through}: {screenshot}")
    finally:
        context.close()

    report = f"blocked: {log.blocked}\nconsole: {log.console}\nfailed: {log.failed}\nCSP: {violations}"
    assert not log.blocked, report  # nothing tried to reach another host
    assert not violations and not log.console and not log.failed, report
    assert all(status < 400 for _, status, _ in log.responses), log.responses
    assert drawn == documented  # every tag, and in each every operation, exactly once
    assert sum(len(operations) for operations in drawn.values()) > 50

    from app.openapi.docs import DOCS_CSP

    document = next(headers for url, _, headers in log.responses if urlsplit(url).path == "/api/docs")
    assert document["content-security-policy"] == DOCS_CSP
    assert {urlsplit(url).hostname for url, _, _ in log.responses} == {"127.0.0.1"}
