"""Labels, global (no owner) or a user's own, attached many-to-many to companies and applications."""

from __future__ import annotations

import uuid

from sqlalchemy import Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, DashedUuid, Entity

GLOBAL_LABELS = ("Target", "Applied", "Interviewing", "Archived")


class Label(Entity):
    __tablename__ = "label"

    # A null owner makes a global label: readable and usable by all, changed only by an administrator.
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        DashedUuid, ForeignKey("user.id", ondelete="CASCADE"), nullable=True, index=True
    )
    text: Mapped[str] = mapped_column(String(200), nullable=False)
    color: Mapped[str] = mapped_column(String(20), default="", nullable=False)
    order: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


def label_association(name: str, owner_table: str) -> Table:
    """A many-to-many table; deleting either side removes the pairing, never the label itself."""
    return Table(
        name,
        Base.metadata,
        Column(f"{owner_table}_id", DashedUuid, ForeignKey(f"{owner_table}.id", ondelete="CASCADE"), primary_key=True),
        Column("label_id", DashedUuid, ForeignKey("label.id", ondelete="CASCADE"), primary_key=True, index=True),
    )


company_labels = label_association("company_labels", "company")
application_labels = label_association("application_labels", "application")
