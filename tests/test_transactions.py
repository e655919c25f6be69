"""app.transactions: which database errors mean "run the same transaction again"."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from app.transactions import is_transient


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # NOWAIT locks are PostgreSQL's
def test_a_lock_the_database_cannot_grant_now_is_transient(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    with engine.connect() as holder, engine.connect() as waiter:
        holder.execute(sa.text("LOCK TABLE label IN ACCESS EXCLUSIVE MODE"))
        with pytest.raises(sa.exc.DBAPIError) as raised:
            waiter.execute(sa.text("LOCK TABLE label IN ACCESS EXCLUSIVE MODE NOWAIT"))
        holder.rollback()
    assert raised.value.orig.sqlstate == "55P03"  # lock_not_available, as psycopg 3 reports it
    assert is_transient(raised.value)


def test_a_wrong_statement_is_not_transient(app: Flask) -> None:
    with app.app_context(), pytest.raises(sa.exc.DBAPIError) as raised:
        db.session.execute(sa.text("SELECT * FROM no_such_table"))
    assert not is_transient(raised.value)
