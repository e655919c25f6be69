"""Entity tags for optimistic concurrency: one tag per representation, compared on writes.

The tag is a hash of the representation a client reads (without `api_url`, which depends on the host
the request named), so any change a client could see, nested parts and labels included, changes it.
This module is the tag's one home: a later tag (a per-user data version) replaces `etag_of` alone.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import request
from werkzeug.http import unquote_etag

from app.errors import APIError

STALE_ITEMS = "Objects of the batch have changed since you read them: read them again (current ETags in `stale`)."
STALE = "The object has changed since you read it: read it again (its current ETag is in the ETag header)."


def _without_urls(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_urls(item) for key, item in value.items() if key != "api_url"}
    if isinstance(value, list):
        return [_without_urls(item) for item in value]
    return value


def etag_of(representation: Any) -> str:
    """The (strong, unquoted) entity tag of a dumped representation."""
    canonical = json.dumps(_without_urls(representation), sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def etag_header(representation: Any) -> dict[str, str]:
    """The `ETag` response header for a representation."""
    return {"ETag": f'"{etag_of(representation)}"'}


def matches(tag: str, current: str) -> bool:
    """Whether a tag a client sent (quoted or not, `*` for any) names the current version."""
    raw, weak = unquote_etag(tag.strip())
    return raw == "*" or (not weak and raw == current)


def check_if_match(representation: Any) -> None:
    """Refuse the write with a 412 (and the current tag) when `If-Match` names another version.

    Without `If-Match` every write goes through, as it always has.
    """
    if not request.if_match:
        return
    current = etag_of(representation)
    if not request.if_match.contains(current) and not request.if_match.star_tag:
        raise APIError(412, STALE, headers={"ETag": f'"{current}"'})
