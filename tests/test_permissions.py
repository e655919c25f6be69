"""Owner-only access, for every registered resource and method: nothing of Alice's reaches Bob.

The matrix walks the app's URL map, so a new resource is covered (and must get an object in
`alice_objects`) without editing the list of cases here.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from app.models import Label
from app.resources.base import ResourceView
from tests.conftest import login
from tests.rest_support import (
    address_body,
    application_body,
    blank,
    chosen_label,
    company_body,
    created,
    link_body,
    new_application,
    new_company,
    new_status,
    ok,
    row_counts,
    status_body,
    status_link_body,
)

NOT_FOUND = {"detail": "Not found."}
NOT_YOURS = ["Object does not exist."]
WRITE_METHODS = ("PATCH", "PUT", "DELETE")


def registered_resources(app: Flask) -> dict[str, tuple[type[ResourceView], str]]:
    """Collection URL -> (view class, detail rule) for every ResourceView in the URL map."""
    found: dict[str, tuple[type[ResourceView], str]] = {}
    for rule in app.url_map.iter_rules():
        view = getattr(app.view_functions[rule.endpoint], "view_class", None)
        if view is not None and issubclass(view, ResourceView) and "<" in rule.rule:
            found[rule.rule.split("<")[0]] = (view, rule.rule)
    return found


@pytest.fixture
def alice_objects(app, alice, alice_api) -> dict[str, dict[str, Any]]:
    """One object of Alice's behind every registered collection URL, nested parts included."""
    label = created(alice_api.post("/api/labels/", json={"text": "Alice only", "order": 1}))
    company = new_company(alice_api, "Alice Inc", labels=[{"uuid": label["uuid"]}, chosen_label("Target")])
    application = new_application(alice_api, company["uuid"], labels=[chosen_label("Alice only")])
    status = new_status(alice_api, application["uuid"])
    builders = {
        "/api/users/": lambda: {"uuid": str(alice.id)},
        "/api/labels/": lambda: label,
        "/api/links/": lambda: created(alice_api.post("/api/links/", json=link_body("Standalone", "u"))),
        "/api/addresses/": lambda: created(alice_api.post("/api/addresses/", json=address_body(city="Alone"))),
        "/api/companies/": lambda: company,
        "/api/company-ratings/": lambda: created(
            alice_api.post(
                "/api/company-ratings/", json=blank(company=company["uuid"], value=4, source=link_body("Src", "s"))
            )
        ),
        "/api/applications/": lambda: application,
        "/api/position-locations/": lambda: application["position_locations"][0],
        "/api/application-statuses/": lambda: status,
        "/api/application-status-links/": lambda: status["applicationstatuslink_set"][0],
        "/api/feeds/": lambda: created(alice_api.post("/api/feeds/", json={"name": "Alice's feed"})),
    }
    registered = registered_resources(app)
    missing = set(registered) - set(builders)
    assert not missing, f"add an object of these resources to the permission matrix: {missing}"
    return {url: build() for url, build in builders.items() if url in registered}


def _matrix_cases() -> list[tuple[str, str]]:
    from app import create_app
    from tests.conftest import make_config

    app = create_app(make_config("sqlite://"))
    return [
        (url, method)
        for url, (view, _rule) in sorted(registered_resources(app).items())
        for method in ("GET", *WRITE_METHODS)
        if method in view.detail_methods
    ]


def test_every_registered_resource_has_an_object_in_the_matrix(app, alice_objects):
    assert set(registered_resources(app)) == set(alice_objects)
    assert len(_matrix_cases()) >= 3 * len(alice_objects)


@pytest.mark.parametrize(("url", "method"), _matrix_cases())
def test_another_users_object_is_a_404_for_every_method(app, alice_api, bob_api, alice_objects, url, method):
    obj = alice_objects[url]
    before = ok(alice_api.get(f"{url}{obj['uuid']}/"))
    counts = row_counts(app)
    response = bob_api.open(method, f"{url}{obj['uuid']}/", json={**obj, "text": "Bob", "name": "Bob"})
    assert response.status_code == 404, response.get_json()
    assert response.get_json() == NOT_FOUND
    assert ok(alice_api.get(f"{url}{obj['uuid']}/")) == before
    assert row_counts(app) == counts


@pytest.mark.parametrize(("url", "method"), _matrix_cases())
def test_a_missing_object_is_the_same_404(bob_api, url, method):
    response = bob_api.open(method, f"{url}00000000-0000-4000-8000-000000000000/", json={})
    assert (response.status_code, response.get_json()) == (404, NOT_FOUND)


def test_lists_never_leak(app, bob_api, alice_objects):
    for url in registered_resources(app):
        page = ok(bob_api.get(f"{url}?page_size=100"))
        shown = {row["uuid"] for row in page["results"]}
        assert alice_objects[url]["uuid"] not in shown, url
        if url == "/api/labels/":
            assert {row["user"] for row in page["results"]} == {None}  # only the global labels
        elif url == "/api/users/":
            assert page["count"] == 1
        else:
            assert page["count"] == 0, url


def test_filters_do_not_reach_other_users_rows(bob_api, alice_objects):
    company, application = alice_objects["/api/companies/"], alice_objects["/api/applications/"]
    assert ok(bob_api.get(f"/api/applications/?user_company={company['uuid']}"))["count"] == 0
    assert ok(bob_api.get(f"/api/application-statuses/?application={application['uuid']}"))["count"] == 0
    assert ok(bob_api.get("/api/companies/?labels__text=Alice only"))["count"] == 0
    assert ok(bob_api.get("/api/companies/?name__icontains=alice"))["count"] == 0


def _bob_graph(bob_api) -> dict[str, dict[str, Any]]:
    company = new_company(bob_api, "Bob Ltd")
    application = new_application(bob_api, company["uuid"])
    status = new_status(bob_api, application["uuid"])
    rating = created(bob_api.post("/api/company-ratings/", json={"company": company["uuid"], "value": 3}))
    return {
        "company": company,
        "application": application,
        "status": status,
        "location": application["position_locations"][0],
        "status_link": status["applicationstatuslink_set"][0],
        "rating": rating,
    }


def test_references_to_another_users_objects_are_a_400_on_that_field(app, bob_api, alice_objects):
    alice_company = alice_objects["/api/companies/"]["uuid"]
    alice_application = alice_objects["/api/applications/"]["uuid"]
    alice_status = alice_objects["/api/application-statuses/"]["uuid"]
    bob = _bob_graph(bob_api)
    counts = row_counts(app)
    attempts = [
        ("POST", "/api/applications/", application_body(alice_company), "user_company"),
        ("PATCH", f"/api/applications/{bob['application']['uuid']}/", {"user_company": alice_company}, "user_company"),
        ("PUT", f"/api/applications/{bob['application']['uuid']}/", application_body(alice_company), "user_company"),
        ("POST", "/api/application-statuses/", status_body(alice_application), "application"),
        (
            "PATCH",
            f"/api/application-statuses/{bob['status']['uuid']}/",
            {"application": alice_application},
            "application",
        ),
        (
            "POST",
            "/api/application-status-links/",
            status_link_body() | {"application_status": alice_status},
            "application_status",
        ),
        ("POST", "/api/position-locations/", {"application": alice_application}, "application"),
        (
            "PATCH",
            f"/api/position-locations/{bob['location']['uuid']}/",
            {"application": alice_application},
            "application",
        ),
        ("POST", "/api/company-ratings/", {"company": alice_company, "value": 1}, "company"),
        ("PATCH", f"/api/company-ratings/{bob['rating']['uuid']}/", {"company": alice_company}, "company"),
        (
            "PATCH",
            f"/api/application-status-links/{bob['status_link']['uuid']}/",
            {"application_status": alice_status},
            "application_status",
        ),
    ]
    for method, url, body, field in attempts:
        response = bob_api.open(method, url, json=body)
        assert response.status_code == 400, (method, url, response.get_json())
        assert response.get_json() == {field: NOT_YOURS}, (method, url)
    assert row_counts(app) == counts


def test_another_users_label_cannot_be_attached_by_uuid_or_text(app, bob_api, alice_objects):
    label = alice_objects["/api/labels/"]
    bob = _bob_graph(bob_api)
    for labels in ([{"uuid": label["uuid"], "text": "Alice only"}], [chosen_label("Alice only")]):
        for method, url, body in (
            ("POST", "/api/companies/", company_body("x", labels=labels)),
            ("PATCH", f"/api/companies/{bob['company']['uuid']}/", {"labels": labels}),
            ("PATCH", "/api/companies/", [{"uuid": bob["company"]["uuid"], "labels": labels}]),
            ("PATCH", f"/api/applications/{bob['application']['uuid']}/", {"labels": labels}),
        ):
            response = bob_api.open(method, url, json=body)
            assert response.status_code == 400, (method, url, body)
            assert "labels" in str(response.get_json())
    assert ok(bob_api.get(f"/api/companies/{bob['company']['uuid']}/"))["labels"] == []


def test_batch_patch_cannot_touch_another_users_company(alice_api, bob_api, alice_objects):
    company = alice_objects["/api/companies/"]
    own = new_company(bob_api, "Bob's")
    response = bob_api.patch(
        "/api/companies/", json=[{"uuid": own["uuid"], "name": "Changed"}, {"uuid": company["uuid"], "name": "Stolen"}]
    )
    assert response.status_code == 400
    assert response.get_json() == {"1": {"uuid": ["Object does not exist."]}}
    assert ok(alice_api.get(f"/api/companies/{company['uuid']}/"))["name"] == "Alice Inc"
    assert ok(bob_api.get(f"/api/companies/{own['uuid']}/"))["name"] == "Bob's"


def test_nested_uuids_of_another_users_rows_create_new_rows_and_leave_hers_alone(alice_api, bob_api, alice_objects):
    company = alice_objects["/api/companies/"]
    application = alice_objects["/api/applications/"]
    status = alice_objects["/api/application-statuses/"]
    before = {
        url: ok(alice_api.get(f"{url}{obj['uuid']}/")) for url, obj in alice_objects.items() if url != "/api/users/"
    }
    bob = _bob_graph(bob_api)

    stolen_link = {**status["applicationstatuslink_set"][0], "link": {"text": "Bob"}}
    patched = ok(
        bob_api.patch(
            f"/api/application-statuses/{bob['status']['uuid']}/", json={"applicationstatuslink_set": [stolen_link]}
        )
    )
    assert [item["uuid"] for item in patched["applicationstatuslink_set"]] != [stolen_link["uuid"]]
    assert patched["applicationstatuslink_set"][0]["link"]["text"] == "Bob"

    stolen_location = {**application["position_locations"][0], "location": {"city": "Bob"}}
    patched = ok(
        bob_api.patch(
            f"/api/applications/{bob['application']['uuid']}/", json={"position_locations": [stolen_location]}
        )
    )
    assert patched["position_locations"][0]["uuid"] != stolen_location["uuid"]

    stolen_address = {**company["hq_location"], "city": "Bob"}
    patched = ok(
        bob_api.patch(
            f"/api/companies/{bob['company']['uuid']}/",
            json={"hq_location": stolen_address, "home_page": company["home_page"]},
        )
    )
    assert patched["hq_location"]["uuid"] != company["hq_location"]["uuid"]
    assert patched["home_page"]["uuid"] != company["home_page"]["uuid"]

    created_with_uuids = created(bob_api.post("/api/companies/", json={**company, "name": "Copy", "labels": []}))
    assert created_with_uuids["uuid"] != company["uuid"]
    assert created_with_uuids["hq_location"]["uuid"] != company["hq_location"]["uuid"]

    after = {
        url: ok(alice_api.get(f"{url}{obj['uuid']}/")) for url, obj in alice_objects.items() if url != "/api/users/"
    }
    assert after == before


def test_owner_cannot_be_spoofed_through_user(alice, alice_api, bob):
    body = company_body("Mine", user=str(bob.id), home_page={**link_body("x", "y"), "user": str(bob.id)})
    company = created(alice_api.post("/api/companies/", json=body))
    assert company["user"] == str(alice.id) and company["home_page"]["user"] == str(alice.id)
    patched = ok(alice_api.patch(f"/api/companies/{company['uuid']}/", json={"user": str(bob.id)}))
    assert patched["user"] == str(alice.id)
    label = created(alice_api.post("/api/labels/", json={"text": "L", "user": None}))
    assert label["user"] == str(alice.id)  # a null owner would make a global label
    label = created(alice_api.post("/api/labels/", json={"text": "L2", "user": str(bob.id)}))
    assert label["user"] == str(alice.id)


def test_global_labels_are_readable_and_usable_by_all(alice_api, bob_api):
    for api in (alice_api, bob_api):
        page = ok(api.get("/api/labels/"))
        assert {label["text"] for label in page["results"] if label["user"] is None} == {
            "Target",
            "Applied",
            "Interviewing",
            "Archived",
        }
        company = new_company(api, labels=[chosen_label("Applied")])
        assert company["labels"][0]["user"] is None


@pytest.mark.parametrize("method", WRITE_METHODS)
def test_global_labels_are_writable_only_by_admins(app, make_user, bob_api, method):
    target = next(label for label in ok(bob_api.get("/api/labels/"))["results"] if label["text"] == "Target")
    url = f"/api/labels/{target['uuid']}/"
    body = {"text": "Hijacked", "color": "red"}
    response = bob_api.open(method, url, json=body)
    assert response.status_code == 403
    assert response.get_json() == {"detail": "Only an administrator can change a global label."}
    assert ok(bob_api.get(url)) == target

    make_user("admin@example.com", is_admin=True)
    admin_api = login(app.test_client(), "admin@example.com")
    response = admin_api.open(method, url, json=body)
    assert response.status_code == (204 if method == "DELETE" else 200)
    if method != "DELETE":
        assert response.get_json()["text"] == "Hijacked"
        assert response.get_json()["user"] is None  # still global


def test_admins_cannot_see_other_users_labels(app, make_user, alice_objects):
    make_user("admin@example.com", is_admin=True)
    admin_api = login(app.test_client(), "admin@example.com")
    label = alice_objects["/api/labels/"]
    assert admin_api.get(f"/api/labels/{label['uuid']}/").status_code == 404
    assert admin_api.patch(f"/api/labels/{label['uuid']}/", json={"text": "x"}).status_code == 404


def test_global_labels_survive_a_users_deletion_of_their_own(app, alice_api):
    own = created(alice_api.post("/api/labels/", json={"text": "Mine"}))
    assert alice_api.delete(f"/api/labels/{own['uuid']}/").status_code == 204
    with app.app_context():
        from app.extensions import db

        assert db.session.query(Label).filter(Label.user_id.is_(None)).count() == 4


@pytest.mark.parametrize(("url", "method"), _matrix_cases())
def test_anonymous_requests_are_401(anon_api, alice_objects, url, method):
    obj = alice_objects[url]
    response = anon_api.open(method, f"{url}{obj['uuid']}/", json={})
    assert response.status_code == 401
    assert set(response.get_json()) == {"detail"}
    response = anon_api.open("GET" if method == "GET" else "POST", url, json={})
    assert response.status_code in (401, 405)


def test_the_statement_built_once_sees_what_owner_clause_sees(app, alice, bob, alice_objects):
    """`readable_by_parameter` (a detail's statement, built once for every caller) keeps, for each user,
    the rows `owner_clause` keeps, on every registered resource's model (global labels included)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.permissions import READER_ID, owner_clause, readable_by_parameter

    models = {view.model for view, _rule in registered_resources(app).values()}
    with app.app_context():
        for user in (db.session.get(type(alice), alice.id), db.session.get(type(bob), bob.id)):
            for model in models:
                expected = set(db.session.scalars(select(model.id).where(owner_clause(model, user))))
                built = select(model.id).where(readable_by_parameter(model))
                assert set(db.session.scalars(built, {READER_ID: user.id})) == expected, model
                assert expected or user is not alice, model  # Alice has a row of every model
