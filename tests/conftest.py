"""Fixtures: an app per configuration on a clean database per test, users, and clients logged in by the
real token path.

Building an app costs a tenth of a second (werkzeug compiles every URL rule), so the `app` fixture builds
one per configuration (the settings `app_config` gives, compared by value) and hands it to every test with
those settings; each test still starts from an empty database (plus the global labels), an empty image
folder, fresh rate-limit counters, and the settings and extension state the app was built with.

Every test that uses `app` runs twice: on SQLite and on PostgreSQL. PostgreSQL is found at
TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres); the suite creates its own
database there and drops it at the end. Without a server those runs are skipped, unless
REQUIRE_POSTGRES=1 (as in CI), which makes a missing server a failure.

`make test` runs the suite on pytest-xdist workers (TEST_WORKERS in the Makefile). Each worker has its own
databases (their names carry its pid), apps and image folder; test ids must not be random (every worker
collects the same tests), and a module that starts servers for all its tests is marked
`pytest.mark.xdist_group` so one worker runs it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.cli.labels import seed_global_labels
from app.config import TestingConfig
from app.database import with_psycopg_driver
from app.extensions import db, limiter
from app.models import Base, User

pytest_plugins = ["tests.fast_path_support"]  # the `fast_path` and `nothing_kept` fixtures

PASSWORD = "correct horse battery staple"
POSTGRES_ADMIN_URL = with_psycopg_driver(
    os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
)


def _postgres_database() -> Iterator[str]:
    name = f"appl_tracky_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
            # A commit returns before its WAL reaches the disk (only a crash of the server could lose it):
            # what another session sees, locks and isolation are unchanged; commits no longer wait on the disk.
            connection.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"REQUIRE_POSTGRES=1 but PostgreSQL is not reachable: {exc}")
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}")
    url = sa.engine.make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# Engines that connected for the first time during the running test. Apps a test builds for itself (and
# drops) sit in reference cycles until a garbage collection, maybe during another test; psycopg warns
# (ResourceWarning, an error here) about every connection it finds still open then.
_SEEN_ENGINES: weakref.WeakSet[sa.Engine] = weakref.WeakSet()
_NEW_ENGINES: weakref.WeakSet[sa.Engine] = weakref.WeakSet()


@sa.event.listens_for(sa.engine.Engine, "engine_connect")
def _note_new_engine(connection: sa.Connection) -> None:
    if connection.engine not in _SEEN_ENGINES:
        _SEEN_ENGINES.add(connection.engine)
        _NEW_ENGINES.add(connection.engine)


@pytest.fixture(autouse=True)
def _close_new_engines() -> Iterator[None]:
    """Each test's new engines have their pooled connections closed when it ends (the apps cached by
    `app_for` reconnect when next used)."""
    yield
    for cached in _APPS.values():  # the revalidation fast path keeps a connection per thread
        cached.extensions["revalidation"].release()
    for engine in list(_NEW_ENGINES):
        engine.dispose()
    _NEW_ENGINES.clear()


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_without_fsync(dbapi_connection: Any, _record: Any) -> None:
    """Test SQLite files are not fsynced on commit (nothing here survives a power cut anyway): what a
    connection reads, writes and locks is unchanged."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous=OFF")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database for the whole session, with the schema created from the models."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        generator = None
    else:
        generator = _postgres_database()
        url = next(generator)
    engine = sa.create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    yield url
    if generator is not None:
        next(generator, None)


def make_config(database_url: str, **overrides: Any) -> TestingConfig:
    """Testing settings on `database_url`, with any setting overridden."""
    config = TestingConfig()
    config.SQLALCHEMY_DATABASE_URI = database_url
    for key, value in overrides.items():
        setattr(config, key, value)
    return config


def empty_database() -> None:
    """Delete every row, children first: each test starts from a clean database."""
    with db.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture(scope="session")
def images_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The image folder of the default settings, emptied after every test."""
    return tmp_path_factory.mktemp("images")


@pytest.fixture
def app_config(database_url: str, images_root: Path) -> TestingConfig:
    """The settings the `app` fixture uses; override this fixture to change them for a module."""
    return make_config(database_url, IMAGE_STORAGE_PATH=str(images_root))


# Apps already built, by their settings; the oldest is dropped beyond a few (per-test settings, such as a
# tmp_path in them, would otherwise keep every app and its connections alive).
_APPS: OrderedDict[tuple, Flask] = OrderedDict()
_MAX_APPS = 4


def _settings_key(config: TestingConfig) -> tuple:
    return tuple(sorted((name, repr(getattr(config, name))) for name in dir(config) if name.isupper()))


def app_for(config: TestingConfig) -> Flask:
    """The app built with these settings, built on first use."""
    key = _settings_key(config)
    if key in _APPS:
        _APPS.move_to_end(key)
        return _APPS[key]
    app = _APPS[key] = create_app(config)
    while len(_APPS) > _MAX_APPS:
        _, old = _APPS.popitem(last=False)
        old.extensions["revalidation"].release()  # the tests run on one thread: its connection
        old.extensions["revalidation"].engine.dispose()
        with old.app_context():
            db.engine.dispose()
    return app


@pytest.fixture
def app(app_config: TestingConfig, images_root: Path) -> Iterator[Flask]:
    app = app_for(app_config)
    # The limiter is one object for the whole process: bind it to this app again, which also gives it
    # fresh counters, as building the app did.
    limiter.init_app(app)
    settings, extensions = dict(app.config), set(app.extensions)
    app.extensions["revalidation"].cache.clear()  # responses kept by an earlier test, of its users
    with app.app_context():
        empty_database()
        seed_global_labels()
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        empty_database()
    # What a test changed (settings, lazily built extension state such as the image storage) goes.
    app.config.clear()
    app.config.update(settings)
    for name in set(app.extensions) - extensions:
        del app.extensions[name]
    shutil.rmtree(images_root, ignore_errors=True)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


class ApiClient:
    """A test client that speaks JSON and carries a user's access token, like the React client."""

    def __init__(self, client: FlaskClient, token: str | None = None) -> None:
        self.client = client
        self.token = token

    def open(self, method: str, url: str, json: Any = None, headers: dict | None = None, **kwargs: Any):
        all_headers = {"Authorization": f"JWT {self.token}" if self.token else ""}
        all_headers.update(headers or {})
        if json is not None:
            kwargs["json"] = json
        return self.client.open(url, method=method, headers=all_headers, **kwargs)

    def get(self, url: str, **kwargs: Any):
        return self.open("GET", url, **kwargs)

    def post(self, url: str, json: Any = None, **kwargs: Any):
        return self.open("POST", url, json=json, **kwargs)

    def patch(self, url: str, json: Any = None, **kwargs: Any):
        return self.open("PATCH", url, json=json, **kwargs)

    def put(self, url: str, json: Any = None, **kwargs: Any):
        return self.open("PUT", url, json=json, **kwargs)

    def delete(self, url: str, json: Any = None, **kwargs: Any):
        return self.open("DELETE", url, json=json, **kwargs)


def create_user(app: Flask, email: str, password: str = PASSWORD, **fields: Any) -> User:
    with app.app_context():
        user = User(email=email, **fields)
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
        return user


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> ApiClient:
    """Log in through POST /api/api-token-auth/ and return a client carrying the access token."""
    response = client.post("/api/api-token-auth/", json={"username": email, "password": password})
    assert response.status_code == 200, response.get_json()
    return ApiClient(client, response.get_json()["access"])


@pytest.fixture
def make_user(app: Flask):
    """Create a user: make_user("x@example.com", first_name=...)."""
    return lambda email, password=PASSWORD, **fields: create_user(app, email, password, **fields)


@pytest.fixture
def alice(make_user) -> User:
    return make_user("alice@example.com", first_name="Alice", last_name="Smith")


@pytest.fixture
def bob(make_user) -> User:
    return make_user("bob@example.com", first_name="Bob", last_name="Jones")


@pytest.fixture
def alice_api(app: Flask, alice: User) -> ApiClient:
    return login(app.test_client(), alice.email)


@pytest.fixture
def bob_api(app: Flask, bob: User) -> ApiClient:
    return login(app.test_client(), bob.email)


@pytest.fixture
def anon_api(client: FlaskClient) -> ApiClient:
    return ApiClient(client)
