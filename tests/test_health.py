"""GET /, /home/ and /health-check: 200 only when the database answers at the latest migration."""

from __future__ import annotations

import pytest
from conftest import make_config
from flask import Flask
from infra import flask, free_port
from infra import fresh_database_url as fresh_database_url  # a fixture
from sqlalchemy import event

from app import create_app
from app.errors import DATABASE_RETRY_AFTER_SECONDS, DATABASE_UNAVAILABLE
from app.extensions import db
from app.models import Base
from app.schema_version import head_revisions, migrations_directory

HEALTH_URLS = ["/", "/home/", "/health-check"]


def _app_on(database_url: str, **overrides) -> Flask:
    return create_app(make_config(database_url, **overrides))


def test_migration_head_is_read_from_the_migrations_folder(app: Flask) -> None:
    heads = head_revisions(migrations_directory(app))
    assert len(heads) == 1
    assert head_revisions(migrations_directory(app)) is heads  # read once per process


def test_health_follows_the_schema_revision(fresh_database_url: str) -> None:
    flask(fresh_database_url, "db", "upgrade")
    app = _app_on(fresh_database_url)
    client = app.test_client()
    (head,) = head_revisions(migrations_directory(app))

    for url in HEALTH_URLS:
        response = client.get(url)
        assert response.status_code == 200, (url, response.get_json())
        assert response.get_json() == {"status": "ok", "database": "ok", "revision": head}
        assert response.headers["Cache-Control"] == "no-store"

    flask(fresh_database_url, "db", "downgrade")  # one revision down
    response = client.get("/health-check")
    assert response.status_code == 503
    body = response.get_json()
    assert body["reason"] == "database migration pending"
    assert body["expected_revision"] == head
    assert body["database_revision"] not in (None, head)

    flask(fresh_database_url, "db", "upgrade")
    assert client.get("/health-check").status_code == 200
    with app.app_context():
        db.engine.dispose()


def test_health_is_503_on_an_unstamped_database(app: Flask, client) -> None:
    # The test database is created from the models without Alembic: no alembic_version table.
    for url in HEALTH_URLS:
        response = client.get(url)
        assert response.status_code == 503
        assert response.get_json() == {
            "status": "unavailable",
            "reason": "database migration pending",
            "database_revision": None,
            "expected_revision": next(iter(head_revisions(migrations_directory(app)))),
        }


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_health_is_503_when_the_database_is_unreachable(kind: str, tmp_path) -> None:
    if kind == "postgresql":
        url = f"postgresql://postgres@127.0.0.1:{free_port()}/nothing?connect_timeout=2"
    else:
        url = f"sqlite:///{tmp_path / 'missing-folder' / 'db.sqlite'}"
    app = _app_on(url)
    response = app.test_client().get("/health-check")
    assert response.status_code == 503
    assert response.get_json() == {
        "detail": DATABASE_UNAVAILABLE,
        "status": "unavailable",
        "reason": "database unreachable",
    }
    assert response.headers["Retry-After"] == str(DATABASE_RETRY_AFTER_SECONDS)
    assert response.headers["Cache-Control"] == "no-store"


def test_health_check_reads_only_the_alembic_version(app: Flask, client) -> None:
    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(args[2].lower())  # noqa: E731 - (conn, cursor, statement, ...)
    event.listen(engine, "before_cursor_execute", listener)
    try:
        client.get("/health-check")
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert statements, "the health check must ask the database"
    for statement in statements:
        for table in Base.metadata.tables:
            assert f" {table}" not in statement and f'"{table}"' not in statement, statement


def test_health_check_is_not_rate_limited_and_needs_no_auth(database_url: str) -> None:
    app = _app_on(database_url, RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="3/minute")
    client = app.test_client()
    statuses = {client.get("/health-check").status_code for _ in range(10)}
    assert 429 not in statuses
    # The limit is really on: another route runs into it.
    assert 429 in {client.get("/api/labels/").status_code for _ in range(10)}
    with app.app_context():
        db.engine.dispose()
