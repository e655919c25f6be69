"""Flask-Login reads an API caller from the request's token (the pages' session cookie: app/pages/session.py).

The check of a token's holder is one statement, by primary key: the user (or the columns asked for) and
whether this token was revoked (log-out). A token issued before the user's last password change or "log
out everywhere" (an older token_version), a revoked token and an inactive user are refused. Flask-Login's
loader and the revalidation fast path (app.revalidation) run this same statement and the same judgement.
"""

from __future__ import annotations

from typing import Any

from flask import Request
from flask_login import LoginManager
from sqlalchemy import Connection, Row, Select, bindparam, exists, select

from app.auth.tokens import InvalidToken, TokenClaims, decode_token, token_from_header
from app.database import first_row
from app.errors import APIError
from app.extensions import db
from app.models import RevokedToken, User

_REVOKED = exists().where(RevokedToken.jti == bindparam("jti")).label("revoked")


def holder_query(*columns: Any) -> Select:
    """`columns` of a token's user and whether the token was revoked; run it with `holder_parameters`.

    Built once per shape, with bound parameters: SQLAlchemy compiles it once, not on every request.
    """
    return select(*columns, _REVOKED).where(User.id == bindparam("user_id"))


def holder_parameters(claims: TokenClaims) -> dict[str, Any]:
    return {"user_id": claims.user_id, "jti": claims.jti}


def admits(claims: TokenClaims, *, revoked: bool, is_active: bool, token_version: int) -> bool:
    """Whether the holder read by `holder_query` may use the token of `claims`."""
    return not revoked and is_active and token_version == claims.version


_USER = holder_query(User)
_VERSION = holder_query(User.id, User.data_version, User.is_active, User.token_version)


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
    """The active user whose valid access token the request carries, or None (one statement)."""
    claims = access_claims(request)
    if claims is None:
        return None
    row = db.session.execute(_USER, holder_parameters(claims)).first()
    if row is None:
        return None
    user, revoked = row
    return user if admits(claims, revoked=revoked, is_active=user.is_active, token_version=user.token_version) else None


def holder_version(connection: Connection, claims: TokenClaims) -> Row | None:
    """The `id` and `data_version` of the user who may use the token of `claims`, or None, read on
    `connection` without the ORM (the fast path has no Flask context)."""
    row = first_row(connection, _VERSION, holder_parameters(claims))
    if row is None or not admits(claims, revoked=row.revoked, is_active=row.is_active, token_version=row.token_version):
        return None
    return row


def _unauthorized() -> None:
    raise APIError(401, "Authentication credentials were not provided or are not valid.")


def init_login(manager: LoginManager) -> None:
    """Authenticate by token on every request, and answer 401 (never a redirect) without one."""
    manager.request_loader(user_from_request)
    manager.unauthorized_handler(_unauthorized)
    manager.session_protection = None
