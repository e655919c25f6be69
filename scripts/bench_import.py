"""Benchmark of the spreadsheet import: `make bench-import`.

Generates a 10,000-row tracker (CSV and XLSX, with statuses, stage dates, URLs, locations, labels,
notes and an extra column), then times on SQLite and on PostgreSQL: the preview (read, map, plan
every row, match against existing data), the commit (bulk writes in one transaction), a re-import
preview (every row unchanged) and the undo. PostgreSQL is found at BENCH_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/postgres); the script creates its own database and drops it.
"""

from __future__ import annotations

import csv
import io
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app import create_app
from app.cli.labels import seed_global_labels
from app.config import TestingConfig
from app.database import with_psycopg_driver
from app.extensions import db
from app.imports import service
from app.models import Application, Base, User
from app.models.import_batch import ImportBatch

ROWS = int(os.environ.get("BENCH_ROWS", "10000"))
POSTGRES_URL = with_psycopg_driver(
    os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
)
HEADER = [
    "Company",
    "Position",
    "Status",
    "Date applied",
    "Interview date",
    "Job URL",
    "Location",
    "Labels",
    "Notes",
    "Salary",
    "Referral",
]
STATUSES = ["Applied", "phone scrn", "Interviewing", "Rejected", "Offer", "ghosted", "waiting"]


def rows() -> Iterator[list[Any]]:
    start = date(2024, 1, 1)
    for i in range(ROWS):
        applied = start + timedelta(days=i % 300)
        yield [
            f"Company {i % 2500}",
            f"Engineer {i}",
            STATUSES[i % len(STATUSES)],
            applied.strftime("%d/%m/%Y"),
            (applied + timedelta(days=9)).isoformat() if i % 3 == 0 else "",
            f"https://jobs.example/{i}?utm_source=x",
            ["Berlin", "Remote", "Paris; Remote"][i % 3],
            ["Remote", "Dream, Backend", ""][i % 3],
            f"Talked to recruiter {i}" if i % 2 else "",
            f"{60 + i % 40}k",
            "yes" if i % 5 == 0 else "",
        ]


def make_csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows())
    return buffer.getvalue().encode()


def make_xlsx() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Applications")
    sheet.append(HEADER)
    for row in rows():
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@contextmanager
def postgres_database() -> Iterator[str | None]:
    name = f"appl_tracky_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        print(f"PostgreSQL not reachable at {POSTGRES_URL}: skipped ({exc.orig})")
        admin.dispose()
        yield None
        return
    try:
        yield sa.engine.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def timed(label: str, rows: int, action: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    print(f"  {label:<28} {seconds:7.2f} s   {rows / seconds:9.0f} rows/s")
    return result


def bench(database: str, url: str, files: dict[str, bytes]) -> None:
    config = TestingConfig()
    config.SQLALCHEMY_DATABASE_URI = url
    config.IMPORT_MAX_ROWS = max(ROWS, 50_000)
    config.IMPORT_MAX_BYTES = 100 * 1024 * 1024
    app = create_app(config)
    with app.app_context():
        Base.metadata.create_all(db.engine)
        seed_global_labels()
        for kind, data in files.items():
            user = User(email=f"bench-{kind}@example.com")
            db.session.add(user)
            db.session.commit()
            print(f"{database}, {kind} ({len(data) / 1e6:.1f} MB, {ROWS} rows):")
            total = time.perf_counter()
            batch = timed("preview", ROWS, lambda d=data, u=user, k=kind: service.create_batch(u, f"bench.{k}", d))
            db.session.commit()

            def commit(b: ImportBatch = batch, u: User = user) -> None:
                service.commit_batch(b, u)
                db.session.commit()

            timed("commit", ROWS, commit)
            print(f"  {'preview + commit':<28} {time.perf_counter() - total:7.2f} s")
            count = db.session.scalar(
                sa.select(sa.func.count()).select_from(Application).where(Application.user_id == user.id)
            )
            assert count == ROWS, count
            again = timed(
                "re-import preview", ROWS, lambda d=data, u=user, k=kind: service.create_batch(u, f"again.{k}", d)
            )
            assert again.counts["unchanged"] == ROWS, again.counts
            db.session.rollback()

            def undo(b: ImportBatch = batch, u: User = user) -> None:
                service.delete_batch(b, u)
                db.session.commit()

            timed("undo", ROWS, undo)
        db.session.remove()
        Base.metadata.drop_all(db.engine)
        db.engine.dispose()


def main() -> None:
    files = {"csv": make_csv(), "xlsx": make_xlsx()}
    with tempfile.TemporaryDirectory() as scratch:
        bench("SQLite", f"sqlite:///{scratch}/bench.db", files)
    with postgres_database() as url:
        if url:
            bench("PostgreSQL", url, files)


if __name__ == "__main__":
    main()
