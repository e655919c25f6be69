"""Feed tokens: capability URLs that let a spreadsheet pull one user's export without a JWT.

Only the SHA-256 of the token is stored, so a database leak yields no working feed URL. The
token itself is shown once, when it is created.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Entity, OwnedMixin, UTCDateTime, utcnow

# 32 random bytes: 43 URL-safe characters, 256 bits, far beyond guessing.
TOKEN_BYTES = 32


def hash_feed_token(token: str) -> str:
    """The stored form of a feed token: its SHA-256, hex-encoded (a lookup key, not a password)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class FeedToken(OwnedMixin, Entity):
    __tablename__ = "feed_token"

    name: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    def issue(self) -> str:
        """Give this feed a fresh random token; returns the token, which is never stored."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        self.token_hash = hash_feed_token(token)
        # Kept on the instance (not mapped) so the create response can show it once.
        self.plaintext_token = token
        return token

    def revoke(self) -> None:
        """Stop the feed working; the row stays so the owner sees when it was revoked."""
        if self.revoked_at is None:
            self.revoked_at = utcnow()

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None
