"""/api/imports/: upload a spreadsheet, adjust the preview, commit, list, undo. Thin: app.imports does the work."""

from __future__ import annotations

import uuid
from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from app import json_limits
from app.api import ApiBlueprint, current_user, json_body, paginate, paginate_items, register_detail
from app.errors import error_response
from app.extensions import db
from app.imports import service
from app.limits import allow_upload_body
from app.models.import_batch import ImportBatch
from app.resources.imports.schemas import ImportBatchSchema, ImportBatchSummarySchema

blueprint = ApiBlueprint("imports", __name__)
register_detail(blueprint, ImportBatch, "detail")


@blueprint.before_request
def _allow_large_uploads() -> None:
    # Spreadsheets may be larger than the app-wide body limit (sized for JSON).
    allow_upload_body("IMPORT_MAX_BYTES")


@blueprint.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> ResponseReturnValue:
    return error_response(413, service.too_large_message())


def _batch(batch_id: uuid.UUID, *, content: bool = False) -> ImportBatch:
    return service.visible_batch(current_user(), batch_id, content=content)


def _form_options() -> dict[str, Any]:
    """Options sent with the upload as form fields (mapping and status_mapping as JSON text)."""
    options: dict[str, Any] = {}
    for key, value in request.form.items():
        if key in ("mapping", "status_mapping"):
            try:
                options[key] = json_limits.loads(value)
            except ValueError as exc:
                raise ValidationError({key: ["Not valid JSON."]}) from exc
        elif key in ("sheet", "date_order", "header_row"):
            options[key] = value
    return options


@blueprint.route("/api/imports/", methods=["GET"], strict_slashes=False, login=True)
def list_batches() -> ResponseReturnValue:
    """List the caller's imports, newest first, with their counts."""
    rows, envelope = paginate(service.batches(current_user()))
    return {**envelope, "results": ImportBatchSummarySchema(many=True).dump(rows)}


@blueprint.route("/api/imports/", methods=["POST"], strict_slashes=False, login=True)
def upload() -> ResponseReturnValue:
    """Upload a CSV or XLSX file (multipart field `file`): a new import in preview state.

    ---
    requestBody:
      required: true
      content:
        multipart/form-data:
          schema:
            type: object
            required: [file]
            properties:
              file: {type: string, format: binary}
              mapping: {type: string, description: "JSON text: column -> field"}
              status_mapping: {type: string, description: "JSON text: status text -> status"}
              sheet: {type: string}
              date_order: {type: string}
              header_row: {type: string}
    responses:
      "201":
        description: The new import, in preview.
        content:
          application/json:
            schema: ImportBatchSchema
    """
    upload = request.files.get("file")
    if upload is None:
        raise ValidationError({"file": ["Upload the spreadsheet as the multipart field 'file'."]})
    batch = service.create_batch(current_user(), upload.filename or "", upload.read(), _form_options())
    db.session.commit()  # the answer shows the batch as stored
    return ImportBatchSchema().dump(batch), 201


@blueprint.route("/api/imports/<uuid:uuid>/", methods=["GET"], strict_slashes=False, login=True, endpoint="detail")
def detail(uuid: uuid.UUID) -> ResponseReturnValue:
    """One import: its mapping, the preview, the counts.

    ---
    responses:
      "200":
        description: The import.
        content:
          application/json:
            schema: ImportBatchSchema
    """
    return ImportBatchSchema().dump(_batch(uuid))


@blueprint.route("/api/imports/<uuid:uuid>/rows/", methods=["GET"], strict_slashes=False, login=True)
def rows(uuid: uuid.UUID) -> ResponseReturnValue:
    """Every row of the file as the import would write it, paged; `show` narrows them.

    ---
    parameters:
      - {name: show, in: query, required: false, description: "Only the rows with problems, or of one action",
         schema: {type: string, enum: [problems, create, update, unchanged, skip]}}
      - {name: page, in: query, required: false, schema: {type: integer, minimum: 1}}
      - {name: page_size, in: query, required: false, schema: {type: integer, minimum: 1}}
    responses:
      "200":
        description: "A page: count, next, previous and results (row, action, values, problems, raw)."
        content:
          application/json:
            schema: {type: object}
      "400":
        $ref: "#/components/responses/BadRequest"
    """
    batch = _batch(uuid, content=True)
    show = request.args.get("show") or None
    results, envelope = paginate_items(
        lambda offset, size: service.batch_rows(batch, current_user(), show, offset, size)
    )
    return {**envelope, "results": results}


@blueprint.route("/api/imports/<uuid:uuid>/", methods=["PATCH"], strict_slashes=False, login=True)
def change(uuid: uuid.UUID) -> ResponseReturnValue:
    """Change the column mapping, status mapping, date order, sheet or header row; the preview is redone.

    ---
    requestBody:
      required: true
      content:
        application/json:
          schema: ImportOptionsSchema
    responses:
      "200":
        description: The import with its new preview.
        content:
          application/json:
            schema: ImportBatchSchema
      "409":
        $ref: "#/components/responses/Conflict"
    """
    batch = _batch(uuid, content=True)
    service.change_options(batch, current_user(), json_body())
    db.session.commit()  # the answer shows the batch as stored
    return ImportBatchSchema().dump(batch)


@blueprint.route("/api/imports/<uuid:uuid>/commit/", methods=["POST"], strict_slashes=False, login=True)
def commit(uuid: uuid.UUID) -> ResponseReturnValue:
    """Write the import to the caller's data, in one transaction.

    ---
    responses:
      "200":
        description: The committed import.
        content:
          application/json:
            schema: ImportBatchSchema
      "400":
        $ref: "#/components/responses/BadRequest"
      "409":
        $ref: "#/components/responses/Conflict"
    """
    batch = _batch(uuid, content=True)
    service.commit_batch(batch, current_user())
    db.session.commit()  # the answer shows the batch as stored
    return ImportBatchSchema().dump(batch)


@blueprint.route("/api/imports/<uuid:uuid>/", methods=["DELETE"], strict_slashes=False, login=True)
def delete(uuid: uuid.UUID) -> ResponseReturnValue:
    """Undo a committed import (it stays listed, as undone), or discard one in preview or undone.

    ---
    responses:
      "204":
        description: Undone or discarded.
      "409":
        $ref: "#/components/responses/Conflict"
    """
    service.delete_batch(_batch(uuid), current_user())
    return "", 204
