"""Remembered mappings: a file laid out like one the user imported before starts from that import's choices.

"Laid out like" is the same header row (the same column names in the same order, compared ignoring case
and spacing). The newest committed import of the user with that header row gives its final column
mapping, status vocabulary and, when the user chose one, the date order.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.imports.options import stored_options_errors
from app.models import User
from app.models.import_batch import ImportBatch
from app.permissions import owner_clause

CANDIDATES = 50  # the newest committed imports looked at


def _layout(headers: list[str]) -> list[str]:
    return [" ".join(header.casefold().split()) for header in headers]


def earlier_import(user: User, headers: list[str]) -> ImportBatch | None:
    """The user's newest committed import whose header row was `headers`, if any."""
    wanted = _layout(headers)
    query = (
        select(ImportBatch)
        .where(owner_clause(ImportBatch, user), ImportBatch.state == "committed")
        .order_by(ImportBatch.committed_at.desc(), ImportBatch.id)
        .limit(CANDIDATES)
    )
    for batch in db.session.scalars(query):
        options = batch.options
        if stored_options_errors(options):
            continue  # unusable (a forged restore): not a mapping to start from
        if _layout([column["header"] for column in options["columns"]]) == wanted:
            return batch
    return None


def remembered_options(batch: ImportBatch) -> dict[str, Any]:
    """The options a new upload starts from: `batch`'s final choices."""
    options = batch.options
    kept: dict[str, Any] = {
        "sheet": options["sheet"],
        "columns": options["columns"],
        "status_mapping": dict(options["status_mapping"]),
        "remembered_from": str(batch.id),
    }
    if options.get("date_order_chosen"):
        kept["date_order"], kept["date_order_chosen"] = options["date_order"], True
    return kept


def remembered_note(batch: ImportBatch) -> dict[str, Any]:
    """What the preview says of it."""
    return {
        "import": str(batch.id),
        "filename": batch.filename,
        "committed_at": batch.committed_at.isoformat() if batch.committed_at else None,
        "message": f"This file has the columns of {batch.filename or 'an earlier import'}: it starts from that "
        "import's mapping, status words and date order.",
    }
