"""Forged import state: what an account restore brings into the JSON columns of import batches and records
(snapshots, created labels, options) is refused with a 400 naming table, row and column, writing nothing;
and should such a value be stored anyway, undo, commit, PATCH and the exports' layout answer a 4xx that
changes nothing, never a 500 or a half-done undo."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from app.extensions import db
from app.models import ImportBatch, ImportRecord
from tests.conftest import ApiClient, login
from tests.import_support import import_file, upload_ok
from tests.rest_support import row_counts

RESTORE = "/api/imports/account/"
SHEET = "Company,Position,Status,Date,Notes,Labels\nInitech,Analyst,Interview,2024-03-05,first note,Sheet label\n"


def account_state(api: ApiClient) -> dict[str, Any]:
    response = api.get("/api/exports/account.json")
    assert response.status_code == 200
    state = response.get_json()
    state.pop("exported_at")
    return state


@pytest.fixture
def carol_api(app: Flask, make_user) -> ApiClient:
    make_user("carol@example.com")
    return login(app.test_client(), "carol@example.com")


@pytest.fixture
def updated(alice_api: ApiClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """Alice's first import (it created a label) and a second one that updated its application."""
    first = import_file(alice_api, SHEET.encode())
    second = import_file(alice_api, SHEET.replace("first note", "second note").encode())
    assert second["counts"]["update"] == 1
    return first, second


def _update_record(data: dict[str, Any]) -> dict[str, Any]:
    return next(row for row in data["tables"]["import_record"] if row["action"] == "update")


def _first_batch(data: dict[str, Any]) -> dict[str, Any]:
    return next(row for row in data["tables"]["import_batch"] if row["created_labels"])


def _set(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(row: dict[str, Any]) -> None:
        target = row
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


RECORD_FORGERIES = {
    "snapshot is a list": (("previous",), ["not", "a", "snapshot"], "Invalid input type."),
    "snapshot status date": (("previous", "statuses", 0, "date"), "someday", "statuses.0.date: Not a valid date."),
    "snapshot status id": (("previous", "statuses", 0, "id"), "nope", "statuses.0.id: Not a valid UUID."),
    "snapshot company id": (("previous", "user_company_id"), 42, "user_company_id: Not a valid UUID."),
    "snapshot label id": (("previous", "label_ids"), ["nope"], "label_ids.0: Not a valid UUID."),
    "snapshot title too long": (("previous", "position_title"), "x" * 151, "position_title: Longer than maximum"),
    "snapshot field missing": (("previous", "statuses"), None, "statuses: Field may not be null."),
    "values labels": (("values", "labels"), "not a list", "labels: Not a valid list."),
}
BATCH_FORGERIES = {
    "created label not a uuid": (("created_labels",), ["not-a-uuid"], "0: Not a valid UUID."),
    "created labels not a list": (("created_labels",), {"a": 1}, "Not a valid list."),
    "options not an object": (("options",), ["columns"], "Expected an object."),
    "options header row as text": (("options", "header_row"), "1", "header_row: Not a valid integer."),
    "options unknown field": (("options", "columns", 0, "field"), "salary!", "columns.0.field: Must be one of"),
    "options column index as text": (("options", "columns", 0, "index"), "0", "columns.0.index: Not a valid integer."),
    "options column extra key": (("options", "columns", 0, "secret"), 1, "columns.0.secret: Unknown field."),
    "options stage too long": (("options", "columns", 0, "stage"), "s" * 51, "columns.0.stage: Length must be"),
    "options date order": (("options", "date_order"), "ymd", "date_order: Must be one of"),
    "mapping of statuses": (("options", "status_mapping"), {"Interview": 3}, "status_mapping.Interview.value"),
    "counts": (("counts",), {"rows": "many"}, "rows.value: Not a valid integer."),
}


@pytest.mark.parametrize("forgery", RECORD_FORGERIES.values(), ids=RECORD_FORGERIES.keys())
def test_a_forged_import_record_is_a_400_naming_it_and_nothing_is_written(app, alice_api, carol_api, updated, forgery):
    path, value, message = forgery
    data = account_state(alice_api)
    rows = data["tables"]["import_record"]
    index = rows.index(_update_record(data))
    _set(path, value)(rows[index])
    before = row_counts(app)
    response = carol_api.post(RESTORE, json=data)
    assert response.status_code == 400, response.get_json()
    problems = response.get_json()["tables"]["import_record"][str(index)][path[0]]
    assert any(message in problem for problem in problems), problems
    assert row_counts(app) == before


@pytest.mark.parametrize("forgery", BATCH_FORGERIES.values(), ids=BATCH_FORGERIES.keys())
def test_a_forged_import_batch_is_a_400_naming_it_and_nothing_is_written(app, alice_api, carol_api, updated, forgery):
    path, value, message = forgery
    data = account_state(alice_api)
    rows = data["tables"]["import_batch"]
    index = rows.index(_first_batch(data))
    _set(path, value)(rows[index])
    before = row_counts(app)
    response = carol_api.post(RESTORE, json=data)
    assert response.status_code == 400, response.get_json()
    problems = response.get_json()["tables"]["import_batch"][str(index)][path[0]]
    assert any(message in problem for problem in problems), problems
    assert row_counts(app) == before


def test_an_unforged_restore_can_still_be_undone(alice_api, carol_api, updated):
    """The checks accept everything the importer itself writes: the restored imports undo cleanly."""
    data = account_state(alice_api)
    restored = carol_api.post(RESTORE, json=data)
    assert restored.status_code == 201, restored.get_json()
    uuids = restored.get_json()["uuids"]
    first, second = updated
    for batch in (second, first):
        assert carol_api.delete(f"/api/imports/{uuids[batch['uuid']]}/").status_code == 204
    assert carol_api.get("/api/applications/").get_json()["count"] == 0


# -- the readers: a value stored anyway (defence in depth) answers a 4xx and changes nothing -------------


def _store(app: Flask, model: type, row_id: str | uuid.UUID, **values: Any) -> None:
    with app.app_context():
        db.session.execute(update(model).where(model.id == uuid.UUID(str(row_id))).values(**values))
        db.session.commit()
        db.session.remove()


def _update_record_id(alice_api: ApiClient) -> str:
    return _update_record(account_state(alice_api))["id"]


@pytest.mark.parametrize(
    "previous",
    [
        {"statuses": "nope"},
        ["a", "list"],
        "text",
    ],
)
def test_undo_of_a_malformed_snapshot_is_a_409_and_undoes_nothing(app, alice_api, updated, previous):
    _, second = updated
    record_id = _update_record_id(alice_api)
    _store(app, ImportRecord, record_id, previous=previous)
    before = account_state(alice_api)
    response = alice_api.delete(f"/api/imports/{second['uuid']}/")
    assert response.status_code == 409, response.get_json()
    assert response.get_json()["detail"].startswith("This import cannot be undone: the saved state of row 2")
    assert account_state(alice_api) == before


def test_undo_with_a_non_uuid_created_label_is_a_409_and_undoes_nothing(app, alice_api, updated):
    first, second = updated
    assert alice_api.delete(f"/api/imports/{second['uuid']}/").status_code == 204
    _store(app, ImportBatch, first["uuid"], created_labels=["not-a-uuid"])
    before = account_state(alice_api)
    response = alice_api.delete(f"/api/imports/{first['uuid']}/")
    assert response.status_code == 409, response.get_json()
    assert "created labels is malformed" in response.get_json()["detail"]
    # Nothing of the undo happened: the application it would delete (done before the labels) is still there.
    assert account_state(alice_api) == before


BAD_OPTIONS = [
    {"columns": "everything"},
    {"version": 1, "sheet": None, "header_row": "1", "date_order": "mdy", "columns": [], "status_mapping": {}},
    ["not", "an", "object"],
]


@pytest.mark.parametrize("options", BAD_OPTIONS)
def test_patch_and_commit_of_a_batch_with_malformed_options_are_a_409(app, alice_api, options):
    batch = upload_ok(alice_api, SHEET.encode())
    _store(app, ImportBatch, batch["uuid"], options=options)
    before = row_counts(app)
    for response in (
        alice_api.patch(f"/api/imports/{batch['uuid']}/", json={"date_order": "dmy"}),
        alice_api.post(f"/api/imports/{batch['uuid']}/commit/"),
    ):
        assert response.status_code == 409, response.get_json()
        assert response.get_json()["detail"].startswith("This import's stored options are malformed")
    assert row_counts(app) == before
    # It can still be discarded.
    assert alice_api.delete(f"/api/imports/{batch['uuid']}/").status_code == 204


@pytest.mark.parametrize("options", BAD_OPTIONS)
def test_export_layout_of_a_batch_with_malformed_options_is_a_400(app, alice_api, updated, options):
    first, _ = updated
    _store(app, ImportBatch, first["uuid"], options=options)
    response = alice_api.get(f"/api/exports/applications.csv?layout={first['uuid']}")
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["layout"][0].startswith("The import's column layout is malformed")


def test_a_later_import_over_a_malformed_earlier_record_still_commits(app, alice_api, updated):
    """A later import merges over the earlier record's values; unusable ones are treated as unknown."""
    record_id = _update_record_id(alice_api)
    _store(app, ImportRecord, record_id, values={"labels": 5, "statuses": "x"})
    third = import_file(alice_api, SHEET.replace("first note", "third note").encode())
    assert third["counts"]["update"] == 1
