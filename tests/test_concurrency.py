"""Two clients at once: real parallel requests against the app under gunicorn (production settings).

Each test fires a bounded number of threads at one server, released together by a barrier, and checks
the invariants: one import or restore is written once, label sets are exactly one of the sets asked
for, If-Match lets exactly one writer win, no request ever gets a 500, and a backup taken under
writers restores into an empty database with every foreign key intact. Imports and restores run on
PostgreSQL and on SQLite; the rest on PostgreSQL, where row locks and deadlocks exist.
"""

from __future__ import annotations

import base64
import gzip
import json
import shutil
import tempfile
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from conftest import PASSWORD, _postgres_database, create_user, make_config
from infra import flask, free_port, start_gunicorn, stop_process, wait_for_http

from app import create_app
from app.models import Base

# Under pytest-xdist (make test) one worker runs every test here, so the servers start once.
pytestmark = pytest.mark.xdist_group("test_concurrency")

THREADS = 6
TIMEOUT = 30  # seconds, for any one request
SERVER_ENV = {"RATELIMIT_ENABLED": "false", "GUNICORN_WORKERS": "2", "GUNICORN_THREADS": "6"}


@dataclass
class Server:
    kind: str
    url: str
    database_url: str
    app: Any
    log: Path
    users: int = 0

    def new_user(self) -> Api:
        """A fresh account (so tests never share data), logged in through the real token path."""
        self.users += 1
        email = f"user{self.users}-{uuid.uuid4().hex[:6]}@example.com"
        create_user(self.app, email)
        response = requests.post(
            f"{self.url}/api/api-token-auth/", json={"username": email, "password": PASSWORD}, timeout=TIMEOUT
        )
        assert response.status_code == 200, response.text
        return Api(self.url, response.json()["access"])


@dataclass
class Api:
    base: str
    token: str
    session: requests.Session = field(default_factory=requests.Session)

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"JWT {self.token}", **kwargs.pop("headers", {})}
        # One session per call: threads never share a connection.
        return requests.request(method, self.base + path, headers=headers, timeout=TIMEOUT, **kwargs)

    def count(self, path: str) -> int:
        response = self.call("GET", path, params={"page_size": 1})
        assert response.status_code == 200, response.text
        return response.json()["count"]


def parallel(*calls: Callable[[], requests.Response]) -> list[requests.Response]:
    """Run the calls at the same moment (a barrier releases them together); their responses, in order."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], requests.Response]) -> requests.Response:
        barrier.wait(timeout=TIMEOUT)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def statuses(responses: list[requests.Response]) -> Counter:
    return Counter(response.status_code for response in responses)


def assert_no_server_errors(responses: list[requests.Response], server: Server) -> None:
    errors = [(r.status_code, r.text[:200]) for r in responses if r.status_code >= 500]
    assert not errors, f"{errors}\n{server.log.read_text()[-3000:]}"


class Servers:
    """Servers started on first use, one per database kind, stopped when the module is done."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.started: dict[str, Server] = {}
        self.cleanups: list[Callable[[], None]] = []

    def database(self, kind: str, name: str) -> str:
        if kind == "sqlite":
            return f"sqlite:///{self.workdir / f'{name}.db'}"
        generator = _postgres_database()
        url = next(generator)
        self.cleanups.append(lambda: next(generator, None))
        return url

    def get(self, kind: str) -> Server:
        if kind not in self.started:
            database_url = self.database(kind, "app")
            flask(database_url, "db", "upgrade")
            port, log = free_port(), self.workdir / f"gunicorn-{kind}.log"
            process = start_gunicorn(database_url, port, log, self.workdir, **SERVER_ENV)
            self.cleanups.append(lambda: stop_process(process))
            wait_for_http(f"http://127.0.0.1:{port}/health-check", process, log)
            app = create_app(make_config(database_url))
            self.cleanups.append(lambda: _dispose(app))
            self.started[kind] = Server(kind, f"http://127.0.0.1:{port}", database_url, app, log)
        return self.started[kind]

    def close(self) -> None:
        for cleanup in reversed(self.cleanups):
            cleanup()


def _dispose(app: Any) -> None:
    from app.extensions import db

    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    workdir = Path(tempfile.mkdtemp(prefix="appl-tracky-concurrency-"))
    started = Servers(workdir)
    try:
        yield started
    finally:
        started.close()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(params=["postgresql", "sqlite"])
def server(request: pytest.FixtureRequest, servers: Servers) -> Server:
    return servers.get(request.param)


@pytest.fixture
def pg(servers: Servers) -> Server:
    return servers.get("postgresql")


def csv_file(rows: int, prefix: str = "Co") -> bytes:
    lines = ["Company,Position,Status,Date"]
    lines += [
        f"{prefix} {index % (rows // 2 or 1)},Engineer {index},applied,2024-01-{1 + index % 28:02d}"
        for index in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


def upload(api: Api, data: bytes) -> dict[str, Any]:
    response = api.call("POST", "/api/imports/", files={"file": ("applications.csv", data, "text/csv")})
    assert response.status_code == 201, response.text
    return response.json()


# -- imports and restores: on both databases ------------------------------------------------------------


def test_concurrent_commits_of_one_batch_write_it_once(server: Server) -> None:
    api = server.new_user()
    batch = upload(api, csv_file(30))
    responses = parallel(*[lambda: api.call("POST", f"/api/imports/{batch['uuid']}/commit/")] * THREADS)
    assert_no_server_errors(responses, server)
    assert statuses(responses) == {200: 1, 409: THREADS - 1}
    assert all("already committed" in r.json()["detail"] for r in responses if r.status_code == 409)
    assert api.count("/api/applications/") == 30
    assert api.count("/api/companies/") == 15


def test_concurrent_restores_into_one_account_restore_it_once(server: Server) -> None:
    source = server.new_user()
    upload_and_commit = upload(source, csv_file(20, "Restored"))
    assert source.call("POST", f"/api/imports/{upload_and_commit['uuid']}/commit/").status_code == 200
    export = source.call("GET", "/api/exports/account.json").json()
    target = server.new_user()
    responses = parallel(*[lambda: target.call("POST", "/api/imports/account/", json=export)] * 4)
    assert_no_server_errors(responses, server)
    assert statuses(responses) == {201: 1, 409: 3}
    assert all("not empty" in r.json()["detail"] for r in responses if r.status_code == 409)
    assert target.count("/api/companies/") == source.count("/api/companies/") == 10
    assert target.count("/api/applications/") == 20


def test_commit_racing_undo_and_discard_leaves_one_consistent_outcome(server: Server) -> None:
    for trial in range(3):
        api = server.new_user()
        batch = upload(api, csv_file(10, f"Race{trial}"))
        url = f"/api/imports/{batch['uuid']}/"
        commit = lambda api=api, url=url: api.call("POST", url + "commit/")  # noqa: E731
        delete = lambda api=api, url=url: api.call("DELETE", url)  # noqa: E731
        responses = parallel(commit, delete, commit, delete)
        assert_no_server_errors(responses, server)
        assert set(statuses(responses)) <= {200, 204, 404, 409}
        after = api.call("GET", url)
        applications = api.count("/api/applications/")
        if after.status_code == 404:  # discarded (before or after an undo)
            assert applications == 0
        else:
            state = after.json()["state"]
            assert applications == (10 if state == "committed" else 0), state
    # What was committed once and then undone concurrently, several times, ends undone and empty.
    api = server.new_user()
    batch = upload(api, csv_file(10, "Undo"))
    assert api.call("POST", f"/api/imports/{batch['uuid']}/commit/").status_code == 200
    responses = parallel(*[lambda: api.call("DELETE", f"/api/imports/{batch['uuid']}/")] * 4)
    assert_no_server_errors(responses, server)
    assert set(statuses(responses)) <= {204, 404}
    assert sum(1 for r in responses if r.status_code == 204) in (1, 2)  # an undo, then perhaps a discard
    assert api.count("/api/applications/") == 0


# -- label sets, batches and If-Match: PostgreSQL ---------------------------------------------------------


def _labels(api: Api, *texts: str) -> dict[str, str]:
    made = {}
    for text in texts:
        response = api.call("POST", "/api/labels/", json={"text": f"{text}-{uuid.uuid4().hex[:4]}", "color": ""})
        assert response.status_code == 201, response.text
        made[text] = response.json()["uuid"]
    return made


def _company(api: Api, name: str, labels: list[str]) -> str:
    body = {"name": name, "labels": [{"uuid": label} for label in labels]}
    response = api.call("POST", "/api/companies/", json=body)
    assert response.status_code == 201, response.text
    return response.json()["uuid"]


def _label_set(api: Api, company: str) -> frozenset[str]:
    response = api.call("GET", f"/api/companies/{company}/")
    return frozenset(label["uuid"] for label in response.json()["labels"])


def test_label_patches_of_one_company_never_deadlock_nor_merge(pg: Server) -> None:
    api = pg.new_user()
    label = _labels(api, "L0", "L1", "L2")
    asked = [[label["L0"], label["L1"]], [label["L2"]]]
    responses = []
    for trial in range(6):
        company = _company(api, f"Labels {trial}", [label["L0"]])
        patches = [
            lambda labels=labels, company=company: api.call(
                "PATCH", f"/api/companies/{company}/", json={"labels": [{"uuid": u} for u in labels]}
            )
            for labels in asked
        ]
        trial_responses = parallel(*patches)
        responses += trial_responses
        assert statuses(trial_responses) == {200: 2}, [r.text for r in trial_responses]
        assert _label_set(api, company) in {frozenset(labels) for labels in asked}
    assert_no_server_errors(responses, pg)


def test_overlapping_batch_patches_never_deadlock_and_apply_whole(pg: Server) -> None:
    api = pg.new_user()
    label = _labels(api, "A", "B")
    for trial in range(5):
        companies = [_company(api, f"Batch {trial}-{index}", []) for index in range(4)]

        def batch(order: list[str], text: str) -> Callable[[], requests.Response]:
            body = [{"uuid": company, "labels": [{"uuid": label[text]}]} for company in order]
            return lambda: api.call("PATCH", "/api/companies/", json=body)

        responses = parallel(batch(companies, "A"), batch(list(reversed(companies)), "B"))
        assert_no_server_errors(responses, pg)
        assert statuses(responses) == {200: 2}, [r.text for r in responses]
        finals = {_label_set(api, company) for company in companies}
        # One batch ran after the other, whole: every company holds the later batch's set.
        assert finals in ({frozenset([label["A"]])}, {frozenset([label["B"]])}), finals


def test_if_match_lets_exactly_one_of_two_writers_win(pg: Server) -> None:
    api = pg.new_user()
    for trial in range(4):
        company = _company(api, f"Tagged {trial}", [])
        read = api.call("GET", f"/api/companies/{company}/")
        tag = read.headers["ETag"]
        writes = [
            lambda name=name, company=company, tag=tag: api.call(
                "PATCH", f"/api/companies/{company}/", json={"name": name}, headers={"If-Match": tag}
            )
            for name in ("first", "second")
        ]
        responses = parallel(*writes)
        assert_no_server_errors(responses, pg)
        assert statuses(responses) == {200: 1, 412: 1}
        winner = next(r for r in responses if r.status_code == 200)
        loser = next(r for r in responses if r.status_code == 412)
        assert loser.headers["ETag"] == winner.headers["ETag"] != tag
        assert api.call("GET", f"/api/companies/{company}/").json()["name"] == winner.json()["name"]


# -- backups under writers ----------------------------------------------------------------------------------


def _orphans(database_url: str) -> dict[str, int]:
    """Rows whose foreign key names a row that is not there, per foreign key."""
    engine = sa.create_engine(database_url)
    found = {}
    try:
        with engine.connect() as connection:
            for table in Base.metadata.sorted_tables:
                for fk in table.foreign_keys:
                    target = fk.column
                    query = (
                        sa.select(sa.func.count())
                        .select_from(table)
                        .where(fk.parent.is_not(None))
                        .where(~sa.exists().where(target == fk.parent))
                    )
                    count = connection.execute(query).scalar_one()
                    if count:
                        found[f"{table.name}.{fk.parent.name}"] = count
    finally:
        engine.dispose()
    return found


def _seed_links(server: Server, api: Api, count: int) -> None:
    """Rows in a table read between `address` and `company`: they widen the window a writer hits."""
    from app.extensions import db
    from app.models import Link

    payload = api.token.split(".")[1]
    user_id = uuid.UUID(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])
    with server.app.app_context():
        db.session.execute(sa.insert(Link), [{"id": uuid.uuid4(), "user_id": user_id} for _ in range(count)])
        db.session.commit()


def test_a_backup_taken_under_writers_restores_with_every_foreign_key(pg: Server, servers: Servers) -> None:
    api = pg.new_user()
    _seed_links(pg, api, 40_000)
    stop = threading.Event()
    written: list[int] = []

    def writer(number: int) -> list[requests.Response]:
        responses = []
        while not stop.is_set():
            body = {"name": f"W{number}", "hq_location": {"city": "Berlin"}, "home_page": {"url": "https://a.example"}}
            created = api.call("POST", "/api/companies/", json=body)
            responses.append(created)
            if created.status_code == 201:
                application = {"user_company": created.json()["uuid"], "position_title": "Dev"}
                responses.append(api.call("POST", "/api/applications/", json=application))
                if len(responses) % 6 == 0:
                    responses.append(api.call("DELETE", f"/api/companies/{created.json()['uuid']}/"))
        written.append(len(responses))
        return responses

    backup = servers.workdir / "under-writers.json.gz"
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(writer, number) for number in range(4)]
        try:
            flask(pg.database_url, "backup-db", "--output", str(backup))
        finally:
            stop.set()
        responses = [response for future in futures for response in future.result()]
    assert_no_server_errors(responses, pg)
    assert sum(written) > 20  # the writers really wrote during the backup

    with gzip.open(backup, "rt", encoding="utf-8") as handle:
        data = json.load(handle)
    assert data["tables"]["company"], "the backup holds the writers' companies"
    target = servers.database("postgresql", "restored")
    flask(target, "db", "upgrade")
    flask(target, "restore-db", str(backup), "--force")  # --force: the migration's global labels
    assert _orphans(target) == {}
