"""The import wizard under /account/imports/: upload, map, review every row, commit, see the result, undo.

Every step calls the service functions the API's /api/imports/ calls (app.imports.service), in one
transaction per request; a page only turns forms into the service's arguments and its errors into
messages beside the controls they concern. Nothing reaches the user's applications before the commit.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, render_template, request, stream_with_context, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import RequestEntityTooLarge

from app.api import paginate, paginate_items
from app.errors import APIError
from app.extensions import db
from app.imports import service
from app.imports.preview import ROW_FILTERS
from app.limits import megabytes
from app.models import User
from app.models.import_batch import ImportBatch, ImportRecord
from app.pages import mapping_form
from app.pages.blueprint import ERROR_TEXT, SelfCommittingResponse, error_page
from app.pages.forms import FORM
from app.permissions import acting_as, visible

ACCEPT = ",".join(
    (
        ".csv",
        ".tsv",
        ".txt",
        ".xlsx",
        "text/csv",
        "text/tab-separated-values",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
)
# From this many rows, the commit's page streams its progress (smaller files take well under a second).
STREAMED_FROM_ROWS = 1000
PROGRESS_MARKER = "<!-- the rows written so far -->"  # where committing.html takes the streamed lines
log = logging.getLogger(__name__)
FILTER_LABELS = {
    "": "Every row",
    "problems": "With problems",
    "create": "New",
    "update": "Updated",
    "unchanged": "Unchanged",
    "skip": "Skipped",
}


def _user() -> User:
    return current_user._get_current_object()


def _page_of(fetch: Any) -> tuple[list[Any], dict[str, Any]] | None:
    """`fetch()` (a paginate call), or None for a page number beyond the last (the caller shows page 1)."""
    try:
        return fetch()
    except APIError as error:
        if error.status == 404:
            return None
        raise


def import_wizard() -> ResponseReturnValue:
    """Step 1, and the list of past imports: upload a file; undo or discard an earlier import."""
    return _start_page()


def _start_page(file_errors: list[str] | None = None, status: int = 200) -> ResponseReturnValue:
    page = _page_of(lambda: paginate(service.batches(_user())))
    if page is None:
        return redirect(url_for("pages.import_wizard"))
    past, envelope = page
    return (
        render_template(
            "pages/imports/index.html",
            past=past,
            envelope=envelope,
            file_errors=file_errors or [],
            accept=ACCEPT,
            max_size=megabytes(service.limits()["bytes"]),
        ),
        status,
    )


def upload() -> ResponseReturnValue:
    """Read the uploaded file into a new import in preview (nothing else is written) and show its mapping."""
    upload = request.files.get("file")  # the body may be as large as the import limit: declared in app.pages
    if upload is None or not upload.filename:
        return _start_page(["Choose a CSV or XLSX file to upload."], 400)
    try:
        data = upload.read()
    finally:  # a large file is spooled to a temporary file: closed now, not by the garbage collector
        upload.close()
    try:
        batch = service.create_batch(_user(), upload.filename, data)
    except APIError as error:
        db.session.rollback()
        return _start_page([str(error.detail)], error.status)
    db.session.flush()  # the batch's id, for its page (serve_page commits)
    return redirect(url_for("pages.import_mapping", batch_id=batch.id), 303)


def _batch(batch_id: uuid.UUID, *, content: bool = False) -> ImportBatch:
    return service.visible_batch(_user(), batch_id, content=content)


def mapping(batch_id: uuid.UUID) -> ResponseReturnValue:
    """Step 2: the sheet and header row, each column's field, the status words' stages, the date order."""
    batch = _batch(batch_id)
    if batch.state != "preview":
        return redirect(url_for("pages.import_result", batch_id=batch.id))
    return _mapping_page(batch)


def _mapping_page(
    batch: ImportBatch,
    errors: dict[str, list[str]] | None = None,
    submitted: dict[str, str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    return (
        render_template(
            "pages/imports/mapping.html",
            batch=batch,
            preview=batch.preview,
            options=batch.options,
            errors=errors or {},
            submitted=submitted or {},
            choices=mapping_form,
        ),
        status,
    )


def change(batch_id: uuid.UUID) -> ResponseReturnValue:
    """Apply the mapping form: only what changed goes to the service, which redoes the preview."""
    batch = _batch(batch_id, content=True)
    if batch.state != "preview":
        return redirect(url_for("pages.import_result", batch_id=batch.id), 303)
    form = request.form.to_dict()
    statuses = batch.preview.get("statuses", [])
    changes = mapping_form.changes_from_form(form, batch.options, statuses)
    if changes:
        try:
            service.change_options(batch, _user(), changes)
        except ValidationError as error:
            db.session.rollback()
            errors = mapping_form.field_errors(error.messages, batch.options, statuses)
            return _mapping_page(_batch(batch_id), errors, form, 400)
        except APIError as error:
            db.session.rollback()
            key = next(iter(changes)) if set(changes) <= {"sheet", "header_row"} else FORM
            return _mapping_page(_batch(batch_id), {key: [str(error.detail)]}, form, error.status)
    return redirect(url_for("pages.import_mapping", batch_id=batch.id), 303)


def rows(batch_id: uuid.UUID) -> ResponseReturnValue:
    """Step 3: every row as the import would write it, a page at a time, filtered."""
    batch = _batch(batch_id, content=True)
    if batch.state != "preview":
        return redirect(url_for("pages.import_result", batch_id=batch.id))
    show = request.args.get("show") or ""
    if show and show not in ROW_FILTERS:
        return redirect(url_for("pages.import_rows", batch_id=batch.id))
    user = _user()
    page = _page_of(
        lambda: paginate_items(lambda offset, size: service.batch_rows(batch, user, show or None, offset, size))
    )
    if page is None:
        return redirect(url_for("pages.import_rows", batch_id=batch.id, show=show or None))
    results, envelope = page
    return render_template(
        "pages/imports/rows.html",
        batch=batch,
        preview=batch.preview,
        results=results,
        envelope=envelope,
        show=show,
        filters=FILTER_LABELS,
        headers=[column["header"] for column in batch.options.get("columns", [])],
    )


def commit(batch_id: uuid.UUID) -> ResponseReturnValue:
    """Step 4: write the import, in one transaction, then show what it did; a large file's page streams
    the rows written so far while it works (every row or none: the transaction ends after the last)."""
    batch = _batch(batch_id, content=True)
    user = _user()
    steps = service.commit_steps(batch, user)
    total = batch.counts.get("rows", 0) if isinstance(batch.counts, dict) else 0
    streamed = isinstance(total, int) and total >= STREAMED_FROM_ROWS
    try:
        next(steps)  # the lock and every check: a refusal answers here, before anything is streamed
        if not streamed:
            for _ in steps:
                pass
    except APIError as error:
        db.session.rollback()
        batch = _batch(batch_id)
        if batch.state != "preview":
            flash(str(error.detail), "error")
            return redirect(url_for("pages.import_result", batch_id=batch.id), 303)
        return _mapping_page(batch, {"commit": [str(error.detail)]}, status=error.status)
    if not streamed:
        return redirect(url_for("pages.import_result", batch_id=batch.id), 303)
    # The checks passed. The stream's body runs after this request's transaction has ended, so it commits
    # again in a transaction of its own (checked again under its lock: a concurrent commit is refused).
    steps.close()
    page = render_template("pages/imports/committing.html", filename=batch.filename, total=total)
    before, after = page.split(PROGRESS_MARKER)
    batch_id, user_id = batch.id, user.id  # the body runs after this request's session has closed

    def body() -> Iterator[str]:
        yield before
        for step in _committing(batch_id, user_id, total):
            yield render_template("pages/imports/_commit_step.html", step=step, total=total, batch_id=batch_id)
        yield after

    # nginx passes each line on as it comes (no proxy buffering), so the browser draws the progress.
    return SelfCommittingResponse(
        stream_with_context(body()), mimetype="text/html", headers={"X-Accel-Buffering": "no"}
    )


@dataclass(frozen=True)
class CommitStep:
    rows: int
    done: bool = False
    error: str | None = None


def _committing(batch_id: uuid.UUID, user_id: uuid.UUID, total: int) -> Iterator[CommitStep]:
    """The rows written so far, then the end: the transaction committed, or rolled back with its reason."""
    try:
        user = db.session.get(User, user_id)
        if user is None or not user.is_active:
            raise APIError(403, "This account can no longer import.")
        with acting_as(user):
            batch = service.visible_batch(user, batch_id, content=True)
            for rows in service.commit_steps(batch, user):
                yield CommitStep(rows)
        db.session.commit()
    except APIError as error:
        db.session.rollback()
        yield CommitStep(0, error=f"{error.detail} Nothing was written.")
        return
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("import commit failed while streaming its progress")
        yield CommitStep(0, error="The database could not write the import. Nothing was written: try again.")
        return
    yield CommitStep(total, done=True)


def result(batch_id: uuid.UUID) -> ResponseReturnValue:
    """Step 5: what a committed (or undone) import wrote, row by row, and its undo."""
    batch = _batch(batch_id)
    if batch.state == "preview":
        return redirect(url_for("pages.import_mapping", batch_id=batch.id))
    query = visible(ImportRecord, _user()).where(ImportRecord.batch_id == batch.id).order_by(ImportRecord.row_number)
    page = _page_of(lambda: paginate(query))
    if page is None:
        return redirect(url_for("pages.import_result", batch_id=batch.id))
    records, envelope = page
    return render_template("pages/imports/result.html", batch=batch, records=records, envelope=envelope)


def confirm_delete(batch_id: uuid.UUID) -> ResponseReturnValue:
    """What an undo (or a discard) would remove, and the button that does it."""
    return render_template("pages/imports/delete.html", batch=_batch(batch_id), error=None)


def delete(batch_id: uuid.UUID) -> ResponseReturnValue:
    """Undo a committed import (it stays listed, as undone), or discard one in preview or undone."""
    batch = _batch(batch_id)
    was = batch.state
    try:
        service.delete_batch(batch, _user())
    except APIError as error:
        db.session.rollback()
        page = render_template("pages/imports/delete.html", batch=_batch(batch_id), error=str(error.detail))
        return page, error.status
    if was == "committed":
        flash(f"The import of {batch.filename or 'the file'} was undone: what it added is gone.", "success")
    else:
        flash(f"The import of {batch.filename or 'the file'} was discarded.", "success")
    return redirect(url_for("pages.import_wizard"), 303)


def too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
    """A body over the upload's limit (refused while reading it): the limit beside the file field."""
    if request.endpoint != "pages.import_upload":
        return error_page(413, ERROR_TEXT[413])
    db.session.rollback()
    return _start_page([service.too_large_message()], 413)
