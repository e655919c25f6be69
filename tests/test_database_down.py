"""While the database cannot be reached every request answers 503 `{"detail"}` with Retry-After, never 500,
and the next request after it is back is served without restarting anything.

Stopping and starting a real PostgreSQL under gunicorn and nginx is tests/test_production_smoke.py's job;
here the database is a port nobody listens on, or the shared PostgreSQL with the app's connections killed.
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from conftest import POSTGRES_ADMIN_URL, create_user, login, make_config
from flask import Flask
from infra import free_port
from sqlalchemy.exc import DBAPIError, ProgrammingError

from app import create_app
from app.auth.tokens import issue_token
from app.errors import DATABASE_RETRY_AFTER_SECONDS, DATABASE_UNAVAILABLE
from app.extensions import db


def _assert_database_unavailable(response) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.get_json()["detail"] == DATABASE_UNAVAILABLE
    assert response.headers["Retry-After"] == str(DATABASE_RETRY_AFTER_SECONDS)


@pytest.fixture
def unreachable_app() -> Flask:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/nothing?connect_timeout=2"
    return create_app(make_config(url))


def test_login_read_write_and_health_answer_503_while_the_database_is_unreachable(unreachable_app: Flask) -> None:
    client = unreachable_app.test_client()
    with unreachable_app.app_context():
        auth = {"Authorization": f"JWT {issue_token(uuid.uuid4(), 'access')}"}

    _assert_database_unavailable(client.post("/api/api-token-auth/", json={"username": "a@b.c", "password": "x" * 12}))
    _assert_database_unavailable(client.get("/api/companies/", headers=auth))
    _assert_database_unavailable(client.post("/api/companies/", json={"name": "Acme"}, headers=auth))
    _assert_database_unavailable(
        client.post("/graphql", json={"query": "{ companies { edges { node { name } } } }"}, headers=auth)
    )
    health = client.get("/health-check")
    _assert_database_unavailable(health)
    assert health.get_json()["reason"] == "database unreachable"


def _raising(error: Exception) -> Flask:
    app = create_app(make_config("sqlite://"))

    def view():
        raise error

    app.add_url_rule("/boom", view_func=view)
    return app


def test_a_lost_connection_is_503_but_a_wrong_statement_stays_500() -> None:
    lost = DBAPIError("SELECT 1", {}, Exception("server closed the connection"), connection_invalidated=True)
    _assert_database_unavailable(_raising(lost).test_client().get("/boom"))

    wrong = ProgrammingError("SELECT nonsense", {}, Exception("syntax error"))
    response = _raising(wrong).test_client().get("/boom")
    assert response.status_code == 500
    assert "Retry-After" not in response.headers


@pytest.mark.parametrize("statement", ["SELEC 1", "SELECT * FROM no_such_table"])
def test_a_wrong_statement_on_sqlite_is_500_though_sqlite_calls_it_operational(statement: str) -> None:
    app = create_app(make_config("sqlite://"))

    def view():
        db.session.execute(sa.text(statement))

    app.add_url_rule("/wrong", view_func=view)
    response = app.test_client().get("/wrong")
    assert response.status_code == 500
    assert "Retry-After" not in response.headers


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite has no server connections to lose
def test_requests_recover_after_the_database_dropped_every_connection(app: Flask, client, database_url: str) -> None:
    create_user(app, "back@example.com")
    api = login(client, "back@example.com")
    assert api.get("/api/companies/").status_code == 200  # the pool now holds a live connection

    database = sa.engine.make_url(database_url).database
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        killed = connection.execute(
            sa.text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = :name"),
            {"name": database},
        ).scalar_one()
    admin.dispose()
    assert killed >= 1

    assert api.get("/api/companies/").status_code == 200
    assert client.get("/health-check").status_code in (200, 503)  # the test schema has no alembic stamp
    with app.app_context():
        assert db.session.execute(sa.text("SELECT 1")).scalar_one() == 1
