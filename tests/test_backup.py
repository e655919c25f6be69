"""flask backup-db / restore-db: every row of every table survives a round trip, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import uuid
from decimal import Decimal

import boto3
import pytest
import sqlalchemy as sa
from conftest import empty_database, make_config
from factories import global_label, make_company
from flask import Flask
from moto import mock_aws

from app.backup import BackupError, dump, restore
from app.extensions import db
from app.models import Base, Label, RevokedToken, StoredImage

POPULATED_TABLES = {
    "user",
    "address",
    "link",
    "label",
    "company",
    "company_rating",
    "company_labels",
    "application",
    "application_labels",
    "position_location",
    "application_status",
    "application_status_link",
    "revoked_token",
    "stored_image",
}


@pytest.fixture
def populated(app: Flask, alice, bob) -> None:
    """Rows in every table, with awkward values: unicode, HTML, NULLs, microseconds, far dates."""
    with app.app_context():
        company = make_company(
            alice.id,
            "Ünïcode & Co 🚀",
            applications=2,
            statuses=2,
            links_per_status=2,
            labels=("Applied", "Interviewing"),
            notes='<p>Rich <b>text</b> with "quotes" and a\nnewline</p>',
        )
        company.ratings[0].sample_date = dt.date(1999, 12, 31)
        make_company(bob.id, "Bob's", applications=1)
        db.session.add(Label(user_id=bob.id, text="Mine", color="#ff0000", order=7))
        db.session.add(
            RevokedToken(
                user_id=alice.id,
                jti=uuid.uuid4().hex,
                expires_at=dt.datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC),
            )
        )
        db.session.add(StoredImage(user_id=alice.id, key=uuid.uuid4().hex * 2, content_type="image/png", size=5))
        global_label("Target").color = ""
        db.session.commit()


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table, as Python values, in primary-key order."""
    with db.engine.connect() as connection:
        return {
            table.name: [
                tuple(row)
                for row in connection.execute(sa.select(table).order_by(*(table.primary_key.columns or table.columns)))
            ]
            for table in Base.metadata.sorted_tables
        }


def test_backup_then_restore_into_an_empty_database_restores_every_row(app, populated, runner, tmp_path) -> None:
    path = tmp_path / "backup.json"
    with app.app_context():
        before = snapshot()
    assert {name for name, rows in before.items() if rows} >= POPULATED_TABLES

    result = runner.invoke(args=["backup-db", "--output", str(path)])
    assert result.exit_code == 0, result.output
    assert f"to {path}" in result.output

    with app.app_context():
        empty_database()
        assert not any(snapshot().values())
    result = runner.invoke(args=["restore-db", str(path)])
    assert result.exit_code == 0, result.output

    with app.app_context():
        after = snapshot()
    assert after == before
    # Equality alone would let a string pass for a date; the types must come back too.
    for table, rows in before.items():
        for row_before, row_after in zip(rows, after[table], strict=True):
            assert [type(value) for value in row_before] == [type(value) for value in row_after], table


def test_backup_encodes_values_faithfully(app, populated) -> None:
    with app.app_context(), db.engine.connect() as connection:
        data = dump(connection, Base.metadata, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    token = data["tables"]["revoked_token"][0]
    assert token["expires_at"] == "2030-01-02T03:04:05.678901+00:00"
    uuid.UUID(token["id"])
    assert data["tables"]["company_rating"][0]["sample_date"] in {"1999-12-31", dt.date.today().isoformat()}
    json.dumps(data)  # everything is plain JSON


def test_gzip_backup_round_trip_with_force_over_existing_rows(app, populated, runner, tmp_path) -> None:
    path = tmp_path / "backup.json.gz"
    with app.app_context():
        before = snapshot()
    assert runner.invoke(args=["backup-db", "-o", str(path)]).exit_code == 0
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        assert json.load(handle)["format"] == "appl-tracky-backup"
    with app.app_context():
        db.session.add(Label(user_id=None, text="Added after the backup"))
        db.session.commit()

    result = runner.invoke(args=["restore-db", str(path), "--force"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert snapshot() == before


def test_restore_refuses_a_database_that_holds_rows(app, populated, runner, tmp_path) -> None:
    path = tmp_path / "backup.json"
    assert runner.invoke(args=["backup-db", "-o", str(path)]).exit_code == 0
    with app.app_context():
        db.session.add(Label(user_id=None, text="Added after the backup"))
        db.session.commit()
        before = snapshot()

    result = runner.invoke(args=["restore-db", str(path)])
    assert result.exit_code == 1
    assert "the database is not empty" in result.output
    assert "--force" in result.output
    with app.app_context():
        assert snapshot() == before


def test_restore_refuses_a_backup_of_another_schema_revision(app, populated, runner, tmp_path) -> None:
    path = tmp_path / "backup.json"
    assert runner.invoke(args=["backup-db", "-o", str(path)]).exit_code == 0
    data = json.loads(path.read_text())
    data["revision"] = ["0000_other"]
    path.write_text(json.dumps(data))
    with app.app_context():
        empty_database()

    result = runner.invoke(args=["restore-db", str(path)])
    assert result.exit_code == 1
    assert "schema revision" in result.output
    with app.app_context():
        assert not any(snapshot().values())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json at all", "is not a readable JSON backup"),
        ('{"some": "json"}', "is not an Appl Tracky backup"),
        ('{"format": "appl-tracky-backup", "version": 99}', "version 99 is not supported"),
    ],
)
def test_restore_rejects_files_that_are_not_backups(app, runner, tmp_path, content, message) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    result = runner.invoke(args=["restore-db", str(path)])
    assert result.exit_code == 1
    assert message in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_restore_of_a_missing_file_is_a_usage_error(runner, tmp_path) -> None:
    result = runner.invoke(args=["restore-db", str(tmp_path / "nope.json")])
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_backup_to_s3_needs_a_bucket(runner) -> None:
    result = runner.invoke(args=["backup-db", "--s3"])
    assert result.exit_code == 2
    assert "BACKUP_S3_BUCKET" in result.output


@pytest.fixture
def s3_app(database_url, tmp_path, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="backups-bucket")
        from app import create_app

        config = make_config(database_url, BACKUP_S3_BUCKET="backups-bucket", S3_REGION="us-east-1")
        app = create_app(config)
        with app.app_context():
            empty_database()
        yield app
        with app.app_context():
            empty_database()
            db.engine.dispose()


def test_backup_to_s3_and_restore_from_s3(s3_app, tmp_path) -> None:
    with s3_app.app_context():
        db.session.add(Label(user_id=None, text="Only row"))
        db.session.commit()
        before = snapshot()
    runner = s3_app.test_cli_runner()

    result = runner.invoke(args=["backup-db", "--s3"])
    assert result.exit_code == 0, result.output
    objects = boto3.client("s3", region_name="us-east-1").list_objects_v2(Bucket="backups-bucket")["Contents"]
    assert len(objects) == 1
    key = objects[0]["Key"]
    assert key.startswith("backups/appl-tracky-") and key.endswith(".json.gz")
    assert f"s3://backups-bucket/{key}" in result.output
    assert not (tmp_path / "backups").exists()

    with s3_app.app_context():
        empty_database()
    result = runner.invoke(args=["restore-db", f"s3://backups-bucket/{key}"])
    assert result.exit_code == 0, result.output
    with s3_app.app_context():
        assert snapshot() == before


def test_restore_moves_postgresql_sequences_past_restored_ids(app) -> None:
    """Integer keys (none in today's schema, maybe tomorrow's) must not collide after a restore."""
    metadata = sa.MetaData()
    counter = sa.Table(
        f"backup_counter_{uuid.uuid4().hex[:8]}",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("amount", sa.Numeric(12, 4)),
        sa.Column("blob", sa.LargeBinary),
        sa.Column("doc", sa.JSON),
    )
    rows = [
        {"id": 41, "amount": Decimal("1234.5678"), "blob": b"\x00\xffbytes", "doc": {"a": [1, "b"]}},
        {"id": 42, "amount": None, "blob": None, "doc": None},
    ]
    with app.app_context():
        metadata.create_all(db.engine)
        try:
            with db.engine.begin() as connection:
                connection.execute(counter.insert(), rows)
                data = json.loads(json.dumps(dump(connection, metadata, dt.datetime.now(dt.UTC))))
            with db.engine.begin() as connection:
                with pytest.raises(BackupError, match="not empty"):
                    restore(connection, metadata, data)
                restore(connection, metadata, data, force=True)
                assert [dict(row._mapping) for row in connection.execute(sa.select(counter))] == rows
                new_id = connection.execute(counter.insert().values(amount=1)).inserted_primary_key[0]
            assert new_id == 43
        finally:
            metadata.drop_all(db.engine)
