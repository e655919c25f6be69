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
@pytest.mark.parametrize("written", WRITTEN, ids=[value.isoformat() for value in WRITTEN])
def test_sqlite_stores_a_timestamp_as_its_utc_isoformat(app, alice, written):
    with app.app_context():
        company = Company(user_id=alice.id, name="Acme", created_at=written)
        db.session.add(company)
        db.session.commit()
        stored = db.session.execute(text("SELECT created_at FROM company WHERE id = :id"), {"id": str(company.id)})
        expected = (written if written.tzinfo else written.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
        assert stored.scalar_one() == expected


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("stored", "read"),
    [
        ("2024-05-01 12:00:00", datetime(2024, 5, 1, 12, tzinfo=UTC)),  # as SQLite's CURRENT_TIMESTAMP writes it
        ("2024-05-01 12:00:00.000000", datetime(2024, 5, 1, 12, tzinfo=UTC)),  # as SQLAlchemy wrote it
        ("2024-05-01 12:00:00.000100", datetime(2024, 5, 1, 12, 0, 0, 100, tzinfo=UTC)),
    ],
)
def test_sqlalchemys_own_timestamp_text_still_reads_on_sqlite(app, alice, stored, read):
    with app.app_context():
        company = Company(user_id=alice.id, name="Acme")
        db.session.add(company)
        db.session.commit()
        db.session.execute(text("UPDATE company SET created_at = :stored"), {"stored": stored})
        db.session.expire_all()
        assert db.session.get(Company, company.id).created_at == read


INSTANTS = [
    datetime(2024, 5, 1, 12, 0, 0, 1, tzinfo=UTC),
    datetime(2024, 5, 1, 11, 59, 59, 999999, tzinfo=UTC),
    datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC),
    datetime(2024, 5, 1, 12, 0, 1, tzinfo=UTC),
    datetime(2024, 5, 1, 13, 0, 0, 500000, tzinfo=timezone(timedelta(hours=1))),  # 12:00:00.5 UTC
]


def test_stored_timestamps_sort_and_compare_as_the_instants_do(app, alice):
    """On SQLite the stored text is compared: a whole second (no fraction) sorts before its fractions."""
    with app.app_context():
        for index, instant in enumerate(INSTANTS):
            db.session.add(Company(user_id=alice.id, name=str(index), created_at=instant))
        db.session.commit()
        by_time = [int(name) for name in db.session.scalars(select(Company.name).order_by(Company.created_at))]
        assert by_time == sorted(range(len(INSTANTS)), key=lambda index: INSTANTS[index])
        noon = datetime(2024, 5, 1, 12, tzinfo=UTC)
        later = db.session.scalars(select(Company.name).where(Company.created_at > noon)).all()
        assert sorted(int(name) for name in later) == [0, 3, 4]
        assert db.session.scalars(select(Company.name).where(Company.created_at == noon)).all() == ["2"]
