"""Signed JWT access and refresh tokens (joserfc, Authlib's JOSE implementation).

The algorithm is pinned on verification, every token carries its type, `iat`, `exp` and a `jti`,
so an access token is never accepted where a refresh token is expected, or the reverse.

Verifying a signature is about a tenth of a small request, and a client sends the same token with every
request until it expires: the claims of a token that verified are kept (a bounded LRU, keyed by the
signing secret, the token and the type expected), and its expiry is checked again on every use. What can
change while a token lives (revocation, the user's token_version) is never cached: app.auth.loader reads
it from the database on every request.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

from flask import current_app
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

ALGORITHM = "HS256"
VERIFIED_TOKENS_KEPT = 4096  # distinct tokens whose claims are kept: a few MB at most
TokenType = Literal["access", "refresh"]


class InvalidToken(Exception):
    """The token is malformed, tampered with, of the wrong type or algorithm, or expired."""


@dataclass(frozen=True)
class TokenClaims:
    user_id: uuid.UUID
    token_type: TokenType
    jti: str
    issued_at: datetime
    expires_at: datetime
    version: int = 0  # the user's token_version at issue; tokens from before versions count as 0


def signing_secret(config: Mapping[str, Any]) -> str:
    """The secret that signs and verifies tokens under these settings."""
    return config.get("JWT_SIGNING_KEY") or config["SECRET_KEY"]


def _key() -> OctKey:
    return OctKey.import_key(signing_secret(current_app.config))


def _lifetime(token_type: TokenType) -> timedelta:
    name = "JWT_ACCESS_TOKEN_LIFETIME" if token_type == "access" else "JWT_REFRESH_TOKEN_LIFETIME"
    return current_app.config[name]


def issue_token(user_id: uuid.UUID, token_type: TokenType, version: int = 0) -> str:
    """A signed token of `token_type` for the user, valid for the configured lifetime.

    `version` is the user's token_version: once it changes, the token is refused.
    """
    now = datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "type": token_type,
        "jti": secrets.token_hex(16),
        "iat": int(now.timestamp()),
        "exp": int((now + _lifetime(token_type)).timestamp()),
        "ver": version,
    }
    return jwt.encode({"alg": ALGORITHM, "typ": "JWT"}, claims, _key())


def decode_token(token: str, expected_type: TokenType) -> TokenClaims:
    """Verify signature, algorithm, expiry and type; raise InvalidToken on any failure."""
    return verify_token(token, expected_type, signing_secret(current_app.config))


def verify_token(token: str, expected_type: TokenType, secret: str) -> TokenClaims:
    """`decode_token` with the signing secret given (no app context needed): the claims of a token that
    verified before come from the cache, their expiry checked now as joserfc does (expired once `exp` is
    not after the current second)."""
    claims = _verified_claims(token, expected_type, secret)
    if claims.expires_at.timestamp() <= int(time.time()):
        raise InvalidToken("the token has expired")
    return claims


@lru_cache(maxsize=VERIFIED_TOKENS_KEPT)
def _verified_claims(token: str, expected_type: TokenType, secret: str) -> TokenClaims:
    """The claims of a token that verifies now (failures raise, and are not cached)."""
    registry = jwt.JWTClaimsRegistry(
        leeway=0,
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        jti={"essential": True},
        type={"essential": True, "value": expected_type},
    )
    try:
        decoded = jwt.decode(token, OctKey.import_key(secret), algorithms=[ALGORITHM])
        registry.validate(decoded.claims)
        claims = decoded.claims
        return TokenClaims(
            user_id=uuid.UUID(str(claims["sub"])),
            token_type=expected_type,
            jti=str(claims["jti"]),
            issued_at=datetime.fromtimestamp(int(claims["iat"]), UTC),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
            version=_version(claims.get("ver", 0)),
        )
    except (JoseError, ValueError, TypeError, KeyError, OverflowError) as exc:
        raise InvalidToken(str(exc)) from exc


def _version(value: object) -> int:
    if type(value) is not int:
        raise ValueError("ver must be an integer")
    return value


def token_from_header(header: str | None) -> str | None:
    """The token of an `Authorization: JWT <token>` or `Bearer <token>` header, if there is one."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() not in ("jwt", "bearer") or not token.strip():
        return None
    return token.strip()
