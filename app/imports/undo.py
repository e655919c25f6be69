"""Undoing a committed batch: updated applications are put back, created rows are removed.

Applications the batch created go with every row they own (statuses, locations, links, addresses:
`models.ownership.owned_child_ids`) and their label pairings; companies and labels it created go
too, unless something else uses them by now. A batch whose applications a later committed
batch has updated cannot be undone before that later one (that would undo the later one halfway).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from marshmallow import ValidationError, fields
from sqlalchemy import delete, exists, select

from app.extensions import db
from app.imports.errors import ImportFileError
from app.imports.options import flat_messages
from app.imports.snapshot import SNAPSHOT_LOADS, load_snapshot, restore
from app.models import (
    Application,
    Company,
    Label,
    User,
    application_labels,
    company_labels,
)
from app.models.base import utcnow
from app.models.import_batch import ImportBatch, ImportRecord
from app.models.ownership import owned_child_ids
from app.permissions import owner_clause

CHUNK = 500


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _later_update(batch: ImportBatch, user: User) -> ImportBatch | None:
    ours = select(ImportRecord.application_id).where(
        ImportRecord.batch_id == batch.id, ImportRecord.application_id.is_not(None)
    )
    query = (
        select(ImportBatch)
        .join(ImportRecord, ImportRecord.batch_id == ImportBatch.id)
        .where(owner_clause(ImportBatch, user), ImportBatch.state == "committed", ImportBatch.id != batch.id)
        .where(ImportBatch.committed_at > batch.committed_at, ImportRecord.action == "update")
        .where(ImportRecord.application_id.in_(ours))
        .limit(1)
    )
    return db.session.scalars(query).first()


def undo_batch(batch: ImportBatch, user: User) -> None:
    """Undo `batch` (committed) in the caller's transaction; a 409 if a later import builds on it."""
    later = _later_update(batch, user)
    if later is not None:
        raise ImportFileError(
            409, f"A later import ({later.filename or later.id}) updated rows of this one: undo that one first."
        )
    records = db.session.execute(
        select(
            ImportRecord.action,
            ImportRecord.application_id,
            ImportRecord.company_id,
            ImportRecord.created_company,
            ImportRecord.previous,
            ImportRecord.row_number,
        )
        .where(ImportRecord.batch_id == batch.id)
        .order_by(ImportRecord.row_number.desc())
    ).all()
    # Everything stored is read (and refused when unusable) before anything is written.
    updated = [
        (r.application_id, _snapshot(r.row_number, r.previous))
        for r in records
        if r.action == "update" and r.application_id and r.previous
    ]
    labels = _created_labels(batch.created_labels)
    _restore_updated(updated, user)
    _delete_applications([r.application_id for r in records if r.action == "create" and r.application_id], user)
    _delete_unused_companies([r.company_id for r in records if r.created_company and r.company_id], user)
    _delete_unused_labels(labels, user)
    batch.state = "undone"
    batch.undone_at = utcnow()


def _cannot_undo(what: str, messages: Any) -> ImportFileError:
    return ImportFileError(
        409, f"This import cannot be undone: {what} is malformed ({'; '.join(flat_messages(messages)[:5])})."
    )


def _snapshot(row_number: int, previous: Any) -> dict[str, Any]:
    """A record's snapshot, loaded; a 409 when it cannot be put back (an account restore brought it)."""
    try:
        return load_snapshot(previous)
    except ValidationError as exc:
        raise _cannot_undo(f"the saved state of row {row_number}", exc.messages) from exc


def _created_labels(value: Any) -> list[uuid.UUID]:
    try:
        return fields.List(fields.UUID()).deserialize(value if value is not None else [])
    except ValidationError as exc:
        raise _cannot_undo("its list of created labels", exc.messages) from exc


def _restore_updated(updated: list[tuple[uuid.UUID, dict[str, Any]]], user: User) -> None:
    for chunk in _chunks(updated):
        applications = {
            a.id: a
            for a in db.session.scalars(
                select(Application)
                .where(owner_clause(Application, user), Application.id.in_([i for i, _ in chunk]))
                .options(*SNAPSHOT_LOADS)
            )
        }
        for application_id, previous in chunk:
            if application_id in applications:
                restore(applications[application_id], previous, user)
        db.session.flush()


def _ids(query: Any) -> list[uuid.UUID]:
    return [value for value in db.session.scalars(query) if value is not None]


def _delete_owned(model: type, ids: Iterable[uuid.UUID], user: User) -> None:
    ids = list(ids)
    for chunk in _chunks(ids):
        db.session.execute(
            delete(model)
            .where(owner_clause(model, user), model.id.in_(chunk))
            .execution_options(synchronize_session=False)
        )


def _delete_with_owned(model: type, ids: list[uuid.UUID], user: User) -> None:
    """Delete these rows and every row they own (found from the mappers: links, addresses, statuses, ...)."""
    owned = owned_child_ids(db.session, model, ids)  # read first: owned one-to-ones hang off the parents' keys
    _delete_owned(model, ids, user)
    for child, child_ids in owned.items():
        _delete_owned(child, child_ids, user)  # rows the database cascaded already are simply not there


def _delete_applications(ids: list[uuid.UUID], user: User) -> None:
    for chunk in _chunks(ids):
        _delete_with_owned(Application, chunk, user)


def _delete_unused_companies(ids: list[uuid.UUID], user: User) -> None:
    for chunk in _chunks(list(dict.fromkeys(ids))):
        unused = _ids(
            select(Company.id)
            .where(owner_clause(Company, user), Company.id.in_(chunk))
            .where(~exists().where(Application.user_company_id == Company.id))
        )
        if unused:
            _delete_with_owned(Company, unused, user)


def _delete_unused_labels(ids: list[uuid.UUID], user: User) -> None:
    for chunk in _chunks(ids):
        unused = _ids(
            select(Label.id)
            .where(Label.user_id == user.id, Label.id.in_(chunk))
            .where(~exists().where(application_labels.c.label_id == Label.id))
            .where(~exists().where(company_labels.c.label_id == Label.id))
        )
        _delete_owned(Label, unused, user)
