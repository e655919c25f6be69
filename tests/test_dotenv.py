"""The app reads no `.env`: a compose `.env` beside the code never switches `make run` to production."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.infra import ROOT, app_env

PRODUCTION_DOTENV = "APP_ENV=production\nSECRET_KEY=short\n"


def _flask_routes(cwd, **extra: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in app_env("sqlite://").items() if key != "FLASK_SKIP_DOTENV"}
    env.pop("APP_ENV")
    env.update(PYTHONPATH=str(ROOT), FLASK_APP="wsgi", **extra)
    return subprocess.run(
        [sys.executable, "-m", "flask", "routes"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_runtime_lock_has_no_dotenv_loader() -> None:
    lock = (ROOT / "requirements.txt").read_text()
    assert not re.search(r"^python-dotenv==", lock, re.MULTILINE)


def test_the_makefile_keeps_the_dev_venv_from_loading_dotenv() -> None:
    assert re.search(r"^export FLASK_SKIP_DOTENV := 1$", (ROOT / "Makefile").read_text(), re.MULTILINE)


def test_a_production_dotenv_is_ignored_where_the_makefile_runs_flask(tmp_path) -> None:
    (tmp_path / ".env").write_text(PRODUCTION_DOTENV)
    assert _flask_routes(tmp_path, FLASK_SKIP_DOTENV="1").returncode == 0


def test_without_the_setting_flask_would_load_it(tmp_path) -> None:
    """The control: in a venv with python-dotenv, the same `.env` does reach the app (production refuses it)."""
    (tmp_path / ".env").write_text(PRODUCTION_DOTENV)
    result = _flask_routes(tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
