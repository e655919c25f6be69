"""`make bench` works end to end: it seeds both databases, serves our app and the trivial app under
gunicorn, drives them with wrk in turns and prints its table, every request kind answered as expected.

The figures themselves are the benchmark's business, never a test's: this only runs it, very short.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import sqlalchemy as sa

from tests.conftest import POSTGRES_ADMIN_URL
from tests.infra import ROOT, missing

KINDS = ("list", "list-kept", "list-304", "detail", "detail-kept", "graphql", "graphql-kept", "create")
ROW = re.compile(
    r"^(?P<database>sqlite|postgresql)\s+(?P<kind>\S+)\s+(?P<rate>[\d.]+)\s+[\d.]+\s+[\d.]+\s+(?P<sql>\d+)\s+\d+"
    r"\s+[\d.]+\s+(?P<ratio>[\d.]+)%\s+(?P<errors>\d+/\d+)$"
)


def test_make_bench_prints_its_table_on_both_databases():
    if shutil.which("wrk") is None:
        missing("wrk is not installed (apt-get install wrk)", "REQUIRE_WRK")
    server = sa.engine.make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql", database=None)
    command = [sys.executable, "scripts/bench_rest.py", "--duration", "2", "--rounds", "2", "--warmup", "0"]
    command += ["--companies", "3", "--samples", "3", "--postgres", server.render_as_string(hide_password=False)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = {(m["database"], m["kind"]): m for m in map(ROW.match, result.stdout.splitlines()) if m}
    assert set(rows) == {(database, kind) for database in ("sqlite", "postgresql") for kind in KINDS}, result.stdout
    for row in rows.values():
        assert float(row["rate"]) > 0 and float(row["ratio"]) > 0, row.group(0)
        assert row["errors"] == "0/0", row.group(0)
    for database in ("sqlite", "postgresql"):
        for kind in ("list-304", "list-kept", "detail-kept", "graphql-kept"):  # the token's holder alone
            assert rows[database, kind]["sql"] == "1", rows[database, kind].group(0)
    assert "In process, one client" in result.stdout
