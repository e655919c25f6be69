"""Login with a password, token refresh and log-out."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from app.auth.schemas import LoginSchema, RefreshSchema
from app.auth.tokens import InvalidToken, decode_token, issue_token
from app.errors import APIError
from app.extensions import db
from app.models import RevokedToken, User, normalize_email
from app.resources.base import json_body

blueprint = Blueprint("auth", __name__)


def authenticate(username: str, password: str) -> User:
    """The active user with that e-mail and password, or a 401 that says nothing more."""
    user = db.session.scalar(select(User).where(User.email == normalize_email(username)))
    if user is None or not user.check_password(password) or not user.is_active:
        raise APIError(401, "No active account found with the given credentials.")
    return user


@blueprint.post("/api/api-token-auth/", strict_slashes=False)
def token_auth() -> ResponseReturnValue:
    """Exchange an e-mail (or username) and password for an access and a refresh token."""
    body = LoginSchema().load(json_body())
    user = authenticate(body["username"], body["password"])
    return {"access": issue_token(user.id, "access"), "refresh": issue_token(user.id, "refresh")}


def refresh_claims(token: str):
    """The claims of a valid, unrevoked refresh token of an active user; a 401 otherwise."""
    try:
        claims = decode_token(token, "refresh")
    except InvalidToken as exc:
        raise APIError(401, "Token is invalid or expired.") from exc
    revoked = db.session.scalar(select(RevokedToken.id).where(RevokedToken.jti == claims.jti))
    user = db.session.get(User, claims.user_id)
    if revoked is not None or user is None or not user.is_active:
        raise APIError(401, "Token is invalid or expired.")
    return claims


@blueprint.post("/api/api-token-refresh/", strict_slashes=False)
def token_refresh() -> ResponseReturnValue:
    """Exchange a refresh token for a new access token."""
    claims = refresh_claims(RefreshSchema().load(json_body())["refresh"])
    return {"access": issue_token(claims.user_id, "access")}
