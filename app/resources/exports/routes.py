"""Export and feed endpoints: validate the query, pick the rows (app.exports), hand them to a format writer."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable
from typing import Any

from flask import Response, current_app, request, send_file, stream_with_context
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from app import json_limits
from app.api import ApiBlueprint, current_user
from app.errors import APIError
from app.exports.account import dump_account, restore_account
from app.exports.activity import COLUMNS as ACTIVITY_COLUMNS
from app.exports.activity import activity_rows
from app.exports.csv_writer import csv_stream
from app.exports.feeds import feed_owner
from app.exports.filters import application_criteria, date_range
from app.exports.import_layout import import_layout
from app.exports.rows import Layout, application_rows, default_layout, extra_keys
from app.exports.xlsx_writer import MIME_TYPE as XLSX_MIME_TYPE
from app.exports.xlsx_writer import write_xlsx
from app.extensions import db, limiter
from app.limits import allow_upload_body, megabytes
from app.models import User, hash_feed_token
from app.models.base import utctoday

blueprint = ApiBlueprint("exports", __name__)

CSV_MIME_TYPE = "text/csv"  # werkzeug adds `; charset=utf-8` to a text/* mimetype itself


def _private(response: Response, filename: str | None = None) -> Response:
    """Exports are personal: never cached; downloads are named."""
    response.headers["Cache-Control"] = "no-store"
    if filename is not None:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv_response(header: list[str], chunks: Iterable[list[list[Any]]], filename: str | None, bom: bool) -> Response:
    body = stream_with_context(csv_stream(header, chunks, bom=bom))
    return _private(Response(body, mimetype=CSV_MIME_TYPE), filename)


def _applications(user: User) -> tuple[Layout, Iterable[list[list[Any]]]]:
    criteria = application_criteria(request.args, user)
    keys = extra_keys(user, criteria)
    layout = import_layout(criteria.layout, keys) if criteria.layout is not None else default_layout(keys)
    return layout, application_rows(user, criteria, layout)


@blueprint.get("/api/exports/applications.csv", strict_slashes=False, login=True)
def applications_csv() -> ResponseReturnValue:
    """Download the caller's applications as CSV, one row per application (UTF-8 with a BOM, for Excel).

    ---
    parameters:
      - in: query
        schema: ApplicationExportSchema
    responses:
      "200":
        description: The CSV file.
        content:
          text/csv: {}
      "400":
        $ref: "#/components/responses/BadRequest"
    """
    layout, chunks = _applications(current_user())
    return _csv_response(layout.header, chunks, f"applications-{utctoday().isoformat()}.csv", bom=True)


@blueprint.get("/api/exports/applications.xlsx", strict_slashes=False, login=True)
def applications_xlsx() -> ResponseReturnValue:
    """Download the caller's applications as an Excel workbook, one row per application.

    ---
    parameters:
      - in: query
        schema: ApplicationExportSchema
    responses:
      "200":
        description: The workbook.
        content:
          application/vnd.openxmlformats-officedocument.spreadsheetml.sheet: {}
      "400":
        $ref: "#/components/responses/BadRequest"
    """
    layout, chunks = _applications(current_user())
    # The workbook is a zip written at the end: build it in a temporary file, then stream that file.
    target = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the response
    write_xlsx(target, "Applications", layout.header, chunks)
    target.seek(0)
    response = send_file(
        target,
        mimetype=XLSX_MIME_TYPE,
        as_attachment=True,
        download_name=f"applications-{utctoday().isoformat()}.xlsx",
        max_age=0,
    )
    return _private(response)


@blueprint.get("/api/exports/activity.csv", strict_slashes=False, login=True)
def activity_csv() -> ResponseReturnValue:
    """Download the dated log of applications added and status changes between `from` and `to`.

    ---
    parameters:
      - in: query
        schema: DateRangeSchema
    responses:
      "200":
        description: The CSV file.
        content:
          text/csv: {}
      "400":
        $ref: "#/components/responses/BadRequest"
    """
    dates = date_range(request.args)
    span = "-".join(day.isoformat() for day in (dates.date_from, dates.date_to) if day) or "all"
    return _csv_response(list(ACTIVITY_COLUMNS), activity_rows(current_user(), dates), f"activity-{span}.csv", bom=True)


@blueprint.get("/api/exports/account.json", strict_slashes=False, login=True)
def account_json() -> ResponseReturnValue:
    """Download everything the caller owns, in the documented account-export shape."""
    # Key order is data here (an import's extra columns keep their order), so keys are not sorted.
    body = json.dumps(dump_account(current_user()), ensure_ascii=False)
    return _private(Response(body, mimetype="application/json"), f"appl-tracky-account-{utctoday().isoformat()}.json")


def _account_file_too_large(limit: int) -> APIError:
    return APIError(413, f"The account file is larger than {megabytes(limit)}.")


def _uploaded_json() -> Any:
    """The account file: the JSON body, or the multipart `file`; either at most ACCOUNT_IMPORT_MAX_BYTES."""
    limit = allow_upload_body("ACCOUNT_IMPORT_MAX_BYTES")
    try:
        upload = request.files.get("file")
    except RequestEntityTooLarge as exc:  # the body is over the limit plus the multipart envelope
        raise _account_file_too_large(limit) from exc
    if upload is None:
        if (request.content_length or 0) > limit:
            raise _account_file_too_large(limit)
        return request.get_json()
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise _account_file_too_large(limit)
    try:
        return json_limits.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise APIError(400, "Malformed JSON in the uploaded file.") from exc


@blueprint.post("/api/imports/account/", strict_slashes=False, login=True)
def import_account() -> ResponseReturnValue:
    """Restore an account export (JSON body, or multipart `file`) into the caller's empty account.

    ---
    requestBody:
      required: true
      content:
        application/json:
          schema: {type: object, description: "A file from GET /api/exports/account.json"}
        multipart/form-data:
          schema:
            type: object
            required: [file]
            properties:
              file: {type: string, format: binary}
    responses:
      "201":
        description: How many rows of each table were restored, and the new uuid of every old one.
        content:
          application/json:
            schema:
              type: object
              properties:
                restored: {type: object, additionalProperties: {type: integer}}
                uuids: {type: object, additionalProperties: {type: string, format: uuid}}
      "409":
        $ref: "#/components/responses/Conflict"
    """
    restore = restore_account(_uploaded_json(), current_user())
    return {
        "restored": {name: len(rows) for name, rows in restore.rows.items()},
        "uuids": {str(old): str(new) for old, new in restore.id_map.items()},
    }, 201


def _feed_limit() -> str:
    return current_app.config["FEED_RATE_LIMIT"]


def feed_rate_key() -> str:
    """Rate limits count per feed (hashed), not per address: spreadsheet services share addresses."""
    return "feed:" + hash_feed_token((request.view_args or {}).get("token", ""))


@blueprint.get("/api/feeds/<token>/applications.csv", login=False)
@limiter.limit(_feed_limit, key_func=feed_rate_key)
def feed_applications(token: str) -> ResponseReturnValue:
    """The live CSV of a feed token's owner, for spreadsheet imports (no JWT: the URL is the secret).

    ---
    parameters:
      - in: query
        schema: ApplicationExportSchema
    responses:
      "200":
        description: The CSV file.
        content:
          text/csv: {}
      "400":
        $ref: "#/components/responses/BadRequest"
    """
    user = feed_owner(token)
    if user is None:
        raise APIError(404, "Not found.")
    db.session.commit()  # the feed's last use, before the rows stream
    layout, chunks = _applications(user)
    return _csv_response(layout.header, chunks, None, bom=False)
