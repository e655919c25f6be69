"""Applications to a position at a company, where the position is, and its status history."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import DashedUuid, Entity, OwnedMixin, utctoday
from app.models.common import Address, Link
from app.models.company import Company
from app.models.label import Label, application_labels
from app.models.ownership import owned_one

DATE_BASES = ("given", "estimated", "undated")


class Application(OwnedMixin, Entity):
    __tablename__ = "application"

    user_company_id: Mapped[uuid.UUID] = mapped_column(
        DashedUuid, ForeignKey("company.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position_title: Mapped[str] = mapped_column(String(150), nullable=False)
    job_description_page_id: Mapped[uuid.UUID | None] = mapped_column(
        DashedUuid, ForeignKey("link.id", ondelete="SET NULL"), nullable=True, index=True
    )
    job_source_id: Mapped[uuid.UUID | None] = mapped_column(
        DashedUuid, ForeignKey("link.id", ondelete="SET NULL"), nullable=True, index=True
    )
    notes: Mapped[str] = mapped_column(Text, default="", nullable=False)
    job_description_notes: Mapped[str] = mapped_column(Text, default="", nullable=False)
    # Spreadsheet columns that map to no field, kept so that an import loses nothing.
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    user_company: Mapped[Company] = relationship(back_populates="applications")
    job_description_page: Mapped[Link | None] = owned_one(Link, "Application.job_description_page_id")
    job_source: Mapped[Link | None] = owned_one(Link, "Application.job_source_id")
    labels: Mapped[list[Label]] = relationship(secondary=application_labels, order_by=Label.order)
    position_locations: Mapped[list[PositionLocation]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="PositionLocation.created_at"
    )
    statuses: Mapped[list[ApplicationStatus]] = relationship(
        back_populates="application",
        cascade="all, delete-orphan",
        order_by="(ApplicationStatus.date.desc(), ApplicationStatus.order.desc(), ApplicationStatus.created_at.desc())",
    )


class PositionLocation(OwnedMixin, Entity):
    __tablename__ = "position_location"

    application_id: Mapped[uuid.UUID] = mapped_column(
        DashedUuid, ForeignKey("application.id", ondelete="CASCADE"), nullable=False, index=True
    )
    location_id: Mapped[uuid.UUID | None] = mapped_column(
        DashedUuid, ForeignKey("address.id", ondelete="SET NULL"), nullable=True, index=True
    )

    application: Mapped[Application] = relationship(back_populates="position_locations")
    location: Mapped[Address | None] = owned_one(Address, "PositionLocation.location_id")


class ApplicationStatus(OwnedMixin, Entity):
    __tablename__ = "application_status"

    application_id: Mapped[uuid.UUID] = mapped_column(
        DashedUuid, ForeignKey("application.id", ondelete="CASCADE"), nullable=False, index=True
    )
    text: Mapped[str] = mapped_column(String(50), nullable=False)
    date: Mapped[dt.date] = mapped_column(Date, default=utctoday, nullable=False)
    order: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # The pipeline stage the text means ("Screening" for the user's "OA received"); the text stays the user's.
    stage: Mapped[str | None] = mapped_column(String(50), nullable=True)
    # Where `date` comes from: "given" (by the user or the file), "estimated" (from the row's other dates or
    # an inferred year) or "undated" (nothing to date it by: `date` is the day it was imported).
    date_basis: Mapped[str] = mapped_column(String(10), default="given", server_default="given", nullable=False)

    application: Mapped[Application] = relationship(back_populates="statuses")
    links: Mapped[list[ApplicationStatusLink]] = relationship(
        back_populates="application_status",
        cascade="all, delete-orphan",
        order_by="ApplicationStatusLink.created_at",
    )


class ApplicationStatusLink(OwnedMixin, Entity):
    __tablename__ = "application_status_link"

    application_status_id: Mapped[uuid.UUID] = mapped_column(
        DashedUuid, ForeignKey("application_status.id", ondelete="CASCADE"), nullable=False, index=True
    )
    link_id: Mapped[uuid.UUID | None] = mapped_column(
        DashedUuid, ForeignKey("link.id", ondelete="SET NULL"), nullable=True, index=True
    )

    application_status: Mapped[ApplicationStatus] = relationship(back_populates="links")
    link: Mapped[Link | None] = owned_one(Link, "ApplicationStatusLink.link_id")
