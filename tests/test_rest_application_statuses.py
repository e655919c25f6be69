"""/api/application-statuses/ and /api/application-status-links/: links written through their status."""

from __future__ import annotations

import datetime as dt

from app.models import ApplicationStatus, ApplicationStatusLink, Link
from tests.rest_support import (
    blank,
    created,
    new_application,
    new_company,
    new_status,
    ok,
    status_body,
    status_link_body,
    table_rows,
)


def _application(api) -> dict:
    return new_application(api, new_company(api)["uuid"])


def test_create_status_as_the_client_sends_it(alice, alice_api):
    application = _application(alice_api)
    body = status_body(
        application["uuid"],
        "Phone screen",
        applicationstatuslink_set=[status_link_body("Invite", "cal://1"), status_link_body()],
    )
    status = created(alice_api.post("/api/application-statuses/", json=body))
    assert status["application"] == application["uuid"]
    assert status["user"] == str(alice.id)
    assert status["text"] == "Phone screen" and status["date"] == "2024-03-01"
    links = status["applicationstatuslink_set"]
    assert [item["link"]["text"] for item in links] == ["Invite", ""]
    assert all(item["application_status"] == status["uuid"] and item["user"] == str(alice.id) for item in links)


def test_status_date_defaults_to_today(alice_api):
    application = _application(alice_api)
    status = created(
        alice_api.post("/api/application-statuses/", json={"application": application["uuid"], "text": "Applied"})
    )
    assert status["date"] == dt.datetime.now(dt.UTC).date().isoformat()
    assert status["applicationstatuslink_set"] == [] and status["order"] == 0


def test_status_requires_application_and_text(alice_api):
    response = alice_api.post("/api/application-statuses/", json=blank(text="x", application=""))
    assert response.status_code == 400
    assert response.get_json() == {"application": ["Missing data for required field."]}
    application = _application(alice_api)
    response = alice_api.post("/api/application-statuses/", json=blank(application=application["uuid"]))
    assert response.get_json() == {"text": ["Missing data for required field."]}
    response = alice_api.post("/api/application-statuses/", json=status_body(application["uuid"], text="x" * 51))
    assert response.status_code == 400 and list(response.get_json()) == ["text"]


def test_status_links_list_is_the_new_truth(alice_api, app):
    application = _application(alice_api)
    status = new_status(
        alice_api,
        application["uuid"],
        applicationstatuslink_set=[status_link_body("Keep", "k"), status_link_body("Drop", "d")],
    )
    keep, drop = status["applicationstatuslink_set"]
    keep["link"]["url"] = "kept"
    echoed = {**status, "applicationstatuslink_set": [keep, status_link_body("New", "n")]}
    updated = ok(alice_api.patch(f"/api/application-statuses/{status['uuid']}/", json=echoed))
    links = updated["applicationstatuslink_set"]
    assert [(item["link"]["text"], item["link"]["url"]) for item in links] == [("Keep", "kept"), ("New", "n")]
    assert links[0]["uuid"] == keep["uuid"] and links[0]["link"]["uuid"] == keep["link"]["uuid"]
    assert alice_api.get(f"/api/application-status-links/{drop['uuid']}/").status_code == 404
    assert table_rows(app, ApplicationStatusLink) == 2
    assert table_rows(app, Link) == 2 + 2 + 1  # two status links, the application's two links, home page

    kept = ok(alice_api.patch(f"/api/application-statuses/{status['uuid']}/", json={"text": "Renamed"}))
    assert len(kept["applicationstatuslink_set"]) == 2
    null_link = [{"uuid": keep["uuid"], "link": None}]
    updated = ok(
        alice_api.patch(f"/api/application-statuses/{status['uuid']}/", json={"applicationstatuslink_set": null_link})
    )
    assert [item["link"] for item in updated["applicationstatuslink_set"]] == [None]
    assert table_rows(app, Link) == 3


def test_put_status(alice_api):
    application = _application(alice_api)
    status = new_status(alice_api, application["uuid"])
    response = alice_api.put(f"/api/application-statuses/{status['uuid']}/", json={"text": "No application"})
    assert response.status_code == 400 and list(response.get_json()) == ["application"]
    body = status_body(application["uuid"], "Offer", date="2024-05-05", order=3, applicationstatuslink_set=[])
    replaced = ok(alice_api.put(f"/api/application-statuses/{status['uuid']}/", json=body))
    assert (replaced["text"], replaced["date"], replaced["order"]) == ("Offer", "2024-05-05", 3)
    assert replaced["applicationstatuslink_set"] == []


def test_delete_status_deletes_its_links(alice_api, app):
    application = _application(alice_api)
    status = new_status(alice_api, application["uuid"])
    assert alice_api.delete(f"/api/application-statuses/{status['uuid']}/", json=status).status_code == 204
    assert table_rows(app, ApplicationStatus) == 0 and table_rows(app, ApplicationStatusLink) == 0
    assert table_rows(app, Link) == 3  # the application's two links and the company's home page remain
    assert ok(alice_api.get(f"/api/applications/{application['uuid']}/"))["statuses"] == []
