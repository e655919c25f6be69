"""The /account/ pages in a real browser: Debian's Chromium against gunicorn (production settings) on SQLite
and PostgreSQL, driven the way a person uses them.

The account gets its data the way a user's does: a Teal export (another tool's file) imported through the
API. Then, in the browser: sign in (a wrong password first), download each export and read the files,
create a feed, read it as a spreadsheet service would, see its last use, revoke it, restore the account
file into another, empty account (and see a second restore refused), and sign out. Every page and state is
checked by axe-core (no serious or critical violation), the console stays free of errors and CSP
violations, nothing leaves the machine, and a screenshot of each step goes to tests/artifacts/pages/.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from infra import chromium, flask
from openpyxl import load_workbook
from pages_browser import (
    PagesClient,
    PagesServer,
    assert_accessible,
    assert_clean,
    new_page,
    pages_server,
    shoot,
    sign_in,
)

# Its servers are started once per module: one worker runs the whole module.
pytestmark = pytest.mark.xdist_group("test_pages_browser")

TEAL = Path(__file__).resolve().parent / "fixtures" / "imports" / "teal_export.csv"
RESTORER = "restorer@example.com"
RESTORER_PASSWORD = "another long and secret password"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest) -> Iterator[PagesServer]:
    with pages_server(request.param) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


class Api:
    """The JSON API as the React client uses it, for the setup and the checks."""

    def __init__(self, server: PagesServer, email: str, password: str) -> None:
        self.url = server.url
        body = {"username": email, "password": password}
        answer = requests.post(f"{self.url}/api/api-token-auth/", json=body, timeout=30)
        assert answer.status_code == 200, answer.text
        self.headers = {"Authorization": f"JWT {answer.json()['access']}"}

    def get(self, path: str) -> Any:
        answer = requests.get(f"{self.url}{path}", headers=self.headers, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def import_file(self, path: Path) -> dict[str, Any]:
        with path.open("rb") as file:
            answer = requests.post(
                f"{self.url}/api/imports/", headers=self.headers, files={"file": (path.name, file)}, timeout=60
            )
        assert answer.status_code == 201, answer.text
        batch = answer.json()
        committed = requests.post(f"{self.url}/api/imports/{batch['uuid']}/commit/", headers=self.headers, timeout=60)
        assert committed.status_code == 200, committed.text
        return batch

    def application_titles(self) -> list[str]:
        titles, page = [], "/api/applications/?page_size=100"
        while page:
            body = self.get(page)
            titles += [item["position_title"] for item in body["results"]]
            page = body["next"] and body["next"].removeprefix(self.url)
        return sorted(titles)


def checked(page: Any, watch: Any, server: PagesServer, name: str) -> None:
    """One step's checks: axe-core, a clean console, and the screenshot."""
    assert_accessible(page)
    assert_clean(page, watch)
    shoot(page, server, name)


def download(page: Any, click: Any) -> tuple[str, bytes]:
    with page.expect_download() as info:
        click()
    return info.value.suggested_filename, Path(info.value.path()).read_bytes()


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_a_person_exports_uses_a_feed_restores_and_signs_out(browser: Any, server: PagesServer, tmp_path: Path) -> None:
    owner = Api(server, server.email, server.password)
    batch = owner.import_file(TEAL)
    titles = owner.application_titles()
    teal_rows = csv_rows(TEAL.read_bytes())
    assert len(titles) == len(teal_rows) - 1

    page, watch = new_page(browser, server)
    try:
        # Signed out, a page sends the browser to sign in, and back after it.
        page.goto(f"{server.url}/account/exports/")
        assert page.url == f"{server.url}/account/sign-in/?next=/account/exports/"
        checked(page, watch, server, "01-sign-in")
        page.get_by_label("E-mail").fill(server.email)
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        assert page.get_by_role("alert").inner_text() == "No active account found with the given credentials."
        checked(page, watch, server, "02-sign-in-refused")
        page.get_by_label("Password").fill(server.password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{server.url}/account/exports/")
        checked(page, watch, server, "03-exports")

        # The applications, as CSV in the past import's layout: the Teal columns come back first.
        page.get_by_label("Columns").select_option(label=page.locator("#app-layout option").nth(1).inner_text())
        name, data = download(page, lambda: page.get_by_role("button", name="Download CSV").click())
        assert name.startswith("applications-") and name.endswith(".csv")
        rows = csv_rows(data)
        assert rows[0][: len(teal_rows[0])] == teal_rows[0]
        assert sorted(row[:2] for row in rows[1:]) == sorted(row[:2] for row in teal_rows[1:])
        assert page.get_by_label("Columns").input_value() == batch["uuid"]

        # Filtered by status word, as Excel.
        page.goto(f"{server.url}/account/exports/")
        page.get_by_label("Current status").fill("Interviewing")
        name, data = download(page, lambda: page.get_by_role("button", name="Download Excel (.xlsx)").click())
        assert name.endswith(".xlsx")
        sheet = load_workbook(io.BytesIO(data), read_only=True).active
        cells = [list(row) for row in sheet.iter_rows(values_only=True)]
        expected = sorted(row[1] for row in teal_rows[1:] if row[5] == "Interviewing")
        assert cells[0][:2] == ["Company", "Position"] and sorted(row[1] for row in cells[1:]) == expected

        # A bad date range is refused next to its field, with nothing downloaded.
        page.goto(f"{server.url}/account/exports/")
        page.locator("#activity-from").fill("2024-05-01")
        page.locator("#activity-to").fill("2024-01-01")
        page.get_by_role("button", name="Download the activity log (CSV)").click()
        assert "Must not be before" in page.locator("#activity-to-error").inner_text()
        checked(page, watch, server, "04-exports-activity-refused")
        page.locator("#activity-from").fill("")
        page.locator("#activity-to").fill("")
        name, data = download(page, lambda: page.get_by_role("button", name="Download the activity log (CSV)").click())
        activity = csv_rows(data)
        assert name == "activity-all.csv" and len(activity) > len(titles)  # an "added" line per application, and more

        name, account_file = download(
            page, lambda: page.get_by_role("link", name="Download the account file (JSON)").click()
        )
        account = json.loads(account_file)
        assert name.endswith(".json") and account["account"]["email"] == server.email
        assert sorted(row["position_title"] for row in account["tables"]["application"]) == titles

        # A live feed: created, shown once with its formula, read by "a spreadsheet", then revoked.
        page.get_by_role("link", name="Feeds").click()
        checked(page, watch, server, "05-feeds-empty")
        page.get_by_label("Name").fill("Job search sheet")
        page.get_by_role("button", name="Create a feed").click()
        url_field = page.get_by_label("Feed address")
        url_field.wait_for()
        feed_url = url_field.input_value()
        assert page.get_by_label("Formula for Google Sheets").input_value() == f'=IMPORTDATA("{feed_url}")'
        page.get_by_role("button", name="Copy the formula").click()
        page.wait_for_function("document.getElementById('copy-status').textContent.length > 0")
        checked(page, watch, server, "06-feed-created")
        feed = requests.get(feed_url, timeout=30)
        assert feed.status_code == 200 and feed.headers["Content-Type"].startswith("text/csv")
        assert sorted(row[1] for row in csv_rows(feed.content)[1:]) == titles
        page.reload()
        assert page.get_by_label("Feed address").count() == 0  # shown once, never again
        row = page.get_by_role("row", name="Job search sheet")
        assert "Never" not in row.inner_text() and "UTC" in row.locator("td").nth(2).inner_text()
        checked(page, watch, server, "07-feed-used")
        row.get_by_role("button", name="Revoke the feed Job search sheet").click()
        page.get_by_text("its URL no longer works").wait_for()
        assert "Revoked" in page.get_by_role("row", name="Job search sheet").inner_text()
        assert requests.get(feed_url, timeout=30).status_code == 404
        checked(page, watch, server, "08-feed-revoked")

        page.get_by_role("link", name="Account").click()
        checked(page, watch, server, "09-account")
    finally:
        page.context.close()

    # Another person, with an empty account, restores the file.
    flask(server.database_url, "users", "create", RESTORER, "--password", RESTORER_PASSWORD)
    page, watch = new_page(browser, server, viewport=PHONE)
    try:
        sign_in(page, server, RESTORER, RESTORER_PASSWORD)
        restore_file = tmp_path / "account.json"
        restore_file.write_bytes(account_file)
        page.get_by_label("Account file (.json)").set_input_files(str(restore_file))
        page.get_by_role("button", name="Restore").click()
        page.get_by_text("The account file is restored").wait_for()
        assert f"{len(titles)} applications" in page.locator(".flash").inner_text()
        checked(page, watch, server, "10-restored-phone")
        assert Api(server, RESTORER, RESTORER_PASSWORD).application_titles() == titles

        page.get_by_label("Account file (.json)").set_input_files(str(restore_file))
        page.get_by_role("button", name="Restore").click()
        assert "not empty" in page.locator("#file-error").inner_text()
        checked(page, watch, server, "11-restore-refused-phone")

        page.get_by_role("button", name="Sign out").click()
        page.get_by_text("You are signed out.").wait_for()
        checked(page, watch, server, "12-signed-out-phone")
        page.goto(f"{server.url}/account/")
        assert page.url.startswith(f"{server.url}/account/sign-in/")
    finally:
        page.context.close()


def test_the_pages_work_without_javascript(browser: Any, server: PagesServer) -> None:
    page, _watch = new_page(browser, server, java_script_enabled=False)
    try:
        sign_in(page, server)
        page.goto(f"{server.url}/account/feeds/")
        page.get_by_label("Name").fill("No script")
        page.get_by_role("button", name="Create a feed").click()
        feed_url = page.get_by_label("Feed address").input_value()
        assert requests.get(feed_url, timeout=30).status_code == 200
        assert page.get_by_role("button", name="Copy the address").is_hidden()  # needs the clipboard API
        shoot(page, server, "13-feed-created-without-javascript")
        page.get_by_role("button", name="Revoke the feed No script").click()
        assert "Revoked" in page.get_by_role("row", name="No script").inner_text()
        assert requests.get(feed_url, timeout=30).status_code == 404
    finally:
        page.context.close()


def test_the_keyboard_reaches_the_skip_link_first_and_focus_is_visible(browser: Any, server: PagesServer) -> None:
    page, watch = new_page(browser, server)
    try:
        sign_in(page, server)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        focused = page.evaluate("[document.activeElement.id, getComputedStyle(document.activeElement).outlineStyle]")
        assert focused == ["first_name", "solid"]
        shoot(page, server, "14-keyboard-focus")
        assert_clean(page, watch)
    finally:
        page.context.close()


def test_two_browsers_restoring_into_one_empty_account_at_once_restore_it_once(server: PagesServer) -> None:
    source, target = f"source-{server.kind}@example.com", f"target-{server.kind}@example.com"
    for email in (source, target):
        flask(server.database_url, "users", "create", email, "--password", RESTORER_PASSWORD)
    owner = Api(server, source, RESTORER_PASSWORD)
    owner.import_file(TEAL)
    account_file = requests.get(f"{server.url}/api/exports/account.json", headers=owner.headers, timeout=30).content
    browsers = [PagesClient(server.url, target, RESTORER_PASSWORD) for _ in range(2)]

    def restore(client: PagesClient) -> int:
        files = {"file": ("account.json", account_file, "application/json")}
        return client.post("/account/", "/account/restore/", {}, files=files).status_code

    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(pool.map(restore, browsers))
    assert statuses == [303, 409]
    assert Api(server, target, RESTORER_PASSWORD).application_titles() == owner.application_titles()
