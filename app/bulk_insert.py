"""Inserting many rows of one table at once, in the caller's transaction.

On PostgreSQL (psycopg 3) the rows go through `COPY ... FROM STDIN`, which the server takes several times
faster than multi-row INSERTs of the same rows (no statement of thousands of parameters to build, send and
parse); each value is first turned into what SQLAlchemy would bind for its column (JSON wrapped for the
engine's serializer, our column types' own conversions...) and psycopg adapts it as it adapts an INSERT's
parameters, so the stored data is the same either way. Anywhere else, and for rows that leave out a
column that has a client-side default (which only an INSERT through SQLAlchemy would apply), it is a
Core `executemany` INSERT.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table

from app.extensions import db


def insert_rows(table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) into `table`."""
    if not rows:
        return
    keys = list(rows[0])
    connection = db.session.connection()
    if connection.dialect.driver != "psycopg" or _needs_client_defaults(table, keys):
        db.session.execute(table.insert(), rows)
        return
    processors = [
        (position, process)
        for position, key in enumerate(keys)
        if (process := table.columns[key].type._cached_bind_processor(connection.dialect)) is not None
    ]
    columns = ", ".join(connection.dialect.identifier_preparer.quote(key) for key in keys)
    name = connection.dialect.identifier_preparer.format_table(table)
    cursor = connection.connection.driver_connection.cursor()
    with cursor, cursor.copy(f"COPY {name} ({columns}) FROM STDIN") as copy:
        for row in rows:
            values = [row[key] for key in keys]
            for position, process in processors:
                values[position] = process(values[position])
            copy.write_row(values)


def _needs_client_defaults(table: Table, keys: list[str]) -> bool:
    given = set(keys)
    return any(column.default is not None for column in table.columns if column.key not in given)
