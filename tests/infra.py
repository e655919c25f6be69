"""Helpers for the deployment tests: a fresh database migrated by the real `flask db` CLI, free ports.

The migrations run in a subprocess, exactly as an operator runs them, which also keeps Alembic's
logging configuration out of the test process.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest
import requests
from conftest import _postgres_database

ROOT = Path(__file__).resolve().parent.parent


def missing(reason: str, switch: str) -> NoReturn:
    """A test's tool or service is missing: a skip, or a failure when `switch` (REQUIRE_...) is 1, as in CI."""
    if os.environ.get(switch) == "1":
        pytest.fail(f"{switch}=1 but {reason}")
    pytest.skip(f"{reason}; CI sets {switch}=1")


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    """Environment for a `flask`/`gunicorn` subprocess on `database_url`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("FLASK_", "APP_"))}
    env.update({"FLASK_APP": "wsgi", "APP_ENV": "development", "DATABASE_URL": database_url}, **extra)
    return env


def flask(database_url: str, *args: str, **extra_env: str) -> subprocess.CompletedProcess:
    """Run `flask <args>` against `database_url`; fail the test with its output if it fails."""
    result = subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=ROOT,
        env=app_env(database_url, **extra_env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no tables at all), on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    generator = _postgres_database()
    url = next(generator)
    yield url
    next(generator, None)


def wait_for_http(url: str, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    """Wait until `url` answers at all; fail with the server's log if it exits or never answers."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{process.args[0]} exited with {process.returncode}:\n{log.read_text()}")
        try:
            requests.get(url, timeout=5)  # the first request may wait for the worker to import the app
            return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.1)
    pytest.fail(f"nothing answered at {url} within {seconds} s:\n{log.read_text()}")


def stop_process(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL after 10 s: a server started by a test never outlives it."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_gunicorn(database_url: str, port: int, log: Path, workdir: Path, **extra_env: str) -> subprocess.Popen:
    """The app under gunicorn with the production settings, on 127.0.0.1:`port`, logging to `log`."""
    settings = {
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "IMAGE_STORAGE_PATH": str(workdir / "images"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "4",
    }
    env = app_env(database_url, **{**settings, **extra_env})  # the caller's settings win
    with log.open("w") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def checkov_binary() -> str:
    """checkov from its own virtualenv (`make checkov-venv`); a skip without it, a failure if REQUIRE_CHECKOV=1."""
    candidates = [os.environ.get("CHECKOV"), str(ROOT / ".venv-checkov" / "bin" / "checkov"), shutil.which("checkov")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    missing("checkov is not installed: run `make checkov-venv`", "REQUIRE_CHECKOV")


def run_checkov(directory: Path, framework: str, min_passed: int = 20) -> list[dict]:
    """Run checkov on `directory`; fail on any failed check or on a skip without a written reason.

    Returns checkov's results for `framework` (passed, failed and skipped checks).
    """
    result = subprocess.run(
        [checkov_binary(), "-d", str(directory), "--framework", framework, "--skip-download", "--output", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode in (0, 1), result.stderr[-2000:]
    report = json.loads(result.stdout)
    reports = [r for r in (report if isinstance(report, list) else [report]) if r.get("check_type") == framework]
    results = [r["results"] for r in reports]
    assert results, f"checkov scanned nothing: {result.stdout[:500]}"
    failed = [f"{c['check_id']} {c['resource']} ({c['file_path']})" for r in results for c in r["failed_checks"]]
    assert not failed, "\n".join(failed)
    assert sum(r["summary"]["passed"] for r in reports) > min_passed
    for r in results:
        for check in r["skipped_checks"]:
            assert check.get("check_result", {}).get("suppress_comment"), check["check_id"]
    return results


def nginx_binary(switch: str = "REQUIRE_NGINX") -> str:
    """Debian's nginx, or a skip (a failure when `switch` is 1, as in CI) when it is not installed."""
    found = shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(path, os.X_OK)), None
    )
    if not found:
        missing("nginx is not installed (apt-get install nginx)", switch)
    return found


def render_nginx_conf(workdir: Path, upstream: str, port: int) -> Path:
    """nginx.conf as the image renders it, moved to `port` and to `workdir` instead of /tmp."""
    rendered = workdir / "rendered.conf"
    subprocess.run(
        ["sh", str(ROOT / "docker" / "nginx-start.sh"), "--render"],
        env={
            **os.environ,
            "APP_UPSTREAM": upstream,
            "NGINX_CONF_TEMPLATE": str(ROOT / "nginx.conf"),
            "NGINX_CONF_RENDERED": str(rendered),
        },
        check=True,
    )
    text = rendered.read_text()
    assert f"server {upstream};" in text
    text, listens = re.subn(r"listen 8080 default_server;", f"listen 127.0.0.1:{port} default_server;", text)
    assert listens == 1
    text = text.replace("/tmp/", f"{workdir}/")
    config = workdir / "nginx.conf"
    config.write_text(text)
    return config


def start_nginx(nginx: str, config: Path, workdir: Path, log: Path) -> subprocess.Popen:
    """nginx in the foreground with `config`, its access log (stdout) and errors going to `log`.

    `workdir` must be reachable by nginx's workers, which may run as `nobody` (not pytest's tmp_path).
    """
    with log.open("w") as output:
        return subprocess.Popen(
            [nginx, "-c", str(config), "-e", str(workdir / "error.log"), "-g", "daemon off;"],
            stdout=output,
            stderr=subprocess.STDOUT,
        )


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def sync_playwright() -> Any:
    """Playwright's sync entry point, or a skip (a failure under REQUIRE_BROWSER=1) naming what is missing.

    The browser is Debian's Chromium (`apt-get install chromium`), never one Playwright downloads.
    """
    problem = None
    try:
        from playwright.sync_api import sync_playwright as entry_point
    except ImportError:
        problem = "Playwright is not installed (pip install playwright)"
    if problem is None and not os.access(CHROMIUM, os.X_OK):
        problem = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    if problem is None:
        return entry_point
    missing(problem, "REQUIRE_BROWSER")


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright."""
    with sync_playwright()() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Stack:
    """gunicorn (gunicorn.conf.py, production settings) behind nginx (nginx.conf), both on loopback."""

    url: str  # nginx's
    port: int
    app_url: str  # gunicorn's, reached directly
    nginx_log: Path
    gunicorn_log: Path
    nginx_config: Path
    nginx: str


@contextmanager
def nginx_stack(users: dict[str, str], database_url: str | None = None, **app_settings: str) -> Iterator[Stack]:
    """A migrated database (a new SQLite file unless `database_url` names an empty one) with `users`
    (e-mail: password), gunicorn (with any `app_settings` as environment variables), and the real nginx
    in front."""
    nginx = nginx_binary()
    # Not pytest's tmp_path: nginx's workers may run as `nobody` and must reach their temp folders.
    workdir = Path(tempfile.mkdtemp(prefix="appl-tracky-nginx-"))
    workdir.chmod(0o755)
    database_url = database_url or f"sqlite:///{workdir / 'e2e.db'}"
    flask(database_url, "db", "upgrade")
    for email, password in users.items():
        flask(database_url, "users", "create", email, "--password", password)

    app_port, nginx_port = free_port(), free_port()
    gunicorn_log = workdir / "gunicorn.log"
    gunicorn = start_gunicorn(database_url, app_port, gunicorn_log, workdir, **app_settings)
    nginx_log = workdir / "nginx.log"
    nginx_process = None
    try:
        wait_for_http(f"http://127.0.0.1:{app_port}/health-check", gunicorn, gunicorn_log)
        config = render_nginx_conf(workdir, f"127.0.0.1:{app_port}", nginx_port)
        nginx_process = start_nginx(nginx, config, workdir, nginx_log)
        wait_for_http(f"http://127.0.0.1:{nginx_port}/health-check", nginx_process, nginx_log)
        yield Stack(
            f"http://127.0.0.1:{nginx_port}",
            nginx_port,
            f"http://127.0.0.1:{app_port}",
            nginx_log,
            gunicorn_log,
            config,
            nginx,
        )
    finally:
        if nginx_process is not None:
            stop_process(nginx_process)
        stop_process(gunicorn)
        shutil.rmtree(workdir, ignore_errors=True)
