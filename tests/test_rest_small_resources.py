"""CRUD of the small resources: labels, links, addresses, company ratings, position locations; users' list."""

from __future__ import annotations

from app.models import Address, CompanyRating, Label, Link, PositionLocation
from tests.rest_support import address_body, blank, created, link_body, new_application, new_company, ok, table_rows

GLOBAL_TEXTS = ["Target", "Applied", "Interviewing", "Archived"]


def _crud(api, url: str, create: dict, patch: dict, put: dict) -> dict:
    """Create, list, retrieve, PATCH, PUT and DELETE one object; returns the object after PUT."""
    obj = created(api.post(url, json=create))
    assert obj["api_url"] == f"http://localhost{url}{obj['uuid']}/"
    assert obj["uuid"] in {row["uuid"] for row in ok(api.get(f"{url}?page_size=100"))["results"]}
    assert ok(api.get(f"{url}{obj['uuid']}/")) == obj
    patched = ok(api.patch(f"{url}{obj['uuid']}/", json=patch))
    for key, value in patch.items():
        if isinstance(value, dict):  # a nested object: merged, with its own uuid and timestamps
            for name, nested_value in value.items():
                assert name in ("uuid", "created_at", "modified_at") or patched[key][name] == nested_value, name
        else:
            assert patched[key] == value, key
    replaced = ok(api.put(f"{url}{obj['uuid']}/", json=put))
    assert replaced["uuid"] == obj["uuid"] and replaced["created_at"] == obj["created_at"]
    assert api.delete(f"{url}{obj['uuid']}/", json=replaced).status_code == 204
    assert api.get(f"{url}{obj['uuid']}/").status_code == 404
    return replaced


def test_label_crud_and_owner(alice, alice_api, app):
    body = {"uuid": "", "text": "Dream job", "user": None, "color": "#ff0000", "order": 5}
    replaced = _crud(alice_api, "/api/labels/", body, {"color": "blue"}, {"text": "Renamed"})
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


def test_link_crud_with_blank_and_free_text_url(alice, alice_api):
    replaced = _crud(
        alice_api, "/api/links/", link_body("", ""), {"url": "anything at all", "order": 2}, {"text": "Put"}
    )
    assert replaced["user"] == str(alice.id)
    assert replaced["text"] == "Put"


def test_link_defaults_and_limits(alice_api):
    link = created(alice_api.post("/api/links/", json={"url": "u" * 500}))
    assert link["text"] == "Link" and link["order"] == 0
    response = alice_api.post("/api/links/", json={"url": "u" * 501})
    assert response.status_code == 400 and list(response.get_json()) == ["url"]


def test_address_crud(alice_api, app):
    _crud(
        alice_api,
        "/api/addresses/",
        address_body(city="Paris", country="FR"),
        {"zipcode": "75001"},
        {"street": "1 rue de Rivoli"},
    )
    assert table_rows(app, Address) == 0


def test_company_rating_crud(alice_api, app):
    company = new_company(alice_api)
    body = blank(
        company=company["uuid"], source=link_body("Glassdoor", "g.example"), value=4.2, sample_date="2024-02-03"
    )
    rating = _crud(
        alice_api,
        "/api/company-ratings/",
        body,
        {"value": 3.5, "sample_date": "2024-02-04"},
        {"company": company["uuid"], "value": 1},
    )
    assert rating["value"] == 1.0
    assert rating["source"]["text"] == "Glassdoor"  # PUT leaves out nothing the client did not send
    assert table_rows(app, CompanyRating) == 0
    assert table_rows(app, Link) == 1  # the rating's source went with it; the home page remains


def test_company_shows_its_ratings_read_only(alice_api):
    company = new_company(alice_api)
    created(alice_api.post("/api/company-ratings/", json={"company": company["uuid"], "value": 5}))
    detail = ok(alice_api.get(f"/api/companies/{company['uuid']}/"))
    assert [rating["value"] for rating in detail["ratings"]] == [5.0]
    patched = ok(alice_api.patch(f"/api/companies/{company['uuid']}/", json={**detail, "ratings": {}}))
    assert len(patched["ratings"]) == 1


def test_rating_requires_a_company(alice_api):
    response = alice_api.post("/api/company-ratings/", json={"value": 5})
    assert response.get_json() == {"company": ["Missing data for required field."]}


def test_position_location_crud(alice_api, app):
    application = new_application(alice_api, new_company(alice_api)["uuid"], position_locations=[])
    body = blank(application=application["uuid"], location=address_body(city="Lyon"))
    replaced = _crud(
        alice_api,
        "/api/position-locations/",
        body,
        {"location": {**address_body(city="Nice"), "uuid": "5a0a0a0a-0a0a-4a0a-8a0a-0a0a0a0a0a0a"}},
        {"application": application["uuid"], "location": None},
    )
    assert replaced["location"] is None
    assert table_rows(app, PositionLocation) == 0


def test_users_list_holds_the_caller_alone(alice, alice_api, bob):
    page = ok(alice_api.get("/api/users/"))
    assert page["count"] == 1
    [me] = page["results"]
    assert me["uuid"] == str(alice.id) and me["email"] == "alice@example.com"
    assert {"first_name", "last_name", "avatar_url", "api_url"} <= set(me)
    assert ok(alice_api.get(f"/api/users/{alice.id}/"))["uuid"] == str(alice.id)
    assert alice_api.get(f"/api/users/{bob.id}/").status_code == 404
