"""Declarative list filters, shared by the REST lists and the GraphQL connection.

Each maps one query-string (or GraphQL argument) value to a WHERE clause; they know only SQLAlchemy.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, ClassVar

from flask import request
from marshmallow import ValidationError
from sqlalchemy import Select

NUL_MESSAGE = "NUL characters are not allowed."


def refuse_nul_in_query_string() -> None:
    """Before every request: a NUL character in a query-string name or value is a 400 on that parameter.

    Query values end up compared in SQL (list filters, export criteria, label lookups), and PostgreSQL
    refuses NUL with an error: a 500 unless each consumer remembers. One check here covers them all.
    """
    bad = {key for key, value in request.args.items(multi=True) if "\x00" in key or "\x00" in value}
    if bad:
        raise ValidationError({key: [NUL_MESSAGE] for key in sorted(bad)})


def text_value(value: str) -> str:
    """A value compared as text: databases refuse NUL characters (PostgreSQL raises), so say so first."""
    if "\x00" in value:
        raise ValidationError(NUL_MESSAGE)
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
