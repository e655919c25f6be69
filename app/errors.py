"""One JSON error shape for every status code, registered app-wide (unknown URLs and methods too)."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from app.extensions import db

log = logging.getLogger(__name__)


class APIError(Exception):
    """An error with a status code and a JSON body, raised anywhere below a view."""

    def __init__(
        self, status: int, detail: str | dict | None = None, *, headers: dict[str, str] | None = None, **extra: object
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


def error_response(status: int, detail: str | dict | list, **extra: object) -> Response:
    """`{"detail": ...}` for simple errors; a field-keyed dict stands as the body itself."""
    body = detail if isinstance(detail, dict) else {"detail": detail}
    response = jsonify({**body, **extra})
    response.status_code = status
    return response


def _http_error(error: HTTPException) -> Response:
    description = error.description or error.name
    if error.code == 400 and "JSON" in description:
        description = "Malformed JSON in the request body."
    response = error_response(error.code or 500, description)
    # Keep the headers that carry meaning (Allow on 405, Retry-After on 429, ...), not the HTML content type.
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _validation_error(error: ValidationError) -> Response:
    db.session.rollback()
    messages = error.messages
    if not isinstance(messages, dict):
        messages = {"non_field_errors": messages if isinstance(messages, list) else [messages]}
    return error_response(400, messages)


def _api_error(error: APIError) -> Response:
    db.session.rollback()
    response = error_response(error.status, error.detail or "Error.", **error.extra)
    response.headers.update(error.headers)
    return response


def _integrity_error(error: IntegrityError) -> Response:
    db.session.rollback()
    log.info("integrity error: %s", error.orig)
    return error_response(409, "The change conflicts with existing data.")


def _unexpected_error(error: Exception) -> Response:
    db.session.rollback()
    log.exception("unhandled error")
    return error_response(500, "Internal server error.")


def register_errorhandlers(app: Flask) -> None:
    """Answer every error as JSON and roll back whatever the failed request had written."""
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(ValidationError, _validation_error)
    app.register_error_handler(APIError, _api_error)
    app.register_error_handler(IntegrityError, _integrity_error)
    app.register_error_handler(Exception, _unexpected_error)
