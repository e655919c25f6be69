"""Row locks that serialise concurrent writers, on PostgreSQL and on SQLite alike.

Whoever changes a row that others may change at the same moment (an import batch's state, an account
being restored, a company's label set) first takes its lock here, then reads the row afresh and
re-checks what it is about to do. Rows are always locked in id order, so two writers of overlapping
sets wait for each other instead of deadlocking.

PostgreSQL locks rows: `SELECT ... FOR NO KEY UPDATE` (rows that merely refer to a locked row can still
be inserted). SQLite has no row locks and ignores FOR UPDATE; it has one writer at a time, so a
write that changes nothing makes this transaction that writer, and the others wait their busy
timeout, then see what it committed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, select, text

from app.extensions import db


def _row_locks() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _take_sqlite_write_lock(model: Any) -> None:
    # Text, not update(): Core would also apply the `onupdate` of modified_at.
    db.session.execute(text(f'UPDATE "{model.__table__.name}" SET id = id WHERE 1 = 0'))  # noqa: S608


def lock_rows(model: Any, ids: Iterable[uuid.UUID]) -> None:
    """Hold the write lock of these rows of `model` until the transaction ends (others wait)."""
    ids = sorted(set(ids))
    if not ids:
        return
    if _row_locks():
        db.session.execute(for_update(select(model.id).where(model.id.in_(ids)).order_by(model.id), model))
    else:
        _take_sqlite_write_lock(model)


def for_update(query: Select, model: Any) -> Select:
    """`query`, which reads rows of `model` (ordered by id) to change them, taking their write lock.

    Call it before running the query: on SQLite the lock is taken at once, so the query itself
    already sees the latest committed data.
    """
    if _row_locks():
        return query.with_for_update(of=model, key_share=True)
    _take_sqlite_write_lock(model)
    return query
