"""Checks of what an import keeps in its JSON columns, for when it comes from outside the importer.

The importer writes `ImportBatch.options`, `created_labels`, `counts`, `preview` and each record's
`raw`, `values` and `previous` itself; an account restore (app/exports/account.py) brings them from a
file. Undo, commit, the preview and the exports' `layout` read them back, so a restore refuses a file
whose values they could not use: `STORED_JSON` maps table -> column -> a check answering the problems
(an empty list when the value is fine). The readers check again (a 409 or 400, never a 500).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import ValidationError, fields, validate

from app.imports.options import flat_messages, stored_options_errors
from app.imports.snapshot import load_snapshot
from app.models.import_batch import BATCH_STATES, RECORD_ACTIONS
from app.validation import PlainSchema

Check = Callable[[Any], list[str]]


def _field_check(field: fields.Field) -> Check:
    def check(value: Any) -> list[str]:
        try:
            field.deserialize(value)
        except ValidationError as exc:
            return flat_messages(exc.messages)
        return []

    return check


def _snapshot_errors(value: Any) -> list[str]:
    if value is None:
        return []
    try:
        load_snapshot(value)
    except ValidationError as exc:
        return flat_messages(exc.messages)
    return []


# [text, date] (older imports) or [text, date, stage, date basis]
_Status = fields.List(fields.String(allow_none=True), validate=validate.Length(min=2, max=4))


class RecordValuesSchema(PlainSchema):
    """A record's `values` (what `planning.plan_row` wrote), as a later import's three-way merge reads them."""

    company = fields.String()
    position_title = fields.String()
    job_url = fields.String()
    job_source = fields.String()
    job_source_url = fields.String()
    job_url_text = fields.String()
    company_url = fields.String()
    job_description = fields.String()
    notes = fields.String()
    extra = fields.Dict(keys=fields.String(), allow_none=True)
    labels = fields.List(fields.String())
    locations = fields.List(fields.String())
    statuses = fields.List(_Status)


def record_values_errors(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, dict):
        return ["Expected an object."]
    return flat_messages(RecordValuesSchema().validate(value))


STORED_JSON: dict[str, dict[str, Check]] = {
    "import_batch": {
        "state": _field_check(fields.String(validate=validate.OneOf(BATCH_STATES))),
        "options": stored_options_errors,
        "preview": _field_check(fields.Dict(keys=fields.String())),
        "counts": _field_check(fields.Dict(keys=fields.String(), values=fields.Integer(strict=True))),
        "created_labels": _field_check(fields.List(fields.UUID())),
    },
    "import_record": {
        "action": _field_check(fields.String(validate=validate.OneOf(RECORD_ACTIONS))),
        "raw": _field_check(fields.List(fields.Raw(allow_none=True))),
        "values": record_values_errors,
        "previous": _snapshot_errors,
    },
}
