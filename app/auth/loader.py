"""Flask-Login reads an API caller from the request's token (the pages' session cookie: app/pages/session.py)."""

from __future__ import annotations

from flask import Request
from flask_login import LoginManager
from sqlalchemy import exists, select

from app.auth.tokens import InvalidToken, TokenClaims, decode_token, token_from_header
from app.errors import APIError
from app.extensions import db
from app.models import RevokedToken, User


def access_claims(request: Request) -> TokenClaims | None:
    """The claims of the well-signed, unexpired access token the request carries, or None."""
    token = token_from_header(request.headers.get("Authorization"))
    if token is None:
        return None
    try:
        return decode_token(token, "access")
    except InvalidToken:
        return None


def user_from_request(request: Request) -> User | None:
    """The active user whose valid access token the request carries, or None.

    One statement reads the user and whether this token was revoked (log-out); a token issued before
    the user's last password change or "log out everywhere" (an older token_version) is refused.
    """
    claims = access_claims(request)
    if claims is None:
        return None
    revoked = exists().where(RevokedToken.jti == claims.jti)
    row = db.session.execute(select(User, revoked).where(User.id == claims.user_id)).first()
    if row is None:
        return None
    user, is_revoked = row
    if is_revoked or not user.is_active or user.token_version != claims.version:
        return None
    return user


def _unauthorized() -> None:
    raise APIError(401, "Authentication credentials were not provided or are not valid.")


def init_login(manager: LoginManager) -> None:
    """Authenticate by token on every request, and answer 401 (never a redirect) without one."""
    manager.request_loader(user_from_request)
    manager.unauthorized_handler(_unauthorized)
    manager.session_protection = None
