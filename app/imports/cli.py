"""`flask import-spreadsheet FILE --user EMAIL [--dry-run] [--mapping JSON]`."""

from __future__ import annotations

import json
import os
from typing import Any

import click
from flask.cli import with_appcontext
from marshmallow import ValidationError
from sqlalchemy import select

from app.errors import APIError
from app.extensions import db
from app.imports import service
from app.models import User, normalize_email
from app.models.import_batch import ImportBatch


def _options(mapping: str | None, sheet: str | None, date_order: str | None) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if mapping:
        text = mapping
        if not mapping.lstrip().startswith("{") and os.path.isfile(mapping):
            with open(mapping, encoding="utf-8") as handle:
                text = handle.read()
        try:
            parsed = json.loads(text)
        except ValueError as exc:
            raise click.BadParameter(f"not valid JSON: {exc}", param_hint="--mapping") from exc
        if not isinstance(parsed, dict):
            raise click.BadParameter("expected a JSON object", param_hint="--mapping")
        # Either {"Header": "field", ...} or the PATCH body {"mapping": {...}, "status_mapping": {...}, ...}.
        known = {"mapping", "status_mapping", "date_order", "sheet", "header_row"}
        options = parsed if parsed and set(parsed) <= known else {"mapping": parsed}
    if sheet:
        options["sheet"] = sheet
    if date_order:
        options["date_order"] = date_order
    return options


def _summary(batch: ImportBatch) -> str:
    counts = batch.counts
    lines = [
        f"{batch.filename}: {counts.get('rows', 0)} rows — {counts.get('create', 0)} to create, "
        f"{counts.get('update', 0)} to update, {counts.get('unchanged', 0)} unchanged, "
        f"{counts.get('skip', 0)} skipped, {counts.get('problems', 0)} problems."
    ]
    for column in batch.options.get("columns", []):
        stage = f" ({column['stage']})" if column.get("stage") else ""
        lines.append(
            f"  {column['letter']:>3} {column['header']!r} -> {column['field']}{stage} [{column['confidence']:.0%}]"
        )
    for problem in batch.preview.get("problems", [])[:20]:
        where = f", {problem['column']}" if problem.get("column") else ""
        lines.append(f"  row {problem['row']}{where}: {problem['message']}")
    return "\n".join(lines)


@click.command("import-spreadsheet")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
@click.option("--user", "email", required=True, help="E-mail of the user the applications are imported for.")
@click.option("--dry-run", is_flag=True, help="Show what would be imported; write nothing.")
@click.option(
    "--mapping",
    help='JSON (or a JSON file): {"Header": "field", ...}, or a whole options object '
    "with mapping, status_mapping, date_order, sheet, header_row.",
)
@click.option("--sheet", help="The XLSX sheet to read (default: the first).")
@click.option("--date-order", type=click.Choice(["dmy", "mdy"]), help="How to read dates like 03/04/2024.")
@with_appcontext
def import_spreadsheet_command(
    path: str, email: str, dry_run: bool, mapping: str | None, sheet: str | None, date_order: str | None
) -> None:
    """Import a CSV or XLSX spreadsheet of applications for a user."""
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        raise click.ClickException(f"No user with the e-mail {normalize_email(email)}.")
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        batch = service.create_batch(user, os.path.basename(path), data, _options(mapping, sheet, date_order))
        click.echo(_summary(batch))
        if dry_run:
            db.session.rollback()
            click.echo("Dry run: nothing was written.")
            return
        service.commit_batch(batch, user)
        db.session.commit()
    except ValidationError as exc:
        db.session.rollback()
        raise click.ClickException(f"Invalid options: {json.dumps(exc.messages)}") from exc
    except APIError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc.detail)) from exc
    counts = batch.counts
    click.echo(
        f"Imported as {batch.id}: {counts['create']} created, {counts['update']} updated, "
        f"{counts['unchanged']} unchanged, {counts['skip']} skipped."
    )
