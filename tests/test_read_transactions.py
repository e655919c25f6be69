"""app.read_transactions: reads end with COMMIT on psycopg, so it keeps (and PostgreSQL reuses) prepared
statements, and as any request on SQLite; a request that wrote still ends with a rollback unless its view
committed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from conftest import login, make_config
from flask import Flask

from app import create_app
from app.extensions import db
from app.models import Label
from tests.rest_support import ok

# More list pages than pooled connections times psycopg's prepare_threshold (5): every connection the
# pool handed out has run the page's statement often enough to prepare it.
PAGES = 20


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # prepared statements are psycopg's
def test_the_list_statement_is_prepared_and_reused_on_postgresql(app: Flask, alice_api, nothing_kept) -> None:
    for n in range(3):
        ok(alice_api.post("/api/companies/", json={"name": f"Company {n}"}), 201)
    for _ in range(PAGES):
        assert ok(alice_api.get("/api/companies/"))["count"] == 3
    with app.app_context():
        prepared = db.session.execute(
            sa.text(
                "SELECT length(statement), generic_plans + custom_plans FROM pg_prepared_statements"
                " WHERE name LIKE '\\_pg3\\_%' ORDER BY length(statement) DESC LIMIT 1"
            )
        ).one_or_none()
    assert prepared is not None, "no statement was prepared on the connection"
    length, runs = prepared
    assert length > 10_000  # the list page's statement (app.serialization.json_sql)
    assert runs >= 1


@pytest.fixture
def probe_app(app: Flask, app_config) -> Iterator[tuple[Flask, list[str]]]:
    """An app with a read and a write route, and the COMMITs and ROLLBACKs its engine runs."""
    probe = create_app(make_config(app_config.SQLALCHEMY_DATABASE_URI))

    @probe.get("/probe/read")
    def read() -> str:
        return str(db.session.scalar(sa.select(sa.func.count()).select_from(Label)))

    @probe.get("/probe/write")
    def write() -> str:
        db.session.add(Label(text="written by a GET"))
        db.session.flush()
        return "flushed, not committed"

    ends: list[str] = []
    with probe.app_context():
        engine = db.engine
    probe.config["READ_ENDS_WITH"] = "commit" if engine.dialect.driver == "psycopg" else "rollback"
    sa.event.listen(engine, "commit", lambda _conn: ends.append("commit"))
    sa.event.listen(engine, "rollback", lambda _conn: ends.append("rollback"))
    yield probe, ends
    with probe.app_context():
        db.session.remove()
        engine.dispose()


def test_a_read_ends_with_commit_on_psycopg_and_as_any_request_on_sqlite(probe_app) -> None:
    probe, ends = probe_app
    assert probe.test_client().get("/probe/read").status_code == 200
    assert ends == [probe.config["READ_ENDS_WITH"]]


def test_a_get_that_wrote_is_rolled_back(probe_app) -> None:
    probe, ends = probe_app
    assert probe.test_client().get("/probe/write").status_code == 200
    assert ends == ["rollback"]
    with probe.app_context():
        assert db.session.scalar(sa.select(Label).where(Label.text == "written by a GET")) is None


def test_a_graphql_query_ends_as_a_read(probe_app, alice) -> None:
    probe, ends = probe_app
    api = login(probe.test_client(), alice.email)
    ends.clear()
    response = api.post("/graphql/", json={"query": "{ companies(first: 5) { totalCount } }"})
    assert ok(response)["data"]["companies"]["totalCount"] == 0
    assert ends == [probe.config["READ_ENDS_WITH"]]
