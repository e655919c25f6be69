"""Database engine details that the models should not know about."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine

# The schemes operators and hosting services give for PostgreSQL; SQLAlchemy would read `postgresql://`
# as psycopg2 (not installed) and no longer knows `postgres://`.
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def with_psycopg_driver(url: str) -> str:
    """`url` with the psycopg 3 driver (`postgresql+psycopg://`) if it names PostgreSQL without a driver."""
    for scheme in _POSTGRES_SCHEMES:
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url.removeprefix(scheme)
    return url


def enable_sqlite_foreign_keys(engine: Engine) -> None:
    """SQLite ignores foreign keys (and so ON DELETE rules) unless each connection turns them on."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def render_migration_item(type_: str, obj: object, autogen_context) -> str | bool:
    """Write our column types into migrations as plain SQLAlchemy types, so migrations never import app code."""
    from app.models.base import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
