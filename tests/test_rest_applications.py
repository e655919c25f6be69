"""/api/applications/: the client's bodies, position locations diffed by uuid, links, labels, cascades."""

from __future__ import annotations

from app.models import Address, Application, ApplicationStatus, ApplicationStatusLink, Label, Link, PositionLocation
from tests.rest_support import (
    address_body,
    application_body,
    blank,
    chosen_label,
    created,
    link_body,
    new_application,
    new_company,
    new_status,
    ok,
    row_counts,
    table_rows,
)


def test_create_application_as_the_client_sends_it(alice, alice_api):
    company = new_company(alice_api)
    body = application_body(
        company["uuid"],
        "Backend engineer",
        job_description_page=link_body("JD", "jobs.example/1"),
        position_locations=[blank(location=address_body(city="Berlin")), blank(location=address_body(city="Paris"))],
        labels={},  # the client's "no labels"
        notes="<p>notes</p>",
    )
    application = created(alice_api.post("/api/applications/", json=body))
    assert application["user"] == str(alice.id)
    assert application["user_company"] == company["uuid"]
    assert application["position_title"] == "Backend engineer"
    assert application["job_description_page"]["url"] == "jobs.example/1"
    assert application["job_source"]["text"] == ""
    assert [pl["location"]["city"] for pl in application["position_locations"]] == ["Berlin", "Paris"]
    assert all(pl["application"] == application["uuid"] for pl in application["position_locations"])
    assert application["labels"] == [] and application["statuses"] == []
    assert application["notes"] == "<p>notes</p>"


def test_create_requires_company_and_title(alice_api, app):
    before = row_counts(app)
    response = alice_api.post("/api/applications/", json=application_body("", title="x"))
    assert response.status_code == 400
    assert response.get_json() == {"user_company": ["Missing data for required field."]}
    body = application_body(new_company(alice_api)["uuid"])
    del body["position_title"]
    response = alice_api.post("/api/applications/", json=body)
    assert response.get_json() == {"position_title": ["Missing data for required field."]}
    assert row_counts(app)["application"] == before["application"]


def test_unknown_company_is_a_400_on_that_field(alice_api):
    response = alice_api.post("/api/applications/", json=application_body("00000000-0000-4000-8000-000000000000"))
    assert response.status_code == 400
    assert response.get_json() == {"user_company": ["Object does not exist."]}


def test_patch_echoed_application_keeps_locations_and_statuses(alice_api):
    company = new_company(alice_api)
    application = new_application(alice_api, company["uuid"])
    status = new_status(alice_api, application["uuid"])
    echoed = ok(alice_api.get(f"/api/applications/{application['uuid']}/"))
    echoed["position_title"] = "Staff engineer"
    echoed["labels"] = [chosen_label("Applied")]
    echoed["statuses"] = []  # read-only: must not delete the statuses
    updated = ok(alice_api.patch(f"/api/applications/{application['uuid']}/", json=echoed))
    assert updated["position_title"] == "Staff engineer"
    assert [label["text"] for label in updated["labels"]] == ["Applied"]
    assert [s["uuid"] for s in updated["statuses"]] == [status["uuid"]]
    assert [pl["uuid"] for pl in updated["position_locations"]] == [
        pl["uuid"] for pl in application["position_locations"]
    ]


def test_position_locations_list_is_the_new_truth(alice_api, app):
    company = new_company(alice_api)
    application = new_application(
        alice_api,
        company["uuid"],
        position_locations=[blank(location=address_body(city="Keep")), blank(location=address_body(city="Drop"))],
    )
    keep, drop = application["position_locations"]
    keep["location"]["city"] = "Kept and renamed"
    new_items = [
        keep,
        {"uuid": "", "location": {"city": "Blank uuid"}},
        {"location": {"city": "No uuid"}},
        {"uuid": "11111111-1111-4111-8111-111111111111", "location": {"city": "Unknown uuid"}},
    ]
    updated = ok(alice_api.patch(f"/api/applications/{application['uuid']}/", json={"position_locations": new_items}))
    cities = [pl["location"]["city"] for pl in updated["position_locations"]]
    assert cities == ["Kept and renamed", "Blank uuid", "No uuid", "Unknown uuid"]
    assert updated["position_locations"][0]["uuid"] == keep["uuid"]
    assert updated["position_locations"][0]["location"]["uuid"] == keep["location"]["uuid"]
    assert drop["uuid"] not in {pl["uuid"] for pl in updated["position_locations"]}
    assert table_rows(app, PositionLocation) == 4
    assert table_rows(app, Address) == 4 + 1  # the dropped location went with its row (+ the company's HQ)
    assert alice_api.get(f"/api/position-locations/{drop['uuid']}/").status_code == 404

    unchanged = ok(alice_api.patch(f"/api/applications/{application['uuid']}/", json={"notes": "x"}))
    assert len(unchanged["position_locations"]) == 4  # leaving the key out leaves the items alone
    emptied = ok(alice_api.patch(f"/api/applications/{application['uuid']}/", json={"position_locations": []}))
    assert emptied["position_locations"] == []
    assert table_rows(app, PositionLocation) == 0


def test_nested_location_null_removes_the_address(alice_api, app):
    company = new_company(alice_api, hq_location=None)
    application = new_application(alice_api, company["uuid"])
    [location] = application["position_locations"]
    updated = ok(
        alice_api.patch(
            f"/api/applications/{application['uuid']}/",
            json={"position_locations": [{"uuid": location["uuid"], "location": None}], "job_source": None},
        )
    )
    assert updated["position_locations"][0]["location"] is None
    assert updated["job_source"] is None
    assert table_rows(app, Address) == 0


def test_application_labels_by_uuid_and_text(alice_api):
    company = new_company(alice_api)
    application = new_application(alice_api, company["uuid"], labels=[chosen_label("Target")])
    labels = ok(alice_api.get("/api/labels/?ordering=order&page_size=100"))["results"]
    applied = next(label for label in labels if label["text"] == "Applied")
    updated = ok(alice_api.patch(f"/api/applications/{application['uuid']}/", json={"labels": [applied]}))
    assert [label["uuid"] for label in updated["labels"]] == [applied["uuid"]]
    cleared = ok(alice_api.patch(f"/api/applications/{application['uuid']}/", json={"labels": {}}))
    assert cleared["labels"] == []


def test_move_application_to_another_own_company(alice_api):
    first, second = new_company(alice_api, "First"), new_company(alice_api, "Second")
    application = new_application(alice_api, first["uuid"])
    moved = ok(alice_api.patch(f"/api/applications/{application['uuid']}/", json={"user_company": second["uuid"]}))
    assert moved["user_company"] == second["uuid"]
    assert ok(alice_api.get(f"/api/companies/{first['uuid']}/"))["applications"] == []


def test_put_requires_every_required_field(alice_api):
    company = new_company(alice_api)
    application = new_application(alice_api, company["uuid"])
    response = alice_api.put(f"/api/applications/{application['uuid']}/", json={"position_title": "Only title"})
    assert response.status_code == 400
    assert response.get_json() == {"user_company": ["Missing data for required field."]}
    body = application_body(company["uuid"], "Replaced", position_locations=[], job_source=None)
    replaced = ok(alice_api.put(f"/api/applications/{application['uuid']}/", json=body))
    assert replaced["position_title"] == "Replaced"
    assert replaced["position_locations"] == [] and replaced["job_source"] is None


def test_delete_application_cascades_but_keeps_company_and_labels(alice_api, app):
    company = new_company(alice_api)
    application = new_application(alice_api, company["uuid"], labels=[chosen_label("Applied")])
    new_status(alice_api, application["uuid"])
    labels = table_rows(app, Label)
    response = alice_api.delete(f"/api/applications/{application['uuid']}/", json=application)
    assert response.status_code == 204
    for model in (Application, ApplicationStatus, ApplicationStatusLink, PositionLocation):
        assert table_rows(app, model) == 0, model
    assert table_rows(app, Address) == 1 and table_rows(app, Link) == 1  # the company's HQ and home page
    assert table_rows(app, Label) == labels
    assert ok(alice_api.get(f"/api/companies/{company['uuid']}/"))["applications"] == []
