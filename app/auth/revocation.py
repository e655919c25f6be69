"""The token denylist: log-out revokes its refresh and access tokens until they would have expired anyway."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from app.auth.tokens import TokenClaims
from app.extensions import db
from app.models import RevokedToken
from app.models.base import utcnow


def is_revoked(jti: str) -> bool:
    """Whether the token with this `jti` was revoked."""
    return db.session.scalar(select(RevokedToken.id).where(RevokedToken.jti == jti)) is not None


def revoke(claims: TokenClaims) -> None:
    """Deny this token (refresh or access) from now on (revoking twice is harmless); not committed."""
    prune_expired()
    if not is_revoked(claims.jti):
        db.session.add(RevokedToken(jti=claims.jti, user_id=claims.user_id, expires_at=claims.expires_at))


def prune_expired(now: datetime | None = None) -> int:
    """Forget revocations of tokens that have expired (they are refused anyway); not committed."""
    result = db.session.execute(delete(RevokedToken).where(RevokedToken.expires_at <= (now or utcnow())))
    return result.rowcount or 0
