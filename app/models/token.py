"""Refresh tokens revoked before their expiry (log-out); pruned once expired."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Entity, OwnedMixin, UTCDateTime


class RevokedToken(OwnedMixin, Entity):
    __tablename__ = "revoked_token"

    jti: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
