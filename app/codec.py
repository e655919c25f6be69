"""Column values to JSON and back, driven by each column's type, so any table round-trips.

The one codec of the backups (app/backup.py) and of the account export (app/exports/account.py).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import uuid
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import Column, TypeDecorator

from app.validation import storable_text


class DecodeError(ValueError):
    """A value in the file does not fit its column; the message says how."""


def encode(value: Any) -> Any:
    """A column value as JSON: uuids, times and decimals as strings (a JSON number would go through float),
    durations as seconds, bytes as base64, the rest as it is."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def python_type(column: Column) -> type | None:
    """The Python type of the column's values (through TypeDecorators); None when the type names none."""
    column_type = column.type
    while isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    try:
        return column_type.python_type
    except NotImplementedError:
        return None


def _datetime(value: Any) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(_text(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise DecodeError("Not a valid string.")
    return value


def _decode_by_type(kind: type | None, value: Any) -> Any:
    try:
        if kind is uuid.UUID:
            return value if isinstance(value, uuid.UUID) else uuid.UUID(_text(value))
        if kind is dt.datetime:
            return _datetime(value)
        if kind is dt.date:
            return dt.date.fromisoformat(_text(value))
        if kind is dt.time:
            return dt.time.fromisoformat(_text(value))
        if kind is decimal.Decimal:
            return decimal.Decimal(_text(value))
        if kind is dt.timedelta and not isinstance(value, bool) and isinstance(value, int | float):
            return dt.timedelta(seconds=value)
        if kind is bytes:
            return base64.b64decode(_text(value), validate=True)
    except (ValueError, binascii.Error, decimal.InvalidOperation) as exc:
        raise DecodeError(f"Not a valid {kind.__name__}.") from exc  # type: ignore[union-attr]
    if kind is bool and not isinstance(value, bool):
        raise DecodeError("Not a valid boolean.")
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise DecodeError("Not a valid integer.")
    if kind is dt.timedelta:
        raise DecodeError("Not a valid duration in seconds.")
    if kind is float and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise DecodeError("Not a valid number.")
    if kind is str:
        try:
            storable_text(_text(value))
        except ValidationError as exc:
            raise DecodeError(exc.messages[0]) from exc
    return value


def decode(column: Column, value: Any) -> Any:
    """A JSON value as a value for `column`; DecodeError if it does not fit."""
    if value is None:
        if not column.nullable:
            raise DecodeError("Field may not be null.")
        return None
    decoded = _decode_by_type(python_type(column), value)
    length = getattr(column.type, "length", None)
    if isinstance(decoded, str) and length is not None and len(decoded) > length:
        raise DecodeError(f"Longer than maximum length {length}.")
    return decoded
