"""Declarative list filters, shared by the REST lists and the GraphQL connection.

Each maps one query-string (or GraphQL argument) value to a WHERE clause; they know only SQLAlchemy.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, ClassVar

from marshmallow import ValidationError
from sqlalchemy import Select

from app.models import Company, Label
from app.validation import storable_text


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
        return query.where(self.column.icontains(storable_text(value), autoescape=True))


@dataclass(frozen=True)
class RelatedEquals(Filter):
    """`?labels__text=Applied`: some related row has this value (EXISTS, so no duplicate rows)."""

    relationship: Any
    column: Any

    def apply(self, query: Select, value: str) -> Select:
        return query.where(self.relationship.any(self.column == storable_text(value)))


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


# The filters of the company list, for the REST list and the GraphQL connection alike.
COMPANY_FILTERS: dict[str, Filter] = {
    "labels__isnull": RelatedIsNull(Company.labels),
    "labels__text": RelatedEquals(Company.labels, Label.text),
    "name__icontains": IContains(Company.name),
}
