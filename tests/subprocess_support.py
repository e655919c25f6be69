"""Running a test's script in a fresh interpreter: what only a new process shows (a first import, a
limiter bound once, a storage failing from the start)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def run_script(script: str, *args: str) -> Any:
    """Run `script` with `args` in a new Python process with the repository importable; the JSON of the last
    line it prints."""
    result = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])
