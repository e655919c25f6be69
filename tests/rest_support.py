"""The request bodies the React client really sends (see the contract), and helpers built on them.

Every body here reproduces the recorded client: blank `uuid`/`created_at`/`modified_at` on every
object and nested object, `user` as `""` on companies and applications and `{}` on links, the
read-only lists sent back (`applications: []`, `statuses: []`, `ratings: {}`), `labels: {}` on a new
application, `application_status: ""` on a new status link.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import Base

BLANKS = {"uuid": "", "created_at": "", "modified_at": ""}


def blank(**fields: Any) -> dict[str, Any]:
    """An object as the client's forms build it: blank uuid and timestamps, then the fields."""
    return {**BLANKS, **fields}


def link_body(text: str = "", url: str = "") -> dict[str, Any]:
    return blank(user={}, text=text, url=url)


def address_body(**fields: str) -> dict[str, Any]:
    address = {
        "place_name": "",
        "country": "",
        "state": "",
        "city": "",
        "street": "",
        "full_address": "",
        "zipcode": "",
    }
    return blank(**{**address, **fields})


def chosen_label(text: str) -> dict[str, Any]:
    """A label the user picked in the form: no uuid yet, matched by text."""
    return {"uuid": "", "text": text, "user": None, "color": "", "order": 0}


def company_body(name: str = "Acme", **fields: Any) -> dict[str, Any]:
    body = blank(
        user="",
        name=name,
        hq_location=address_body(city="Springfield", country="US"),
        home_page=link_body("Home", "acme.example"),
        notes="",
        labels=[],
        applications=[],
        ratings={},
    )
    return {**body, **fields}


def application_body(company_uuid: str, title: str = "Engineer", **fields: Any) -> dict[str, Any]:
    body = blank(
        user="",
        user_company=company_uuid,
        position_title=title,
        job_description_page=link_body(),
        job_source=link_body(),
        position_locations=[blank(location=address_body(city="Remote"))],
        labels={},
        notes="",
        job_description_notes="",
        statuses=[],
    )
    return {**body, **fields}


def status_link_body(text: str = "", url: str = "") -> dict[str, Any]:
    return blank(application_status="", user={}, link=link_body(text, url))


def status_body(application_uuid: str, text: str = "Applied", **fields: Any) -> dict[str, Any]:
    body = blank(
        application=application_uuid,
        text=text,
        date="2024-03-01",
        order=0,
        applicationstatuslink_set=[status_link_body("Confirmation", "mail://1")],
    )
    return {**body, **fields}


def created(response: Any) -> dict[str, Any]:
    """The JSON of a 201, with a useful message when it is not one."""
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["uuid"]
    return body


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.get_json())
    return response.get_json()


def new_company(api: Any, name: str = "Acme", **fields: Any) -> dict[str, Any]:
    return created(api.post("/api/companies/", json=company_body(name, **fields)))


def new_application(api: Any, company_uuid: str, title: str = "Engineer", **fields: Any) -> dict[str, Any]:
    return created(api.post("/api/applications/", json=application_body(company_uuid, title, **fields)))


def new_status(api: Any, application_uuid: str, text: str = "Applied", **fields: Any) -> dict[str, Any]:
    return created(api.post("/api/application-statuses/", json=status_body(application_uuid, text, **fields)))


def crud_roundtrip(api, url: str, create: dict, patch: dict, put: dict) -> dict:
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


def row_counts(app: Flask) -> dict[str, int]:
    """Rows per table: compare before and after a request to prove nothing was written."""
    with app.app_context():
        counts = {
            table.name: db.session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }
        db.session.remove()
        return counts


def table_rows(app: Flask, model: type) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(model)) or 0
        db.session.remove()
        return count
