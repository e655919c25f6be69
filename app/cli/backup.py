"""`flask backup-db` and `flask restore-db`: a JSON dump of every table, to a file and optionally S3."""

from __future__ import annotations

import gzip
import json
import os
import sys
import tempfile
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import click
from flask import current_app
from flask.cli import with_appcontext

from app.backup import BackupError, dump, restore, snapshot
from app.extensions import db

S3_PREFIX = "backups/"


def _s3_client() -> Any:
    import boto3

    return boto3.client(
        "s3",
        region_name=current_app.config.get("S3_REGION"),
        endpoint_url=current_app.config.get("S3_ENDPOINT_URL"),
    )


def _backup_bucket() -> str:
    bucket = current_app.config.get("BACKUP_S3_BUCKET")
    if not bucket:
        raise click.UsageError("--s3 needs the BACKUP_S3_BUCKET environment variable (the bucket to upload to).")
    return bucket


@contextmanager
def _open(path: str, mode: str) -> IO:
    """Open a backup file; `-` is stdin/stdout and a `.gz` name is gzip-compressed."""
    if path == "-":
        yield sys.stdout if "w" in mode else sys.stdin
    elif path.endswith(".gz"):
        with gzip.open(path, mode + "t", encoding="utf-8") as handle:
            yield handle
    else:
        with open(path, mode, encoding="utf-8") as handle:
            yield handle


@click.command("backup-db")
@click.option(
    "--output",
    "-o",
    metavar="FILE",
    help="Where to write the backup (`-` for stdout; a name ending in .gz is compressed). "
    "Default: backups/appl-tracky-<UTC time>.json, or only S3 with --s3.",
)
@click.option("--s3", "to_s3", is_flag=True, help="Also upload the backup to the bucket in BACKUP_S3_BUCKET.")
@with_appcontext
def backup_db_command(output: str | None, to_s3: bool) -> None:
    """Write every row of every table to a JSON file (and to S3 with --s3)."""
    bucket = _backup_bucket() if to_s3 else None
    if bucket and output == "-":
        raise click.UsageError("--s3 cannot upload a backup written to stdout; give --output FILE.")
    now = datetime.now(UTC)
    name = f"appl-tracky-{now:%Y%m%dT%H%M%SZ}.json.gz"
    with tempfile.TemporaryDirectory() as scratch:
        # With --s3 alone, the file is only a staging copy for the upload.
        path = output or os.path.join(scratch if bucket else "backups", name)
        if path != "-":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        with snapshot(db.engine) as connection:
            data = dump(connection, db.metadata, now)
        with _open(path, "w") as handle:
            json.dump(data, handle, ensure_ascii=False, separators=(",", ":"))
        places = [] if path == "-" or path.startswith(scratch) else [path]
        if bucket:
            key = S3_PREFIX + os.path.basename(path)
            _s3_client().upload_file(path, bucket, key)
            places.append(f"s3://{bucket}/{key}")
    rows = sum(len(table) for table in data["tables"].values())
    where = f" to {' and '.join(places)}" if places else ""
    click.echo(f"Backed up {rows} rows from {len(data['tables'])} tables{where}.", err=path == "-")


def _load(source: str) -> dict:
    if source.startswith("s3://"):
        bucket, _, key = source.removeprefix("s3://").partition("/")
        if not bucket or not key:
            raise click.BadParameter("an S3 location looks like s3://bucket/key", param_hint="FILE")
        with tempfile.TemporaryDirectory() as scratch:
            local = os.path.join(scratch, os.path.basename(key))
            _s3_client().download_file(bucket, key, local)
            return _load(local)
    if source != "-" and not os.path.isfile(source):
        raise click.BadParameter(f"no such file: {source}", param_hint="FILE")
    try:
        with _open(source, "r") as handle:
            return json.load(handle)
    except (json.JSONDecodeError, UnicodeDecodeError, OSError, EOFError) as exc:
        raise click.ClickException(f"{source} is not a readable JSON backup: {exc}") from exc


@click.command("restore-db")
@click.argument("source", metavar="FILE")
@click.option("--force", is_flag=True, help="Delete every row already in the database before loading.")
@with_appcontext
def restore_db_command(source: str, force: bool) -> None:
    """Load a backup (a file, `-` for stdin, or s3://bucket/key) into an empty database."""
    data = _load(source)
    try:
        with db.engine.begin() as connection:
            loaded = restore(connection, db.metadata, data, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Restored {sum(loaded.values())} rows into {len(loaded)} tables from {source}.")
