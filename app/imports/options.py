"""The options a batch is read with, stored as `ImportBatch.options`, and changes to them.

The stored shape (version 1), which other features may read (exports lay out columns like the
user's original file from it):

    {
      "version": 1,
      "sheet": "Applications",          # the XLSX sheet read; null for CSV
      "header_row": 1,                  # 1-based row number of the (last) header row
      "date_order": "mdy",              # how 03/04/2024 is read: "dmy" or "mdy"
      "columns": [                      # every column of the sheet, in the sheet's order
        {"index": 0, "letter": "A", "header": "Company", "field": "company", "stage": null,
         "confidence": 1.0},
        {"index": 4, "letter": "E", "header": "Interview date", "field": "stage_date",
         "stage": "Interviewing", "confidence": 0.9},
        ...
      ],
      "status_mapping": {"phone scrn": "Screening", "OA received": "Screening"},  # word -> stage
      "date_order_chosen": false,       # true once the user chose date_order (else it is decided afresh)
      "year_reference": "2025-03-14",   # the middle of the file's dates: the year of a date without one
      "date_formats": {"Applied": "M/D/YYYY"},  # how each date column writes dates (app/imports/date_formats.py)
      "remembered_from": null           # the earlier import whose mapping this one started from
    }

A status keeps the user's word as its text; `status_mapping` gives the stage it means (kept beside it,
in `ApplicationStatus.stage`), never a replacement of the word.

`field` is one of `columns.FIELDS` ("extra" keeps the cell under the application's `extra`, by
its header; "ignore" drops it from the application, the source row still keeps it).
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, ValidationError, fields, validate, validates_schema

from app.imports.columns import FIELDS, SINGLE_FIELDS, Column
from app.imports.date_formats import FORMAT_MAX_LENGTH
from app.imports.dates import DATE_ORDERS
from app.imports.errors import ImportFileError
from app.imports.statuses import STATUS_MAX_LENGTH
from app.validation import PlainSchema, storable_text

OPTIONS_VERSION = 1


class ImportOptionsSchema(PlainSchema):
    """The body of PATCH /api/imports/<uuid>/ (and the CLI's --mapping): what to change."""

    mapping = fields.Dict(keys=fields.String(), values=fields.Raw())
    status_mapping = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=200)),
        values=fields.String(validate=validate.Length(min=1, max=STATUS_MAX_LENGTH)),
    )
    date_order = fields.String(validate=validate.OneOf(DATE_ORDERS))
    sheet = fields.String(validate=validate.Length(min=1, max=200))
    header_row = fields.Integer(validate=validate.Range(min=1, max=1_000_000))

    @validates_schema
    def _something(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data:
            raise ValidationError(
                "Give at least one of mapping, status_mapping, date_order, sheet, header_row.",
                field_name="non_field_errors",
            )


class StoredColumnSchema(PlainSchema):
    """One entry of the stored `columns` (what `Column.to_json` writes; `Column(**entry)` reads it back)."""

    class Meta:
        unknown = RAISE

    index = fields.Integer(strict=True, required=True, validate=validate.Range(min=0, max=1_000_000))
    letter = fields.String(required=True, validate=[validate.Length(max=10), storable_text])
    header = fields.String(required=True, validate=[validate.Length(max=10_000), storable_text])
    field = fields.String(required=True, validate=validate.OneOf(FIELDS))
    stage = fields.String(allow_none=True, validate=[validate.Length(min=1, max=STATUS_MAX_LENGTH), storable_text])
    confidence = fields.Float(required=True, validate=validate.Range(min=0, max=1))


class StoredOptionsSchema(PlainSchema):
    """The stored options (the shape in the module docstring), with the limits `ImportOptionsSchema` puts
    on a change. The importer writes them itself; an account restore brings them from a file, so they are
    checked there (and again by the readers below) strictly enough that the stored value is usable as is."""

    version = fields.Integer(strict=True, required=True, validate=validate.Equal(OPTIONS_VERSION))
    sheet = fields.String(allow_none=True, required=True, validate=[validate.Length(min=1, max=200), storable_text])
    header_row = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=1_000_000))
    date_order = fields.String(required=True, validate=validate.OneOf(DATE_ORDERS))
    columns = fields.List(fields.Nested(StoredColumnSchema), required=True)
    status_mapping = fields.Dict(
        required=True,
        keys=fields.String(validate=[validate.Length(min=1, max=200), storable_text]),
        values=fields.String(validate=[validate.Length(min=1, max=STATUS_MAX_LENGTH), storable_text]),
    )
    date_order_chosen = fields.Boolean()
    year_reference = fields.Date(allow_none=True)
    date_formats = fields.Dict(
        keys=fields.String(validate=[validate.Length(min=1, max=200), storable_text]),
        values=fields.String(validate=[validate.Length(min=1, max=FORMAT_MAX_LENGTH), storable_text]),
    )
    remembered_from = fields.UUID(allow_none=True)


def flat_messages(messages: Any, prefix: str = "") -> list[str]:
    """Marshmallow's nested messages as `path: message` lines, for one-line error details."""
    if isinstance(messages, dict):
        return [
            line
            for key, value in messages.items()
            for line in flat_messages(value, f"{prefix}{key}." if key != "_schema" else prefix)
        ]
    if isinstance(messages, list):
        return [line for value in messages for line in flat_messages(value, prefix)]
    return [f"{prefix.rstrip('.')}: {messages}" if prefix else str(messages)]


def stored_options_errors(options: Any) -> list[str]:
    """What is wrong with stored options (nothing: an empty list)."""
    if not isinstance(options, dict):
        return ["Expected an object."]
    return flat_messages(StoredOptionsSchema().validate(options))


def stored_options(options: Any) -> dict[str, Any]:
    """The batch's stored options when they are usable; a 409 saying so otherwise (a forged restore)."""
    errors = stored_options_errors(options)
    if errors:
        raise ImportFileError(
            409,
            f"This import's stored options are malformed ({'; '.join(errors[:5])}): discard it and upload "
            "the file again.",
        )
    return options


def _find_column(columns: list[Column], key: str) -> Column | None:
    """A column named by its header (any case), its letter ("C") or its 0-based index ("2")."""
    for column in columns:
        if column.header == key:
            return column
    folded = key.strip().casefold()
    for column in columns:
        if column.header.casefold() == folded:
            return column
    for column in columns:
        if column.letter == key.strip().upper():
            return column
    if key.strip().isdigit():
        index = int(key)
        return columns[index] if index < len(columns) else None
    return None


def _parse_target(value: Any) -> tuple[str, str | None]:
    """`"company"`, `"stage_date:Interviewing"` or `{"field": "stage_date", "stage": "Interviewing"}`."""
    if isinstance(value, str):
        field, _, stage = value.partition(":")
        return field.strip(), stage.strip() or None
    if isinstance(value, dict) and isinstance(value.get("field"), str):
        stage = value.get("stage")
        if stage is not None and not isinstance(stage, str):
            raise ValidationError("stage must be text.")
        return value["field"], (stage or "").strip() or None
    if value is None:
        return "extra", None
    raise ValidationError('Expected a field name, or {"field": ..., "stage": ...}.')


def apply_mapping(columns: list[Column], mapping: dict[str, Any]) -> list[Column]:
    """The columns with the user's choices applied; a 400 naming each bad entry."""
    errors: dict[str, list[str]] = {}
    chosen_by_user: set[int] = set()
    for key, value in mapping.items():
        column = _find_column(columns, key)
        if column is None:
            errors[key] = [f"No column {key!r}: name a column by its header, letter or index."]
            continue
        try:
            field, stage = _parse_target(value)
        except ValidationError as exc:
            errors[key] = exc.messages if isinstance(exc.messages, list) else [str(exc.messages)]
            continue
        if field not in FIELDS:
            errors[key] = [f"Unknown field {field!r}; one of: {', '.join(FIELDS)}."]
            continue
        if field == "stage_date" and not stage:
            errors[key] = ['A stage_date column needs its stage, e.g. "stage_date:Interviewing".']
            continue
        if stage is not None and len(stage) > STATUS_MAX_LENGTH:
            errors[key] = [f"A stage is at most {STATUS_MAX_LENGTH} characters."]
            continue
        column.field, column.stage, column.confidence = field, stage if field == "stage_date" else None, 1.0
        chosen_by_user.add(column.index)
    for field in SINGLE_FIELDS:
        holders = [column for column in columns if column.field == field]
        if len(holders) > 1 and any(column.index in chosen_by_user for column in holders):
            # The user's choice wins over the proposal: the proposed column is kept as extra.
            for column in holders:
                if column.index not in chosen_by_user:
                    column.field, column.stage, column.confidence = "extra", None, 0.0
        chosen = [column.header for column in columns if column.field == field]
        if len(chosen) > 1:
            errors.setdefault(chosen[1], []).append(
                f"Only one column can be {field}; {', '.join(repr(h) for h in chosen)} all are."
            )
    if errors:
        raise ValidationError({"mapping": errors})
    return columns


def columns_from_options(options: dict[str, Any]) -> list[Column]:
    return [Column(**column) for column in options.get("columns", [])]
