"""Uuids and timestamps selected as text (`app.serialization.text_forms`) read exactly as the dumped values:
`str(uuid)` and the UTC `isoformat()` of the stored timestamp, microseconds and offsets included."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.models import Company
from app.serialization.text_forms import text_form

WRITTEN = [
    datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC),  # no fraction: isoformat prints none
    datetime(2024, 5, 1, 12, 0, 0, 250000, tzinfo=UTC),  # trailing zeros are kept
    datetime(2024, 5, 1, 12, 0, 0, 1, tzinfo=UTC),
    datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(2024, 3, 31, 1, 30, 0, 123456, tzinfo=timezone(timedelta(hours=-7))),
    datetime(2024, 1, 2, 3, 4, 5),  # naive: stored as UTC
    datetime(2024, 1, 2, 3, 4, 5, 600),
]


@pytest.mark.parametrize("written", WRITTEN, ids=[value.isoformat() for value in WRITTEN])
def test_a_timestamp_reads_as_its_dumped_text(app, alice, written):
    with app.app_context():
        company = Company(id=uuid.uuid4(), user_id=alice.id, name="Acme", created_at=written, modified_at=written)
        db.session.add(company)
        db.session.commit()
        db.session.expire_all()
        query = select(Company.id, text_form(Company.id), Company.created_at, text_form(Company.created_at))
        native_id, id_text, stored, stored_text = db.session.execute(query.where(Company.id == company.id)).one()
        assert id_text == str(native_id) == str(company.id)
        assert stored_text == stored.isoformat()
        expected = (written if written.tzinfo else written.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
        assert stored_text == expected


def test_a_null_uuid_reads_as_null(app, alice):
    with app.app_context():
        company = Company(user_id=alice.id, name="No HQ")
        db.session.add(company)
        db.session.commit()
        query = select(text_form(Company.hq_location_id)).where(Company.id == company.id)
        assert db.session.execute(query).scalar_one() is None


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the stored text is SQLite's own
@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("2024-05-01 12:00:00", "2024-05-01T12:00:00+00:00"),  # as SQLite's CURRENT_TIMESTAMP writes it
        ("2024-05-01 12:00:00.000000", "2024-05-01T12:00:00+00:00"),
        ("2024-05-01 12:00:00.000100", "2024-05-01T12:00:00.000100+00:00"),
    ],
)
def test_a_timestamp_stored_as_sqlite_text_reads_as_its_isoformat(app, alice, stored, shown):
    with app.app_context():
        company = Company(user_id=alice.id, name="Acme")
        db.session.add(company)
        db.session.commit()
        db.session.execute(text("UPDATE company SET created_at = :stored"), {"stored": stored})
        query = select(text_form(Company.created_at)).where(Company.id == company.id)
        assert db.session.execute(query).scalar_one() == shown
