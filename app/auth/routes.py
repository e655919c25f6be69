"""Sign-in endpoints: login with a password, Google sign-in, token refresh and log-out.

Each allows RATELIMIT_AUTH requests per client address (see app.ratelimits); an empty
`Authorization` header, which the React client sends on these calls, is simply ignored.
"""

from __future__ import annotations

from flask import request
from flask.typing import ResponseReturnValue

from app.api import ApiBlueprint, current_user, json_body, sign_in_limit
from app.auth import google
from app.auth.accounts import authenticate, user_for_identity
from app.auth.loader import access_claims
from app.auth.revocation import is_revoked, revoke
from app.auth.schemas import LoginSchema, RefreshSchema, SocialLoginSchema
from app.auth.tokens import InvalidToken, TokenClaims, decode_token, issue_token
from app.errors import APIError
from app.extensions import db
from app.models import User

blueprint = ApiBlueprint("auth", __name__)

# One counter per endpoint and client address.
auth_rate_limit = sign_in_limit()

INVALID_REFRESH = "Token is invalid or expired."


def token_pair(user: User) -> tuple[str, str]:
    """A new access token and refresh token for the user."""
    return issue_token(user.id, "access", user.token_version), issue_token(user.id, "refresh", user.token_version)


@blueprint.post("/api/api-token-auth/", strict_slashes=False, login=False)
@auth_rate_limit
def token_auth() -> ResponseReturnValue:
    """Exchange an e-mail (or username) and password for an access and a refresh token."""
    body = LoginSchema().load(json_body())
    access, refresh = token_pair(authenticate(body["username"], body["password"]))
    return {"access": access, "refresh": refresh}


def verified_refresh(token: str) -> TokenClaims:
    """The claims of a well-signed, unexpired refresh token of an existing user; a 401 otherwise."""
    try:
        claims = decode_token(token, "refresh")
    except InvalidToken as exc:
        raise APIError(401, INVALID_REFRESH) from exc
    if db.session.get(User, claims.user_id) is None:
        raise APIError(401, INVALID_REFRESH)
    return claims


def refresh_claims(token: str) -> TokenClaims:
    """The claims of a valid, unrevoked refresh token of an active user, issued since the user's last
    password change or "log out everywhere"; a 401 otherwise."""
    claims = verified_refresh(token)
    user = db.session.get(User, claims.user_id)
    if is_revoked(claims.jti) or not user.is_active or claims.version != user.token_version:
        raise APIError(401, INVALID_REFRESH)
    return claims


@blueprint.post("/api/api-token-refresh/", strict_slashes=False, login=False)
@auth_rate_limit
def token_refresh() -> ResponseReturnValue:
    """Exchange a refresh token for a new access token."""
    claims = refresh_claims(RefreshSchema().load(json_body())["refresh"])
    return {"access": issue_token(claims.user_id, "access", claims.version)}


@blueprint.post("/api/logout/", strict_slashes=False, login=False)
@auth_rate_limit
def logout() -> ResponseReturnValue:
    """Revoke the refresh token given and the access token presented, if any (204; again for revoked ones)."""
    claims = verified_refresh(RefreshSchema().load(json_body())["refresh"])
    revoke(claims)
    access = access_claims(request)
    if access is not None and access.user_id == claims.user_id:
        revoke(access)
    return "", 204


@blueprint.post("/api/logout/all/", strict_slashes=False, login=True)
@auth_rate_limit
def logout_everywhere() -> ResponseReturnValue:
    """Log out everywhere: every access and refresh token of the caller issued until now is refused (204).

    ---
    responses:
      "204":
        description: Every session of the account has ended, this one included; log in again.
    """
    current_user().end_sessions()
    return "", 204


@blueprint.post("/api/login/social/", strict_slashes=False, login=False)
@auth_rate_limit
def social_login() -> ResponseReturnValue:
    """Sign in with a Google authorization code; the account is created on first sign-in."""
    body = SocialLoginSchema().load(json_body())
    user = user_for_identity(google.sign_in(body["code"], body["redirect_uri"]))
    db.session.commit()  # the account exists before tokens naming it are handed out
    access, refresh = token_pair(user)
    return {
        "token": access,
        "refresh": refresh,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "avatar_url": user.avatar_url,
    }
