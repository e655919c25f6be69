"""The /account/ pages behind the real nginx (nginx.conf, as the image renders it): the app's own CSP and
security headers arrive once, not doubled or replaced by nginx's strict API policy, and the restore form
takes an account file up to ACCOUNT_IMPORT_MAX_BYTES while other pages keep the small body limit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from infra import Stack, nginx_stack
from pages_browser import EMAIL, PASSWORD, SESSION_COOKIE, PagesClient

from app.pages.assets import ASSETS, ASSETS_VERSION
from app.pages.security import PAGE_CSP

# Its servers are started once per module: one worker runs the whole module.
pytestmark = pytest.mark.xdist_group("test_pages_nginx")

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with nginx_stack({EMAIL: PASSWORD}) as running:
        yield running


def single(response: requests.Response, name: str) -> str:
    values = response.raw.headers.getlist(name)
    assert len(values) == 1, f"{name}: {values}"
    return values[0]


@pytest.mark.parametrize("path", ["/account/sign-in/", *(f"/account/assets/{ASSETS_VERSION}/{n}" for n in ASSETS)])
def test_pages_and_assets_carry_the_apps_headers_once_through_nginx(stack: Stack, path: str) -> None:
    response = requests.get(stack.url + path, timeout=10)
    assert response.status_code == 200
    assert single(response, "Content-Security-Policy") == PAGE_CSP
    assert single(response, "X-Content-Type-Options") == "nosniff"
    assert single(response, "X-Frame-Options") == "DENY"
    assert single(response, "Referrer-Policy") == "strict-origin-when-cross-origin"
    assert single(response, "Strict-Transport-Security").startswith("max-age=")


def test_an_error_nginx_answers_itself_under_account_keeps_the_strict_policy(stack: Stack) -> None:
    client = PagesClient(stack.url)
    response = client.post("/account/", "/account/names/", {"first_name": "x" * (6 * MIB)})
    assert response.status_code == 413  # nginx's own answer: the body is over the 5 MB + envelope cap
    assert single(response, "Content-Security-Policy").startswith("default-src 'none'")
    assert response.headers["Content-Type"].startswith("text/html")  # a page a browser shows, not the API's JSON
    assert "The file is too large" in response.text and "Nothing was saved." in response.text


def test_the_restore_form_takes_a_large_file_through_nginx_and_a_too_large_one_is_refused(stack: Stack) -> None:
    client = PagesClient(stack.url)
    big = b"[" + b" " * (8 * MIB) + b"{"  # past the general limit, under the account file's; malformed
    response = client.post("/account/", "/account/restore/", {}, files={"file": ("account.json", big)})
    assert response.status_code == 400, response.text[:300]  # the app read it and said why
    assert "Malformed JSON in the uploaded file." in response.text
    huge = b" " * (51 * MIB)
    response = client.post("/account/", "/account/restore/", {}, files={"file": ("account.json", huge)})
    assert response.status_code == 413
    assert "The file is too large" in response.text


def test_a_large_commit_streams_through_nginx_while_it_is_written(stack: Stack) -> None:
    """nginx passes the progress on as it comes: a line is read while the import is still uncommitted."""
    client = PagesClient(stack.url)
    rows = "".join(f"Streamed {n},Engineer,Applied,2025-01-02\n" for n in range(3000))
    csv = f"Company,Role,Stage,Date\n{rows}".encode()
    uploaded = client.post("/account/imports/", "/account/imports/", {}, files={"file": ("large.csv", csv)})
    assert uploaded.status_code == 303, uploaded.text[:300]
    mapping = uploaded.headers["Location"]
    token = requests.post(
        f"{stack.url}/api/api-token-auth/", json={"username": EMAIL, "password": PASSWORD}, timeout=30
    ).json()["access"]

    def applications() -> int:
        answer = requests.get(f"{stack.url}/api/applications/", headers={"Authorization": f"JWT {token}"}, timeout=30)
        return answer.json()["count"]

    with requests.post(
        f"{stack.url}{mapping}commit/",
        data={"csrf_token": client.csrf_token(mapping)},
        headers={"Cookie": f"{SESSION_COOKIE}={client.cookie}"},
        stream=True,
        timeout=120,
    ) as answer:
        assert answer.status_code == 200
        seen = ""
        lines = answer.iter_content(chunk_size=None, decode_unicode=True)
        while "<progress" not in seen:
            seen += next(lines)
        assert applications() == 0  # the first line came through before the commit: nothing is buffered
        seen += "".join(lines)
    assert "All 3000 rows are written." in seen
    assert applications() == 3000
