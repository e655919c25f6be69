"""Each user's data version, changed in the same transaction as every write of that user's data.

The version is what the user's ETags are made of, so it must change with every write a page could show,
whoever makes it (REST, GraphQL, imports, undo, restores, the CLI). It is therefore not bumped by the
writers but found from what the session sends, in two places every write of the app goes through:
- each flush: the new, changed and deleted ORM objects with an owner column (`user_id`), and changed
  users themselves; a changed collection (labels) marks its owner object changed;
- each DML statement run through the session (`session.execute(insert(...))`, bulk deletes): the owners
  in an INSERT's rows, or, for an UPDATE or DELETE, the owners of the rows its WHERE selects (read just
  before it runs). A table without an owner column (a label pairing) is owned through its foreign key to
  one that has one. Rows of nobody (a global label) and statements whose owners cannot be told change
  every user's version: a false change costs a 200 instead of a 304, a missed one a stale page.
Rows the database deletes by ON DELETE CASCADE belong to the owner of the row whose deletion cascades.

Just before the commit, one UPDATE gives the changed users a new random version (random, so that no
value comes back, not even through a restored backup, for other data than its own).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from itertools import chain
from typing import Any

from sqlalchemy import Table, event, inspect, select, update
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.orm.base import NO_VALUE

from app.models.user import User

_CHANGED = "data_version_changed_users"
EVERYONE = "*"  # in the pending set: every user's version changes


def new_version() -> str:
    return uuid.uuid4().hex


def track_data_versions(session: Any) -> None:
    """Register the listeners on `session` (a Session, sessionmaker or scoped_session), once."""
    for name, listener in (
        ("after_flush", _note_flushed),
        ("do_orm_execute", _note_statement),
        ("before_commit", _bump),
        ("after_commit", _forget),
        ("after_rollback", _forget),
    ):
        if not event.contains(session, name, listener):
            event.listen(session, name, listener)


def _pending(session: Session) -> set[Any]:
    return session.info.setdefault(_CHANGED, set())


def _note_flushed(session: Session, _context: Any) -> None:
    changed = _pending(session)
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, User):
            changed.add(obj.id)
            continue
        state = inspect(obj)
        if "user_id" not in state.mapper.columns:
            continue
        owner = state.attrs.user_id.loaded_value
        changed.add(EVERYONE if owner is None or owner is NO_VALUE else owner)


def _note_statement(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = state.statement.table
    if not isinstance(table, Table) or table.name == User.__tablename__:
        return
    _pending(state.session).update(_statement_owners(state, table))


def _statement_owners(state: ORMExecuteState, table: Table) -> Iterable[Any]:
    owner_column, through = _owner_path(table)
    if owner_column is None:
        return [EVERYONE]
    connection = state.session.connection()
    if state.is_insert:
        params = state.parameters
        rows = params if isinstance(params, list) else [params or {}]
        key = (owner_column if through is None else through).key
        values = [row.get(key, NO_VALUE) for row in rows]
        if not values or NO_VALUE in values:
            return [EVERYONE]
        if through is None:
            return [EVERYONE if value is None else value for value in values]
        (fk,) = through.foreign_keys
        query = select(owner_column).distinct().where(fk.column.in_(set(values)))
        return [EVERYONE if value is None else value for value in connection.scalars(query)]
    where = state.statement.whereclause
    if where is None:
        return [EVERYONE]
    query = select(owner_column).distinct().where(where)
    if through is not None:
        (fk,) = through.foreign_keys
        query = query.select_from(table.join(fk.column.table, fk.column == through))
    return [EVERYONE if value is None else value for value in connection.scalars(query)]


def _owner_path(table: Table) -> tuple[Any, Any]:
    """(The owner column, the foreign key column it is reached through, or None when it is the table's own)."""
    if "user_id" in table.c:
        return table.c.user_id, None
    for column in table.c:
        for fk in column.foreign_keys:
            if "user_id" in fk.column.table.c:
                return fk.column.table.c.user_id, column
    return None, None


def _bump(session: Session) -> None:
    session.flush()
    changed = session.info.pop(_CHANGED, set())
    if not changed:
        return
    statement = update(User.__table__).values(data_version=new_version())
    if EVERYONE not in changed:
        statement = statement.where(User.__table__.c.id.in_(changed))
    session.connection().execute(statement)


def _forget(session: Session) -> None:
    session.info.pop(_CHANGED, None)
