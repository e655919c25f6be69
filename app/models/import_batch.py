"""Spreadsheet imports: one batch per uploaded file, one record per source row.

A batch keeps the file itself and the options it is read with, so a preview can be recomputed and
a commit replays exactly what was previewed. A record keeps its source row as it was read, whatever
happened to it, so nothing in a file is ever lost; it also remembers which application it created
or updated and, for an update, the application's previous state, so a batch can be undone.

`ImportBatch.options` is the documented mapping other features read (exports lay out columns like
the user's original file); its shape is described in `app/imports/options.py`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from app.models.base import DashedUuid, Entity, OwnedMixin, UTCDateTime

BATCH_STATES = ("preview", "committed", "undone")
RECORD_ACTIONS = ("create", "update", "unchanged", "skip")


class ImportBatch(OwnedMixin, Entity):
    __tablename__ = "import_batch"

    state: Mapped[str] = mapped_column(String(20), default="preview", nullable=False)
    filename: Mapped[str] = mapped_column(String(255), default="", nullable=False)
    file_format: Mapped[str] = mapped_column(String(10), nullable=False)  # "csv" or "xlsx"
    file_size: Mapped[int] = mapped_column(Integer, nullable=False)
    # The uploaded bytes, loaded only when the file is read again (recomputing a preview, committing).
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    # How the file is read: sheet, header row, date order, column mapping, status-word mapping.
    options: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    # What reading found: sheets, columns, status words, problems, the first rows as they would be created.
    preview: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    # rows, create, update, unchanged, skip, problems (over the whole file).
    counts: Mapped[dict[str, int]] = mapped_column(JSON, nullable=False, default=dict)
    # Labels this batch created (ids as strings), removed again by an undo when nothing else uses them.
    created_labels: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    records: Mapped[list[ImportRecord]] = relationship(
        back_populates="batch",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ImportRecord.row_number",
    )


class ImportRecord(OwnedMixin, Entity):
    __tablename__ = "import_record"

    batch_id: Mapped[uuid.UUID] = mapped_column(
        DashedUuid, ForeignKey("import_batch.id", ondelete="CASCADE"), nullable=False, index=True
    )
    row_number: Mapped[int] = mapped_column(Integer, nullable=False)  # 1-based, as the spreadsheet shows it
    raw: Mapped[list[Any]] = mapped_column(JSON, nullable=False)  # the cells as read, JSON-safe
    # Identifies "the same job" across imports: a hash of the normalised job URL, else company + position.
    match_key: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    # A hash of what the row writes: equal hashes mean an unchanged row on re-import.
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    action: Mapped[str] = mapped_column(String(10), nullable=False)
    application_id: Mapped[uuid.UUID | None] = mapped_column(
        DashedUuid, ForeignKey("application.id", ondelete="SET NULL"), nullable=True, index=True
    )
    company_id: Mapped[uuid.UUID | None] = mapped_column(
        DashedUuid, ForeignKey("company.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_company: Mapped[bool] = mapped_column(default=False, nullable=False)
    # What the row wrote (normalised), and for an update the application's state before it.
    values: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    previous: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    batch: Mapped[ImportBatch] = relationship(back_populates="records")
