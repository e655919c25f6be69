"""Helpers for the import tests: upload a file as the client would, and read back what the API shows."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures" / "imports"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def upload(api: Any, data: bytes, filename: str = "applications.csv", **form: str):
    """POST /api/imports/ with the file as multipart field `file` (and optional form options)."""
    return api.post(
        "/api/imports/", data={"file": (io.BytesIO(data), filename), **form}, content_type="multipart/form-data"
    )


def upload_ok(api: Any, data: bytes, filename: str = "applications.csv", **form: str) -> dict[str, Any]:
    response = upload(api, data, filename, **form)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def commit(api: Any, batch: dict[str, Any]) -> dict[str, Any]:
    response = api.post(f"/api/imports/{batch['uuid']}/commit/")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def import_file(api: Any, data: bytes, filename: str = "applications.csv", **form: str) -> dict[str, Any]:
    return commit(api, upload_ok(api, data, filename, **form))


def all_pages(api: Any, url: str) -> list[dict[str, Any]]:
    results, page = [], 1
    while True:
        response = api.get(f"{url}?page_size=100&page={page}")
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        results += body["results"]
        if not body["next"]:
            return results
        page += 1


def applications(api: Any, *, stages: bool = False) -> list[dict[str, Any]]:
    """Every application the API shows the user, flattened to what an import writes, sorted.

    Statuses are (text, date), or with `stages` (text, date, stage, date_basis)."""
    companies = {company["uuid"]: company["name"] for company in all_pages(api, "/api/companies/")}
    flat = []
    for app in all_pages(api, "/api/applications/"):
        statuses = sorted(app["statuses"], key=lambda s: (s["date"], s["order"]))
        flat.append(
            {
                "company": companies[app["user_company"]],
                "position_title": app["position_title"],
                "statuses": [
                    (s["text"], s["date"], s["stage"], s["date_basis"]) if stages else (s["text"], s["date"])
                    for s in statuses
                ],
                "job_url": app["job_description_page"]["url"] if app["job_description_page"] else None,
                "job_source": (app["job_source"]["text"], app["job_source"]["url"]) if app["job_source"] else None,
                "locations": sorted(p["location"]["full_address"] for p in app["position_locations"]),
                "labels": sorted(label["text"] for label in app["labels"]),
                "notes": app["notes"],
                "job_description_notes": app["job_description_notes"],
                "extra": app["extra"],
            }
        )
    return sorted(flat, key=lambda a: (a["company"], a["position_title"]))


def expected(company: str, position_title: str, **fields: Any) -> dict[str, Any]:
    """An application as `applications` shows it; unspecified fields are empty."""
    return {
        "company": company,
        "position_title": position_title,
        "statuses": [],
        "job_url": None,
        "job_source": None,
        "locations": [],
        "labels": [],
        "notes": "",
        "job_description_notes": "",
        "extra": None,
        **fields,
    }
