"""A list or detail request costs the same, small number of SQL statements for 1 row or 8.

Each company has 3 applications x 4 statuses x 2 status links, plus an HQ address, a home page,
labels, a rating with its source link, and on each application two links, a position location with
its address and labels: every level the company detail nests.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select

from app import database
from app.extensions import db
from app.models import (
    Address,
    Application,
    ApplicationStatus,
    ApplicationStatusLink,
    Company,
    CompanyRating,
    Label,
    Link,
    PositionLocation,
)
from tests.rest_support import ok

# 1 user (token) + 1 statement in which the database writes the page's JSON, nested parts and all, with its
# count as a window (app.serialization.json_sql); the detail is its one statement too.
LIST_STATEMENTS = 2
DETAIL_STATEMENTS = 2


def seed_companies(app: Flask, user_id: uuid.UUID, count: int) -> list[uuid.UUID]:
    """`count` companies, fully nested (3 applications x 4 statuses x 2 links each)."""
    with app.app_context():
        labels = list(db.session.scalars(select(Label).where(Label.user_id.is_(None))))
        ids = []
        for n in range(count):
            company = Company(
                user_id=user_id,
                name=f"Company {n}",
                hq_location=Address(user_id=user_id, city="City"),
                home_page=Link(user_id=user_id, url="home"),
                labels=labels[:2],
                ratings=[CompanyRating(user_id=user_id, value=4, source=Link(user_id=user_id, url="src"))],
            )
            for a in range(3):
                application = Application(
                    user_id=user_id,
                    position_title=f"Job {a}",
                    job_description_page=Link(user_id=user_id, url="jd"),
                    job_source=Link(user_id=user_id, url="src"),
                    labels=labels[2:3],
                    position_locations=[PositionLocation(user_id=user_id, location=Address(user_id=user_id))],
                )
                for s in range(4):
                    status = ApplicationStatus(user_id=user_id, text=f"S{s}", date=dt.date(2024, 1, 1 + s))
                    status.links = [
                        ApplicationStatusLink(user_id=user_id, link=Link(user_id=user_id, url=f"l{k}"))
                        for k in range(2)
                    ]
                    application.statuses.append(status)
                company.applications.append(application)
            db.session.add(company)
            db.session.flush()
            ids.append(company.id)
        db.session.commit()
        db.session.remove()
        return ids


@contextmanager
def count_statements(app: Flask) -> Iterator[list[str]]:
    """Collect every SQL statement sent to the database inside the block, by Flask's engine or the
    revalidation fast path's."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    def plain(driver_connection: Any, sql: str, values: Any) -> Any:
        statements.append(sql)
        return run_plain(driver_connection, sql, values)

    with app.app_context():
        engines = {db.engine, app.extensions["revalidation"].engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    run_plain, database.plain_first_row = database.plain_first_row, plain  # unseen by engine events
    try:
        yield statements
    finally:
        database.plain_first_row = run_plain
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


def _measure(app: Flask, api, url: str) -> tuple[int, dict]:
    with count_statements(app) as statements:
        body = ok(api.get(url))
    return len(statements), body


@pytest.mark.parametrize("companies", [1, 8])
def test_company_list_costs_a_constant_number_of_statements(app, alice, alice_api, companies):
    seed_companies(app, alice.id, companies)
    count, page = _measure(app, alice_api, "/api/companies/")
    assert len(page["results"]) == companies
    assert all(len(c["applications"]) == 3 for c in page["results"])
    assert all(len(a["statuses"]) == 4 for c in page["results"] for a in c["applications"])
    assert all(
        len(s["applicationstatuslink_set"]) == 2
        for c in page["results"]
        for a in c["applications"]
        for s in a["statuses"]
    )
    assert count == LIST_STATEMENTS


def test_list_of_one_and_of_eight_cost_the_same(app, alice, alice_api, bob):
    seed_companies(app, alice.id, 1)
    seed_companies(app, bob.id, 8)
    from tests.conftest import login

    bob_api = login(app.test_client(), bob.email)
    one, _ = _measure(app, alice_api, "/api/companies/")
    eight, page = _measure(app, bob_api, "/api/companies/")
    assert page["count"] == 8
    assert one == eight == LIST_STATEMENTS


def test_company_detail_costs_a_constant_number_of_statements(app, alice, alice_api):
    ids = seed_companies(app, alice.id, 2)
    count, body = _measure(app, alice_api, f"/api/companies/{ids[0]}/")
    assert len(body["applications"]) == 3
    assert count == DETAIL_STATEMENTS


def test_application_and_status_lists_are_constant_too(app, alice, alice_api):
    seed_companies(app, alice.id, 1)
    small_apps, _ = _measure(app, alice_api, "/api/applications/?page_size=1")
    many_apps, page = _measure(app, alice_api, "/api/applications/?page_size=3")
    assert len(page["results"]) == 3 and small_apps == many_apps
    small_statuses, _ = _measure(app, alice_api, "/api/application-statuses/?page_size=1")
    many_statuses, page = _measure(app, alice_api, "/api/application-statuses/?page_size=12")
    assert len(page["results"]) == 12 and small_statuses == many_statuses


def _measure_batch(app: Flask, api, ids: list[uuid.UUID]) -> int:
    body = [{"uuid": str(company_id), "labels": [{"uuid": "", "text": "Archived"}]} for company_id in ids]
    with count_statements(app) as statements:
        response = api.patch("/api/companies/", json=body)
    assert response.status_code == 200, response.get_json()
    assert [c["labels"][0]["text"] for c in response.get_json()] == ["Archived"] * len(ids)
    return len(statements)


def test_batch_patch_of_one_and_of_eight_cost_the_same_reads(app, alice, alice_api):
    ids = seed_companies(app, alice.id, 8)
    one = _measure_batch(app, alice_api, ids[:1])
    eight = _measure_batch(app, alice_api, ids)
    # Loading the batch and reading it back cost the same for 1 or 8 companies (one query per level each
    # time); what grows is the work each item asks for: its label lookup by text, the UPDATE of modified_at,
    # and the DELETE and INSERT of its label pairing — 4 statements per company.
    assert eight - one <= 7 * 4, (one, eight)
    # The write loads each nested level it may change (one query per level, LIST_STATEMENTS before the page
    # was written by the database); the read back is one statement.
    assert one <= 7 + LIST_STATEMENTS + 5, one
