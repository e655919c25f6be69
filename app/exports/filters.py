"""The query string of the exports (`label`, `status`, `from`, `to`, `layout`), validated into a `Criteria`."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import Select, and_, exists, func, or_, select, true

from app.imports.options import stored_options_errors
from app.models import Application, ApplicationStatus, ImportBatch, Label, User
from app.permissions import resolve_label, resolve_reference
from app.validation import storable_text


def day_start(day: dt.date) -> dt.datetime:
    """Midnight UTC at the start of `day` (timestamps are stored in UTC)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def current_status_text(column: Any = ApplicationStatus.text) -> Any:
    """SQL for the text (or another column) of an application's current status: the newest by date, then order."""
    return (
        select(column)
        .where(ApplicationStatus.application_id == Application.id)
        .order_by(ApplicationStatus.date.desc(), ApplicationStatus.order.desc(), ApplicationStatus.created_at.desc())
        .limit(1)
        .correlate(Application)
        .scalar_subquery()
    )


class DateRangeSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    date_from = fields.Date(data_key="from", load_default=None)
    date_to = fields.Date(data_key="to", load_default=None)

    @validates_schema
    def _ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data["date_from"] and data["date_to"] and data["date_from"] > data["date_to"]:
            raise ValidationError("Must not be before `from`.", field_name="to")


class ApplicationExportSchema(DateRangeSchema):
    # Both are compared in SQL: `storable_text` refuses what the databases cannot take (a NUL was a 500).
    label = fields.String(load_default=None, validate=[validate.Length(max=200), storable_text])
    status = fields.String(load_default=None, validate=[validate.Length(max=50), storable_text])
    layout = fields.UUID(load_default=None)


@dataclass(frozen=True)
class DateRange:
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def contains_datetime(self, column: Any) -> list[Any]:
        """Conditions keeping timestamps that fall on a day of the range (UTC)."""
        conditions = []
        if self.date_from:
            conditions.append(column >= day_start(self.date_from))
        if self.date_to and self.date_to < dt.date.max:  # `to=9999-12-31` has no next day: no upper bound
            conditions.append(column < day_start(self.date_to + dt.timedelta(days=1)))
        return conditions

    def contains_date(self, column: Any) -> list[Any]:
        """Conditions keeping dates within the range."""
        conditions = []
        if self.date_from:
            conditions.append(column >= self.date_from)
        if self.date_to:
            conditions.append(column <= self.date_to)
        return conditions


@dataclass(frozen=True)
class Criteria:
    """Which applications an export holds (`apply` narrows an owner-scoped SELECT of applications),
    and the import whose column layout it follows, if one was asked for."""

    label: Label | None = None
    status: str | None = None
    dates: DateRange = DateRange()
    layout: ImportBatch | None = None

    def apply(self, query: Select) -> Select:
        if self.label is not None:
            query = query.where(Application.labels.any(Label.id == self.label.id))
        if self.status is not None:
            # The user's word ("OA received") or the stage it means ("Screening").
            wanted = self.status.lower()
            query = query.where(
                or_(
                    func.lower(current_status_text()) == wanted,
                    func.lower(current_status_text(ApplicationStatus.stage)) == wanted,
                )
            )
        if self.dates.date_from or self.dates.date_to:
            # "Active in the range": added to the tracker, or a status dated, within it.
            status_in_range = exists().where(
                ApplicationStatus.application_id == Application.id,
                *self.dates.contains_date(ApplicationStatus.date),
            )
            added_in_range = and_(true(), *self.dates.contains_datetime(Application.created_at))  # may be none
            query = query.where(or_(status_in_range, added_in_range))
        return query


def _given(args: Mapping[str, str]) -> dict[str, str]:
    """The parameters with a value: a blank one (`?label=` from an empty form field) is not a filter."""
    return {key: value for key, value in args.items() if value.strip()}


def date_range(args: Mapping[str, str]) -> DateRange:
    """`from` and `to` (YYYY-MM-DD, both optional, inclusive); a 400 on a bad date or order."""
    data = DateRangeSchema().load(_given(args))
    return DateRange(data["date_from"], data["date_to"])


def application_criteria(args: Mapping[str, str], user: User) -> Criteria:
    """The applications export's filters; an unknown label or a bad date is a 400 on that field."""
    data = ApplicationExportSchema().load(_given(args))
    label = None
    if data["label"] is not None:
        label = resolve_label(user, _as_uuid(data["label"]), data["label"])
        if label is None:
            raise ValidationError({"label": [f"Label {data['label']!r} does not exist."]})
    layout = None
    if data["layout"] is not None:
        layout = resolve_reference(ImportBatch, data["layout"], user)
        if layout is None:
            raise ValidationError({"layout": ["Import does not exist."]})
        problems = stored_options_errors(layout.options)
        if problems:  # only an account restore can store such options: a forged file
            raise ValidationError({"layout": [f"The import's column layout is malformed: {'; '.join(problems[:5])}."]})
    dates = DateRange(data["date_from"], data["date_to"])
    return Criteria(label=label, status=data["status"], dates=dates, layout=layout)


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
