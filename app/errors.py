"""One JSON error shape for every status code, registered app-wide (unknown URLs and methods too).

A database that cannot be reached (down, restarting, failing over, its pool exhausted) is a 503 with
`Retry-After`, not a 500: clients and the load balancer learn that it is temporary. The pool pings
each connection before use (`pool_pre_ping`), so the first request after the database is back
reconnects without restarting the server.
"""

from __future__ import annotations

import logging
import sqlite3

from flask import Flask, Response, jsonify
from marshmallow import ValidationError
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException

from app.extensions import db

log = logging.getLogger(__name__)

DATABASE_RETRY_AFTER_SECONDS = 5
DATABASE_UNAVAILABLE = "The database is temporarily unavailable. Try again in a few seconds."


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


def database_unavailable(**extra: object) -> Response:
    """503 `{"detail": ...}` with `Retry-After`: the answer of any request while the database is unreachable."""
    response = error_response(503, {"detail": DATABASE_UNAVAILABLE, **extra})
    response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response


def is_database_unavailable(error: BaseException) -> bool:
    """Whether `error` says the database cannot be reached, rather than that a statement is wrong."""
    if isinstance(error, OperationalError) and _sqlite_statement_error(error.orig):
        return False
    if isinstance(error, OperationalError | DisconnectionError | PoolTimeoutError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def _sqlite_statement_error(error: BaseException) -> bool:
    """SQLite reports a wrong statement (a syntax error, a missing table, its parser's stack overflowing)
    as an OperationalError too, with the generic code SQLITE_ERROR; a busy, locked, missing or failing
    database file has codes of its own."""
    return isinstance(error, sqlite3.Error) and getattr(error, "sqlite_errorname", None) == "SQLITE_ERROR"


def _rollback_quietly() -> None:
    try:
        db.session.rollback()
    except SQLAlchemyError:  # the connection is gone: the pool discards it
        log.debug("rollback after a lost database connection failed", exc_info=True)


def _database_error(error: SQLAlchemyError) -> Response:
    if not is_database_unavailable(error):
        return _unexpected_error(error)
    _rollback_quietly()
    log.warning("database unavailable: %s", error.__class__.__name__)
    return database_unavailable()


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
    for error in (DBAPIError, DisconnectionError, PoolTimeoutError):
        app.register_error_handler(error, _database_error)
    app.register_error_handler(Exception, _unexpected_error)
