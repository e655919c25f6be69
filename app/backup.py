"""Logical backups: every row of every table in the models' metadata, as JSON.

Generic over `db.metadata`, so a table added later is covered without touching this module.
Values are encoded so that they load back as the same Python values (UUIDs, timezone-aware
datetimes, dates, decimals, bytes, JSON documents) by `app.codec`, driven by each column's type.
Every table is read in one snapshot (`snapshot`), so a backup taken while users write is consistent:
no row points at one the backup lacks. Rows are inserted parent tables first (`metadata.sorted_tables`),
in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Integer, MetaData, Table, func, select
from sqlalchemy.engine import Connection, Engine

from app.codec import DecodeError, decode, encode
from app.schema_version import database_revisions

FORMAT = "appl-tracky-backup"
VERSION = 1


class BackupError(Exception):
    """The backup cannot be taken or restored as asked; the message says why."""


def _decode_rows(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    unknown = {name for row in rows for name in row} - set(table.columns.keys())
    if unknown:
        raise BackupError(f"table {table.name}: columns {sorted(unknown)} are not in the current schema")
    return [{name: _decode(table, index, name, value) for name, value in row.items()} for index, row in enumerate(rows)]


def _decode(table: Table, index: int, name: str, value: Any) -> Any:
    try:
        return decode(table.columns[name], value)
    except DecodeError as exc:
        raise BackupError(f"table {table.name}, row {index}, column {name}: {exc}") from exc


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection whose reads all see the database as it was at one moment.

    PostgreSQL: a REPEATABLE READ READ ONLY transaction, as pg_dump takes (it never waits and never
    blocks writers). SQLite: one read transaction; pysqlite would begin one only before a write, so it is
    begun explicitly (writers wait for it to end, their busy timeout long).
    """
    if engine.dialect.name == "postgresql":
        options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        with engine.connect().execution_options(**options) as connection, connection.begin():
            yield connection
        return
    with engine.connect() as connection:
        connection.exec_driver_sql("BEGIN")
        try:
            yield connection
        finally:
            connection.rollback()


def dump(connection: Connection, metadata: MetaData, created_at: dt.datetime) -> dict[str, Any]:
    """Every row of every table of `metadata`, encoded for JSON, with the schema revision.

    Read through a `snapshot` connection, the tables agree with each other.
    """
    tables: dict[str, list[dict[str, Any]]] = {}
    for table in metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        result = connection.execute(select(table).order_by(*order))
        tables[table.name] = [{key: encode(value) for key, value in row._mapping.items()} for row in result]
    return {
        "format": FORMAT,
        "version": VERSION,
        "created_at": created_at.isoformat(),
        "revision": sorted(database_revisions(connection)),
        "tables": tables,
    }


def row_counts(connection: Connection, tables: Iterable[Table]) -> dict[str, int]:
    """How many rows each table holds."""
    return {table.name: connection.execute(select(func.count()).select_from(table)).scalar_one() for table in tables}


def restore(connection: Connection, metadata: MetaData, data: dict[str, Any], force: bool = False) -> dict[str, int]:
    """Load a dump into the database behind `connection` (the caller owns the transaction).

    Refuses a file that is not a backup, one taken at another schema revision, and a database that
    already holds rows, unless `force`, which first deletes every row of every table.
    Returns the number of rows loaded per table.
    """
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError("this file is not an Appl Tracky backup")
    if data.get("version") != VERSION:
        raise BackupError(f"backup format version {data.get('version')!r} is not supported (expected {VERSION})")
    backup_revision = sorted(data.get("revision") or [])
    database_revision = sorted(database_revisions(connection))
    if backup_revision != database_revision:
        raise BackupError(
            f"the backup was taken at schema revision {backup_revision or 'none'} but the database is at "
            f"{database_revision or 'none'}; migrate the database to the backup's revision first "
            "(flask db upgrade <revision>)"
        )
    tables_in_file = data.get("tables")
    if not isinstance(tables_in_file, dict):
        raise BackupError("the backup has no tables")
    unknown = set(tables_in_file) - set(metadata.tables)
    if unknown:
        raise BackupError(f"the backup has tables this schema does not know: {sorted(unknown)}")

    occupied = {name: count for name, count in row_counts(connection, metadata.sorted_tables).items() if count}
    if occupied and not force:
        summary = ", ".join(f"{name} ({count})" for name, count in occupied.items())
        raise BackupError(f"the database is not empty: {summary}; use --force to replace its contents")
    for table in reversed(metadata.sorted_tables):
        connection.execute(table.delete())

    loaded: dict[str, int] = {}
    for table in metadata.sorted_tables:
        rows = _decode_rows(table, tables_in_file.get(table.name) or [])
        if rows:
            connection.execute(table.insert(), rows)
        loaded[table.name] = len(rows)
    _reset_sequences(connection, metadata)
    return loaded


def _reset_sequences(connection: Connection, metadata: MetaData) -> None:
    """After explicit ids were inserted, move PostgreSQL's serial sequences past them."""
    if connection.dialect.name != "postgresql":
        return
    for table in metadata.sorted_tables:
        for column in table.primary_key.columns:
            if isinstance(column.type, Integer) and column.autoincrement in (True, "auto"):
                next_value = select(func.coalesce(func.max(column), 0) + 1).scalar_subquery()
                sequence = func.pg_get_serial_sequence(table.fullname, column.name)
                connection.execute(select(func.setval(sequence, next_value, False)))
