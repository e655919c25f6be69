"""Helpers for the deployment tests: a fresh database migrated by the real `flask db` CLI, free ports.

The migrations run in a subprocess, exactly as an operator runs them, which also keeps Alembic's
logging configuration out of the test process.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from conftest import _postgres_database

ROOT = Path(__file__).resolve().parent.parent


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
    if os.environ.get("REQUIRE_CHECKOV") == "1":
        pytest.fail("REQUIRE_CHECKOV=1 but checkov is not installed: run `make checkov-venv`")
    pytest.skip("checkov is not installed: run `make checkov-venv`")


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
