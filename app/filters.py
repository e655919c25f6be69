"""Declarative list filters, shared by the REST lists and the GraphQL connection.

Each maps one query-string (or GraphQL argument) value to a WHERE clause; they know only SQLAlchemy.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, ClassVar

from marshmallow import ValidationError
from sqlalchemy import Select

NUL_MESSAGE = "NUL characters are not allowed."


def text_value(value: str) -> str:
    """A value compared as text: the databases refuse NUL characters and lone surrogates (a GraphQL variable
    can carry `"\\ud800"`; the drivers raise), so say so first."""
    if "\x00" in value:
        raise ValidationError(NUL_MESSAGE)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError("Not valid Unicode text.") from exc
    return value


class Filter:
    """Narrows a SELECT by one query-string value; raises ValidationError on a bad value."""

    # The value's JSON schema, for the OpenAPI description of the query parameter.
    value_schema: ClassVar[dict[str, str]] = {"type": "string"}

    def apply(self, query: Select, value: str) -> Select:
        raise NotImplementedError


@dataclass(frozen=True)
class Equals(Filter):
    """`?application=<uuid>`: a foreign key equals the given uuid."""

    value_schema: ClassVar[dict[str, str]] = {"type": "string", "format": "uuid"}

    column: Any

    def apply(self, query: Select, value: str) -> Select:
        try:
            return query.where(self.column == uuid.UUID(value))
        except ValueError as exc:
            raise ValidationError("Must be a valid UUID.") from exc


@dataclass(frozen=True)
class IContains(Filter):
    """`?name__icontains=acme`: case-insensitive substring match."""

    column: Any

    def apply(self, query: Select, value: str) -> Select:
        return query.where(self.column.icontains(text_value(value), autoescape=True))


@dataclass(frozen=True)
class RelatedEquals(Filter):
    """`?labels__text=Applied`: some related row has this value (EXISTS, so no duplicate rows)."""

    relationship: Any
    column: Any

    def apply(self, query: Select, value: str) -> Select:
        return query.where(self.relationship.any(self.column == text_value(value)))


@dataclass(frozen=True)
class RelatedIsNull(Filter):
    """`?labels__isnull=true`: the object has no related rows (false: it has some)."""

    value_schema: ClassVar[dict[str, str]] = {"type": "boolean"}

    relationship: Any

    def apply(self, query: Select, value: str) -> Select:
        flag = value.strip().lower()
        if flag in ("true", "1", "yes"):
            return query.where(~self.relationship.any())
        if flag in ("false", "0", "no"):
            return query.where(self.relationship.any())
        raise ValidationError("Must be true or false.")
