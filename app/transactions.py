"""One request, one transaction, retried when the database gives up on it.

A deadlock or a serialization failure (PostgreSQL) and a busy database (SQLite) say nothing about the
request: the same transaction run again, a moment later, usually goes through. Every view is wrapped
once, app-wide: such a failure rolls back and re-runs the whole view a bounded number of times, then
answers 503 with Retry-After, never a 500.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, request
from sqlalchemy.exc import DBAPIError

from app.errors import APIError
from app.extensions import db

log = logging.getLogger(__name__)

# SQLSTATEs of PostgreSQL: serialization_failure, deadlock_detected, lock_not_available.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
SQLITE_BUSY_MESSAGES = ("database is locked", "database table is locked")
BUSY = "The database is busy with concurrent changes; try again."


def is_transient(error: DBAPIError) -> bool:
    """Whether re-running the same transaction may succeed (deadlock, serialization, busy)."""
    code = getattr(error.orig, "sqlstate", None)  # psycopg 3 errors carry it; sqlite3 errors do not
    if code in TRANSIENT_SQLSTATES:
        return True
    return any(message in str(error.orig) for message in SQLITE_BUSY_MESSAGES)


def retrying(view: Callable[..., Any]) -> Callable[..., Any]:
    """`view`, re-run from the start (after a rollback) when its transaction fails transiently."""

    @functools.wraps(view)
    def run(*args: Any, **kwargs: Any) -> Any:
        attempts = current_app.config["TRANSACTION_ATTEMPTS"]
        for attempt in range(1, attempts + 1):
            try:
                return view(*args, **kwargs)
            except DBAPIError as exc:
                if not is_transient(exc):
                    raise
                db.session.rollback()
                log.info("transient database failure (attempt %d of %d): %s", attempt, attempts, exc.orig)
                if attempt == attempts:
                    raise APIError(503, BUSY, headers={"Retry-After": "1"}) from exc
                _rewind_uploads()
                time.sleep(0.01 * attempt)
        raise AssertionError("unreachable")

    return run


def _rewind_uploads() -> None:
    """A re-run reads the uploaded files again from their start."""
    for upload in request.files.values():
        upload.stream.seek(0)


def register_transaction_retry(app: Flask) -> None:
    """Wrap every view of `app` in `retrying` (call once, after the blueprints are registered)."""
    for endpoint, view in list(app.view_functions.items()):
        app.view_functions[endpoint] = retrying(view)
