"""The export downloads and the account file upload, as HTTP responses and requests, for every face that
offers them: the API's export routes and the /account/ pages (app/pages/exports.py, account.py).

Each takes the caller and the query's parameters; a bad parameter raises the schemas' ValidationError
(by field), which each face shows its own way.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response, request, send_file, stream_with_context
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from app import json_limits
from app.errors import APIError
from app.exports.account import dump_account
from app.exports.activity import COLUMNS as ACTIVITY_COLUMNS
from app.exports.activity import activity_rows
from app.exports.csv_writer import csv_stream
from app.exports.filters import application_criteria, date_range
from app.exports.import_layout import import_layout
from app.exports.rows import Layout, application_rows, default_layout, extra_keys
from app.exports.xlsx_writer import MIME_TYPE as XLSX_MIME_TYPE
from app.exports.xlsx_writer import write_xlsx
from app.limits import allow_upload_body, megabytes
from app.models import User
from app.models.base import utctoday

CSV_MIME_TYPE = "text/csv"  # werkzeug adds `; charset=utf-8` to a text/* mimetype itself


def private(response: Response, filename: str | None = None) -> Response:
    """Exports are personal: never cached; downloads are named."""
    response.headers["Cache-Control"] = "no-store"
    if filename is not None:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_response(header: list[str], chunks: Iterable[list[list[Any]]], filename: str | None, bom: bool) -> Response:
    body = stream_with_context(csv_stream(header, chunks, bom=bom))
    return private(Response(body, mimetype=CSV_MIME_TYPE), filename)


def application_export(user: User, args: Mapping[str, str]) -> tuple[Layout, Iterable[list[list[Any]]]]:
    """The columns and rows of `user`'s applications export under the filters (and layout) of `args`."""
    criteria = application_criteria(args, user)
    keys = extra_keys(user, criteria)
    layout = import_layout(criteria.layout, keys) if criteria.layout is not None else default_layout(keys)
    return layout, application_rows(user, criteria, layout)


def applications_csv(user: User, args: Mapping[str, str]) -> Response:
    """The applications as a CSV download (UTF-8 with a BOM, for Excel)."""
    layout, chunks = application_export(user, args)
    return csv_response(layout.header, chunks, f"applications-{utctoday().isoformat()}.csv", bom=True)


def applications_xlsx(user: User, args: Mapping[str, str]) -> Response:
    """The applications as an Excel workbook download."""
    layout, chunks = application_export(user, args)
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
    return private(response)


def activity_csv(user: User, args: Mapping[str, str]) -> Response:
    """The dated log of applications added and status changes between `from` and `to`, as CSV."""
    dates = date_range(args)
    span = "-".join(day.isoformat() for day in (dates.date_from, dates.date_to) if day) or "all"
    return csv_response(list(ACTIVITY_COLUMNS), activity_rows(user, dates), f"activity-{span}.csv", bom=True)


def account_json(user: User) -> Response:
    """Everything `user` owns, in the documented account-export shape, as a download."""
    # Key order is data here (an import's extra columns keep their order), so keys are not sorted.
    body = json.dumps(dump_account(user), ensure_ascii=False)
    return private(Response(body, mimetype="application/json"), f"appl-tracky-account-{utctoday().isoformat()}.json")


def _account_file_too_large(limit: int) -> APIError:
    return APIError(413, f"The account file is larger than {megabytes(limit)}.")


def uploaded_account_file(*, json_body: bool = True) -> Any:
    """The account file of this request: the multipart `file`, or (when `json_body`) the JSON body;
    either at most ACCOUNT_IMPORT_MAX_BYTES. None when a form (not `json_body`) chose no file."""
    limit = allow_upload_body("ACCOUNT_IMPORT_MAX_BYTES")
    try:
        upload = request.files.get("file")
    except RequestEntityTooLarge as exc:  # the body is over the limit plus the multipart envelope
        raise _account_file_too_large(limit) from exc
    if upload is not None and (upload.filename or json_body):
        return _read_upload(upload, limit)
    if not json_body:
        return None
    if (request.content_length or 0) > limit:
        raise _account_file_too_large(limit)
    return request.get_json()


def _read_upload(upload: FileStorage, limit: int) -> Any:
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise _account_file_too_large(limit)
    try:
        return json_limits.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise APIError(400, "Malformed JSON in the uploaded file.") from exc
