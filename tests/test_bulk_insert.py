"""app.bulk_insert: rows COPYed on PostgreSQL are stored exactly as the same rows INSERTed."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa
from flask import Flask

from app.bulk_insert import insert_rows
from app.extensions import db
from app.models.base import UTCDateTime

METADATA = sa.MetaData()
SAMPLES = sa.Table(
    "bulk_insert_samples",
    METADATA,
    sa.Column("n", sa.Integer, primary_key=True),
    sa.Column("text", sa.String(200)),
    sa.Column("number", sa.Float),
    sa.Column("flag", sa.Boolean),
    sa.Column("reference", sa.Uuid),
    sa.Column("at", UTCDateTime),
    sa.Column("day", sa.Date),
    sa.Column("document", sa.JSON),
)

ROWS = [
    {
        "text": "tab\there, newline\nthere, back\\slash, carriage\rreturn, quote ' and \" and é",
        "number": 1000.0,
        "flag": True,
        "reference": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "at": dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC),
        "day": dt.date(2024, 2, 29),
        "document": {"b": 1, "a": [1.5, None, "x\ty"], "nested": {"z": "\\N"}},
    },
    {
        "text": "\\N",
        "number": 0.1,
        "flag": False,
        "reference": None,
        "at": dt.datetime(1999, 12, 31, 23, 59, 59, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        "day": None,
        "document": [],
    },
    {"text": None, "number": None, "flag": None, "reference": None, "at": None, "day": None, "document": None},
]


@pytest.fixture
def samples_table(app: Flask):
    with app.app_context():
        engine = db.engine
    METADATA.create_all(engine)
    yield SAMPLES
    METADATA.drop_all(engine)


def _stored(start: int) -> list[tuple]:
    """Each column as the text PostgreSQL stores for it (JSON columns keep their text verbatim)."""
    columns = [sa.cast(column, sa.Text) for column in SAMPLES.columns if column.name != "n"]
    query = sa.select(*columns).where(SAMPLES.c.n >= start, SAMPLES.c.n < start + 100).order_by(SAMPLES.c.n)
    return [tuple(row) for row in db.session.execute(query)]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # COPY is PostgreSQL's
def test_copied_rows_are_stored_as_inserted_rows(app: Flask, samples_table: sa.Table) -> None:
    with app.app_context():
        db.session.execute(samples_table.insert(), [{"n": n, **row} for n, row in enumerate(ROWS)])
        insert_rows(samples_table, [{"n": 100 + n, **row} for n, row in enumerate(ROWS)])
        db.session.commit()
        inserted, copied = _stored(0), _stored(100)
    assert len(copied) == len(ROWS)
    assert copied == inserted
    assert copied[0][-1] == '{"b":1,"a":[1.5,null,"x\\ty"],"nested":{"z":"\\\\N"}}'  # compact, keys in order
    assert copied[2] == (None,) * 6 + ("null",)  # SQL NULLs; a JSON column's None is JSON's null, as bound
