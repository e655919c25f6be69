"""How batches are shown: a summary in lists, the whole preview on the detail."""

from __future__ import annotations

from typing import Any

from marshmallow import fields

from app.models.import_batch import ImportBatch
from app.resources.schemas import BaseSchema


class ImportBatchSummarySchema(BaseSchema):
    class Meta(BaseSchema.Meta):
        model = ImportBatch

    user = fields.UUID(attribute="user_id", dump_only=True)
    state = fields.String(dump_only=True)
    filename = fields.String(dump_only=True)
    file_format = fields.String(dump_only=True)
    file_size = fields.Integer(dump_only=True)
    counts = fields.Dict(dump_only=True)
    committed_at = fields.DateTime(dump_only=True)
    undone_at = fields.DateTime(dump_only=True)


class ImportBatchSchema(ImportBatchSummarySchema):
    """The detail: the summary, the options (`mapping`) and everything the preview found."""

    mapping = fields.Dict(attribute="options", dump_only=True)
    preview = fields.Method("_preview", dump_only=True)

    def _preview(self, batch: ImportBatch) -> dict[str, Any]:
        return batch.preview or {}
