"""/api/application-status-links/: a status link on its own (it is also written through its status)."""

from __future__ import annotations

from app.models import ApplicationStatusLink
from tests.rest_support import blank, created, link_body, new_application, new_company, new_status, ok, table_rows


def test_standalone_status_link_crud(alice, alice_api, app):
    application = new_application(alice_api, new_company(alice_api)["uuid"])
    status = new_status(alice_api, application["uuid"], applicationstatuslink_set=[])
    body = blank(application_status=status["uuid"], user={}, link=link_body("Mail", "m://1"))
    item = created(alice_api.post("/api/application-status-links/", json=body))
    assert item["application_status"] == status["uuid"] and item["user"] == str(alice.id)
    assert ok(alice_api.get(f"/api/application-status-links/{item['uuid']}/"))["link"]["url"] == "m://1"
    listed = ok(alice_api.get("/api/application-status-links/"))
    assert [row["uuid"] for row in listed["results"]] == [item["uuid"]]
    patched = ok(alice_api.patch(f"/api/application-status-links/{item['uuid']}/", json={"link": {"url": "m://2"}}))
    assert patched["link"]["url"] == "m://2" and patched["link"]["uuid"] == item["link"]["uuid"]
    response = alice_api.put(f"/api/application-status-links/{item['uuid']}/", json={"link": None})
    assert response.status_code == 400 and list(response.get_json()) == ["application_status"]
    put = ok(
        alice_api.put(
            f"/api/application-status-links/{item['uuid']}/", json={"application_status": status["uuid"], "link": None}
        )
    )
    assert put["link"] is None
    assert (
        ok(alice_api.get(f"/api/application-statuses/{status['uuid']}/"))["applicationstatuslink_set"][0]["uuid"]
        == item["uuid"]
    )
    assert alice_api.delete(f"/api/application-status-links/{item['uuid']}/", json=item).status_code == 204
    assert table_rows(app, ApplicationStatusLink) == 0
