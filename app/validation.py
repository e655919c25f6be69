"""Validation basics shared by every face (REST, auth, imports, exports, GraphQL): text the databases can
store, the integer range they hold, and the base of schemas for bodies that are not model objects."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, validate

INT32 = validate.Range(min=-(2**31), max=2**31 - 1)
NUL_MESSAGE = "NUL characters are not allowed."


def storable_text(value: str) -> str:
    """`value` if the databases can store and compare it: no NUL character, no lone surrogate (JSON's
    "\\ud800", which a GraphQL variable can carry too); a ValidationError otherwise.

    Both would fail on the write or in the query (PostgreSQL and the UTF-8 encoder raise), a 500 instead
    of a 400. Usable as a marshmallow validator and as a check before a value goes into a query.
    """
    if "\x00" in value:
        raise ValidationError(NUL_MESSAGE)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError("Not valid Unicode text.") from exc
    return value


class PlainSchema(Schema):
    """A schema for bodies that are not model objects (login, refresh, import options, ...)."""

    class Meta:
        unknown = EXCLUDE
