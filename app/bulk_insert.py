"""Inserting many rows of one table at once, in the caller's transaction.

On PostgreSQL (psycopg2) the rows go through `COPY ... FROM STDIN`, which the server takes several times
faster than multi-row INSERTs of the same rows (no statement of thousands of parameters to build, send and
parse); each value is first turned into what SQLAlchemy would bind for its column (JSON encoded, UUIDs
as text...), so the stored data is the same either way. Anywhere else, and for rows that leave out a
column that has a client-side default (which only an INSERT through SQLAlchemy would apply), it is a
Core `executemany` INSERT.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table

from app.extensions import db

# COPY's text format: a backslash, a tab, a newline or a carriage return inside a value is escaped.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def insert_rows(table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) into `table`."""
    if not rows:
        return
    keys = list(rows[0])
    connection = db.session.connection()
    if connection.dialect.driver != "psycopg2" or _needs_client_defaults(table, keys):
        db.session.execute(table.insert(), rows)
        return
    processors = [_processor(table, key, connection.dialect) for key in keys]
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(_copy_text(process(row[key])) for key, process in zip(keys, processors, strict=True)))
        buffer.write("\n")
    buffer.seek(0)
    columns = ", ".join(connection.dialect.identifier_preparer.quote(key) for key in keys)
    name = connection.dialect.identifier_preparer.format_table(table)
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.copy_expert(f"COPY {name} ({columns}) FROM STDIN", buffer)
    finally:
        cursor.close()


def _needs_client_defaults(table: Table, keys: list[str]) -> bool:
    given = set(keys)
    return any(column.default is not None for column in table.columns if column.key not in given)


def _processor(table: Table, key: str, dialect: Any) -> Callable[[Any], Any]:
    process = table.columns[key].type._cached_bind_processor(dialect)
    return process if process is not None else _same


def _same(value: Any) -> Any:
    return value


def _copy_text(value: Any) -> str:
    if value.__class__ is str:
        return value.translate(_ESCAPES)
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value).translate(_ESCAPES)
