"""Health check for load balancers and container runtimes: `GET /`, `/home/`, `/health-check`.

200 when the database answers and its schema is at the latest migration; 503 with the reason
otherwise, so that traffic stays away from a server whose migration has not run (an unreachable
database also carries `Retry-After`, like every other request's answer then: app/errors.py). The check costs
one small query (the `alembic_version` row); the expected head is read from disk once per process.
No authentication, and exempt from rate limiting (it is polled every few seconds).
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from app.errors import database_unavailable
from app.extensions import db, limiter
from app.schema_version import database_revisions, head_revisions, migrations_directory

log = logging.getLogger(__name__)

blueprint = Blueprint("health", __name__)
limiter.exempt(blueprint)


def _answer(code: int, **body: object) -> Response:
    response = jsonify(body)
    response.status_code = code
    return _uncached(response)


def _uncached(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _revision(revisions: frozenset[str]) -> str | None:
    return ",".join(sorted(revisions)) or None


@blueprint.get("/")
@blueprint.get("/home/")
@blueprint.get("/health-check")
def health_check() -> Response:
    """Report whether this server can serve requests: database reachable and schema current."""
    expected = head_revisions(migrations_directory(current_app))
    try:
        with db.engine.connect() as connection:
            current = database_revisions(connection)
    except SQLAlchemyError as exc:
        log.warning("health check: database unreachable: %s", exc.__class__.__name__)
        return _uncached(database_unavailable(status="unavailable", reason="database unreachable"))
    if current != expected:
        return _answer(
            503,
            status="unavailable",
            reason="database migration pending",
            database_revision=_revision(current),
            expected_revision=_revision(expected),
        )
    return _answer(200, status="ok", database="ok", revision=_revision(current))
