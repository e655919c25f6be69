"""Companies the user applies to, and ratings of them from outside sources."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Date, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import DashedUuid, Entity, OwnedMixin, utctoday
from app.models.common import Address, Link
from app.models.label import Label, company_labels
from app.models.ownership import owned_one


class Company(OwnedMixin, Entity):
    __tablename__ = "company"

    name: Mapped[str] = mapped_column(String(100), nullable=False)
    notes: Mapped[str] = mapped_column(Text, default="", nullable=False)
    hq_location_id: Mapped[uuid.UUID | None] = mapped_column(
        DashedUuid, ForeignKey("address.id", ondelete="SET NULL"), nullable=True, index=True
    )
    home_page_id: Mapped[uuid.UUID | None] = mapped_column(
        DashedUuid, ForeignKey("link.id", ondelete="SET NULL"), nullable=True, index=True
    )

    hq_location: Mapped[Address | None] = owned_one(Address, "Company.hq_location_id")
    home_page: Mapped[Link | None] = owned_one(Link, "Company.home_page_id")
    labels: Mapped[list[Label]] = relationship(secondary=company_labels, order_by=Label.order)
    applications: Mapped[list[Application]] = relationship(  # noqa: F821
        back_populates="user_company",
        cascade="all, delete-orphan",
        order_by="Application.created_at",
    )
    ratings: Mapped[list[CompanyRating]] = relationship(
        back_populates="company", cascade="all, delete-orphan", order_by="CompanyRating.sample_date"
    )


class CompanyRating(OwnedMixin, Entity):
    __tablename__ = "company_rating"

    company_id: Mapped[uuid.UUID] = mapped_column(
        DashedUuid, ForeignKey("company.id", ondelete="CASCADE"), nullable=False, index=True
    )
    source_id: Mapped[uuid.UUID | None] = mapped_column(
        DashedUuid, ForeignKey("link.id", ondelete="SET NULL"), nullable=True, index=True
    )
    value: Mapped[float] = mapped_column(Float, default=0.0, nullable=False)
    sample_date: Mapped[date] = mapped_column(Date, default=utctoday, nullable=False)

    company: Mapped[Company] = relationship(back_populates="ratings")
    source: Mapped[Link | None] = owned_one(Link, "CompanyRating.source_id")
