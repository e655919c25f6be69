"""Migrations: empty -> head -> base on SQLite and PostgreSQL, and the models agree with head."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db
from app.models import GLOBAL_LABELS, Base
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
