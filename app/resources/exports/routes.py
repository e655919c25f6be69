"""Export and feed endpoints: the downloads and the account restore (app/resources/exports/downloads.py)."""

from __future__ import annotations

from flask import current_app, request
from flask.typing import ResponseReturnValue

from app.api import ApiBlueprint, current_user
from app.errors import APIError
from app.exports.account import restore_account
from app.exports.feeds import feed_owner
from app.extensions import db, limiter
from app.models import hash_feed_token
from app.resources.exports import downloads

blueprint = ApiBlueprint("exports", __name__)


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
    return downloads.applications_csv(current_user(), request.args)


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
    return downloads.applications_xlsx(current_user(), request.args)


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
    return downloads.activity_csv(current_user(), request.args)


@blueprint.get("/api/exports/account.json", strict_slashes=False, login=True)
def account_json() -> ResponseReturnValue:
    """Download everything the caller owns, in the documented account-export shape."""
    return downloads.account_json(current_user())


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
    restore = restore_account(downloads.uploaded_account_file(), current_user())
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
    layout, chunks = downloads.application_export(user, request.args)
    return downloads.csv_response(layout.header, chunks, None, bom=False)
