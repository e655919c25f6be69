"""Database engine details that the models should not know about."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import create_engine, event, make_url
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


def engine_options(url: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """`options` (SQLALCHEMY_ENGINE_OPTIONS) for the database at `url`: SQLite has no server that could
    drop a connection, so its connections are not pinged (`pool_pre_ping`) before each use."""
    if make_url(url).get_backend_name() == "sqlite":
        return {**options, "pool_pre_ping": False}
    return dict(options)


def enable_sqlite_foreign_keys(engine: Engine) -> None:
    """SQLite ignores foreign keys (and so ON DELETE rules) unless each connection turns them on."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def single_statement_engine(engine: Engine, options: Mapping[str, Any]) -> Engine:
    """An engine for reads of one statement outside Flask (the revalidation fast path): one round trip each.

    `engine` pings every connection it checks out (pool_pre_ping), then wraps the statement in BEGIN and
    ROLLBACK: four round trips to a database server for one read. This engine, on its own pool, runs it in
    autocommit and does not ping: a connection the server dropped fails the statement, which the caller
    leaves to Flask (whose engine pings and reconnects), and the caller then opens another. `options` are
    `engine`'s (SQLALCHEMY_ENGINE_OPTIONS), but for those two. An in-memory SQLite database lives in
    `engine`'s one connection: `engine` itself.
    """
    if is_in_memory_sqlite(engine):
        return engine
    return create_engine(engine.url, **{**options, "isolation_level": "AUTOCOMMIT", "pool_pre_ping": False})


def is_in_memory_sqlite(engine: Engine) -> bool:
    """Whether `engine`'s database is an in-memory SQLite one (its data lives in its connections)."""
    url = engine.url
    return url.get_backend_name() == "sqlite" and (
        url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"
    )


def render_migration_item(type_: str, obj: object, autogen_context) -> str | bool:
    """Write our column types into migrations as plain SQLAlchemy types, so migrations never import app code."""
    from app.models.base import DashedUuid, UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, DashedUuid):
        return "sa.Uuid()"
    return False
