"""`app.database.first_row`: psycopg's own connection for a statement that needs no type conversion, the
same row as SQLAlchemy's, and SQLAlchemy's handling of a connection the server dropped."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import bindparam, event, select, text

from app.auth.loader import _VERSION
from app.database import first_row
from app.extensions import db
from app.models import Company, User
from tests.conftest import POSTGRES_ADMIN_URL

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # psycopg's own path


def _engine_statements(engine: sa.Engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cu, statement, *_: seen.append(statement))
    return seen


def test_the_row_is_sqlalchemys_row_without_its_execution(app, alice):
    parameters = {"user_id": alice.id, "jti": "none"}
    with app.app_context():
        seen = _engine_statements(db.engine)
        with db.engine.connect() as connection:
            expected = connection.execute(_VERSION, parameters).first()
            seen.clear()
            row = first_row(connection, _VERSION, parameters)
    assert seen == [], "psycopg ran it: SQLAlchemy's execution never saw it"
    assert tuple(row) == tuple(expected)
    assert (row.id, row.data_version, row.is_active, row.revoked) == (alice.id, expected.data_version, True, False)


@pytest.mark.parametrize(
    "statement",
    [
        select(Company.created_at).where(Company.user_id == bindparam("user_id")),  # UTCDateTime converts
        select(User.id).where(User.id.in_(bindparam("user_ids", expanding=True))),  # expanding parameter
    ],
    ids=["converted-column", "expanding"],
)
def test_anything_else_runs_through_sqlalchemy(app, alice, statement):
    parameters = {"user_id": alice.id, "user_ids": [alice.id]}
    with app.app_context():
        seen = _engine_statements(db.engine)
        with db.engine.connect() as connection:
            first_row(connection, statement, {k: v for k, v in parameters.items() if k in str(statement)})
    assert len(seen) == 1


def test_a_dropped_connection_raises_sqlalchemys_error_and_renews_the_pool(app, alice):
    with app.app_context():
        engine = sa.create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
    try:
        spare = engine.connect()  # checked in below: a pooled connection the server drops too
        connection = engine.connect()
        spare.close()
        pool = engine.pool
        admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as killer:
            killer.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                {"name": engine.url.database},
            )
        admin.dispose()
        with pytest.raises(sa.exc.DBAPIError):
            first_row(connection, _VERSION, {"user_id": alice.id, "jti": "x"})
        assert connection.invalidated and engine.pool is not pool
        connection.close()
        with engine.connect() as fresh:
            assert first_row(fresh, _VERSION, {"user_id": alice.id, "jti": "x"}).id == alice.id
    finally:
        engine.dispose()
