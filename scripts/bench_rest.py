#!/usr/bin/env python
"""`make bench`: what the API serves per second, next to the stack's floor, on SQLite and PostgreSQL.

For each database, in one process tree:
1. migrate a fresh database and seed one user with 200 companies x 3 applications x 4 statuses x 2 status
   links (and every other nested part the company detail shows);
2. in process (the Flask test client, one client): count the SQL statements of one request of each
   kind with SQLAlchemy event listeners, and time list pages and details (median of --samples);
3. start our app under gunicorn (gunicorn.conf.py, 2 workers, APP_ENV=production, rate limits off) on a
   free loopback port, twice (as it ships, and with its response cache off for the cold kinds), and
   capture its answer to each request kind (status, headers, body);
4. start a trivial WSGI app (scripts/bench_trivial_app.py) under the same gunicorn settings that answers
   each kind with exactly those bytes;
5. drive both with wrk (Debian's `wrk`, 16 connections, --duration seconds per kind, after --warmup), in
   --rounds turns, and print one table: req/s, p50, p99 (each the median turn's), statements per request
   and the ratio to the trivial app (the median of each turn's ratio to the trivial app's turn beside it,
   so that load from elsewhere on a shared machine moves both sides of a ratio, not one).

Request kinds: `list` is `GET /api/companies/` (the first page, 8 companies); `list-304` revalidates that
page with `If-None-Match` and is reported as "n/a (no ETag)" while the list answers no ETag; `detail` is
`GET /api/companies/<uuid>/` over 100 companies; `graphql` is the React dashboard's query (Apollo's shape,
with `__typename` everywhere) for the first 20 companies, without the optional filters; `create` is
`POST /api/companies/` with the body the React client sends. Those run against our server with its
response cache off (RESPONSE_CACHE_BYTES=0), so every read is cold, as after a write. `list-kept`,
`detail-kept` and `graphql-kept` are the same reads against our server as it ships (app.response_cache:
a worker answers a read of unchanged data again as it answered it), the case of a client without the
page in its own cache (another tab or device, every GraphQL POST).

`--memory N` replaces the table: one worker (never recycled) serves N list pages, and its resident memory
is printed as they go, with the growth after the first tenth of them.

A benchmark, not a test: the figures depend on the machine, hence the ratios. PostgreSQL is found at
--postgres (postgresql://postgres@127.0.0.1:5432 by default); the script creates and drops its own
database there. `--profile N` also prints a pyinstrument profile of N in-process list pages.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EMAIL, PASSWORD = "bench@example.com", "bench-password-123"
CONNECTIONS = 16
WRK_THREADS = 2
# Response headers that are the server's own business, not the response's: the trivial app makes its own.
OWN_HEADERS = {"date", "server", "connection", "keep-alive", "content-length", "transfer-encoding"}

# The dashboard's query as the React client (Apollo) sends it, filters left out (all are optional).
DASHBOARD_QUERY = """{
  companies(first: 20, order_by: "-modified_at", after: "") {
    totalCount
    count
    pageInfo {
      startCursor
      endCursor
      hasNextPage
      __typename
    }
    edges {
      node {
        uuid
        name
        labels {
          text
          __typename
        }
        applications {
          uuid
          position_title
          __typename
        }
        __typename
      }
      __typename
    }
    __typename
  }
}
"""


# -- the databases ----------------------------------------------------------------------------------


@contextmanager
def sqlite_database(workdir: Path) -> Iterator[str]:
    yield f"sqlite:///{workdir / 'bench.db'}"


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A database of its own on the server at `admin_url`, dropped afterwards."""
    from app.database import with_psycopg_driver

    name = f"appl_tracky_bench_{os.getpid()}"
    url = sa.engine.make_url(with_psycopg_driver(admin_url))
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def server_env(database_url: str, workdir: Path, workers: int) -> dict[str, str]:
    """Production settings (a random secret), rate limits off; gunicorn's own settings from gunicorn.conf.py."""
    return {
        **{key: value for key, value in os.environ.items() if not key.startswith(("FLASK_", "APP_"))},
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": database_url,
        "RATELIMIT_ENABLED": "false",
        "IMAGE_STORAGE_PATH": str(workdir / "images"),
        "GUNICORN_WORKERS": str(workers),
        "GUNICORN_LOG_LEVEL": "warning",
    }


def migrate(database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "APP_ENV": "development", "FLASK_APP": "wsgi"}
    subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)


def seed(app: Any, companies: int) -> None:
    """The benchmark's user and its companies, every nested part filled in."""
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


# -- the request kinds ------------------------------------------------------------------------------


def new_company_body() -> bytes:
    """A create exactly as the React client sends it (blank uuids and timestamps, echoed read-only lists)."""
    blank = {"uuid": "", "created_at": "", "modified_at": ""}
    return json.dumps(
        {
            **blank,
            "user": "",
            "name": "Bench company",
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
class Kind:
    """One kind of request: what wrk sends to our server (cycling through `paths`) and what it must answer."""

    name: str
    method: str
    paths: list[str]
    expected: int
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    kept: bool = False  # against our server as it ships, its response cache on (else off: every read cold)


def request_kinds(company_ids: list[str], etag: str | None) -> list[Kind]:
    json_type = {"Content-Type": "application/json"}
    graphql = json.dumps({"operationName": None, "variables": {}, "query": DASHBOARD_QUERY}).encode()
    details = [f"/api/companies/{company_id}/" for company_id in company_ids]
    kinds = [
        Kind("list", "GET", ["/api/companies/"], 200),
        Kind("list-kept", "GET", ["/api/companies/"], 200, kept=True),
        Kind("list-304", "GET", ["/api/companies/"], 304, headers={"If-None-Match": etag or ""}, kept=True),
        Kind("detail", "GET", details, 200),
        Kind("detail-kept", "GET", details, 200, kept=True),
        Kind("graphql", "POST", ["/graphql/"], 200, graphql, json_type),
        Kind("graphql-kept", "POST", ["/graphql/"], 200, graphql, json_type, kept=True),
        Kind("create", "POST", ["/api/companies/"], 201, new_company_body(), json_type),
    ]
    return [kind for kind in kinds if etag is not None or kind.name != "list-304"]


# -- in process: statements and single-client timings -----------------------------------------------


@dataclass
class InProcess:
    statements: dict[str, int]
    list_ms: float
    detail_ms: float


@contextmanager
def counting_statements() -> Iterator[list[str]]:
    """The statements every engine of the process runs (the revalidation fast path has its own on a server),
    and those run on psycopg's own connection, which engine events do not see (`app.database.first_row`)."""
    from app import database

    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    def count_plain(driver_connection: Any, sql: str, values: Any) -> Any:
        statements.append(sql)
        return run_plain(driver_connection, sql, values)

    sa.event.listen(sa.Engine, "before_cursor_execute", count)
    run_plain, database.plain_first_row = database.plain_first_row, count_plain
    try:
        yield statements
    finally:
        database.plain_first_row = run_plain
        sa.event.remove(sa.Engine, "before_cursor_execute", count)


def in_process(app: Any, samples: int, profile: int) -> tuple[InProcess, str, list[str], str | None]:
    """Statements per request kind, median ms per list page and detail; the token, ids and list ETag."""

    client = app.test_client()
    login = client.post("/api/api-token-auth/", json={"username": EMAIL, "password": PASSWORD})
    assert login.status_code == 200, login.get_data(as_text=True)
    token = login.get_json()["access"]
    auth = {"Authorization": f"JWT {token}"}
    first = client.get("/api/companies/?page_size=100", headers=auth)
    company_ids = [company["uuid"] for company in first.get_json()["results"]]
    etag = client.get("/api/companies/", headers=auth).headers.get("ETag")
    cache = app.extensions["revalidation"].cache
    with nothing_kept(cache):
        # Timed before the create below, which would put a smaller company on the first page.
        list_ms = median_ms(lambda: client.get("/api/companies/", headers=auth), samples)
        detail_ms = median_ms(lambda: client.get(f"/api/companies/{company_ids[0]}/", headers=auth), samples)
        if profile:
            print_profile(lambda: client.get("/api/companies/", headers=auth), profile)
    statements = {}
    for kind in request_kinds(company_ids, etag):

        def send(kind: Kind = kind) -> Any:
            headers = {**auth, **kind.headers}
            return client.open(kind.paths[0], method=kind.method, data=kind.body, headers=headers)

        with nothing_kept(cache) if not kind.kept else contextlib.nullcontext():
            if kind.kept:
                send()  # kept by this first one
            with counting_statements() as seen:
                response = send()
        assert response.status_code == kind.expected, (kind.name, response.status_code, response.get_data()[:300])
        statements[kind.name] = len(seen)
    etag = client.get("/api/companies/", headers=auth).headers.get("ETag")  # the create above changed the data
    return InProcess(statements, list_ms, detail_ms), token, company_ids, etag


@contextmanager
def nothing_kept(cache: Any) -> Iterator[None]:
    """The in-process app's response cache off for a while: every read cold, as on the cold server."""
    capacity = cache.capacity
    cache.capacity = 0
    cache.clear()
    try:
        yield
    finally:
        cache.capacity = capacity


def median_ms(call: Any, samples: int) -> float:
    call()
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        response = call()
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return statistics.median(timings)


def print_profile(call: Any, repeat: int) -> None:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    with profiler:
        for _ in range(repeat):
            call()
    print(profiler.output_text(unicode=True, color=False, show_all=False), flush=True)


# -- the servers ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    port: int
    pid: int  # gunicorn's master


@contextmanager
def gunicorn(app_spec: str, env: dict[str, str], log: Path, *extra: str) -> Iterator[Server]:
    """`app_spec` under gunicorn with gunicorn.conf.py on a free loopback port; stopped afterwards."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--access-logfile", "/dev/null", *extra]
    with log.open("wb") as output:
        server = subprocess.Popen(  # noqa: S603
            [*command, app_spec],
            cwd=ROOT,
            env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
            stdout=output,
            stderr=output,
        )
    try:
        wait_until_up(port, server, log)
        yield Server(port, server.pid)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wait_until_up(port: int, server: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {server.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer in time:\n{log.read_text()}")


def capture(port: int, kind: Kind, token: str) -> dict[str, Any]:
    """Our server's answer to one request of `kind`: status line, headers and body, for the trivial app."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request(
        kind.method, kind.paths[0], body=kind.body, headers={"Authorization": f"JWT {token}", **kind.headers}
    )
    response = connection.getresponse()
    body = response.read()
    connection.close()
    if response.status != kind.expected:
        raise RuntimeError(f"{kind.name}: expected {kind.expected}, got {response.status}: {body[:300]!r}")
    headers = [[name, value] for name, value in response.getheaders() if name.lower() not in OWN_HEADERS]
    return {"status": f"{response.status} {response.reason}", "headers": headers, "body": body.decode("latin-1")}


def revalidate_with_current_etag(port: int, kinds: list[Kind], token: str) -> None:
    """Point the list-304 kind at the list's current ETag."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/api/companies/", headers={"Authorization": f"JWT {token}"})
    response = connection.getresponse()
    response.read()
    connection.close()
    for kind in kinds:
        if kind.expected == 304:
            kind.headers["If-None-Match"] = response.getheader("ETag") or ""


# -- wrk --------------------------------------------------------------------------------------------


@dataclass
class Load:
    requests: int
    rate: float
    p50_ms: float
    p99_ms: float
    errors: int


def lua_string(text: str) -> str:
    if "]==]" in text:
        raise ValueError("text would end the Lua long string")
    return f"[==[{text}]==]"


def wrk_script(kind: Kind, token: str, paths: list[str]) -> str:
    lines = [f'wrk.method = "{kind.method}"', f'wrk.headers["Authorization"] = {lua_string("JWT " + token)}']
    lines += [f"wrk.headers[ {lua_string(name)} ] = {lua_string(value)}" for name, value in kind.headers.items()]
    if kind.body is not None:
        lines.append(f"wrk.body = {lua_string(kind.body.decode())}")
    lines.append("local paths = {" + ", ".join(lua_string(path) for path in paths) + "}")
    lines.append("local n = 0")
    lines.append("request = function() n = n + 1; return wrk.format(nil, paths[(n % #paths) + 1]) end")
    return "\n".join(lines) + "\n"


def wrk(port: int, script: Path, seconds: float) -> Load:
    """`seconds` of load on 127.0.0.1:`port` from wrk, 16 connections; its rate, latencies and errors."""
    command = [
        "wrk",
        f"-t{WRK_THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "30s",
        "--latency",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}",
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout  # noqa: S603
    return parse_wrk(output)


def parse_wrk(output: str) -> Load:
    def duration_ms(pattern: str) -> float:
        match = re.search(pattern + r"\s+([\d.]+)(us|ms|s)\b", output)
        if match is None:
            raise RuntimeError(f"unexpected wrk output:\n{output}")
        return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]

    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if rate is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    requests = re.search(r"(\d+) requests in", output)
    if requests is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    return Load(int(requests.group(1)), float(rate.group(1)), duration_ms(r"\b50%"), duration_ms(r"\b99%"), errors)


# -- memory -----------------------------------------------------------------------------------------


def taking_turns(scripts: list[tuple[int, Path]], seconds: float, rounds: int) -> tuple[Rounds, Rounds]:
    """Our server and the trivial app loaded in turn, `rounds` times, `seconds` in all for each (the order
    swapped every round): a burst of load from elsewhere on the machine then hits both, not one."""
    loads: list[list[Load]] = [[], []]
    for number in range(rounds):
        order = (0, 1) if number % 2 == 0 else (1, 0)
        for index in order:
            port, script = scripts[index]
            loads[index].append(wrk(port, script, seconds / rounds))
    return Rounds(loads[0]), Rounds(loads[1])


@dataclass
class Rounds:
    """One server's loads of one request kind, round by round; each figure is the median round's."""

    loads: list[Load]

    @property
    def rate(self) -> float:
        return statistics.median(load.rate for load in self.loads)

    @property
    def p50_ms(self) -> float:
        return statistics.median(load.p50_ms for load in self.loads)

    @property
    def p99_ms(self) -> float:
        return statistics.median(load.p99_ms for load in self.loads)

    @property
    def errors(self) -> int:
        return sum(load.errors for load in self.loads)


def ratio(ours: Rounds, trivial: Rounds) -> float:
    """The median over rounds of our rate to the trivial app's in the same round."""
    return statistics.median(
        mine.rate / floor.rate if floor.rate else 0.0 for mine, floor in zip(ours.loads, trivial.loads, strict=True)
    )


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def worker_pid(master: int, timeout: float = 30) -> int:
    """The master's one worker (the master listens before its worker has booted: wait for it)."""
    deadline = time.monotonic() + timeout
    while True:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if len(children) == 1 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    if len(children) != 1:
        raise RuntimeError(f"expected one gunicorn worker, found {children}")
    return int(children[0])


def memory_run(server: Server, kind: Kind, token: str, workdir: Path, total: int) -> None:
    """`total` list requests on one worker (wrk in 2-second rounds); its resident memory after each round."""
    worker = worker_pid(server.pid)
    script = workdir / "memory.lua"
    script.write_text(wrk_script(kind, token, kind.paths))
    done, samples = 0, [(0, rss_kib(worker))]
    print(f"{'requests':>9} {'worker RSS MiB':>15}", flush=True)
    print(f"{0:>9} {samples[0][1] / 1024:>15.1f}", flush=True)
    while done < total:
        load = wrk(server.port, script, 2)
        if load.errors:
            raise RuntimeError(f"{load.errors} failed requests")
        done += load.requests
        samples.append((done, rss_kib(worker)))
        if len(samples) % 5 == 0 or done >= total:
            print(f"{done:>9} {samples[-1][1] / 1024:>15.1f}", flush=True)
    if worker_pid(server.pid) != worker:
        raise RuntimeError("the worker was replaced during the run (max_requests?): the figure means nothing")
    warm = next(rss for count, rss in samples if count >= total // 10)
    print(
        f"worker {worker}: {samples[0][1] / 1024:.1f} MiB before, {warm / 1024:.1f} MiB after {total // 10:,} requests,"
        f" {samples[-1][1] / 1024:.1f} MiB after {done:,}: {(samples[-1][1] - warm) / 1024:+.1f} MiB"
        f" ({(samples[-1][1] - warm) / warm:+.1%}) over the last {done - total // 10:,}",
        flush=True,
    )


# -- one database -----------------------------------------------------------------------------------


@dataclass
class Row:
    database: str
    kind: str
    ours: Rounds | None
    trivial: Rounds | None
    statements: int | None
    size: int


def run(name: str, database: Any, args: argparse.Namespace) -> tuple[list[Row], InProcess]:
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, database(Path(tmp)) as url:
        workdir = Path(tmp)
        env = server_env(url, workdir, args.workers)
        started = time.monotonic()
        migrate(url)
        os.environ.update(env)
        from app import create_app
        from app.extensions import db

        app = create_app()
        seed(app, args.companies)
        print(f"[{name}] seeded {args.companies} companies in {time.monotonic() - started:.1f}s", flush=True)
        measured, token, company_ids, etag = in_process(app, args.samples, args.profile)
        with app.app_context():
            db.engine.dispose()
        kinds = request_kinds(company_ids, etag)
        rows = []
        if args.memory:
            # One worker, never recycled (production recycles after about 1,000 requests, which would hide a leak).
            # Its response cache off: every one of them is built (kept, they would all be one answer).
            memory_env = {**env, "GUNICORN_WORKERS": "1", "GUNICORN_MAX_REQUESTS": "0", "RESPONSE_CACHE_BYTES": "0"}
            with gunicorn("wsgi:app", memory_env, workdir / "memory.log") as server:
                memory_run(server, kinds[0], token, workdir, args.memory)
            return [], measured
        cold_env = {**env, "RESPONSE_CACHE_BYTES": "0"}
        with (
            gunicorn("wsgi:app", env, workdir / "app.log") as server,
            gunicorn("wsgi:app", cold_env, workdir / "cold.log") as cold_server,
        ):
            ports = {kind.name: server.port if kind.kept else cold_server.port for kind in kinds}
            captured = {kind.name: capture(ports[kind.name], kind, token) for kind in kinds}
            revalidate_with_current_etag(server.port, kinds, token)  # the captured create changed the data
            (workdir / "responses.json").write_text(json.dumps(captured))
            trivial_env = {**env, "BENCH_RESPONSES": str(workdir / "responses.json")}
            extra = ("--pythonpath", str(ROOT / "scripts"))
            with gunicorn("bench_trivial_app:app", trivial_env, workdir / "trivial.log", *extra) as trivial:
                trivial_port = trivial.port
                for kind in kinds:
                    port = ports[kind.name]
                    capture(port, kind, token)  # still answers as expected (a stale ETag would give 200s)
                    scripts = []
                    for server_port, paths in ((port, kind.paths), (trivial_port, [f"/{kind.name}"])):
                        script = workdir / f"{kind.name}-{server_port}.lua"
                        script.write_text(wrk_script(kind, token, paths))
                        scripts.append((server_port, script))
                        if args.warmup > 0:
                            wrk(server_port, script, args.warmup)
                    ours, trivial = taking_turns(scripts, args.duration, args.rounds)
                    size = len(captured[kind.name]["body"])
                    row = Row(name, kind.name, ours, trivial, measured.statements[kind.name], size)
                    print(format_row(row), flush=True)
                    rows.append(row)
        if etag is None:
            rows.insert(1, Row(name, "list-304", None, None, None, 0))
    return rows, measured


# -- the table --------------------------------------------------------------------------------------

HEADER = (
    f"{'database':<10} {'request':<12} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'SQL/req':>7} {'bytes':>8}"
    f" {'trivial req/s':>13} {'ratio':>7} {'errors':>9}"
)


def format_row(row: Row) -> str:
    if row.ours is None or row.trivial is None:
        return f"{row.database:<10} {row.kind:<12} {'n/a (no ETag)':>33}"
    if not row.ours.rate:  # wrk counts latencies of completed requests only
        return f"{row.database:<10} {row.kind:<12} {'no request completed in the run':>33}"
    return (
        f"{row.database:<10} {row.kind:<12} {row.ours.rate:>8.1f} {row.ours.p50_ms:>8.1f} {row.ours.p99_ms:>8.1f}"
        f" {row.statements:>7} {row.size:>8} {row.trivial.rate:>13.1f} {ratio(row.ours, row.trivial):>7.1%}"
        f" {f'{row.ours.errors}/{row.trivial.errors}':>9}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load measured per request kind")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of unmeasured load first (0: none)")
    parser.add_argument(
        "--rounds", type=int, default=5, help="turns our server and the trivial app take within --duration"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (each server)")
    parser.add_argument("--companies", type=int, default=200)
    parser.add_argument("--samples", type=int, default=30, help="in-process requests timed per kind")
    parser.add_argument("--profile", type=int, default=0, help="profile this many in-process list pages")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--memory",
        type=int,
        default=0,
        metavar="N",
        help="instead of the table: N list requests on one worker, printing its resident memory as they go",
    )
    parser.add_argument(
        "--postgres", default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 1
    databases = {"sqlite": sqlite_database, "postgresql": lambda _workdir: postgres_database(args.postgres)}
    print(
        f"{args.workers} gunicorn workers per server, wrk {WRK_THREADS} threads x {CONNECTIONS} connections,"
        f" {args.duration:g}s per kind in {args.rounds} turns after {args.warmup:g}s warm-up;"
        f" load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    rows, timings = [], []
    for name in args.databases.split(","):
        database_rows, measured = run(name.strip(), databases[name.strip()], args)
        rows += database_rows
        timings.append((name.strip(), measured))
    if not args.memory:
        print("\n" + HEADER)
        print("\n".join(format_row(row) for row in rows))
    print(f"\nIn process, one client (Flask test client, median of {args.samples}):")
    for name, measured in timings:
        print(f"{name:<10} list page {measured.list_ms:6.1f} ms   detail {measured.detail_ms:6.1f} ms")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
