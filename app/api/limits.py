"""The sign-in rate limit (RATELIMIT_AUTH) as a view decorator, for every view a password guesser hits."""

from __future__ import annotations

from collections.abc import Callable

from app.extensions import limiter
from app.ratelimits import THROTTLED, auth_limit, client_address_key, is_preflight


def sign_in_limit(key_func: Callable[[], str] = client_address_key, methods: list[str] | None = None) -> Callable:
    """RATELIMIT_AUTH per endpoint and `key_func` (the client's address unless given), preflights exempt;
    only `methods` count when given (a sign-in page's GET is not a guess)."""
    return limiter.limit(
        auth_limit, key_func=key_func, methods=methods, exempt_when=is_preflight, error_message=THROTTLED
    )
