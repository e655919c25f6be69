"""gunicorn's access log without credentials: the token of a feed URL is logged as `[redacted]`.

A feed URL (`/api/feeds/<token>/applications.csv`) is the feed's only credential, so neither the request
line nor the path, the referer or any other logged value may show it. A feed's uuid
(`/api/feeds/<uuid>/`, the management endpoints) is no secret and stays. nginx.conf redacts the same in
its own log. Set in gunicorn.conf.py as `logger_class`.
"""

from __future__ import annotations

import re
from typing import Any

from gunicorn.glogging import Logger

REDACTED = "[redacted]"
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# The path segment after /api/feeds/ (any slashes, any case), unless it is a uuid.
FEED_TOKEN = re.compile(rf"(/+api/+feeds/+)(?!{_UUID}(?:[/?#]|$))[^/?#\s]+", re.IGNORECASE)


def redact_feed_tokens(text: str) -> str:
    """`text` with the token of every feed URL in it replaced by `[redacted]`."""
    return FEED_TOKEN.sub(rf"\g<1>{REDACTED}", text)


class RedactingLogger(Logger):
    """gunicorn's logger, whose access log atoms (`%(r)s`, `%(U)s`, `%(f)s`, headers...) are redacted."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact_feed_tokens(value) if isinstance(value, str) else value for key, value in atoms.items()}
