"""Addresses and links: small objects owned one-to-one by a company, application, rating or status."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Entity, OwnedMixin


class Address(OwnedMixin, Entity):
    __tablename__ = "address"

    place_name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    country: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    state: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    city: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    street: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    full_address: Mapped[str] = mapped_column(String(500), default="", nullable=False)
    zipcode: Mapped[str] = mapped_column(String(20), default="", nullable=False)


class Link(OwnedMixin, Entity):
    __tablename__ = "link"

    text: Mapped[str] = mapped_column(String(200), default="Link", nullable=False)
    url: Mapped[str] = mapped_column(String(500), default="", nullable=False)
    order: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
