"""Ordering and opaque keyset cursors for the companies connection.

A cursor is base64url of `[ordering, sort value, uuid]` of the last row seen: the next page is the rows
after that key, so a cursor stays valid (no gap, no overlap) while rows are added or removed elsewhere.
Cursors are parsed strictly; anything malformed, or made for another ordering, is a QueryError.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_

from app.graphql.errors import QueryError
from app.models import Company

DEFAULT_ORDERING = "-modified_at"
MAX_CURSOR_LENGTH = 512
CURSOR_PATTERN = re.compile(r"[A-Za-z0-9_-]+")
# The orderings a client may ask for: each is a non-null column, with the uuid as tie-breaker.
COLUMNS: dict[str, Any] = {
    "modified_at": Company.modified_at,
    "created_at": Company.created_at,
    "name": Company.name,
    "uuid": Company.id,
}


@dataclass(frozen=True)
class Ordering:
    """One sort order (`name` or `-name`) of the companies, and its keyset cursors."""

    spec: str

    @property
    def field(self) -> str:
        return self.spec.removeprefix("-")

    @property
    def descending(self) -> bool:
        return self.spec.startswith("-")

    @property
    def column(self) -> Any:
        return COLUMNS[self.field]

    def order_by(self) -> list[Any]:
        columns = [self.column] if self.field == "uuid" else [self.column, Company.id]
        return [c.desc() if self.descending else c.asc() for c in columns]

    def key(self, company: Company) -> Any:
        return getattr(company, self.column.key)

    def cursor(self, company: Company) -> str:
        """The opaque cursor of `company` in this ordering."""
        value = self.key(company)
        value = value.isoformat() if isinstance(value, datetime) else str(value)
        raw = json.dumps([self.spec, value, str(company.id)], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def after(self, cursor: str) -> Any:
        """The WHERE clause that keeps the rows strictly after `cursor`."""
        value, last_id = self._decode(cursor)
        beyond = (lambda column, v: column < v) if self.descending else (lambda column, v: column > v)
        if self.field == "uuid":
            return beyond(Company.id, last_id)
        return or_(beyond(self.column, value), and_(self.column == value, beyond(Company.id, last_id)))

    def _decode(self, cursor: str) -> tuple[Any, uuid.UUID]:
        invalid = QueryError("Invalid cursor.")
        if len(cursor) > MAX_CURSOR_LENGTH or not CURSOR_PATTERN.fullmatch(cursor):
            raise invalid
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            payload = json.loads(raw.decode())
            if not (isinstance(payload, list) and len(payload) == 3 and all(isinstance(p, str) for p in payload)):
                raise ValueError("not a cursor")
            spec, value, last_id = payload
            if spec != self.spec:
                raise ValueError("cursor of another ordering")
            return self._parse_value(value), uuid.UUID(last_id)
        except (binascii.Error, ValueError) as exc:  # JSON, UTF-8, UUID and ISO errors are ValueErrors
            raise invalid from exc

    def _parse_value(self, value: str) -> Any:
        if self.field in ("modified_at", "created_at"):
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                raise ValueError("naive timestamp")
            return parsed
        if self.field == "uuid":
            return uuid.UUID(value)
        if "\x00" in value:
            raise ValueError("NUL in a name")  # no database can compare with it: PostgreSQL refuses it
        value.encode("utf-8")  # a lone surrogate cannot be sent to the database: UnicodeEncodeError
        return value


def parse_ordering(spec: str | None) -> Ordering:
    """`order_by` as the client sends it (`-modified_at`, `name`, ...); empty means the default."""
    spec = (spec or "").strip() or DEFAULT_ORDERING
    if spec.removeprefix("-") not in COLUMNS:
        raise QueryError(f"order_by must be one of {', '.join(sorted(COLUMNS))}, optionally prefixed by '-'.")
    return Ordering(spec)
