"""Seeded data for the export, feed and account-export tests, made through the real API."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

from flask import Flask
from sqlalchemy import update

from app.extensions import db
from app.models import Application
from tests.rest_support import (
    address_body,
    blank,
    chosen_label,
    created,
    link_body,
    new_application,
    new_company,
    new_status,
    status_link_body,
)

HEADER = [
    "Company",
    "Position",
    "Status",
    "Stage",
    "Status date",
    "Date applied",
    "Status history",
    "Job URL",
    "Job source",
    "Job source URL",
    "Locations",
    "Labels",
    "Notes",
]


def set_extra(app: Flask, application_uuid: str, extra: dict[str, Any]) -> None:
    """`extra` is written by spreadsheet imports only (read-only in the API): set it directly."""
    with app.app_context():
        db.session.execute(update(Application).where(Application.id == uuid.UUID(application_uuid)).values(extra=extra))
        db.session.commit()
        db.session.remove()


def seed_applications(app: Flask, api: Any) -> dict[str, Any]:
    """Three applications in creation order, covering every column, and formula-looking text."""
    created(api.post("/api/labels/", json={"text": "Dream job", "color": "#f00", "order": 5}))
    acme = new_company(api, "Acme")
    backend = new_application(
        api,
        acme["uuid"],
        "Backend engineer",
        job_description_page=link_body("Posting", "https://jobs.example/1"),
        job_source=link_body("LinkedIn", "https://linkedin.example/j/1"),
        position_locations=[
            blank(location=address_body(full_address="Berlin, Germany", city="Berlin")),
            blank(location=address_body(city="Paris", country="France")),
        ],
        labels=[chosen_label("Applied"), chosen_label("Dream job")],
        notes="<p>Great <b>team</b> &amp; stack</p><ul><li>Python</li><li>SQL</li></ul>",
    )
    new_status(
        api,
        backend["uuid"],
        "Applied",
        date="2024-01-05",
        applicationstatuslink_set=[status_link_body("Confirmation", "https://mail.example/1")],
    )
    new_status(api, backend["uuid"], "Phone screen", date="2024-01-12", applicationstatuslink_set=[])
    new_status(api, backend["uuid"], "Interview", date="2024-02-01", stage="Interviewing", applicationstatuslink_set=[])
    set_extra(app, backend["uuid"], {"Salary": "80k", "Referrer": "=cmd|' /C calc'!A0"})

    evil = new_company(api, "=Evil Corp")
    scientist = new_application(
        api,
        evil["uuid"],
        "+Data scientist",
        job_source=link_body("@mention", ""),
        position_locations=[],
        notes="-minus notes\nsecond line",
    )
    globex = new_company(api, "Globex")
    manager = new_application(api, globex["uuid"], "Manager", position_locations=[], labels=[chosen_label("Archived")])
    new_status(api, manager["uuid"], "Rejected", date="2024-03-10", applicationstatuslink_set=[])
    return {"backend": backend, "scientist": scientist, "manager": manager}


# The rows of the applications export of `seed_applications`, as CSV text.
EXPECTED_ROWS = [
    [
        "Acme",
        "Backend engineer",
        "Interview",
        "Interviewing",  # the stage the API client gave; the Rejected status below has none
        "2024-02-01",
        "2024-01-05",
        "2024-01-05 Applied\n2024-01-12 Phone screen\n2024-02-01 Interview",
        "https://jobs.example/1",
        "LinkedIn",
        "https://linkedin.example/j/1",
        "Berlin, Germany; Paris, France",
        "Applied; Dream job",
        "Great team & stack\n• Python\n• SQL",
        "80k",
        "'=cmd|' /C calc'!A0",
    ],
    [
        "'=Evil Corp",
        "'+Data scientist",
        "",
        "",
        "",
        "",
        "",
        "",
        "'@mention",
        "",
        "",
        "",
        "'-minus notes\nsecond line",
        "",
        "",
    ],
    [
        "Globex",
        "Manager",
        "Rejected",
        "",
        "2024-03-10",
        "",
        "2024-03-10 Rejected",
        "",
        "",
        "",
        "",
        "Archived",
        "",
        "",
        "",
    ],
]
EXPECTED_HEADER = [*HEADER, "Salary", "Referrer"]


def parse_csv(data: bytes) -> list[list[str]]:
    """CSV bytes as rows of cells (a byte-order mark, if any, is dropped)."""
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def download(api: Any, url: str) -> Any:
    """GET `url`, read the whole body and close the response (as a WSGI server does)."""
    response = api.get(url)
    response.get_data()
    response.close()
    return response
