"""The import wizard in Debian's Chromium against real gunicorn, on SQLite and PostgreSQL.

A person signs in, drops a messy workbook (job_hunt_2025.xlsx, saved by LibreOffice: a "Read me" sheet
first, the header on row 4, odd status words, dates without a year) on the page, picks the right sheet,
fixes a column and a status word while the preview redraws, pages through the rows with problems,
commits, finds the applications through the JSON API, undoes the import from the list and finds them
gone. Every step is checked with axe-core and saved as a screenshot in tests/artifacts/pages/, on a
laptop and on a phone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from infra import chromium
from pages_browser import (
    PagesServer,
    assert_accessible,
    assert_clean,
    new_page,
    pages_server,
    shoot,
    sign_in,
)

from tests.import_support import fixture

# Its servers are started once per module: one worker runs the whole module.
pytestmark = pytest.mark.xdist_group("test_pages_imports_browser")

WORKBOOK = "job_hunt_2025.xlsx"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 900}

DROP = """async ([selector, name, bytes]) => {
  const file = new File([new Uint8Array(bytes)], name,
    {type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"});
  const data = new DataTransfer();
  data.items.add(file);
  const target = document.querySelector(selector);
  for (const type of ["dragenter", "dragover", "drop"]) {
    target.dispatchEvent(new DragEvent(type, {dataTransfer: data, bubbles: true, cancelable: true}));
  }
}"""


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest) -> Iterator[PagesServer]:
    with pages_server(request.param) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def _api(server: PagesServer, path: str) -> Any:
    """GET `path` of the JSON API with the same user's token, as the React client would."""
    token = requests.post(
        f"{server.url}/api/api-token-auth/", json={"username": server.email, "password": server.password}, timeout=30
    ).json()["access"]
    response = requests.get(f"{server.url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def _step(page: Any, server: PagesServer, name: str, *, phone: bool = True) -> None:
    """axe-core and a screenshot of the page as it is, on the laptop and (by default) on a phone."""
    assert_accessible(page)
    shoot(page, server, name)
    if phone:
        page.set_viewport_size(PHONE)
        assert_accessible(page)
        shoot(page, server, f"{name}-phone")
        page.set_viewport_size(LAPTOP)


def _redrawn(page: Any, action: Any) -> None:
    """Do `action` (a change of the mapping form) and wait until htmx has swapped the redrawn page in."""
    page.evaluate(
        "window.__settled = false;"
        "document.addEventListener('htmx:afterSettle', () => { window.__settled = true; }, {once: true});"
    )
    action()
    page.wait_for_function("() => window.__settled === true")


def test_the_whole_wizard_on_a_messy_workbook(server: PagesServer, browser: Any) -> None:
    page, watch = new_page(browser, server)
    try:
        sign_in(page, server)
        page.get_by_role("link", name="Import", exact=True).click()
        page.wait_for_url(f"{server.url}/account/imports/")
        assert page.get_by_text("Uploading writes nothing to your applications").is_visible()
        assert page.get_by_text("You can also drop the file on this box.").is_visible()
        _step(page, server, "wizard-1-upload")

        # 1. Drop the file on the page: the drop zone sends it.
        page.evaluate(DROP, ["[data-drop-target]", WORKBOOK, list(fixture(WORKBOOK))])
        page.wait_for_url(re.compile(r".*/account/imports/[0-9a-f-]{36}/$"))
        batch_url = page.url
        sheet = page.get_by_label("Sheet", exact=True)
        assert sheet.input_value() == "Applications"  # found on its own: the first sheet is prose, not the data
        _redrawn(page, lambda: sheet.select_option("2024"))
        assert page.get_by_label("Header row", exact=True).input_value() == "1"
        _step(page, server, "wizard-2a-other-sheet", phone=False)

        # Choose the sheet back: the header is found on row 4 and the columns proposed, without a page load.
        _redrawn(page, lambda: sheet.select_option("Applications"))
        assert page.url == batch_url
        assert page.get_by_label("Header row", exact=True).input_value() == "4"
        heard_back = page.get_by_label("Import column E (Heard back) as")
        assert heard_back.input_value() == "extra"
        rejected = page.get_by_label("Stage of “Rejected after final round”")
        assert rejected.input_value() == "Interviewing"  # the guess from "final round", to be fixed
        assert page.get_by_label("Day first: 3 April 2025").is_checked()

        # A header row that cannot be one: the error is beside the field, nothing is applied.
        header_row = page.get_by_label("Header row", exact=True)
        _redrawn(page, lambda: (header_row.fill("3"), header_row.press("Tab")))
        error = page.locator("#header_row-error")
        assert error.inner_text() == "Row 3 is blank or beyond the rows read; it cannot be the header."
        assert page.get_by_label("Header row", exact=True).get_attribute("aria-invalid") == "true"
        _step(page, server, "wizard-2b-header-row-error", phone=False)
        _redrawn(
            page,
            lambda: (
                page.get_by_label("Header row", exact=True).fill("4"),
                page.get_by_label("Header row", exact=True).press("Tab"),
            ),
        )
        assert page.locator("#header_row-error").count() == 0
        assert watch.failed == [f"400 {batch_url}"]  # the refused change, answered with its errors
        watch.failed.clear()
        assert page.locator("#preview-announcement").inner_text().startswith("Preview redrawn: 6 new, 0 updated")

        # 2. Fix a column and a status word; the preview redraws after each, keeping the keyboard's place.
        page.get_by_label("Import column E (Heard back) as").focus()
        _redrawn(page, lambda: page.get_by_label("Import column E (Heard back) as").select_option("status_date"))
        assert page.evaluate("document.activeElement.id") == "field-4"
        assert (
            page.locator("tr", has=page.get_by_label("Import column E (Heard back) as"))
            .get_by_text("100% · sure")
            .is_visible()
        )
        _redrawn(page, lambda: page.get_by_label("Stage of “Rejected after final round”").select_option("Rejected"))
        assert page.get_by_label("Stage of “Rejected after final round”").input_value() == "Rejected"
        assert page.get_by_text("Nothing has been written to your applications yet.").is_visible()
        counts = page.locator(".preview .counts")
        assert counts.get_by_text("New", exact=True).locator("xpath=../dd").inner_text() == "6"
        page.keyboard.press("Tab")  # the focus ring is visible on the next control
        _step(page, server, "wizard-2-mapping")

        # 3. Every row, filtered: the problems, each at its row.
        page.get_by_role("link", name=re.compile(r"^3\. Review every row")).click()
        page.get_by_role("link", name=re.compile(r"^With problems")).click()
        page.wait_for_url(re.compile(r".*show=problems.*"))
        rows = page.locator("table.rows tbody tr")
        assert [int(n) for n in rows.locator("th").all_inner_texts()] == [5, 6, 8, 10, 11]
        row_5 = page.locator("#row-5")
        assert "'Sep 3' has no year: read as 2025-09-03" in row_5.inner_text()
        assert "No company and no position" in page.locator("#row-10").inner_text()
        row_5.get_by_text("Row 5 in the file").click()
        assert "Acme Corp" in row_5.locator(".raw").inner_text()
        _step(page, server, "wizard-3-rows-with-problems")
        page.get_by_role("link", name=re.compile(r"^New \(6\)")).click()
        page.wait_for_url(re.compile(r".*show=create.*"))
        assert rows.count() == 6
        assert "phone scrn" in page.locator("#row-5").inner_text()

        # 4. Commit: the page is busy, and says why it cannot count, until the one transaction is done. To
        # look at that state, a first submit is stopped before it leaves the page (after the page's handler).
        page.evaluate(
            "() => document.querySelector('form[data-busy-form]')"
            ".addEventListener('submit', (event) => event.preventDefault(), {once: true})"
        )
        page.get_by_role("button", name="Commit this import").click()
        busy = page.locator("[data-busy]")
        busy.wait_for(state="visible")
        assert "in one transaction: all of them or none." in busy.inner_text()
        page.wait_for_function("() => document.getElementById('commit-button').disabled")
        page.wait_for_function("() => /[1-9] s so far/.test(document.querySelector('[data-busy-text]').textContent)")
        _step(page, server, "wizard-4-committing", phone=False)
        page.reload()
        page.get_by_role("button", name="Commit this import").click()
        page.wait_for_url(f"{batch_url}result/")

        # 5. The result, and the applications through the JSON API.
        assert "6 new applications, 0 updated, 0 unchanged, 1 skipped, from 7 rows." in page.locator(
            ".outcome"
        ).inner_text().replace("\n", " ")
        _step(page, server, "wizard-5-result")
        applications = _api(server, "/api/applications/?page_size=100")["results"]
        companies = {c["uuid"]: c["name"] for c in _api(server, "/api/companies/?page_size=100")["results"]}
        by_company = {companies[a["user_company"]]: a for a in applications}
        assert sorted(by_company) == ["Acme Corp", "Globex", "Hooli", "Initech", "Pied Piper", "Umbrella"]
        umbrella = sorted(by_company["Umbrella"]["statuses"], key=lambda s: s["date"])[-1]
        assert (umbrella["text"], umbrella["stage"], umbrella["date"]) == (
            "Rejected after final round",
            "Rejected",
            "2025-10-28",  # the "Heard back" column, mapped by hand, day first
        )
        acme = {s["text"]: s for s in by_company["Acme Corp"]["statuses"]}
        assert (acme["phone scrn"]["date"], acme["Applied"]["date"]) == ("2025-09-15", "2025-09-03")

        # Undo from the list of past imports.
        page.get_by_role("link", name="All imports").click()
        page.wait_for_url(f"{server.url}/account/imports/")
        page.get_by_role("link", name=f"Undo {WORKBOOK}").click()
        page.wait_for_url(f"{batch_url}delete/")
        assert page.get_by_text("Undoing removes exactly what this import added").is_visible()
        _step(page, server, "wizard-6-undo")
        page.get_by_role("button", name="Undo the import").click()
        page.wait_for_url(f"{server.url}/account/imports/")
        assert page.get_by_text(f"The import of {WORKBOOK} was undone").is_visible()
        _step(page, server, "wizard-7-undone")
        assert _api(server, "/api/applications/")["count"] == 0
        assert _api(server, "/api/companies/")["count"] == 0

        assert_clean(page, watch)
    finally:
        page.context.close()


def test_the_wizard_works_without_javascript(server: PagesServer, browser: Any) -> None:
    """Upload with the file field, change the mapping with the button, commit and undo: plain forms."""
    page, watch = new_page(browser, server, java_script_enabled=False)
    try:
        sign_in(page, server)
        page.goto(f"{server.url}/account/imports/")
        page.get_by_label(re.compile(r"^Spreadsheet: CSV or XLSX")).set_input_files(
            files=[{"name": "tracker.csv", "mimeType": "text/csv", "buffer": b"Company,Role,Stage\nAcme,Engineer,OA\n"}]
        )
        page.get_by_role("button", name="Upload and preview").click()
        page.wait_for_url(re.compile(r".*/account/imports/[0-9a-f-]{36}/$"))
        page.get_by_label("Stage of “OA”").select_option("Screening")
        page.get_by_role("button", name="Apply the changes").click()
        page.wait_for_load_state()
        assert page.get_by_label("Stage of “OA”").input_value() == "Screening"
        shoot(page, server, "wizard-no-js-mapping")  # axe-core is a script: it ran on these pages above
        page.get_by_role("button", name="Commit this import").click()
        page.wait_for_url(re.compile(r".*/result/$"))
        statuses = _api(server, "/api/applications/")["results"][0]["statuses"]
        assert [(s["text"], s["stage"]) for s in statuses] == [("OA", "Screening")]
        page.get_by_role("link", name="Undo this import").click()
        page.wait_for_url(re.compile(r".*/delete/$"))
        page.get_by_role("button", name="Undo the import").click()
        page.wait_for_url(f"{server.url}/account/imports/")
        assert _api(server, "/api/applications/")["count"] == 0
        assert watch.console == [] and watch.blocked == []  # the CSP's own report needs a script to read
    finally:
        page.context.close()


def test_a_large_commit_shows_its_progress_and_then_the_way_to_the_result(server: PagesServer, browser: Any) -> None:
    """1,500 rows: the commit's answer is streamed, a line at a time, and ends with the link to the result."""
    rows = "".join(f"Large {n},Engineer,Applied,2025-01-02\n" for n in range(1500))
    page, watch = new_page(browser, server)
    try:
        sign_in(page, server)
        page.goto(f"{server.url}/account/imports/")
        page.get_by_label(re.compile(r"^Spreadsheet: CSV or XLSX")).set_input_files(
            files=[{"name": "large.csv", "mimeType": "text/csv", "buffer": f"Company,Role,Stage,Date\n{rows}".encode()}]
        )
        page.get_by_role("button", name="Upload and preview").click()
        page.wait_for_url(re.compile(r".*/account/imports/[0-9a-f-]{36}/$"))
        page.get_by_role("button", name="Commit this import").click()
        page.get_by_text("All 1500 rows are written.").wait_for()
        assert page.locator(".commit-progress progress").count() >= 5  # the lines streamed on the way
        assert page.locator(".commit-progress progress").first.is_hidden()  # only the newest line shows
        _step(page, server, "wizard-large-commit", phone=False)
        page.get_by_role("link", name="See what the import did").click()
        page.wait_for_url(re.compile(r".*/result/$"))
        assert _api(server, "/api/applications/")["count"] == 1500
        page.get_by_role("link", name="Undo this import").click()
        page.get_by_role("button", name="Undo the import").click()
        page.wait_for_url(f"{server.url}/account/imports/")
        assert_clean(page, watch)
    finally:
        page.context.close()
