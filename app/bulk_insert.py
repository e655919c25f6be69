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
    processors = [
        (position, process)
        for position, key in enumerate(keys)
        if (process := table.columns[key].type._cached_bind_processor(connection.dialect)) is not None
    ]
    buffer = io.StringIO()
    for row in rows:
        values = [row[key] for key in keys]
        for position, process in processors:
            values[position] = process(values[position])
        buffer.write("\t".join(map(_copy_text, values)))
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


def _escaped(value: str) -> str:
    return value.translate(_ESCAPES)


def _boolean(value: bool) -> str:
    return "t" if value else "f"


def _iso(value: dt.date | dt.datetime | dt.time) -> str:
    return value.isoformat()


# The text COPY reads for each type of bound value, found by the value's class (cheaper than isinstance).
_TEXT: dict[type, Callable[[Any], str]] = {
    str: _escaped,
    type(None): lambda _: "\\N",
    bool: _boolean,
    int: str,
    float: repr,
    uuid.UUID: str,
    dt.datetime: _iso,
    dt.date: _iso,
    dt.time: _iso,
}


def _copy_text(value: Any) -> str:
    convert = _TEXT.get(value.__class__)
    if convert is not None:
        return convert(value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return _escaped(str(value))
