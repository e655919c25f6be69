"""A request that only read ends its transaction with COMMIT rather than ROLLBACK.

For a transaction that wrote nothing the two are the same to the database, but not to psycopg 3: it
forgets a connection's prepared statements on every ROLLBACK. A statement is prepared on the server
(parsed and planned once per connection instead of on every run) after `prepare_threshold` runs on a
connection (psycopg's default, 5), so if every request rolled back, the list page's large statement
would be planned again on every request.

Only psycopg needs this: with SQLite (whose driver caches statements per connection, whatever ends the
transaction) every request ends as before. A request qualifies when its method is GET, HEAD or OPTIONS
(or its view declared `only_reads` whatever the method: GraphQL, whose schema has no mutations, is
POSTed), it raised nothing, its response is not streamed, and its session has neither unflushed changes
nor sent a write (a flush, or an INSERT, UPDATE or DELETE through `session.execute`) in the open
transaction; anything else is rolled back as before, when the session is removed. The commit runs at
teardown, once the response is built, so nothing the response reads is expired by it. A streamed body
(CSV exports, files) is read after the teardown, from the objects the view loaded, which a commit would
expire: those requests end as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from flask import Flask, Response, g, request
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import ORMExecuteState, Session

from app.extensions import db

log = logging.getLogger(__name__)

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WROTE = "read_transactions_wrote"
_STREAMED = "read_transactions_streamed"


_MARKER = "only_reads"


def only_reads(view: Callable[..., Any]) -> Callable[..., Any]:
    """Declare that `view` never writes, whatever the request's method."""
    setattr(view, _MARKER, True)
    return view


def register_read_commits(app: Flask) -> None:
    """Commit the transaction of each request that only read, at its teardown (call once per app, once
    its blueprints are registered: it reads their views' `only_reads`), where the database is reached
    through psycopg: other drivers keep their statements either way, and a commit only costs time."""
    with app.app_context():
        if db.engine.dialect.driver != "psycopg":
            return
    read_endpoints = [endpoint for endpoint, view in app.view_functions.items() if getattr(view, _MARKER, False)]
    for name, listener in (
        ("after_flush", _note_flush),
        ("do_orm_execute", _note_statement),
        ("after_commit", _forget),
        ("after_rollback", _forget),
    ):
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)
    app.after_request(_note_streamed)
    app.teardown_request(partial(_commit_read, frozenset(read_endpoints)))


def _note_flush(session: Session, _context: Any) -> None:
    session.info[_WROTE] = True


def _note_statement(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


def _forget(session: Session) -> None:
    session.info.pop(_WROTE, None)


def _note_streamed(response: Response) -> Response:
    if response.is_streamed:
        g.setdefault(_STREAMED, True)
    return response


def _commit_read(read_endpoints: frozenset[str], error: BaseException | None) -> None:
    streamed = g.pop(_STREAMED, False)
    if error is not None or streamed:
        return
    if request.method not in READ_METHODS and request.endpoint not in read_endpoints:
        return
    session = db.session()
    if not session.in_transaction() or session.info.get(_WROTE) or session.new or session.dirty or session.deleted:
        return
    try:
        session.commit()
    except SQLAlchemyError:  # the connection is gone: removing the session rolls back, the pool discards it
        log.debug("commit of a read-only request failed", exc_info=True)
