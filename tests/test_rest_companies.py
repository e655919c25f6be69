"""/api/companies/: CRUD with the client's own bodies, nested writes, batch PATCH, cascading delete."""

from __future__ import annotations

from app.models import Address, Application, ApplicationStatus, ApplicationStatusLink, Company, Label, Link
from tests.rest_support import (
    address_body,
    chosen_label,
    company_body,
    created,
    new_application,
    new_company,
    new_status,
    ok,
    row_counts,
    table_rows,
)


def test_create_company_as_the_client_sends_it(alice, alice_api):
    body = company_body(
        "Acme",
        labels=[chosen_label("Interviewing")],
        hq_location=address_body(city="Springfield", country="US", zipcode="12345"),
    )
    company = created(alice_api.post("/api/companies/", json=body))

    assert company["name"] == "Acme"
    assert company["user"] == str(alice.id)
    assert company["api_url"] == f"http://localhost/api/companies/{company['uuid']}/"
    assert company["hq_location"]["city"] == "Springfield"
    assert company["hq_location"]["zipcode"] == "12345"
    assert company["hq_location"]["uuid"]
    assert company["home_page"] == {**company["home_page"], "text": "Home", "url": "acme.example"}
    assert company["home_page"]["user"] == str(alice.id)
    assert [label["text"] for label in company["labels"]] == ["Interviewing"]
    assert company["labels"][0]["user"] is None  # the global label, not a copy
    assert company["applications"] == [] and company["ratings"] == []
    assert company["created_at"].endswith("+00:00") and company["modified_at"]


def test_create_accepts_empty_links_and_any_url_text(alice_api):
    company = new_company(alice_api, home_page={"text": "", "url": "not a url, but the client allows it"})
    assert company["home_page"]["url"] == "not a url, but the client allows it"
    assert company["home_page"]["text"] == ""


def test_create_without_nested_objects_leaves_them_null(alice_api):
    company = created(alice_api.post("/api/companies/", json={"name": "Bare"}))
    assert company["hq_location"] is None and company["home_page"] is None
    assert company["labels"] == [] and company["notes"] == ""


def test_create_requires_a_name(alice_api, app):
    before = row_counts(app)
    response = alice_api.post("/api/companies/", json=company_body(name=""))
    assert response.status_code == 201  # blank is allowed by the original model; missing is not
    response = alice_api.post("/api/companies/", json={k: v for k, v in company_body().items() if k != "name"})
    assert response.status_code == 400
    assert response.get_json() == {"name": ["Missing data for required field."]}
    after = row_counts(app)
    assert after["company"] == before["company"] + 1


def test_create_with_unknown_label_fails_and_writes_nothing(alice_api, app):
    before = row_counts(app)
    response = alice_api.post("/api/companies/", json=company_body(labels=[chosen_label("No such label")]))
    assert response.status_code == 400
    assert list(response.get_json()) == ["labels"]
    assert row_counts(app) == before


def test_retrieve_shows_applications_and_statuses_in_full(alice_api):
    company = new_company(alice_api)
    application = new_application(alice_api, company["uuid"])
    new_status(alice_api, application["uuid"], "Applied", date="2024-01-01")
    new_status(alice_api, application["uuid"], "Interview", date="2024-02-01")

    detail = ok(alice_api.get(f"/api/companies/{company['uuid']}/"))
    assert detail["modified_at"]
    [shown] = detail["applications"]
    assert shown["uuid"] == application["uuid"]
    assert shown["position_locations"][0]["location"]["city"] == "Remote"
    assert [status["text"] for status in shown["statuses"]] == ["Interview", "Applied"]  # newest date first
    assert shown["statuses"][0]["applicationstatuslink_set"][0]["link"]["text"] == "Confirmation"


def test_detail_works_without_trailing_slash(alice_api):
    company = new_company(alice_api)
    assert ok(alice_api.get(f"/api/companies/{company['uuid']}"))["uuid"] == company["uuid"]
    assert ok(alice_api.get("/api/companies"))["count"] == 1
    response = alice_api.patch(f"/api/companies/{company['uuid']}", json={"name": "No slash"})
    assert ok(response)["name"] == "No slash"


def test_list_holds_the_callers_companies(alice_api):
    new_company(alice_api, "One")
    new_company(alice_api, "Two")
    page = ok(alice_api.get("/api/companies/"))
    assert page["count"] == 2
    assert [company["name"] for company in page["results"]] == ["Two", "One"]  # newest change first
    assert page["next"] is None and page["previous"] is None


def test_patch_with_the_whole_object_echoed_back(alice_api):
    company = new_company(alice_api, labels=[chosen_label("Target")])
    application = new_application(alice_api, company["uuid"])
    echoed = ok(alice_api.get(f"/api/companies/{company['uuid']}/"))

    echoed["name"] = "Acme Corp"
    echoed["hq_location"]["city"] = "Shelbyville"
    echoed["labels"].append(chosen_label("Interviewing"))
    echoed["applications"] = []  # read-only: must not delete the applications
    echoed["ratings"] = {}
    updated = ok(alice_api.patch(f"/api/companies/{company['uuid']}/", json=echoed))

    assert updated["name"] == "Acme Corp"
    assert updated["hq_location"]["city"] == "Shelbyville"
    assert updated["hq_location"]["uuid"] == company["hq_location"]["uuid"]  # merged, not replaced
    assert updated["home_page"]["uuid"] == company["home_page"]["uuid"]
    assert [label["text"] for label in updated["labels"]] == ["Target", "Interviewing"]
    assert [a["uuid"] for a in updated["applications"]] == [application["uuid"]]
    assert updated["modified_at"] > company["modified_at"]
    assert updated["created_at"] == company["created_at"]


def test_patch_merges_only_the_given_nested_fields(alice_api):
    company = new_company(alice_api, hq_location=address_body(city="Springfield", country="US"))
    updated = ok(alice_api.patch(f"/api/companies/{company['uuid']}/", json={"hq_location": {"city": "Ogdenville"}}))
    assert updated["hq_location"]["city"] == "Ogdenville"
    assert updated["hq_location"]["country"] == "US"
    assert updated["name"] == "Acme"


def test_patch_creates_a_missing_nested_object(alice_api, app):
    company = created(alice_api.post("/api/companies/", json={"name": "Bare"}))
    updated = ok(alice_api.patch(f"/api/companies/{company['uuid']}/", json={"home_page": {"url": "x.example"}}))
    assert updated["home_page"]["url"] == "x.example"
    assert updated["home_page"]["text"] == "Link"  # the model default
    assert table_rows(app, Link) == 1


def test_patch_null_removes_the_nested_object(alice_api, app):
    company = new_company(alice_api)
    assert table_rows(app, Address) == 1 and table_rows(app, Link) == 1
    updated = ok(alice_api.patch(f"/api/companies/{company['uuid']}/", json={"hq_location": None, "home_page": None}))
    assert updated["hq_location"] is None and updated["home_page"] is None
    assert table_rows(app, Address) == 0 and table_rows(app, Link) == 0


def test_patch_labels_replace_the_set_matched_by_uuid_or_text(alice_api):
    own = created(alice_api.post("/api/labels/", json={"text": "Dream job", "color": "#f00", "order": 7}))
    company = new_company(alice_api, labels=[chosen_label("Target"), chosen_label("Applied")])
    updated = ok(
        alice_api.patch(
            f"/api/companies/{company['uuid']}/",
            json={"labels": [{"uuid": own["uuid"], "text": "ignored when the uuid matches"}, chosen_label("Target")]},
        )
    )
    assert [label["text"] for label in updated["labels"]] == ["Target", "Dream job"]  # label order, then text
    cleared = ok(alice_api.patch(f"/api/companies/{company['uuid']}/", json={"labels": []}))
    assert cleared["labels"] == []


def test_patch_label_text_prefers_the_callers_own_label(alice_api):
    own = created(alice_api.post("/api/labels/", json={"text": "Applied", "order": 9}))
    company = new_company(alice_api, labels=[chosen_label("Applied")])
    assert [label["uuid"] for label in company["labels"]] == [own["uuid"]]


def test_patch_leaving_labels_out_keeps_them(alice_api):
    company = new_company(alice_api, labels=[chosen_label("Target")])
    updated = ok(alice_api.patch(f"/api/companies/{company['uuid']}/", json={"notes": "<p>hi</p>"}))
    assert [label["text"] for label in updated["labels"]] == ["Target"]
    assert updated["notes"] == "<p>hi</p>"


def test_failed_patch_changes_nothing(alice_api):
    company = new_company(alice_api, labels=[chosen_label("Target")])
    before = ok(alice_api.get(f"/api/companies/{company['uuid']}/"))
    response = alice_api.patch(
        f"/api/companies/{company['uuid']}/",
        json={"name": "Changed", "hq_location": {"city": "Changed"}, "labels": [chosen_label("Nope")]},
    )
    assert response.status_code == 400
    assert response.get_json() == {"labels": {"0": ["Label 'Nope' does not exist."]}}
    assert ok(alice_api.get(f"/api/companies/{company['uuid']}/")) == before


def test_put_replaces_and_requires_the_name(alice_api):
    company = new_company(alice_api)
    response = alice_api.put(f"/api/companies/{company['uuid']}/", json={"notes": "no name"})
    assert response.status_code == 400
    assert response.get_json() == {"name": ["Missing data for required field."]}
    body = company_body("Replaced", notes="n", labels=[chosen_label("Archived")], home_page=None)
    replaced = ok(alice_api.put(f"/api/companies/{company['uuid']}/", json=body))
    assert replaced["name"] == "Replaced" and replaced["notes"] == "n"
    assert replaced["home_page"] is None
    assert [label["text"] for label in replaced["labels"]] == ["Archived"]
    assert replaced["uuid"] == company["uuid"]


def test_delete_cascades_to_everything_the_company_owns_but_labels(alice_api, app):
    company = new_company(alice_api, labels=[chosen_label("Target")])
    application = new_application(alice_api, company["uuid"], labels=[chosen_label("Applied")])
    new_status(alice_api, application["uuid"])
    labels_before = table_rows(app, Label)

    response = alice_api.delete(f"/api/companies/{company['uuid']}/", json=company)  # the client sends the body
    assert response.status_code == 204
    assert response.data == b""
    for model in (Company, Application, ApplicationStatus, ApplicationStatusLink, Address, Link):
        assert table_rows(app, model) == 0, model
    assert table_rows(app, Label) == labels_before
    assert alice_api.get(f"/api/companies/{company['uuid']}/").status_code == 404


def test_batch_patch_updates_every_company_in_one_request(alice_api):
    one = new_company(alice_api, "One")
    two = new_company(alice_api, "Two", labels=[chosen_label("Target")])
    response = alice_api.patch(
        "/api/companies/",
        json=[
            {"uuid": one["uuid"], "labels": [chosen_label("Applied")]},
            {**two, "labels": [chosen_label("Archived")], "applications": []},
        ],
    )
    updated = ok(response)
    assert [company["uuid"] for company in updated] == [one["uuid"], two["uuid"]]
    assert [[label["text"] for label in company["labels"]] for company in updated] == [["Applied"], ["Archived"]]
    page = ok(alice_api.get("/api/companies/"))
    assert {c["name"]: [label["text"] for label in c["labels"]] for c in page["results"]} == {
        "One": ["Applied"],
        "Two": ["Archived"],
    }


def test_batch_patch_failure_rolls_back_every_change(alice_api, bob_api):
    one = new_company(alice_api, "One", labels=[chosen_label("Target")])
    two = new_company(alice_api, "Two")
    foreign = new_company(bob_api, "Bob's")
    before = ok(alice_api.get("/api/companies/?ordering=name"))
    bob_before = ok(bob_api.get(f"/api/companies/{foreign['uuid']}/"))

    bad_batches = [
        [{"uuid": one["uuid"], "name": "Changed"}, {"uuid": foreign["uuid"], "name": "Stolen"}],
        [{"uuid": one["uuid"], "labels": [chosen_label("Applied")]}, {"name": "no uuid"}],
        [{"uuid": one["uuid"], "hq_location": None}, {"uuid": two["uuid"], "labels": [chosen_label("Nope")]}],
        [{"uuid": one["uuid"], "name": "Changed"}, {"uuid": "not-a-uuid"}],
        [{"uuid": one["uuid"], "name": "x" * 101}],
        [{"uuid": one["uuid"], "name": "Changed"}, "not an object"],
    ]
    for batch in bad_batches:
        response = alice_api.patch("/api/companies/", json=batch)
        assert response.status_code == 400, batch
        assert isinstance(response.get_json(), dict)
        assert ok(alice_api.get("/api/companies/?ordering=name")) == before, batch
    assert ok(bob_api.get(f"/api/companies/{foreign['uuid']}/")) == bob_before


def test_batch_patch_error_names_the_failing_item(alice_api):
    one = new_company(alice_api, "One")
    response = alice_api.patch("/api/companies/", json=[{"uuid": one["uuid"]}, {"uuid": ""}])
    assert response.status_code == 400
    assert response.get_json() == {"1": {"uuid": ["A valid uuid of one of your objects is required."]}}


def test_batch_patch_needs_a_non_empty_list(alice_api):
    for body in ([], {"uuid": "x"}, "text"):
        response = alice_api.patch("/api/companies/", json=body)
        assert response.status_code == 400, body
        assert "non_field_errors" in response.get_json()
