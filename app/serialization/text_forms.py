"""Columns selected in the text their JSON shows, so that no uuid.UUID or datetime is built only to be printed.

A page reads hundreds of uuids and timestamps, and converting database values into Python objects is most
of what loading it costs. The loader (`app.serialization.loader`) selects a column through `text_form`
when the field dumping it would only turn the value back into that same text:
- a `Uuid` as `str(uuid)` (lowercase, dashed): PostgreSQL casts it; SQLite stores that text already
  (`app.models.base.DashedUuid`);
- a timezone-aware timestamp as `datetime.isoformat()` in UTC (`2024-05-01T12:00:00.250000+00:00`,
  no fraction when its microseconds are 0): PostgreSQL formats it with `to_char`; SQLite stores that
  text already (`app.models.base.UTCDateTime`).
Other column types are selected as they are. Another dialect needs forms of its own: compiling these on
one fails loudly rather than printing something else.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, String, Uuid
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from app.models.base import UTCDateTime


class UuidText(FunctionElement):
    """A uuid column as `str(uuid.UUID)` would print it."""

    type = String()
    inherit_cache = True


class TimestampText(FunctionElement):
    """A UTC timestamp column as `datetime.isoformat()` of its timezone-aware value would print it."""

    type = String()
    inherit_cache = True


def has_text_form(column: ColumnElement) -> bool:
    """Whether `text_form` selects `column` as text (a uuid or a UTC timestamp)."""
    return isinstance(column.type, Uuid | UTCDateTime)


def text_form(column: ColumnElement) -> ColumnElement:
    """`column` selected as the text its JSON shows (see the module's docstring)."""
    if isinstance(column.type, Uuid):
        return UuidText(column)
    if isinstance(column.type, UTCDateTime):
        return TimestampText(column)
    return column


@compiles(UuidText, "postgresql")
def _uuid_postgresql(element: UuidText, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS TEXT)"


@compiles(UuidText, "sqlite")
def _uuid_sqlite(element: UuidText, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)  # stored as its dashed text (DashedUuid)


@compiles(TimestampText, "postgresql")
def _timestamp_postgresql(element: TimestampText, compiler: Any, **kw: Any) -> str:
    utc = f"({compiler.process(element.clauses, **kw)} AT TIME ZONE 'UTC')"
    whole, fraction = "'YYYY-MM-DD\"T\"HH24:MI:SS'", "'YYYY-MM-DD\"T\"HH24:MI:SS.US'"
    return (
        f"(CASE WHEN date_trunc('second', {utc}) = {utc} THEN to_char({utc}, {whole}) "
        f"ELSE to_char({utc}, {fraction}) END || '+00:00')"
    )


@compiles(TimestampText, "sqlite")
def _timestamp_sqlite(element: TimestampText, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)  # stored as its isoformat() text (UTCDateTime)


@compiles(UuidText)
@compiles(TimestampText)
def _unsupported(element: FunctionElement, compiler: Any, **kw: Any) -> str:
    raise NotImplementedError(f"no text form of {type(element).__name__} on {compiler.dialect.name}")
