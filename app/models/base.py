"""Declarative base and the mixins every entity shares: UUID key, timestamps, owner."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, ForeignKey, MetaData, TypeDecorator, Uuid
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

# Named constraints, so that migrations can alter and drop them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (a callable default, evaluated per row)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware, on SQLite too.

    SQLite has no timestamp type: there it is stored as the text `datetime.isoformat()` prints in UTC
    (`2024-05-01T12:00:00.250000+00:00`, no fraction at 0 microseconds), which is the text its JSON shows,
    so the JSON the database writes (`app.serialization`) selects it as it is. SQLAlchemy's own form
    (`2024-05-01 12:00:00.250000`) had to be reformatted in every row of a page. The text sorts as the
    instants do (a fraction is always 6 digits, and `+` sorts before `.`), so ORDER BY, comparisons with
    bound values and indexes keep working; reading accepts the old form too (migration 0007 rewrote it).
    PostgreSQL keeps its timestamptz.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return _SQLiteIsoText()
        return super().load_dialect_impl(dialect)

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class _SQLiteIsoText(sqlite.DATETIME):
    """SQLite's DATETIME (in DDL and to migrations), holding `isoformat()` text (see `UTCDateTime`)."""

    def bind_processor(self, dialect: Dialect) -> Callable[[datetime | None], str | None]:
        return _iso_text

    def literal_processor(self, dialect: Dialect) -> Callable[[datetime], str]:
        return lambda value: f"'{_iso_text(value)}'"

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[str | None], datetime | None]:
        return _from_iso_text


def _iso_text(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _from_iso_text(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


class DashedUuid(Uuid):
    """A uuid, stored on SQLite (which has no uuid type) as its dashed text, `str(uuid)`.

    SQLAlchemy's `Uuid` stores 32 hex digits there. The JSON the database writes (`app.serialization`)
    shows the dashed text, and dashing the hex digits of every id was almost half of the company page's
    statement on SQLite; stored dashed, a uuid is selected as it is. Reading accepts both forms. The
    columns keep their declared CHAR(32): SQLite enforces no length (migration 0006 rewrote the values).
    PostgreSQL keeps its native uuid: the dialect adapts this type as it adapts `Uuid`.
    """

    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], str | None] | None:
        if dialect.supports_native_uuid and self.native_uuid:
            return super().bind_processor(dialect)
        return _dashed

    def literal_processor(self, dialect: Dialect) -> Callable[[Any], str] | None:
        if dialect.supports_native_uuid and self.native_uuid:
            return super().literal_processor(dialect)
        return lambda value: f"'{_dashed(value)}'"


def _dashed(value: uuid.UUID | str | None) -> str | None:
    """`str(uuid)` of a uuid, or of the uuid a string spells (hex or dashed); a bad string raises."""
    if value is None or isinstance(value, uuid.UUID):
        return None if value is None else str(value)
    return str(uuid.UUID(value))


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UUIDMixin:
    """A random UUID4 primary key, exposed to clients as `uuid`."""

    id: Mapped[uuid.UUID] = mapped_column(DashedUuid, primary_key=True, default=uuid.uuid4)


class TimestampMixin:
    """`created_at` set once and `modified_at` refreshed on every update, by the ORM."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    modified_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False, index=True
    )


class OwnedMixin:
    """Rows that belong to one user; deleting the user deletes them (ORM and database alike)."""

    @declared_attr
    def user_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(DashedUuid, ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)


class Entity(UUIDMixin, TimestampMixin, Base):
    """Abstract base for every API entity."""

    __abstract__ = True


def utctoday() -> date:
    """Today's date in UTC: the default of date fields."""
    return utcnow().date()
