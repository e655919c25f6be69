"""The import workflow: upload (preview), change options, commit, undo or discard.

Views and the CLI call these; none of them commits (the caller owns the one transaction), and each
raises `ImportFileError` (400/409/413) with the reason when the file or the request cannot be used.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from flask import current_app
from sqlalchemy import Select
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import undefer

from app.extensions import db
from app.imports.date_evidence import decide_dates
from app.imports.errors import ImportFileError
from app.imports.existing import ExistingIndex
from app.imports.options import ImportOptionsSchema, apply_mapping, columns_from_options, stored_options
from app.imports.planning import likeliest_sheet, plan_rows, survey
from app.imports.preview import ROW_FILTERS, build_preview, preview_rows
from app.imports.reading import Source, XlsxLimits, open_source
from app.imports.remembered import earlier_import, remembered_note, remembered_options
from app.imports.undo import undo_batch
from app.imports.writer import BulkWriter
from app.locking import lock_rows
from app.models import User
from app.models.base import utcnow
from app.models.import_batch import ImportBatch
from app.permissions import get_visible_or_404, visible


def batches(user: User) -> Select:
    """The user's imports, newest first (a query, for a page of them)."""
    return visible(ImportBatch, user).order_by(ImportBatch.created_at.desc(), ImportBatch.id)


def visible_batch(user: User, batch_id: uuid.UUID, *, content: bool = False) -> ImportBatch:
    """The user's batch with that id (a 404 for a missing or foreign one); `content` loads the file too."""
    options = (undefer(ImportBatch.content),) if content else ()
    return get_visible_or_404(ImportBatch, batch_id, user, options=options)


def limits() -> dict[str, int]:
    """The configured limits (see app/config.py)."""
    config = current_app.config
    return {
        "bytes": config["IMPORT_MAX_BYTES"],
        "rows": config["IMPORT_MAX_ROWS"],
        "columns": config["IMPORT_MAX_COLUMNS"],
        "preview_rows": config["IMPORT_PREVIEW_ROWS"],
        "problems": config["IMPORT_MAX_PROBLEMS"],
    }


def xlsx_limits() -> XlsxLimits:
    """The configured bounds of reading one workbook (see app/config.py)."""
    config = current_app.config
    return XlsxLimits(
        shared_strings=config["IMPORT_XLSX_MAX_SHARED_STRINGS"],
        cells=config["IMPORT_XLSX_MAX_CELLS"],
        styles=config["IMPORT_XLSX_MAX_STYLES"],
        seconds=config["IMPORT_XLSX_MAX_SECONDS"],
    )


def _source(data: bytes, sheet: str | None) -> Source:
    bounds = limits()
    return open_source(data, sheet, max_columns=bounds["columns"], max_rows=bounds["rows"], xlsx_limits=xlsx_limits())


def create_batch(user: User, filename: str, data: bytes, changes: dict[str, Any] | None = None) -> ImportBatch:
    """A new batch in preview state for the uploaded file (added to the session, not committed)."""
    if len(data) > limits()["bytes"]:
        raise ImportFileError(413, too_large_message())
    changes = ImportOptionsSchema().load(changes) if changes else {}
    source = _source(data, changes.get("sheet"))
    if not changes.get("sheet"):
        source.sheet = likeliest_sheet(source)
    batch = ImportBatch(
        user_id=user.id,
        state="preview",
        filename=_storable_name(filename),
        file_format=source.file_format,
        file_size=len(data),
        content=data,
        options={},
        preview={},
        counts={},
        created_labels=[],
    )
    options: dict[str, Any] = {"sheet": source.sheet}
    earlier, surveyed = None, None
    if not changes.get("mapping") and "header_row" not in changes:
        surveyed = survey(source, options)
        earlier = earlier_import(user, [column["header"] for column in surveyed["columns"]])
        if earlier is not None and earlier.options["sheet"] in (None, source.sheet):
            options, surveyed = {**remembered_options(earlier), "sheet": source.sheet}, None
        else:
            earlier = None
    _recompute(batch, user, source, options, changes, surveyed)
    if earlier is not None:
        batch.preview = {**batch.preview, "remembered": remembered_note(earlier)}
    db.session.add(batch)
    return batch


def _storable_name(filename: str | None) -> str:
    """The upload's name, shown in lists, without what the database cannot store (PostgreSQL refused a NUL:
    a 500); a client may send any bytes there, and the name is only a label."""
    name = (filename or "").replace("\x00", "").encode("utf-8", "ignore").decode("utf-8")
    return name[:255]


def too_large_message() -> str:
    size = limits()["bytes"]
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024), ("bytes", 1)):
        if size >= factor:
            return f"The file is too large: at most {size / factor:.3g} {unit} can be imported."
    return "The file is too large."


def lock_batch(batch: ImportBatch, user: User) -> None:
    """Serialise this batch's state changes: take the user's and the batch's locks, then read it afresh.

    Whatever number of commits, undos, discards, option changes (and account restores, which take the
    same user lock) arrive at once, they run one after the other, and each re-checks the state it finds.
    """
    db.session.flush()  # a batch made in this transaction (the CLI uploads and commits at once) exists too
    lock_rows(User, [user.id])
    lock_rows(ImportBatch, [batch.id])
    try:
        db.session.refresh(batch)
    except InvalidRequestError as exc:  # discarded by the request that held the lock before us
        raise ImportFileError(404, "Not found.") from exc


def change_options(batch: ImportBatch, user: User, body: Any) -> None:
    """Apply a PATCH (mapping, status mapping, date order, sheet, header row) and recompute the preview."""
    lock_batch(batch, user)
    if batch.state != "preview":
        raise ImportFileError(409, f"This import is {batch.state}; only an import in preview can be changed.")
    changes = ImportOptionsSchema().load(body if body is not None else {})
    options = dict(stored_options(batch.options))
    if "sheet" in changes and changes["sheet"] != options.get("sheet"):
        # Another sheet is another table: its header, columns and dates are found afresh.
        options = {"sheet": changes["sheet"], "status_mapping": options.get("status_mapping", {})}
    _recompute(batch, user, _source(batch.content, options.get("sheet")), options, changes)


def _recompute(
    batch: ImportBatch,
    user: User,
    source: Source,
    options: dict[str, Any],
    changes: dict[str, Any],
    surveyed: dict[str, Any] | None = None,
) -> None:
    """The preview for `options` with `changes`; `surveyed`: `survey` of these options, when already read."""
    options = dict(options)
    if "header_row" in changes:
        options["header_row"] = changes["header_row"]
    options = dict(surveyed) if surveyed is not None else survey(source, options)
    if "date_order" in changes:
        options["date_order"], options["date_order_chosen"] = changes["date_order"], True
    if changes.get("mapping"):
        columns = apply_mapping(columns_from_options(options), changes["mapping"])
        options["columns"] = [column.to_json() for column in columns]
    if "status_mapping" in changes:
        options["status_mapping"] = {**options.get("status_mapping", {}), **changes["status_mapping"]}
    options, dates = decide_dates(source, options)  # after the mapping: it says which columns hold dates
    preview, batch.counts, batch.options = build_preview(source, options, user, limits())
    if dates["ambiguous"]:
        preview["warnings"].append(dates["message"])
    batch.preview = {**preview, "dates": dates}


def batch_rows(batch: ImportBatch, user: User, show: str | None, offset: int, size: int) -> tuple[int, list[Any]]:
    """A page of the batch's rows as the preview would write them (see `preview.preview_rows`)."""
    if show is not None and show not in ROW_FILTERS:
        raise ImportFileError(400, f"Unknown filter {show!r}: one of {', '.join(ROW_FILTERS)}.")
    options = stored_options(batch.options)
    return preview_rows(_source(batch.content, options["sheet"]), options, user, limits(), show, offset, size)


def commit_batch(batch: ImportBatch, user: User) -> None:
    """Write the batch's rows (creates, updates, records) in the caller's transaction."""
    for _ in commit_steps(batch, user):
        pass


def commit_steps(batch: ImportBatch, user: User, every: int = 250) -> Iterator[int]:
    """`commit_batch`, one step at a time: 0 once the batch is locked and every check passed (a refusal
    raises before that), then the number of rows written every `every` rows, for a page's progress."""
    lock_batch(batch, user)
    if batch.state != "preview":
        raise ImportFileError(409, f"This import is already {batch.state}.")
    options = stored_options(batch.options)
    fields = {column["field"] for column in options["columns"]}
    if not fields & {"company", "position_title"}:
        raise ImportFileError(400, "No column is mapped to the company or the position: nothing can be imported.")
    if not isinstance(batch.counts, dict):
        raise ImportFileError(409, "This import's stored counts are malformed: discard it and upload the file again.")
    db.session.flush()  # the batch row must exist before its records
    writer = BulkWriter(batch, user, ExistingIndex(user))
    yield 0
    for number, plan in enumerate(plan_rows(_source(batch.content, options["sheet"]), options, limits()["rows"]), 1):
        writer.add(plan)
        if number % every == 0:
            yield number
    counts = writer.finish()
    batch.counts = {**batch.counts, **counts}
    batch.state = "committed"
    batch.committed_at = utcnow()


def delete_batch(batch: ImportBatch, user: User) -> None:
    """Undo a committed batch (it stays, as undone); discard a batch in preview or already undone."""
    lock_batch(batch, user)
    if batch.state == "committed":
        undo_batch(batch, user)
    else:
        db.session.delete(batch)
