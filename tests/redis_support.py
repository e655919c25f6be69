"""The Redis the rate-limit tests count in: reachable, or the test skips (fails under REQUIRE_REDIS=1)."""

from __future__ import annotations

import os

import pytest
import redis

REDIS_URL = "redis://127.0.0.1:6379"


def reachable_redis() -> redis.Redis:
    """A client of the local Redis that answered a ping."""
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.ConnectionError:
        connection.close()
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail("REQUIRE_REDIS=1 but Redis is not reachable at 127.0.0.1:6379")
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    return connection
