"""/api/labels/: the caller's own labels and the global ones, CRUD and validation."""

from __future__ import annotations

from app.models import Label
from tests.rest_support import chosen_label, created, crud_roundtrip, new_company, ok, table_rows

GLOBAL_TEXTS = ["Target", "Applied", "Interviewing", "Archived"]


def test_label_crud_and_owner(alice, alice_api, app):
    body = {"uuid": "", "text": "Dream job", "user": None, "color": "#ff0000", "order": 5}
    replaced = crud_roundtrip(alice_api, "/api/labels/", body, {"color": "blue"}, {"text": "Renamed"})
    assert replaced["user"] == str(alice.id)
    assert replaced["text"] == "Renamed"
    assert table_rows(app, Label) == len(GLOBAL_TEXTS)


def test_label_list_shows_global_and_own_labels(alice_api, bob_api):
    created(alice_api.post("/api/labels/", json={"text": "Alice's"}))
    created(bob_api.post("/api/labels/", json={"text": "Bob's"}))
    page = ok(alice_api.get("/api/labels/?ordering=text"))
    assert page["count"] == 5
    assert sorted(label["text"] for label in page["results"]) == sorted([*GLOBAL_TEXTS, "Alice's"])


def test_label_validation(alice_api, app):
    assert alice_api.post("/api/labels/", json={"color": "red"}).get_json() == {
        "text": ["Missing data for required field."]
    }
    assert list(alice_api.post("/api/labels/", json={"text": "x" * 201}).get_json()) == ["text"]
    assert list(alice_api.post("/api/labels/", json={"text": "x", "color": "c" * 21}).get_json()) == ["color"]
    assert table_rows(app, Label) == len(GLOBAL_TEXTS)


def test_deleting_a_label_detaches_it_and_keeps_the_companies(alice_api):
    own = created(alice_api.post("/api/labels/", json={"text": "Short-lived"}))
    company = new_company(alice_api, labels=[{"uuid": own["uuid"]}, chosen_label("Target")])
    assert alice_api.delete(f"/api/labels/{own['uuid']}/", json=own).status_code == 204
    assert [label["text"] for label in ok(alice_api.get(f"/api/companies/{company['uuid']}/"))["labels"]] == ["Target"]
