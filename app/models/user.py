"""Accounts: local (password) or Google-only (no password hash)."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import Boolean, Integer, String, inspect
from sqlalchemy.orm import Mapped, mapped_column, validates
from werkzeug.security import check_password_hash, generate_password_hash

from app.models.base import Entity, UTCDateTime, utcnow


def normalize_email(email: str) -> str:
    """E-mail addresses are unique regardless of case: they are stored lower-cased and trimmed."""
    return email.strip().lower()


class User(UserMixin, Entity):
    __tablename__ = "user"

    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)
    first_name: Mapped[str] = mapped_column(String(150), default="", nullable=False)
    last_name: Mapped[str] = mapped_column(String(150), default="", nullable=False)
    avatar_url: Mapped[str] = mapped_column(String(500), default="", nullable=False)
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    date_joined: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # Every token carries the version it was issued at; a password change or "log out everywhere"
    # bumps it, which refuses every access and refresh token issued before.
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    # Changed, to a new random value, by every transaction that writes this user's data (app.models.data_version):
    # what the ETags of the user's pages are made of. Random, not counted: a restored backup can bring an
    # old value back only together with the data it was the version of.
    data_version: Mapped[str] = mapped_column(String(32), default="0", server_default="0", nullable=False)

    @validates("email")
    def _normalize_email(self, _key: str, email: str) -> str:
        return normalize_email(email)

    def set_password(self, password: str) -> None:
        """Store a salted hash of `password` (scrypt unless PASSWORD_HASH_METHOD says otherwise)."""
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)
        if inspect(self).persistent:  # a change of an existing account's password, not a new account's
            self.end_sessions()

    def end_sessions(self) -> None:
        """Refuse every token issued to this user until now (not committed)."""
        self.token_version = (self.token_version or 0) + 1

    def check_password(self, password: str) -> bool:
        """Whether `password` matches; always false for accounts without a local password."""
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        return str(self.id)

    def __repr__(self) -> str:
        return f"<User {self.email}>"
