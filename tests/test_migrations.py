"""Migrations: empty -> head -> base on SQLite and PostgreSQL, and the models agree with head."""

from __future__ import annotations

import importlib.util
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db
from app.models import GLOBAL_LABELS, Base
from app.models.base import UTCDateTime
from tests.conftest import POSTGRES_ADMIN_URL, make_config


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request, tmp_path) -> Iterator[str]:
    """A database with no tables at all."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    name = f"appl_tracky_migrations_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError:
        admin.dispose()
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("REQUIRE_POSTGRES=1 but PostgreSQL is not reachable")
        pytest.skip("PostgreSQL is not reachable")
    yield sa.engine.make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def table_names() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def test_upgrade_to_head_then_downgrade_to_base(empty_database_url):
    app = create_app(make_config(empty_database_url))
    with app.app_context():
        upgrade()
        assert {table.name for table in Base.metadata.sorted_tables} <= table_names()
        with db.engine.connect() as connection:
            texts = connection.execute(sa.text("SELECT text FROM label WHERE user_id IS NULL")).scalars().all()
        assert sorted(texts) == sorted(GLOBAL_LABELS)

        downgrade(revision="base")
        assert table_names() <= {"alembic_version"}
        db.engine.dispose()


def test_the_models_and_the_latest_migration_agree(empty_database_url):
    """What `flask db check` does: autogenerate against head finds nothing to add."""
    app = create_app(make_config(empty_database_url))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
        db.engine.dispose()
    assert differences == []


def test_upgrade_is_repeatable_and_seed_labels_is_idempotent(empty_database_url):
    app = create_app(make_config(empty_database_url))
    with app.app_context():
        upgrade()
        upgrade()
        runner = app.test_cli_runner()
        result = runner.invoke(args=["seed-labels"])
        assert result.exit_code == 0
        assert "already exist" in result.output
        with db.engine.connect() as connection:
            count = connection.execute(sa.text("SELECT count(*) FROM label WHERE user_id IS NULL")).scalar()
        assert count == len(GLOBAL_LABELS)
        db.engine.dispose()


# -- 0006: SQLite's uuids as their dashed text ----------------------------------------------------------------


def _migration(name: str):
    path = Path(__file__).resolve().parent.parent / "migrations" / "versions" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"migration_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_0006_rewrites_every_uuid_column_of_the_models():
    expected = {
        table.name: {column.name for column in table.columns if isinstance(column.type, sa.Uuid)}
        for table in Base.metadata.sorted_tables
    }
    listed = {table: set(columns) for table, columns in _migration("0006_sqlite_dashed_uuids").UUID_COLUMNS.items()}
    assert listed == {table: columns for table, columns in expected.items() if columns}


_HEX_ROWS = (
    'INSERT INTO "user" (id, email, first_name, last_name, avatar_url, is_admin, is_active, date_joined,'
    " created_at, modified_at) VALUES (:user, 'a@example.com', '', '', '', 0, 1, :now, :now, :now)",
    "INSERT INTO company (id, user_id, name, notes, created_at, modified_at)"
    " VALUES (:company, :user, 'Acme', '', :now, :now)",
    "INSERT INTO application (id, user_id, user_company_id, position_title, notes, job_description_notes,"
    " created_at, modified_at) VALUES (:application, :user, :company, 'Engineer', '', '', :now, :now)",
)
_STORED = 'SELECT u.id, c.id, c.user_id, a.id, a.user_company_id FROM "user" u, company c, application a'


def test_0006_turns_stored_hex_into_dashed_text_and_back(tmp_path):
    """A SQLite database at 0005 holding what SQLAlchemy's Uuid wrote (32 hex digits) reads the same after it."""
    from app.models import Application, Company

    ids = {"user": uuid.uuid4(), "company": uuid.uuid4(), "application": uuid.uuid4()}
    hex_ids = {name: value.hex for name, value in ids.items()}
    app = create_app(make_config(f"sqlite:///{tmp_path / 'hex.db'}"))
    with app.app_context():
        upgrade(revision="0005")
        with db.engine.begin() as connection:
            for statement in _HEX_ROWS:
                connection.execute(sa.text(statement), {**hex_ids, "now": "2024-01-01 00:00:00.000000"})
        user, company, application = (str(ids[name]) for name in ("user", "company", "application"))

        upgrade()
        with db.engine.connect() as connection:
            assert connection.execute(sa.text(_STORED)).one() == (user, company, user, application, company)
            assert connection.execute(sa.text("PRAGMA foreign_key_check")).all() == []
        loaded = db.session.get(Company, ids["company"])
        assert loaded is not None and loaded.user_id == ids["user"]
        assert [found.id for found in loaded.applications] == [ids["application"]]
        assert db.session.get(Application, ids["application"]).user_company is loaded
        db.session.remove()

        downgrade(revision="0005")
        with db.engine.connect() as connection:
            assert connection.execute(sa.text(_STORED)).one() == tuple(
                hex_ids[name] for name in ("user", "company", "user", "application", "company")
            )
        db.engine.dispose()


# -- 0007: SQLite's timestamps as their isoformat() text ---------------------------------------------------------


def test_0007_rewrites_every_timestamp_column_of_the_models():
    expected = {
        table.name: {column.name for column in table.columns if isinstance(column.type, sa.DateTime | UTCDateTime)}
        for table in Base.metadata.sorted_tables
    }
    listed = {
        table: set(columns) for table, columns in _migration("0007_sqlite_iso_timestamps").TIMESTAMP_COLUMNS.items()
    }
    assert listed == {table: columns for table, columns in expected.items() if columns}


# What SQLAlchemy's DateTime wrote on SQLite (and SQLite's CURRENT_TIMESTAMP), and isoformat() of it in UTC.
_OLD_AND_NEW = {
    "date_joined": ("2024-01-01 00:00:00.000000", "2024-01-01T00:00:00+00:00"),
    "created_at": ("2024-05-01 12:00:00.250000", "2024-05-01T12:00:00.250000+00:00"),
    "modified_at": ("2024-05-01 12:00:00", "2024-05-01T12:00:00+00:00"),
}
_USER_ROW = (
    'INSERT INTO "user" (id, email, first_name, last_name, avatar_url, is_admin, is_active, date_joined,'
    " created_at, modified_at) VALUES (:user, 'a@example.com', '', '', '', 0, 1, :date_joined, :created_at,"
    " :modified_at)"
)
_STORED_TIMES = 'SELECT date_joined, created_at, modified_at FROM "user"'


def test_0007_turns_sqlalchemys_timestamps_into_isoformat_text_and_back(tmp_path):
    """A SQLite database at 0006 holding SQLAlchemy's timestamp text reads the same after it, stored as the
    JSON shows it; the downgrade writes SQLAlchemy's form back (with its 6 digits of fraction)."""
    from app.models import User

    user_id = uuid.uuid4()
    app = create_app(make_config(f"sqlite:///{tmp_path / 'times.db'}"))
    with app.app_context():
        upgrade(revision="0006")
        old = {column: forms[0] for column, forms in _OLD_AND_NEW.items()}
        with db.engine.begin() as connection:
            connection.execute(sa.text(_USER_ROW), {"user": str(user_id), **old})

        upgrade()
        with db.engine.connect() as connection:
            assert connection.execute(sa.text(_STORED_TIMES)).one() == tuple(new for _, new in _OLD_AND_NEW.values())
        user = db.session.get(User, user_id)
        assert [getattr(user, column).isoformat() for column in _OLD_AND_NEW] == [
            new for _, new in _OLD_AND_NEW.values()
        ]
        db.session.remove()

        downgrade(revision="0006")
        with db.engine.connect() as connection:
            assert connection.execute(sa.text(_STORED_TIMES)).one() == (
                "2024-01-01 00:00:00.000000",
                "2024-05-01 12:00:00.250000",
                "2024-05-01 12:00:00.000000",
            )
        db.engine.dispose()
