"""The product as shipped, end to end: the stand-in for the app image, since no container engine runs here.

A fresh virtualenv holds the runtime lock alone, installed with the app image's own command
(docker/app.Dockerfile); every `app` module must import in it. Then, from that virtualenv: the app with
APP_ENV=production under gunicorn with gunicorn.conf.py, behind the real nginx with nginx.conf, on a
PostgreSQL cluster of its own (so it can be stopped and started) and Redis for the rate limits. It migrates
with docker/migrate.sh, creates users with the CLI, logs in, writes and reads a nested company, uploads an
image, imports a spreadsheet and restores an account file each larger than nginx's old 6 MB cap, checks the
health answer, the 503 while PostgreSQL is down and the recovery after it is back, and a clean SIGTERM.

The virtualenv is cached by the lock's hash (APPL_TRACKY_SMOKE_CACHE, default ~/.cache/appl-tracky), so
only the first run installs. Skipped when nginx, PostgreSQL's server binaries or Redis are missing, unless
REQUIRE_PRODUCTION_SMOKE=1 (as in CI).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest
import redis
import requests
from filelock import FileLock
from infra import ROOT, free_port, missing, nginx_binary, render_nginx_conf, stop_process, wait_for_http
from test_nginx_e2e import NGINX_TOO_LARGE, _png_of_size, csv_of_size

from tests.rest_support import address_body, company_body

PASSWORD = "a long and secret password"
SIX_MB = 6 * 1024 * 1024
AS_POSTGRES = ["runuser", "-u", "postgres", "--"]
# The app image's install step, word for word (tests/test_dockerfiles.py holds the Dockerfile to it).
DOCKERFILE_INSTALL = "/opt/venv/bin/pip install --require-hashes -r /build/requirements.txt"


def _missing(reason: str) -> NoReturn:
    missing(reason, "REQUIRE_PRODUCTION_SMOKE")


def _run(args: list[str], timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


# --- The runtime virtualenv --------------------------------------------------------------------------------


def runtime_venv() -> Path:
    """A virtualenv with requirements.txt alone, installed as the image does; reused while the lock is unchanged."""
    assert DOCKERFILE_INSTALL in (ROOT / "docker" / "app.Dockerfile").read_text()
    lock = ROOT / "requirements.txt"
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()[:16]
    cache = Path(os.environ.get("APPL_TRACKY_SMOKE_CACHE", Path.home() / ".cache" / "appl-tracky"))
    venv = cache / f"runtime-venv-{sys.version_info.major}.{sys.version_info.minor}-{digest}"
    cache.mkdir(parents=True, exist_ok=True)
    # One build at a time (pytest-xdist workers, another checkout's suite): the others wait, then reuse it.
    with FileLock(f"{venv}.lock", timeout=900):
        if (venv / "installed").exists():
            return venv
        # Built where it stays (its scripts name their interpreter by absolute path); the marker comes last,
        # so an interrupted build is redone.
        shutil.rmtree(venv, ignore_errors=True)
        _run([sys.executable, "-m", "venv", str(venv)])
        # The image's `pip install --require-hashes -r requirements.txt`, with the pip index configured here.
        _run([str(venv / "bin" / "pip"), "install", "--quiet", "--require-hashes", "-r", str(lock)], timeout=600)
        (venv / "installed").write_text(digest)
    return venv


IMPORT_EVERY_MODULE = """
import importlib, importlib.util, pkgutil, sys
import app
failed = []
for module in pkgutil.walk_packages(app.__path__, "app."):
    try:
        importlib.import_module(module.name)
    except Exception as exc:
        failed.append(f"{module.name}: {exc!r}")
import wsgi
for tool in ("pytest", "moto", "dotenv"):
    assert importlib.util.find_spec(tool) is None, f"{tool} is in the runtime virtualenv"
print("\\n".join(failed) or "ok")
sys.exit(1 if failed else 0)
"""


# --- The services ------------------------------------------------------------------------------------------


def _postgres_bin() -> Path:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not candidates or not shutil.which("runuser"):
        _missing("PostgreSQL's server binaries (/usr/lib/postgresql/*/bin) or runuser are not installed")
    return candidates[-1].parent


@dataclass
class Cluster:
    """A private PostgreSQL cluster, run as the postgres OS user, that the test may stop and start."""

    bin: Path
    data: Path
    port: int

    def pg_ctl(self, *args: str) -> None:
        _run([*AS_POSTGRES, str(self.bin / "pg_ctl"), "-D", str(self.data), *args], timeout=60)

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data.parent} -c fsync=off"
        self.pg_ctl("-w", "-t", "30", "-l", str(self.data.parent / "postgres.log"), "-o", options, "start")

    def stop(self) -> None:
        self.pg_ctl("-w", "-t", "30", "-m", "fast", "stop")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres?connect_timeout=3"


@pytest.fixture
def cluster(workdir: Path) -> Iterator[Cluster]:
    if os.geteuid() != 0:
        _missing("the private PostgreSQL cluster is started as the postgres user, which needs root")
    cluster = Cluster(_postgres_bin(), workdir / "pg" / "data", free_port())
    cluster.data.parent.mkdir()
    shutil.chown(cluster.data.parent, "postgres", "postgres")
    _run([*AS_POSTGRES, str(cluster.bin / "initdb"), "-D", str(cluster.data), "-A", "trust", "-U", "postgres"])
    cluster.start()
    try:
        yield cluster
    finally:
        subprocess.run(
            [*AS_POSTGRES, str(cluster.bin / "pg_ctl"), "-D", str(cluster.data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )


@pytest.fixture
def workdir() -> Iterator[Path]:
    # Not pytest's tmp_path: nginx's workers and PostgreSQL run as other users and must reach their folders.
    path = Path(tempfile.mkdtemp(prefix="appl-tracky-smoke-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _redis_url() -> str:
    url = os.environ.get("SMOKE_REDIS_URL", "redis://127.0.0.1:6379/13")
    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except redis.RedisError:
        _missing(f"Redis is not reachable at {url}")
    return url


# --- The test ------------------------------------------------------------------------------------------------


class Api:
    """requests against nginx, with the JWT once logged in."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.headers: dict[str, str] = {}

    def login(self, email: str, password: str = PASSWORD) -> None:
        response = self.post("/api/api-token-auth/", json={"username": email, "password": password})
        assert response.status_code == 200, response.text
        self.headers = {"Authorization": f"JWT {response.json()['access']}"}

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.url + path, headers=self.headers, timeout=60, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return requests.post(self.url + path, headers=self.headers, timeout=120, **kwargs)


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found.update(int(child) for child in task.read_text().split())
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text()


def _wait_until(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"{what} within {seconds} s"
        time.sleep(0.25)


def test_the_runtime_lock_alone_runs_the_product(workdir: Path, cluster: Cluster) -> None:
    nginx = nginx_binary("REQUIRE_PRODUCTION_SMOKE")
    redis_url = _redis_url()
    venv = runtime_venv()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("FLASK_", "APP_", "PYTHON"))}
    env.update(
        PATH=f"{venv / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}",
        FLASK_APP="wsgi",
        APP_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(48),
        DATABASE_URL=cluster.url,
        RATELIMIT_STORAGE_URI=redis_url,
        RATELIMIT_KEY_PREFIX=f"smoke-{secrets.token_hex(4)}",
        IMAGE_STORAGE_PATH=str(workdir / "images"),
        SUPERUSER_EMAIL="admin@example.com",
        SUPERUSER_PASSWORD=PASSWORD,
    )

    def venv_run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return _run(list(args), timeout=timeout, cwd=ROOT, env=env)

    # Every module of the app imports with the runtime lock alone (a missing runtime dependency fails here).
    assert venv_run(str(venv / "bin" / "python"), "-c", IMPORT_EVERY_MODULE).stdout.strip() == "ok"

    # Migrate as the image's migration step does, then the operator creates a user.
    # (docker/migrate.sh: flask db upgrade, flask seed-labels, flask initialize-superuser.)
    venv_run("sh", str(ROOT / "docker" / "migrate.sh"))
    venv_run("flask", "users", "create", "smoke@example.com", "--password", PASSWORD)

    app_port, nginx_port = free_port(), free_port()
    gunicorn_log, nginx_log = workdir / "gunicorn.log", workdir / "nginx.log"
    env.update(GUNICORN_BIND=f"127.0.0.1:{app_port}", GUNICORN_WORKERS="2", GUNICORN_GRACEFUL_TIMEOUT="10")
    with gunicorn_log.open("w") as output:
        gunicorn = subprocess.Popen(
            [str(venv / "bin" / "gunicorn"), "--config", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    nginx_process = None
    try:
        wait_for_http(f"http://127.0.0.1:{app_port}/health-check", gunicorn, gunicorn_log)
        config = render_nginx_conf(workdir, f"127.0.0.1:{app_port}", nginx_port)
        with nginx_log.open("w") as output:
            nginx_process = subprocess.Popen(
                [nginx, "-c", str(config), "-e", str(workdir / "error.log"), "-g", "daemon off;"],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{nginx_port}"
        wait_for_http(f"{url}/health-check", nginx_process, nginx_log)
        api = Api(url)

        health = api.get("/health-check")
        assert health.status_code == 200, health.text
        assert health.json()["status"] == "ok" and health.json()["database"] == "ok"

        api.login("smoke@example.com")
        body = company_body("Nested", hq_location=address_body(city="Springfield", country="US", zipcode="12345"))
        created = api.post("/api/companies/", json=body)
        assert created.status_code == 201, created.text
        company = api.get(f"/api/companies/{created.json()['uuid']}/").json()
        assert company["hq_location"]["zipcode"] == "12345"
        assert company["home_page"]["url"] == "acme.example"
        assert company["api_url"] == f"{url}/api/companies/{company['uuid']}/"

        spreadsheet = csv_of_size(SIX_MB + 900 * 1024)  # 6.9 MB: nginx's old cap answered 413
        batch = api.post("/api/imports/", files={"file": ("applications.csv", spreadsheet, "text/csv")})
        assert batch.status_code == 201, batch.text[:500]
        committed = api.post(f"/api/imports/{batch.json()['uuid']}/commit/")
        assert committed.status_code == 200, committed.text[:500]

        account_file = api.get("/api/exports/account.json")
        assert account_file.status_code == 200
        assert len(account_file.content) > SIX_MB  # the imported notes make it large
        restorer = Api(url)
        restorer.login("admin@example.com")  # the administrator migrate.sh created: an empty account
        restored = restorer.post(
            "/api/imports/account/", files={"file": ("account.json", account_file.content, "application/json")}
        )
        assert restored.status_code == 201, restored.text[:500]
        assert sum(restored.json()["restored"].values()) > 2, restored.json()["restored"]
        # (After the restore: an image's key is unique on the server, so a restore here would be a 409.)
        image = _png_of_size(1024 * 1024)
        uploaded = api.post("/api/private-image/", files={"file": ("pasted.png", image, "image/png")})
        assert uploaded.status_code == 200, uploaded.text
        assert requests.get(uploaded.json()["image_url"], timeout=30).content == image
        too_large = api.post("/api/imports/", data=b"x" * (11 * 1024 * 1024))
        assert too_large.status_code == 413 and too_large.json()["detail"] == NGINX_TOO_LARGE

        # PostgreSQL stops: 503 with Retry-After, from the API and the health check, never 500, and never
        # a page a worker kept (app.response_cache), whose version can no longer be checked.
        detail = f"/api/companies/{company['uuid']}/"
        for _ in range(4):  # each worker keeps the pages it answered
            assert api.get("/api/companies/").status_code == 200 and api.get(detail).status_code == 200
        revalidation = {**api.headers, "If-None-Match": api.get("/api/companies/").headers["ETag"]}
        cluster.stop()
        for path, headers in (("/api/companies/", {}), (detail, {}), ("/health-check", {}), (detail, revalidation)):
            down = requests.get(url + path, headers={**api.headers, **headers}, timeout=60)
            assert down.status_code == 503, (path, down.status_code, down.text)
            assert down.json()["detail"] and int(down.headers["Retry-After"]) > 0
        # It comes back: the same gunicorn serves again, without a restart, its 304s too.
        cluster.start()
        _wait_until(lambda: api.get("/api/companies/").status_code == 200, 30, "the API answers 200 again")
        assert api.get("/health-check").status_code == 200
        revalidated = [requests.get(f"{url}/api/companies/", headers=revalidation, timeout=60) for _ in range(6)]
        assert [response.status_code for response in revalidated] == [304] * 6

        # SIGTERM: gunicorn finishes, exits 0, and leaves no worker behind.
        workers = _children(gunicorn.pid)
        assert len(workers) == 2
        gunicorn.send_signal(signal.SIGTERM)
        assert gunicorn.wait(timeout=30) == 0, gunicorn_log.read_text()[-3000:]
        _wait_until(lambda: not any(_alive(pid) for pid in workers), 10, "every worker exits")
        assert "Shutting down" in gunicorn_log.read_text()
    finally:
        if nginx_process is not None:
            stop_process(nginx_process)
        stop_process(gunicorn)
