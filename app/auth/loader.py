"""Flask-Login reads the caller from the request's token; there are no session cookies."""

from __future__ import annotations

from flask import Request
from flask_login import LoginManager

from app.auth.tokens import InvalidToken, decode_token, token_from_header
from app.errors import APIError
from app.extensions import db
from app.models import User


def user_from_request(request: Request) -> User | None:
    """The active user whose valid access token the request carries, or None."""
    token = token_from_header(request.headers.get("Authorization"))
    if token is None:
        return None
    try:
        claims = decode_token(token, "access")
    except InvalidToken:
        return None
    user = db.session.get(User, claims.user_id)
    return user if user is not None and user.is_active else None


def _unauthorized() -> None:
    raise APIError(401, "Authentication credentials were not provided or are not valid.")


def init_login(manager: LoginManager) -> None:
    """Authenticate by token on every request, and answer 401 (never a redirect) without one."""
    manager.request_loader(user_from_request)
    manager.unauthorized_handler(_unauthorized)
    manager.session_protection = None
