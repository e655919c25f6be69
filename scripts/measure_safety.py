"""Measure the figures of issue 13 against a running copy of the app (gunicorn, production settings).

    .venv/bin/python scripts/measure_safety.py [--code DIR]

`--code` runs another checkout of the project (e.g. the commit before the fixes, from `git archive`),
so the same figures are printed before and after. It creates and drops its own PostgreSQL database at
postgresql://postgres@127.0.0.1:5432 and prints: duplicates of concurrent commits and restores, 500s and
merged label sets of label races, the batch PATCH of 1,000 copies of one uuid (status, bytes, seconds),
the server CPU seconds of hostile spreadsheets, and the status of deeply nested JSON bodies.
"""

from __future__ import annotations

import argparse
import io
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PASSWORD = "correct horse battery staple"
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(parent: int) -> float:
    """User + system CPU of `parent`'s children (the gunicorn workers)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def parallel(calls: list) -> list[requests.Response]:
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


class Client:
    def __init__(self, url: str, email: str) -> None:
        self.url = url
        token = requests.post(
            f"{url}/api/api-token-auth/", json={"username": email, "password": PASSWORD}, timeout=60
        ).json()
        self.headers = {"Authorization": f"JWT {token['access']}"}

    def call(self, method: str, path: str, **kwargs):
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return requests.request(method, self.url + path, headers=headers, timeout=600, **kwargs)

    def count(self, path: str) -> int:
        return self.call("GET", path, params={"page_size": 1}).json()["count"]


def csv_rows(rows: int, prefix: str) -> bytes:
    lines = ["Company,Position"] + [f"{prefix} {i},Engineer {i}" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def xlsx_with_shared_strings(count: int) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["Company", "Position"])
    workbook.active.append(["Acme", "Dev"])
    plain = io.BytesIO()
    workbook.save(plain)
    source = zipfile.ZipFile(io.BytesIO(plain.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            if item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
                )
            archive.writestr(item, data)
        archive.writestr(
            "xl/sharedStrings.xml",
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            + b"<si><t>x</t></si>" * count
            + b"</sst>",
        )
    return out.getvalue()


def measure(url: str, server_pid: int, make_user) -> None:
    def figure(name: str, value) -> None:
        print(f"{name:<62} {value}", flush=True)

    # Concurrent commits of one 300-row batch.
    api = Client(url, make_user())
    batch = api.call("POST", "/api/imports/", files={"file": ("a.csv", csv_rows(300, "Co"))}).json()
    responses = parallel([lambda: api.call("POST", f"/api/imports/{batch['uuid']}/commit/")] * 3)
    figure("3 concurrent commits of a 300-row batch: statuses", dict(Counter(r.status_code for r in responses)))
    figure(
        "  applications / companies written (300 / 300 expected)",
        (api.count("/api/applications/"), api.count("/api/companies/")),
    )

    # Concurrent restores of a 100-company export into one empty account.
    source = Client(url, make_user())
    for index in range(100):
        source.call("POST", "/api/companies/", json={"name": f"R{index}"})
    export = source.call("GET", "/api/exports/account.json").json()
    target = Client(url, make_user())
    responses = parallel([lambda: target.call("POST", "/api/imports/account/", json=export)] * 4)
    figure("4 concurrent restores of a 100-company file: statuses", dict(Counter(r.status_code for r in responses)))
    figure("  companies in the account (100 expected)", target.count("/api/companies/"))

    # Label races on one company: [L0, L1] and [L2] from {L0}.
    api = Client(url, make_user())
    labels = [api.call("POST", "/api/labels/", json={"text": f"L{i}"}).json()["uuid"] for i in range(3)]
    asked = [frozenset(labels[:2]), frozenset(labels[2:])]
    errors = merged = 0
    for trial in range(20):
        company = api.call("POST", "/api/companies/", json={"name": f"C{trial}", "labels": [{"uuid": labels[0]}]})
        company = company.json()["uuid"]
        responses = parallel(
            [
                lambda wanted=wanted, company=company: api.call(
                    "PATCH", f"/api/companies/{company}/", json={"labels": [{"uuid": u} for u in wanted]}
                )
                for wanted in asked
            ]
        )
        errors += sum(r.status_code >= 500 for r in responses)
        final = frozenset(label["uuid"] for label in api.call("GET", f"/api/companies/{company}/").json()["labels"])
        merged += final not in asked
    figure("label PATCH races on one company, 20 trials: 5xx answers", errors)
    figure("  trials ending with a set nobody asked for", merged)

    errors = 0
    for trial in range(24):
        ids = [api.call("POST", "/api/companies/", json={"name": f"B{trial}-{i}"}).json()["uuid"] for i in range(4)]
        bodies = [
            [{"uuid": i, "labels": [{"uuid": labels[0]}]} for i in ids],
            [{"uuid": i, "labels": [{"uuid": labels[1]}]} for i in reversed(ids)],
        ]
        responses = parallel([lambda body=body: api.call("PATCH", "/api/companies/", json=body) for body in bodies])
        errors += any(r.status_code >= 500 for r in responses)
    figure("overlapping batch PATCHes, 24 trials: trials with a 5xx", errors)

    # Batch PATCH of 1,000 copies of one uuid.
    company = api.call("POST", "/api/companies/", json={"name": "Many"}).json()["uuid"]
    started = time.monotonic()
    response = api.call("PATCH", "/api/companies/", json=[{"uuid": company, "notes": "x"}] * 1000)
    figure(
        "batch PATCH of 1,000 copies of one uuid: status, bytes, seconds",
        (response.status_code, len(response.content), round(time.monotonic() - started, 2)),
    )

    # Hostile spreadsheets: server CPU seconds.
    for name, data in (
        ("XLSX with 1,000,000 unused shared strings", xlsx_with_shared_strings(1_000_000)),
        ("CSV of 4,000,000 blank rows", b"Company,Position\n" + b",\n" * 4_000_000),
    ):
        before = cpu_seconds(server_pid)
        started = time.monotonic()
        response = api.call("POST", "/api/imports/", files={"file": ("f", data)})
        figure(
            f"{name} ({len(data) // 1024} KB): status, CPU s, wall s",
            (response.status_code, round(cpu_seconds(server_pid) - before, 2), round(time.monotonic() - started, 2)),
        )

    # Deeply nested JSON.
    deep = "[" * 100_000 + "]" * 100_000
    checks = {
        "/graphql/ body": api.call("POST", "/graphql/", data=deep, headers={"Content-Type": "application/json"}),
        "/api/imports/account/ body": api.call(
            "POST", "/api/imports/account/", data=deep, headers={"Content-Type": "application/json"}
        ),
        "/api/imports/account/ file": api.call("POST", "/api/imports/account/", files={"file": ("a.json", deep)}),
        "/api/imports/ mapping field": api.call(
            "POST", "/api/imports/", files={"file": ("a.csv", b"Company,Position\nA,B\n")}, data={"mapping": deep}
        ),
    }
    figure("deeply nested JSON: statuses", {name: r.status_code for name, r in checks.items()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout to run (default: this one)")
    args = parser.parse_args()
    name = f"appl_tracky_measure_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    database_url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    env = {**os.environ, "FLASK_APP": "wsgi", "DATABASE_URL": database_url, "APP_ENV": "development"}
    python = sys.executable
    port = free_port()
    server = None
    try:
        subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [python, "-m", "flask", "db", "upgrade"], cwd=args.code, env=env, check=True, capture_output=True
        )
        server_env = {
            **env,
            "APP_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "RATELIMIT_ENABLED": "false",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": "2",
            "GUNICORN_THREADS": "4",
            "GUNICORN_TIMEOUT": "600",
            "IMAGE_STORAGE_PATH": tempfile.mkdtemp(),
        }
        log = tempfile.NamedTemporaryFile("w", suffix=".log", delete=False)  # noqa: SIM115
        server = subprocess.Popen(  # noqa: S603
            [python, "-m", "gunicorn", "--config", "gunicorn.conf.py", "wsgi:app"],
            cwd=args.code,
            env=server_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                requests.get(f"{url}/health-check", timeout=10)
                break
            except requests.RequestException:
                time.sleep(0.2)

        def make_user() -> str:
            email = f"m{uuid.uuid4().hex[:8]}@example.com"
            subprocess.run(  # noqa: S603
                [python, "-m", "flask", "users", "create", email, "--password", PASSWORD],
                cwd=args.code,
                env=env,
                check=True,
                capture_output=True,
            )
            return email

        print(f"code: {args.code}  server log: {log.name}")
        measure(url, server.pid, make_user)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
