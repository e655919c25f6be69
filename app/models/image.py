"""Images pasted into notes: the row is the record, the bytes live in a storage backend."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Entity, OwnedMixin


class StoredImage(OwnedMixin, Entity):
    __tablename__ = "stored_image"

    # The capability in the image URL: long, random, unrelated to the user or the file name.
    key: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    content_type: Mapped[str] = mapped_column(String(50), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
