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
    response = api.post("/api/private-image/", data={"file": (io.BytesIO(png()), "pasted.png")},
                        content_type="multipart/form-data")
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
        api, f"{who} Corp", labels=[{"uuid": label["uuid"]}, chosen_label("Target")], notes=f"<p>{who} notes</p>",
    )
    rating = created(api.post("/api/company-ratings/", json=blank(
        company=company["uuid"], value=4.5, sample_date="2024-02-02", source=link_body(f"{who} review", "https://r"),
    )))
    application = new_application(
        api, company["uuid"], f"{who} engineer", labels=[{"uuid": label["uuid"]}, chosen_label("Applied")],
        job_description_page=link_body(f"{who} posting", "https://jobs.example/1"),
        job_source=link_body(f"{who} board", "https://board.example"), notes=f"<p>{who} application notes</p>",
    )
    status = new_status(api, application["uuid"], "Applied", date="2024-03-01",
                        applicationstatuslink_set=[status_link_body(f"{who} mail", "https://mail.example/1")])
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
def untouched(app: Flask, victim: Account, *, also: Account | None = None) -> Iterator[None]:
    """The victim's account (every row of it) is the same after the block, and so is her image; the
    number of rows she owns (and that `also` owns, for blocks of failed attempts) too."""
    owners = (victim.user_id,) + ((also.user_id,) if also else ())
    before = account_state(victim.api), owned_counts(app, *owners), victim.api.get(victim.image).data
    yield
    after = account_state(victim.api), owned_counts(app, *owners), victim.api.get(victim.image).data
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


def forged_update_file(app: Flask, draft: ApiClient, previous: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """An account export holding an import that updated an application, its snapshot changed."""
    import_file(draft, sheet("Mallory"))
    update = import_file(draft, sheet("Mallory").replace(b"imported note", b"changed note"))
    assert update["counts"]["update"] == 1
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
    data, batch = forged_update_file(app, draft, {
        "user_company_id": alice_data.company["uuid"], "label_ids": [alice_data.label["uuid"]],
    })
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


def test_undoing_a_restored_import_never_writes_keys_or_owners_taken_from_the_snapshot(app, alice_data, bob,
                                                                                       bob_api, draft):
    """Statuses and locations the snapshot names by another user's uuid are recreated with new uuids (an
    old one would collide with hers: a 409 telling Bob it exists), and an address gets its fields only."""
    alice_location = alice_data.application["position_locations"][0]
    data, batch = forged_update_file(app, draft, {
        "statuses": [{"id": alice_data.status["uuid"], "text": "Forged", "date": "2024-01-01", "order": 0}],
        "locations": [{"id": alice_location["uuid"], "address": {
            "city": "Forged", "id": alice_location["location"]["uuid"], "user_id": str(alice_data.user_id),
        }}],
    })
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


def test_a_stored_import_record_pointing_at_another_users_application_never_updates_it(app, alice_data, bob,
                                                                                       bob_api):
    """Defence in depth: no input can make an import record name another user's application (the restore
    checks its references), but if one did, re-importing must create a row of Bob's, not update hers."""
    import_file(bob_api, sheet("Bob"))
    with app.app_context():
        db.session.execute(
            update(ImportRecord).where(ImportRecord.user_id == bob.id)
            .values(application_id=uuid.UUID(alice_data.application["uuid"]))
        )
        db.session.commit()
        db.session.remove()
    with untouched(app, alice_data):
        batch = import_file(bob_api, sheet("Bob").replace(b"imported note", b"changed note"))
    assert (batch["counts"]["create"], batch["counts"]["update"]) == (1, 0)
    notes = {application["notes"] for application in ok(bob_api.get("/api/applications/"))["results"]}
    assert notes == {"<p>Bob imported note</p>", "<p>Bob changed note</p>"}
