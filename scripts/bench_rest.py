#!/usr/bin/env python
"""`make bench`: requests/s and latency of the REST API under gunicorn, on SQLite and on PostgreSQL.

For each database: migrate a fresh one, seed one user with 200 companies x 3 applications x 4 statuses
x 2 status links (with every nested part the company detail shows), start the app under gunicorn with the
production settings (gunicorn.conf.py; 2 workers, rate limits off) on a free loopback port, then drive
GET /api/companies/, GET /api/companies/<uuid>/ and POST /api/companies/ from this process, each for a
fixed time with several client threads on keep-alive connections, and print requests/s, p50 and p99.

A benchmark, not a test: the figures depend on the machine. PostgreSQL is found at --postgres
(postgresql://postgres@127.0.0.1:5432 by default); the script creates and drops its own database there.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EMAIL, PASSWORD = "bench@example.com", "bench-password-123"


# -- the databases ----------------------------------------------------------------------------------


@contextmanager
def sqlite_database(workdir: Path) -> Iterator[str]:
    yield f"sqlite:///{workdir / 'bench.db'}"


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A database of its own on the server at `admin_url`, dropped afterwards."""
    name = f"appl_tracky_bench_{os.getpid()}"
    admin = sa.create_engine(sa.engine.make_url(admin_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def migrate_and_seed(database_url: str, companies: int) -> None:
    """Run the migrations (which create the global labels), then the benchmark's user and data."""
    env = {**os.environ, "DATABASE_URL": database_url, "APP_ENV": "development", "FLASK_APP": "wsgi"}
    subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    os.environ["DATABASE_URL"] = database_url
    from app import create_app
    from app.extensions import db
    from app.models import (
        Address,
        Application,
        ApplicationStatus,
        ApplicationStatusLink,
        Company,
        CompanyRating,
        Label,
        Link,
        PositionLocation,
        User,
    )

    app = create_app()
    with app.app_context():
        user = User(email=EMAIL, first_name="Bench")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.flush()
        owner = user.id
        labels = list(db.session.scalars(sa.select(Label).where(Label.user_id.is_(None))))
        for n in range(companies):
            company = Company(
                user_id=owner,
                name=f"Company {n:03d}",
                notes="<p>Some notes about the company.</p>",
                hq_location=Address(user_id=owner, city="Springfield", country="US", street=f"{n} Main St"),
                home_page=Link(user_id=owner, text="Home", url=f"https://company{n}.example"),
                labels=labels[n % 2 : n % 2 + 2],
                ratings=[CompanyRating(user_id=owner, value=4.2, source=Link(user_id=owner, url="reviews"))],
            )
            for a in range(3):
                application = Application(
                    user_id=owner,
                    position_title=f"Engineer {a}",
                    job_description_page=Link(user_id=owner, text="JD", url=f"https://jobs.example/{n}/{a}"),
                    job_source=Link(user_id=owner, text="Board", url="https://board.example"),
                    labels=labels[a : a + 1],
                    position_locations=[PositionLocation(user_id=owner, location=Address(user_id=owner, city="X"))],
                    notes="<p>Application notes.</p>",
                )
                for s in range(4):
                    status = ApplicationStatus(
                        user_id=owner, text=f"Step {s}", date=dt.date(2024, 1, 1) + dt.timedelta(days=7 * s)
                    )
                    status.links = [
                        ApplicationStatusLink(user_id=owner, link=Link(user_id=owner, text=f"Mail {k}", url="m"))
                        for k in range(2)
                    ]
                    application.statuses.append(status)
                company.applications.append(application)
            db.session.add(company)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


# -- the server -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(database_url: str, workdir: Path, workers: int) -> Iterator[int]:
    """The app under gunicorn with the production config, on a free loopback port; stopped afterwards."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "APP_ENV": "development",
        "RATELIMIT_ENABLED": "false",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        "GUNICORN_LOG_LEVEL": "warning",
    }
    log = open(workdir / f"gunicorn-{port}.log", "wb")  # noqa: SIM115 - closed below
    gunicorn_bin = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn_bin), "-c", "gunicorn.conf.py", "--access-logfile", "/dev/null", "wsgi:app"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        wait_until_up(port, server)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def wait_until_up(port: int, server: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {server.returncode}")
        try:
            status, _ = request(http.client.HTTPConnection("127.0.0.1", port, timeout=2), "GET", "/health-check")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer in time")


# -- the load ---------------------------------------------------------------------------------------


def request(
    connection: http.client.HTTPConnection, method: str, path: str, body: bytes | None = None, token: str = ""
) -> tuple[int, bytes]:
    headers = {"Authorization": f"JWT {token}" if token else "", "Content-Type": "application/json"}
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    return response.status, response.read()


def login(port: int) -> str:
    body = json.dumps({"username": EMAIL, "password": PASSWORD}).encode()
    status, data = request(http.client.HTTPConnection("127.0.0.1", port), "POST", "/api/api-token-auth/", body)
    if status != 200:
        raise RuntimeError(f"login failed: {status} {data[:200]!r}")
    return json.loads(data)["access"]


def company_uuids(port: int, token: str) -> list[str]:
    status, data = request(
        http.client.HTTPConnection("127.0.0.1", port), "GET", "/api/companies/?page_size=100", token=token
    )
    assert status == 200, status
    return [company["uuid"] for company in json.loads(data)["results"]]


def new_company_body() -> bytes:
    """A create exactly as the React client sends it (blank uuids and timestamps, echoed read-only lists)."""
    blank = {"uuid": "", "created_at": "", "modified_at": ""}
    return json.dumps(
        {
            **blank,
            "user": "",
            "name": f"Bench {uuid.uuid4().hex[:8]}",
            "hq_location": {
                **blank,
                "place_name": "",
                "country": "US",
                "state": "",
                "city": "Springfield",
                "street": "",
                "full_address": "",
                "zipcode": "",
            },
            "home_page": {**blank, "user": {}, "text": "Home", "url": "https://bench.example"},
            "notes": "",
            "labels": [{"uuid": "", "text": "Applied", "user": None, "color": "", "order": 0}],
            "applications": [],
            "ratings": {},
        }
    ).encode()


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def drive(
    port: int, token: str, make: Callable[[], tuple[str, str, bytes | None, int]], seconds: float, threads: int
) -> tuple[Result, float]:
    """`threads` clients, each on its own keep-alive connection, sending `make()` requests for `seconds`."""
    result = Result()
    stop = time.monotonic() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, errors = [], 0
        while time.monotonic() < stop:
            method, path, body, expected = make()
            started = time.perf_counter()
            try:
                status, _ = request(connection, method, path, body, token)
            except (OSError, http.client.HTTPException):
                connection.close()
                status = 0
            mine.append(time.perf_counter() - started)
            errors += status != expected
        connection.close()
        with result.lock:
            result.latencies += mine
            result.errors += errors

    workers = [threading.Thread(target=client) for _ in range(threads)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return result, time.monotonic() - started


def endpoints(uuids: list[str]) -> dict[str, Callable[[], tuple[str, str, bytes | None, int]]]:
    return {
        "GET  /api/companies/": lambda: ("GET", "/api/companies/", None, 200),
        "GET  /api/companies/<uuid>/": lambda: ("GET", f"/api/companies/{random.choice(uuids)}/", None, 200),
        "POST /api/companies/": lambda: ("POST", "/api/companies/", new_company_body(), 201),
    }


def run(name: str, database: Callable[[Path], Any], args: argparse.Namespace) -> list[str]:
    lines = []
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, database(Path(tmp)) as url:
        started = time.monotonic()
        migrate_and_seed(url, args.companies)
        print(f"[{name}] seeded {args.companies} companies in {time.monotonic() - started:.1f}s", flush=True)
        with gunicorn(url, Path(tmp), args.workers) as port:
            token = login(port)
            uuids = company_uuids(port, token)
            for label, make in endpoints(uuids).items():
                drive(port, token, make, args.warmup, args.threads)
                result, elapsed = drive(port, token, make, args.duration, args.threads)
                quantiles = statistics.quantiles(result.latencies, n=100)
                line = (
                    f"{name:<10} {label:<28} {len(result.latencies):>7} {len(result.latencies) / elapsed:>9.1f}"
                    f" {quantiles[49] * 1000:>8.1f} {quantiles[98] * 1000:>8.1f} {result.errors:>6}"
                )
                print(line, flush=True)
                lines.append(line)
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured per endpoint")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of unmeasured load first")
    parser.add_argument("--threads", type=int, default=8, help="concurrent client connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--companies", type=int, default=200)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--postgres", default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
    )
    args = parser.parse_args()

    header = f"{'database':<10} {'endpoint':<28} {'requests':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}"
    databases = {
        "sqlite": sqlite_database,
        "postgresql": lambda _workdir: postgres_database(args.postgres),
    }
    print(
        f"{args.workers} gunicorn workers, {args.threads} client threads, {args.duration:g}s per endpoint", flush=True
    )
    print(header, flush=True)
    lines = []
    for name in args.databases.split(","):
        lines += run(name, databases[name.strip()], args)
    print("\n" + header)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
