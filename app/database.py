"""Database engine details that the models should not know about."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from sqlalchemy import Connection, Select, create_engine, event, make_url
from sqlalchemy.engine import Compiled, Dialect, Engine
from sqlalchemy.exc import DBAPIError

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


def first_row(connection: Connection, statement: Select, parameters: Mapping[str, Any]) -> Any:
    """The first row of `statement` (or None), with its columns as attributes.

    On psycopg, when no column or parameter needs a SQLAlchemy type conversion, the statement's SQL
    (compiled once) runs on the DBAPI connection itself: SQLAlchemy's execution layer around it (cache
    key, context, result objects) cost as much client time as psycopg's own work, for a statement the
    revalidation fast path runs on every request. A driver error is raised as SQLAlchemy's, and the
    connection invalidated. SQLAlchemy's engine events (and its echo) do not see that statement.
    Anything else runs through `connection.execute`.
    """
    compiled = _plain_compiled(statement, connection.dialect)
    if compiled is None:
        return connection.execute(statement, parameters).first()
    sql, values = compiled.string, compiled.construct_params(parameters)
    driver_connection = connection.connection.driver_connection
    dialect = connection.dialect
    try:
        return plain_first_row(driver_connection, sql, values)
    except dialect.loaded_dbapi.Error as exc:
        # As SQLAlchemy does: this connection is discarded and, when the server dropped it, every other
        # one the pool holds is presumed dropped too (a restart drops them all).
        connection.invalidate(exc)
        if dialect.is_disconnect(exc, driver_connection, None):
            connection.engine.dispose()
        raise DBAPIError.instance(sql, values, exc, dialect.loaded_dbapi.Error) from exc


def plain_first_row(driver_connection: Any, sql: str, values: Mapping[str, Any]) -> Any:
    """`first_row` on psycopg's own connection. SQLAlchemy's engine events do not see it (tests that
    count statements count these too)."""
    from psycopg.rows import namedtuple_row

    with driver_connection.cursor(row_factory=namedtuple_row) as cursor:
        cursor.execute(sql, values)
        return cursor.fetchone()


@cache
def _plain_compiled(statement: Select, dialect: Dialect) -> Compiled | None:
    """`statement` compiled for psycopg, if its SQL is final (no expanding parameter) and its parameters
    and columns go to and from the driver as they are (no type conversion)."""
    if dialect.driver != "psycopg":
        return None
    compiled = statement.compile(dialect=dialect)
    if compiled.post_compile_params or compiled.literal_execute_params:
        return None
    types = [bind.type for bind in compiled.binds.values()]
    if any(type_.dialect_impl(dialect).bind_processor(dialect) is not None for type_ in types):
        return None
    columns = statement.selected_columns
    if any(column.type.dialect_impl(dialect).result_processor(dialect, None) is not None for column in columns):
        return None
    return compiled


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
