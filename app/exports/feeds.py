"""Feed URLs: from the token in the URL to the user whose export it serves."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import FeedToken, User, hash_feed_token
from app.models.base import utcnow


def feed_owner(token: str) -> User | None:
    """The active owner of the live feed `token`, noting its use; None for unknown or revoked tokens.

    The token is looked up by its hash: the database never holds one that works.
    """
    feed = db.session.scalars(
        select(FeedToken).where(FeedToken.token_hash == hash_feed_token(token), FeedToken.revoked_at.is_(None))
    ).first()
    if feed is None:
        return None
    owner = db.session.get(User, feed.user_id)
    if owner is None or not owner.is_active:
        return None
    feed.last_used_at = utcnow()
    return owner
