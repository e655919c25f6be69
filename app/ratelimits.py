"""Rate limits (Flask-Limiter): strict per client address on sign-in, generous per user elsewhere.

- The sign-in endpoints (login, refresh, social login, logout, password change) allow
  RATELIMIT_AUTH (20/minute) per client address and endpoint: they are what a password guesser hits.
- Every other endpoint allows RATELIMIT_DEFAULT (180/minute) per user and endpoint, the user taken from
  a valid access token; requests without one (image URLs, failed logins) are counted per client address.

The limits are read from the app's configuration on each request, not once at import, because the
`limiter` is one object shared by every app the process builds (the tests build many). CORS preflights
are never counted: a browser sends them without credentials ahead of the real request, and counting
them would halve the sign-in allowance. This module knows nothing of `app.extensions`, which imports it.
"""

from __future__ import annotations

import uuid

from flask import current_app, request
from flask_limiter import Limit
from flask_limiter.util import get_remote_address

from app.auth.tokens import InvalidToken, decode_token, token_from_header

THROTTLED = "Request was throttled. Try again after the number of seconds given in the Retry-After header."


def client_address_key() -> str:
    """The client's address (the proxy's X-Forwarded-For hop, resolved by ProxyFix)."""
    return f"ip:{get_remote_address()}"


def user_key(user_id: uuid.UUID) -> str:
    """The rate-limit key of a user (also built by the revalidation fast path, app.revalidation_limits)."""
    return f"user:{user_id}"


def user_or_address_key() -> str:
    """The user of a valid access token, else the client's address.

    Only the signature, type and expiry are checked here (no database query): an access token that
    verifies can only have been issued to that user.
    """
    token = token_from_header(request.headers.get("Authorization"))
    if token is not None:
        try:
            return user_key(decode_token(token, "access").user_id)
        except InvalidToken:
            pass
    return client_address_key()


def is_preflight() -> bool:
    """CORS preflights carry no credentials and precede a request that is counted anyway."""
    return request.method == "OPTIONS"


def default_limit() -> str:
    """The per-user limit of every endpoint without its own (RATELIMIT_DEFAULT)."""
    return current_app.config["RATELIMIT_DEFAULT"]


def auth_limit() -> str:
    """The per-address limit of the sign-in endpoints (RATELIMIT_AUTH)."""
    return current_app.config["RATELIMIT_AUTH"]


# Passed to the Limiter in app.extensions; given there, they take precedence over Flask-Limiter's own
# reading of RATELIMIT_DEFAULT (which would count per address, not per user).
DEFAULT_LIMITS = [
    Limit(default_limit, key_function=user_or_address_key, exempt_when=is_preflight, error_message=THROTTLED)
]
