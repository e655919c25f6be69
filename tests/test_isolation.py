"""Isolation outside the REST resources: nothing of Alice's reaches Bob through GraphQL, images, imports
(API and CLI), exports, feeds, the account restore or the account endpoints.

Both users own a bit of everything (companies with applications, statuses and their links, locations,
labels, ratings, an image, committed and previewed imports, a feed). For every endpoint Bob must see none
of Alice's data (no uuid of hers and not even her name in any answer), get the same 404 for her objects as
for missing ones, be unable to point at her rows from any input, and leave her account byte for byte as it
was. tests/test_permissions.py covers the REST resources themselves.
"""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import Base, ImportRecord
from tests.conftest import ApiClient, login
from tests.export_support import download
from tests.import_support import import_file, upload_ok
from tests.rest_support import (
    blank,
    chosen_label,
    created,
    link_body,
    new_application,
    new_company,
    new_status,
    ok,
    status_link_body,
)

NOT_FOUND = {"detail": "Not found."}
MISSING = "00000000-0000-4000-8000-000000000000"
RESTORE = "/api/imports/account/"
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ORDERINGS = [f"{sign}{field}" for field in ("modified_at", "created_at", "name", "uuid") for sign in ("", "-")]


# -- data ---------------------------------------------------------------------------------------------


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 200, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def upload_image(api: ApiClient) -> str:
    response = api.post(
        "/api/private-image/", data={"file": (io.BytesIO(png()), "pasted.png")}, content_type="multipart/form-data"
    )
    return ok(response)["image_url"].removeprefix("http://localhost")


def sheet(who: str) -> bytes:
    return (
        "Company,Position,Status,Date,Notes,Labels\n"
        f"{who} Imported,{who} analyst,Interview,2024-03-05,{who} imported note,{who} sheet label\n"
    ).encode()


@dataclass
class Account:
    """One user's seeded data, as the API answered it."""

    api: ApiClient
    user_id: uuid.UUID
    label: dict[str, Any]
    company: dict[str, Any]
    application: dict[str, Any]
    status: dict[str, Any]
    rating: dict[str, Any]
    image: str
    committed: dict[str, Any]
    preview: dict[str, Any]
    feed: dict[str, Any]


def seed(api: ApiClient, user_id: uuid.UUID, who: str) -> Account:
    """Everything a user can own, made through the API, every text carrying `who`."""
    label = created(api.post("/api/labels/", json={"text": f"{who} label", "color": "#123456", "order": 3}))
    company = new_company(
        api,
        f"{who} Corp",
        labels=[{"uuid": label["uuid"]}, chosen_label("Target")],
        notes=f"<p>{who} notes</p>",
    )
    rating = created(
        api.post(
            "/api/company-ratings/",
            json=blank(
                company=company["uuid"],
                value=4.5,
                sample_date="2024-02-02",
                source=link_body(f"{who} review", "https://r"),
            ),
        )
    )
    application = new_application(
        api,
        company["uuid"],
        f"{who} engineer",
        labels=[{"uuid": label["uuid"]}, chosen_label("Applied")],
        job_description_page=link_body(f"{who} posting", "https://jobs.example/1"),
        job_source=link_body(f"{who} board", "https://board.example"),
        notes=f"<p>{who} application notes</p>",
    )
    status = new_status(
        api,
        application["uuid"],
        "Applied",
        date="2024-03-01",
        applicationstatuslink_set=[status_link_body(f"{who} mail", "https://mail.example/1")],
    )
    image = upload_image(api)
    committed = import_file(api, sheet(who), f"{who}.csv")
    preview = upload_ok(api, sheet(f"{who} later"), f"{who}-later.csv")
    feed = created(api.post("/api/feeds/", json={"name": f"{who} feed"}))
    return Account(api, user_id, label, company, application, status, rating, image, committed, preview, feed)


@pytest.fixture
def alice_data(alice, alice_api) -> Account:
    return seed(alice_api, alice.id, "Alice")


@pytest.fixture
def bob_data(bob, bob_api) -> Account:
    return seed(bob_api, bob.id, "Bob")


# -- checks -------------------------------------------------------------------------------------------


def account_state(api: ApiClient) -> dict[str, Any]:
    """The whole account export, minus the moment it was taken: equal means nothing changed."""
    response = api.get("/api/exports/account.json")
    assert response.status_code == 200
    state = response.get_json()
    state.pop("exported_at")
    return state


def victim_state(api: ApiClient) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Her account export, and her feeds (credentials, so not in the export): names, uses, revocations."""
    return account_state(api), ok(api.get("/api/feeds/?page_size=100"))["results"]


def owned_counts(app: Flask, *user_ids: uuid.UUID) -> dict[tuple[str, uuid.UUID], int]:
    """Rows per (table, owner) in every table with an owner column."""
    with app.app_context():
        counts = {
            (table.name, user_id): db.session.scalar(
                select(func.count()).select_from(table).where(table.c.user_id == user_id)
            )
            for table in Base.metadata.sorted_tables
            if "user_id" in table.c
            for user_id in user_ids
        }
        db.session.remove()
    return counts


@contextmanager
def untouched(app: Flask, victim: Account, *, also: Account | uuid.UUID | None = None) -> Iterator[None]:
    """The victim's account (every row of it) is the same after the block, and so is her image; the
    number of rows she owns (and that `also` owns, for blocks of failed attempts) too."""
    owners = (victim.user_id,) + ((also.user_id if isinstance(also, Account) else also,) if also else ())
    before = victim_state(victim.api), owned_counts(app, *owners), victim.api.get(victim.image).data
    yield
    after = victim_state(victim.api), owned_counts(app, *owners), victim.api.get(victim.image).data
    assert after[1] == before[1]
    assert after[0] == before[0]
    assert after[2] == before[2]


def secrets_of(account: Account) -> set[str]:
    """What must never appear in an answer to anyone else: every uuid in the account (global labels
    excepted) and the image key."""
    state = account_state(account.api)
    global_labels = {
        row["uuid"] for row in ok(account.api.get("/api/labels/?page_size=100"))["results"] if row["user"] is None
    }
    found = set(UUID_TEXT.findall(json.dumps(state))) - global_labels
    assert str(account.user_id) in found and account.company["uuid"] in found
    return found | {account.image.strip("/").split("/")[-1]}


def assert_no_leak(body: bytes | str, secrets: set[str], who: str = "alice") -> None:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    assert who not in text.lower(), text[:2000]
    leaked = {secret for secret in secrets if secret in text}
    assert not leaked, leaked


def xlsx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())


# -- import undo: a snapshot restored from a file is input too ----------------------------------------


def forged_update_file(draft: ApiClient, previous: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """An account export holding an import that updated an application, its snapshot changed."""
    import_file(draft, sheet("Mallory"))
    second = import_file(draft, sheet("Mallory").replace(b"imported note", b"changed note"))
    assert second["counts"]["update"] == 1
    data = account_state(draft)
    record = next(row for row in data["tables"]["import_record"] if row["action"] == "update")
    record["previous"].update(previous)
    return data, record["batch_id"]


def restore_and_undo(bob_api: ApiClient, data: dict[str, Any], batch: str) -> dict[str, Any]:
    """Restore the file into Bob's empty account, undo its update, and answer his one application."""
    restored = bob_api.post(RESTORE, json=data)
    assert restored.status_code == 201, restored.get_json()
    response = bob_api.delete(f"/api/imports/{restored.get_json()['uuids'][batch]}/")
    assert response.status_code == 204, response.get_json()
    [application] = ok(bob_api.get("/api/applications/"))["results"]
    return application


@pytest.fixture
def draft(app: Flask, make_user) -> ApiClient:
    """An account of Bob's own, where he prepares the file he restores into his empty one."""
    make_user("draft@example.com")
    return login(app.test_client(), "draft@example.com")


def test_undoing_a_restored_import_never_attaches_another_users_company_or_labels(app, alice_data, bob_api, draft):
    """The snapshot an undo puts back comes from the restored file, so it may name anyone's company and
    labels: they must resolve among the restorer's rows only (the application then stays where it is)."""
    data, batch = forged_update_file(
        draft,
        {
            "user_company_id": alice_data.company["uuid"],
            "label_ids": [alice_data.label["uuid"]],
        },
    )
    secrets = secrets_of(alice_data)
    with untouched(app, alice_data):
        application = restore_and_undo(bob_api, data, batch)

    bobs_companies = {company["uuid"] for company in ok(bob_api.get("/api/companies/"))["results"]}
    assert application["user_company"] in bobs_companies
    assert application["labels"] == []
    # (His import record still holds the uuids he wrote into it; nothing else of his names her rows.)
    for url in ("/api/applications/", "/api/companies/", "/api/labels/", "/api/exports/applications.csv"):
        assert_no_leak(bob_api.get(url).data, secrets)
    alice_company = ok(alice_data.api.get(f"/api/companies/{alice_data.company['uuid']}/"))
    assert [row["uuid"] for row in alice_company["applications"]] == [alice_data.application["uuid"]]


def test_undoing_a_restored_import_never_writes_keys_or_owners_taken_from_the_snapshot(
    app, alice_data, bob, bob_api, draft
):
    """Statuses and locations the snapshot names by another user's uuid are recreated with new uuids (an
    old one would collide with hers: a 409 telling Bob it exists), and an address gets its fields only."""
    alice_location = alice_data.application["position_locations"][0]
    data, batch = forged_update_file(
        draft,
        {
            "statuses": [{"id": alice_data.status["uuid"], "text": "Forged", "date": "2024-01-01", "order": 0}],
            "locations": [
                {
                    "id": alice_location["uuid"],
                    "address": {
                        "city": "Forged",
                        "id": alice_location["location"]["uuid"],
                        "user_id": str(alice_data.user_id),
                    },
                }
            ],
        },
    )
    with untouched(app, alice_data):
        application = restore_and_undo(bob_api, data, batch)

    [status] = application["statuses"]
    assert (status["text"], status["user"]) == ("Forged", str(bob.id))
    assert status["uuid"] != alice_data.status["uuid"]
    [location] = application["position_locations"]
    assert location["uuid"] != alice_location["uuid"]
    assert location["location"]["uuid"] != alice_location["location"]["uuid"]
    assert location["location"]["city"] == "Forged"
    address = ok(bob_api.get(f"/api/addresses/{location['location']['uuid']}/"))
    assert address["city"] == "Forged"


def test_a_stored_import_record_pointing_at_another_users_application_never_updates_it(app, alice_data, bob, bob_api):
    """Defence in depth: no input can make an import record name another user's application (the restore
    checks its references), but if one did, re-importing must create a row of Bob's, not update hers."""
    import_file(bob_api, sheet("Bob"))
    with app.app_context():
        db.session.execute(
            update(ImportRecord)
            .where(ImportRecord.user_id == bob.id)
            .values(application_id=uuid.UUID(alice_data.application["uuid"]))
        )
        db.session.commit()
        db.session.remove()
    with untouched(app, alice_data):
        batch = import_file(bob_api, sheet("Bob").replace(b"imported note", b"changed note"))
    assert (batch["counts"]["create"], batch["counts"]["update"]) == (1, 0)
    notes = {application["notes"] for application in ok(bob_api.get("/api/applications/"))["results"]}
    assert notes == {"<p>Bob imported note</p>", "<p>Bob changed note</p>"}


# -- GraphQL ------------------------------------------------------------------------------------------

COMPANIES = """
query Dashboard($first: Int, $after: String, $order_by: String, $labels__text: String,
                $labels__isnull: Boolean, $name__icontains: String) {
  companies(first: $first, after: $after, order_by: $order_by, labels__text: $labels__text,
            labels__isnull: $labels__isnull, name__icontains: $name__icontains) {
    totalCount count pageInfo { startCursor endCursor hasNextPage hasPreviousPage }
    edges { cursor node {
      uuid user name notes labels { uuid user text } hq_location { uuid city } home_page { uuid url }
      ratings { uuid value source { uuid url } }
      applications { uuid user user_company position_title notes labels { uuid user text }
        job_source { uuid url } job_description_page { uuid url } position_locations { uuid location { uuid city } }
        statuses { uuid text applicationstatuslink_set { uuid link { uuid url } } } }
    } }
  }
}
"""
GRAPHQL_FILTERS = [
    {},
    {"labels__text": "Alice label"},
    {"labels__text": "Bob label"},
    {"labels__text": "Target"},
    {"labels__isnull": True},
    {"labels__isnull": False},
    {"name__icontains": "alice"},
    {"name__icontains": "corp"},
    {"name__icontains": "imported"},
    {"name__icontains": ""},
]

CURSOR_FILTERS = ({}, {"labels__text": "Alice label"}, {"labels__isnull": False}, {"name__icontains": "o"})


def graphql(api: ApiClient, **variables: Any) -> tuple[dict[str, Any], bytes]:
    response = api.post(
        "/graphql/", json={"query": COMPANIES, "variables": variables}, headers={"content-type": "application/json"}
    )
    body = response.get_json()
    assert response.status_code == 200 and "errors" not in body, body
    return body["data"]["companies"], response.data


def rest_companies(api: ApiClient, **filters: Any) -> set[str]:
    query = "&".join(
        f"{name}={str(value).lower() if isinstance(value, bool) else value}" for name, value in filters.items()
    )
    return {row["uuid"] for row in ok(api.get(f"/api/companies/?page_size=100&{query}"))["results"]}


@pytest.mark.parametrize("filters", GRAPHQL_FILTERS, ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()) or "none")
def test_graphql_filters_count_and_show_only_the_callers_companies(app, alice_data, bob_data, filters):
    secrets = secrets_of(alice_data)
    with untouched(app, alice_data, also=bob_data):
        connection, raw = graphql(bob_data.api, **filters)
    assert_no_leak(raw, secrets)
    shown = {edge["node"]["uuid"] for edge in connection["edges"]}
    assert shown == rest_companies(bob_data.api, **filters)
    assert connection["totalCount"] == connection["count"] == len(shown)
    if filters.get("labels__text") == "Alice label" or filters.get("name__icontains") == "alice":
        assert connection["totalCount"] == 0 and connection["pageInfo"]["endCursor"] is None


@pytest.mark.parametrize("order_by", ORDERINGS)
def test_graphql_cursors_walk_only_the_callers_companies_whoever_made_them(app, alice_data, bob_data, order_by):
    """Another user's cursor is just a position in the sort order: it never reveals or reaches her rows."""
    secrets = secrets_of(alice_data)
    bobs = rest_companies(bob_data.api)
    alice_pages = [graphql(alice_data.api, first=1, order_by=order_by)[0]]
    alice_pages.append(
        graphql(alice_data.api, first=1, order_by=order_by, after=alice_pages[0]["pageInfo"]["endCursor"])[0]
    )
    with untouched(app, alice_data, also=bob_data):
        walked, after = [], ""
        while True:  # Bob's own walk, one company a page
            connection, raw = graphql(bob_data.api, first=1, order_by=order_by, after=after)
            assert_no_leak(raw, secrets)
            walked += [edge["node"]["uuid"] for edge in connection["edges"]]
            if not connection["pageInfo"]["hasNextPage"]:
                break
            after = connection["pageInfo"]["endCursor"]
        assert sorted(walked) == sorted(bobs)
        for alice_page in alice_pages:
            for cursor in (alice_page["pageInfo"]["endCursor"], alice_page["edges"][0]["cursor"]):
                for filters in CURSOR_FILTERS:
                    connection, raw = graphql(bob_data.api, first=100, order_by=order_by, after=cursor, **filters)
                    assert_no_leak(raw, secrets)
                    assert {edge["node"]["uuid"] for edge in connection["edges"]} <= bobs
                    assert connection["totalCount"] == len(rest_companies(bob_data.api, **filters))


def test_graphql_without_a_valid_token_gives_no_data(app, alice_data, anon_api):
    for api in (anon_api, ApiClient(anon_api.client, "not-a-token")):
        response = api.post("/graphql/", json={"query": COMPANIES}, headers={"content-type": "application/json"})
        body = response.get_json()
        assert body.get("data") in (None, {}) or body["data"].get("companies") is None
        assert_no_leak(response.data, secrets_of(alice_data))


# -- images -------------------------------------------------------------------------------------------


def test_an_upload_is_the_uploaders_and_touches_no_one_else(app, alice_data, bob_data):
    with untouched(app, alice_data):
        url = upload_image(bob_data.api)
    key = url.strip("/").split("/")[-1]
    images = account_state(bob_data.api)["tables"]["stored_image"]
    assert key in {row["key"] for row in images} and {row["user_id"] for row in images} == {str(bob_data.user_id)}
    assert key not in json.dumps(account_state(alice_data.api))
    assert bob_data.api.get(url).data == png()


def test_an_image_url_is_the_only_way_to_an_image_and_guesses_find_nothing(app, alice_data, bob_data, anon_api):
    """The image URL is the capability (the contract): nothing Bob can read names Alice's key, and a
    well-formed guess answers exactly like a malformed one."""
    alice_key = alice_data.image.strip("/").split("/")[-1]
    for url in (
        "/api/exports/account.json",
        "/api/exports/applications.csv",
        "/api/companies/",
        "/api/applications/",
        "/api/imports/",
    ):
        assert alice_key not in bob_data.api.get(url).get_data(as_text=True)
    guessed = "A" * 43
    for api in (bob_data.api, anon_api):
        for url in (f"/api/private-image/{guessed}/", "/api/private-image/not-a-key/"):
            response = api.get(url)
            assert response.status_code == 404
            assert response.get_json() == {"detail": "Not found.", "error": {"message": "Not found."}}


# -- imports --------------------------------------------------------------------------------------------


def test_import_list_holds_only_the_callers_batches(app, alice_data, bob_data):
    secrets = secrets_of(alice_data)
    with untouched(app, alice_data, also=bob_data):
        response = bob_data.api.get("/api/imports/?page_size=100")
    assert_no_leak(response.data, secrets)
    assert {row["uuid"] for row in ok(response)["results"]} == {bob_data.committed["uuid"], bob_data.preview["uuid"]}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "", None),
        ("PATCH", "", {"date_order": "dmy", "mapping": {"Company": "notes"}}),
        ("POST", "commit/", None),
        ("DELETE", "", None),
    ],
)
@pytest.mark.parametrize("which", ["committed", "preview"])
def test_another_users_import_is_the_same_404_as_a_missing_one(app, alice_data, bob_data, method, path, body, which):
    batch = getattr(alice_data, which)["uuid"]
    with untouched(app, alice_data, also=bob_data):
        theirs = bob_data.api.open(method, f"/api/imports/{batch}/{path}", json=body)
        missing = bob_data.api.open(method, f"/api/imports/{MISSING}/{path}", json=body)
    assert (theirs.status_code, theirs.get_json()) == (missing.status_code, missing.get_json()) == (404, NOT_FOUND)


def test_an_import_naming_another_users_company_and_label_makes_rows_of_the_importers_own(app, alice_data, bob_data):
    data = b"Company,Position,Labels\nAlice Corp,Spy,Alice label\n"
    with untouched(app, alice_data):
        batch = import_file(bob_data.api, data)
        assert batch["counts"]["create"] == 1
        spy = next(
            a
            for a in ok(bob_data.api.get("/api/applications/?page_size=100"))["results"]
            if a["position_title"] == "Spy"
        )
        assert spy["user"] == str(bob_data.user_id)
        assert spy["user_company"] != alice_data.company["uuid"]
        [label] = spy["labels"]
        assert (label["text"], label["user"]) == ("Alice label", str(bob_data.user_id))
        assert label["uuid"] != alice_data.label["uuid"]
        # Undoing it removes the company and label it created: Bob's, never Alice's of the same name.
        assert bob_data.api.delete(f"/api/imports/{batch['uuid']}/").status_code == 204
    assert "Alice Corp" not in {c["name"] for c in ok(bob_data.api.get("/api/companies/?page_size=100"))["results"]}


def test_the_import_command_writes_for_the_named_user_only(app, alice_data, bob_data, runner, tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_bytes(b"Company,Position,Labels\nAlice Corp,Spy,Alice label\n")
    with untouched(app, alice_data):
        result = runner.invoke(args=["import-spreadsheet", str(path), "--user", "BOB@example.com"])
        assert result.exit_code == 0, result.output
        result = runner.invoke(args=["import-spreadsheet", str(path), "--user", "nobody@example.com"])
        assert result.exit_code != 0 and "No user" in result.output
    companies = ok(bob_data.api.get("/api/companies/?page_size=100"))["results"]
    imported = next(company for company in companies if company["name"] == "Alice Corp")
    assert imported["uuid"] != alice_data.company["uuid"] and imported["user"] == str(bob_data.user_id)


# -- exports and feeds ----------------------------------------------------------------------------------


def feed_path(feed: dict[str, Any]) -> str:
    return feed["feed_url"].removeprefix("http://localhost")


def export_urls(account: Account) -> list[str]:
    return [
        "/api/exports/applications.csv",
        "/api/exports/applications.xlsx",
        "/api/exports/activity.csv",
        "/api/exports/account.json",
        feed_path(account.feed),
    ]


def test_every_export_and_feed_holds_only_the_callers_data(app, alice_data, bob_data):
    secrets = secrets_of(alice_data)
    with untouched(app, alice_data, also=bob_data):
        for url in export_urls(bob_data):
            for query in (
                "",
                "?from=2000-01-01&to=2100-01-01",
                f"?layout={bob_data.committed['uuid']}",
                "?label=Target",
                f"?label={bob_data.label['uuid']}",
                "?status=Applied",
            ):
                response = download(bob_data.api, url + query)
                assert response.status_code == 200, (url, query, response.data[:300])
                body = xlsx_text(response.data) if url.endswith(".xlsx") else response.data
                assert_no_leak(body, secrets)
    bob_text = download(bob_data.api, "/api/exports/applications.csv").get_data(as_text=True)
    assert "Bob engineer" in bob_text and "Bob analyst" in bob_text  # the check above had something to check


@pytest.mark.parametrize("url", ["/api/exports/applications.csv", "/api/exports/applications.xlsx", "feed"])
def test_export_filters_naming_another_users_label_or_import_are_refused_like_missing_ones(
    app, alice_data, bob_data, url
):
    url = feed_path(bob_data.feed) if url == "feed" else url
    cases = [
        ("label", alice_data.label["uuid"], MISSING),
        ("label", "Alice label", "Nobody label"),
        ("layout", alice_data.committed["uuid"], MISSING),
        ("layout", alice_data.preview["uuid"], MISSING),
    ]
    with untouched(app, alice_data, also=bob_data):
        for name, theirs, missing in cases:
            refused, unknown = (download(bob_data.api, f"{url}?{name}={value}") for value in (theirs, missing))
            assert refused.status_code == unknown.status_code == 400
            assert json.dumps(refused.get_json()).replace(theirs, missing) == json.dumps(unknown.get_json())


def test_feeds_list_create_and_delete_only_the_callers_own(app, alice_data, bob_data, client):
    secrets = secrets_of(alice_data)
    with untouched(app, alice_data):
        listed = bob_data.api.get("/api/feeds/?page_size=100")
        assert_no_leak(listed.data, secrets)
        assert [row["uuid"] for row in ok(listed)["results"]] == [bob_data.feed["uuid"]]
        new = created(
            bob_data.api.post(
                "/api/feeds/", json={"name": "Second", "user": str(alice_data.user_id), "uuid": alice_data.feed["uuid"]}
            )
        )
        assert new["user"] == str(bob_data.user_id) and new["uuid"] != alice_data.feed["uuid"]
        for method in ("GET", "PATCH", "DELETE"):
            theirs = bob_data.api.open(method, f"/api/feeds/{alice_data.feed['uuid']}/", json={"name": "x"})
            missing = bob_data.api.open(method, f"/api/feeds/{MISSING}/", json={"name": "x"})
            assert (
                (theirs.status_code, theirs.get_json()) == (missing.status_code, missing.get_json()) == (404, NOT_FOUND)
            )
        assert bob_data.api.delete(f"/api/feeds/{new['uuid']}/").status_code == 204
        assert download(client, feed_path(new)).status_code == 404  # revoked: like an unknown token
        assert download(client, "/api/feeds/" + "x" * 43 + "/applications.csv").status_code == 404
    # Her feed still works, and serves her rows.
    assert "Alice engineer" in download(client, feed_path(alice_data.feed)).get_data(as_text=True)


# -- account restore ----------------------------------------------------------------------------------


def reference_attacks(alice: Account) -> list[tuple[str, str, str]]:
    """(table, column, one of Alice's uuids): every foreign key a restored row could aim at her rows with."""
    application, company, status = alice.application, alice.company, alice.status
    return [
        ("application", "user_company_id", company["uuid"]),
        ("application", "job_source_id", application["job_source"]["uuid"]),
        ("company", "home_page_id", company["home_page"]["uuid"]),
        ("company", "hq_location_id", company["hq_location"]["uuid"]),
        ("company_rating", "company_id", company["uuid"]),
        ("company_labels", "label_id", alice.label["uuid"]),
        ("company_labels", "company_id", company["uuid"]),
        ("application_labels", "label_id", alice.label["uuid"]),
        ("application_labels", "application_id", application["uuid"]),
        ("application_status", "application_id", application["uuid"]),
        ("application_status_link", "application_status_id", status["uuid"]),
        ("application_status_link", "link_id", status["applicationstatuslink_set"][0]["link"]["uuid"]),
        ("position_location", "application_id", application["uuid"]),
        ("position_location", "location_id", application["position_locations"][0]["location"]["uuid"]),
        ("import_record", "batch_id", alice.committed["uuid"]),
        ("import_record", "application_id", application["uuid"]),
        ("import_record", "company_id", company["uuid"]),
    ]


@pytest.fixture
def drafted(app: Flask, draft: ApiClient) -> dict[str, Any]:
    """A full account export (made in Bob's draft account) that Bob can restore into his empty one."""
    user_id = uuid.UUID(ok(draft.get("/api/users/"))["results"][0]["uuid"])
    seed(draft, user_id, "Mallory")
    data = account_state(draft)
    data["tables"]["stored_image"] = []  # the draft account still holds its images (a 409)
    for table in ("application_status_link", "position_location", "import_record"):
        assert data["tables"][table], table
    return data


def test_a_restore_file_pointing_at_another_users_rows_is_refused_like_missing_rows(
    app, alice_data, bob, bob_api, drafted
):
    for table, column, theirs in reference_attacks(alice_data):
        with untouched(app, alice_data, also=bob.id):
            answers = []
            for value in (theirs, MISSING):
                data = json.loads(json.dumps(drafted))
                data["tables"][table][0][column] = value
                answers.append(bob_api.post(RESTORE, json=data))
        refused, missing = answers
        assert refused.status_code == missing.status_code == 400, (table, column, refused.get_json())
        assert (
            refused.get_json()
            == missing.get_json()
            == {"tables": {table: {"0": {column: ["Refers to a row that is neither in the file nor yours."]}}}}
        )
    assert ok(bob_api.get("/api/companies/"))["count"] == 0


def test_a_restore_file_naming_another_owner_is_restored_as_the_callers_own(app, alice_data, bob, bob_api, drafted):
    for rows in drafted["tables"].values():
        for row in rows:
            if "user_id" in row:
                row["user_id"] = str(alice_data.user_id)
    with untouched(app, alice_data):
        assert bob_api.post(RESTORE, json=drafted).status_code == 201
    owners = {row["user_id"] for rows in account_state(bob_api)["tables"].values() for row in rows if "user_id" in row}
    assert owners == {str(bob.id)}


def test_a_restore_file_holding_another_users_image_key_is_refused_and_writes_nothing(
    app, alice_data, bob, bob_api, drafted
):
    key = alice_data.image.strip("/").split("/")[-1]
    drafted["tables"]["stored_image"] = [
        {
            "id": str(uuid.uuid4()),
            "user_id": str(bob.id),
            "key": key,
            "content_type": "text/html",
            "size": 1,
            "created_at": "2024-01-01T00:00:00+00:00",
            "modified_at": "2024-01-01T00:00:00+00:00",
        }
    ]
    with untouched(app, alice_data, also=bob.id):
        response = bob_api.post(RESTORE, json=drafted)
    assert response.status_code == 409
    image = alice_data.api.get(alice_data.image)
    assert (image.data, image.mimetype) == (png(), "image/png")


def test_a_restore_into_an_account_that_holds_data_is_refused_and_writes_nothing(app, alice_data, bob_data, drafted):
    with untouched(app, alice_data, also=bob_data):
        response = bob_data.api.post(RESTORE, json=drafted)
    assert response.status_code == 409 and "not empty" in response.get_json()["detail"]


# -- the account itself ---------------------------------------------------------------------------------


def test_another_users_account_is_the_same_404_as_a_missing_one(app, alice_data, bob_data):
    with untouched(app, alice_data, also=bob_data):
        for method in ("GET", "PATCH", "PUT", "DELETE"):
            body = {"first_name": "Hacked", "uuid": str(alice_data.user_id)}
            theirs = bob_data.api.open(method, f"/api/users/{alice_data.user_id}/", json=body)
            missing = bob_data.api.open(method, f"/api/users/{MISSING}/", json=body)
            assert (theirs.status_code, theirs.get_json()) == (missing.status_code, missing.get_json())
            assert theirs.status_code in (404, 405), method
        listed = bob_data.api.get("/api/users/")
        assert_no_leak(listed.data, secrets_of(alice_data))


def test_renaming_changing_the_password_and_deleting_touch_only_the_callers_account(
    app, alice, alice_data, bob_data, client
):
    body = {"uuid": str(alice_data.user_id), "email": alice.email, "first_name": "Renamed", "user": str(alice.id)}
    with untouched(app, alice_data):
        renamed = ok(bob_data.api.patch(f"/api/users/{bob_data.user_id}/", json=body))
        assert (renamed["uuid"], renamed["email"], renamed["first_name"]) == (
            str(bob_data.user_id),
            "bob@example.com",
            "Renamed",
        )
        response = bob_data.api.post(
            "/api/users/me/password/",
            json={
                "current_password": "correct horse battery staple",
                "new_password": "another long passphrase 42",
                "email": alice.email,
                "uuid": str(alice.id),
            },
        )
        assert response.status_code == 204, response.get_json()
        # The change ended bob's sessions: he logs in again with the new password.
        bob_again = login(client, "bob@example.com", "another long passphrase 42")
        assert bob_again.delete(f"/api/users/{bob_data.user_id}/").status_code == 204
    login(client, alice.email)  # her password is unchanged
    assert "Alice engineer" in download(client, feed_path(alice_data.feed)).get_data(as_text=True)


# -- row counts -------------------------------------------------------------------------------------------


def failed_attempts(attacker: Account, victim: Account) -> list[tuple[str, str, Any]]:
    """One request for every non-REST way of reaching the victim's rows; each must fail."""
    return [
        ("GET", f"/api/imports/{victim.committed['uuid']}/", None),
        ("PATCH", f"/api/imports/{victim.preview['uuid']}/", {"date_order": "dmy"}),
        ("POST", f"/api/imports/{victim.preview['uuid']}/commit/", None),
        ("DELETE", f"/api/imports/{victim.committed['uuid']}/", None),
        ("DELETE", f"/api/imports/{victim.preview['uuid']}/", None),
        ("GET", f"/api/exports/applications.csv?label={victim.label['uuid']}", None),
        ("GET", f"/api/exports/applications.xlsx?layout={victim.committed['uuid']}", None),
        ("GET", f"{feed_path(attacker.feed)}?label={victim.label['text']}", None),
        ("POST", RESTORE, account_state(victim.api)),
        ("PATCH", f"/api/feeds/{victim.feed['uuid']}/", {"name": "x"}),
        ("DELETE", f"/api/feeds/{victim.feed['uuid']}/", None),
        ("PATCH", f"/api/users/{victim.user_id}/", {"first_name": "x"}),
        ("DELETE", f"/api/users/{victim.user_id}/", None),
        ("POST", "/api/users/me/password/", {"current_password": "wrong", "new_password": "whatever long enough 1"}),
    ]


def test_failed_attempts_change_no_ones_row_counts(app, alice_data, bob_data):
    """Both ways round: every failed attempt of one user on the other's rows leaves the number of rows
    each of them owns, table by table, exactly as it was (and the victim's account byte for byte)."""
    for attacker, victim in ((bob_data, alice_data), (alice_data, bob_data)):
        attempts = failed_attempts(attacker, victim)
        with untouched(app, victim, also=attacker):
            for method, url, body in attempts:
                response = attacker.api.open(method, url, json=body)
                response.get_data()
                response.close()
                assert 400 <= response.status_code < 500, (method, url, response.status_code)
                assert response.status_code != 403, (method, url)
