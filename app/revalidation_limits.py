"""The rate limit of a 304 the revalidation fast path answers: Flask-Limiter's count and headers, without Flask.

Through Flask, a GET of a revalidating endpoint is counted by Flask-Limiter's before-request hook against
the default limit alone (app.ratelimits: RATELIMIT_DEFAULT per user and endpoint; those endpoints declare
no limit of their own, which tests/test_revalidation.py checks), and its after-request hook adds
X-RateLimit-Limit, -Remaining, -Reset and Retry-After. `count_revalidation` does the same for the fast
path: the same limit items (parsed from the same setting, smallest window first), hit through the
limiter's own strategy and storage (`Limiter.limiter`), under the key Flask-Limiter builds
(`RateLimitItem.key_for(key prefix, user key, endpoint)`), so both paths spend one allowance; then the
headers from the strategy's `get_window_stats` of the first item, as Flask-Limiter computes them.

It leaves the request to Flask (None) whenever Flask would do more than count: a limit exhausted (Flask
answers 429, counting it again, as every refused request is), the storage failing, or Flask-Limiter
counting in memory after a failure (it alone notices when the storage is back). On a breach of a second
limit (a setting such as "180/minute;2000/hour"), the first is counted again by Flask: one request too
many, never one too few.
"""

from __future__ import annotations

import logging
import time
import uuid
from functools import lru_cache

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.constants import ConfigVars, HeaderNames
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import Storage
from werkzeug.http import http_date

from app.extensions import limiter
from app.ratelimits import user_key

log = logging.getLogger(__name__)


@lru_cache(maxsize=16)
def limit_items(limit_string: str) -> tuple[RateLimitItem, ...]:
    """The limits of a setting in the order Flask-Limiter tests them (smallest window first)."""
    return tuple(sorted(parse_many(limit_string))) if limit_string else ()


def key_prefix(extension: Limiter) -> list[str]:
    """The prefix Flask-Limiter puts before every key, as an identifier list (none when empty).

    The one private attribute read here: Flask-Limiter keeps the prefix it uses (RATELIMIT_KEY_PREFIX of the
    first app it was bound to) there alone. tests/test_revalidation.py records the keys Flask and the fast
    path hit through the strategy and compares them, so a change there fails it rather than splitting the
    allowance (and a renamed attribute leaves every 304 to Flask, counted as before).
    """
    prefix = extension._key_prefix
    return [prefix] if prefix else []


def count_revalidation(app: Flask, endpoint: str, user_id: uuid.UUID) -> list[tuple[str, str]] | None:
    """Count a fast-path request of `user_id` to `endpoint` as Flask-Limiter would: the headers it would
    add to the 304 (none with limits off), or None for Flask to answer the request."""
    if limiter not in app.extensions.get("limiter", ()) or not (limiter.enabled and limiter.initialized):
        return []  # limits off: Flask would not count either
    strategy = limiter.limiter
    if strategy.storage is not limiter.storage:
        return None  # counting in memory after a storage failure: Flask's own business
    config = app.config
    items = limit_items(config["RATELIMIT_DEFAULT"])
    identifiers = [*key_prefix(limiter), user_key(user_id), endpoint]
    try:
        for item in items:
            if not strategy.hit(item, *identifiers):
                return None
        if not (items and config.get(ConfigVars.HEADERS_ENABLED)):
            return []
        window = strategy.get_window_stats(items[0], *identifiers)
    except storage_errors(strategy.storage) as exc:
        log.warning("revalidation left to Flask after a rate-limit storage error: %s", exc.__class__.__name__)
        return None
    reset_at = int(window.reset_time + 1)
    if config.get(ConfigVars.HEADER_RETRY_AFTER_VALUE) == "http-date":
        retry_after = http_date(reset_at)
    else:
        retry_after = str(int(reset_at - time.time()))
    return [
        (config.get(ConfigVars.HEADER_LIMIT, HeaderNames.LIMIT.value), str(items[0].amount)),
        (config.get(ConfigVars.HEADER_REMAINING, HeaderNames.REMAINING.value), str(window.remaining)),
        (config.get(ConfigVars.HEADER_RESET, HeaderNames.RESET.value), str(reset_at)),
        (config.get(ConfigVars.HEADER_RETRY_AFTER, HeaderNames.RETRY_AFTER.value), retry_after),
    ]


def storage_errors(storage: Storage) -> tuple[type[Exception], ...]:
    """What a failing `storage` raises (its driver's errors, or limits' wrapper of them)."""
    base = storage.base_exceptions
    return (StorageError, *(base if isinstance(base, tuple) else (base,)))
