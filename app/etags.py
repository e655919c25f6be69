"""Entity tags: revalidation from the user's data version, optimistic concurrency per object.

A tag is `"<data>.<content>"` on a detail and `"<data>"` on a list page:
- `<data>` is a digest of the user, their data version (app.models.data_version: changed by every write
  of their data) and `FORMAT`. While it is current, nothing any page of the user shows has changed, so a
  GET whose `If-None-Match` names it is answered 304 from the version the authentication already read:
  no other statement and no serialization.
- `<content>` is a digest of the object's representation (without `api_url`, which depends on the host
  the request named). A write with `If-Match` goes through while the tag's data part is current (nothing
  of the user changed) or, failing that, while its content part still describes the object: other
  objects of the same user may change meanwhile (another tab, a batch read at different moments) without
  refusing the write; a change to this object, its nested parts or its labels refuses it with a 412.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable
from typing import Any, Protocol

import orjson
from flask import request
from werkzeug.datastructures import ETags
from werkzeug.http import unquote_etag

from app.errors import APIError
from app.models import User

FORMAT = "1"  # change it when a release changes what pages show for the same data: cached pages are then stale
CACHE_CONTROL = "private, no-cache"  # any cache keeps the page for this user only, and revalidates it each time
STALE_ITEMS = "Objects of the batch have changed since you read them: read them again (current ETags in `stale`)."
STALE = "The object has changed since you read it: read it again (its current ETag is in the ETag header)."


class Versioned(Protocol):
    """A user, or a row of their `id` and `data_version` (what the revalidation fast path reads)."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def data_version(self) -> str: ...


def data_tag(user: Versioned) -> str:
    """The part of every tag of `user`'s pages that changes with each write of their data."""
    source = f"{user.id}:{user.data_version}:{FORMAT}".encode()
    return hashlib.blake2b(source, digest_size=10).hexdigest()


def _without_urls(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_urls(item) for key, item in value.items() if key != "api_url"}
    if isinstance(value, list):
        return [_without_urls(item) for item in value]
    return value


def content_tag(representation: Any) -> str:
    """A digest of what a representation says, whatever host its URLs name."""
    canonical = orjson.dumps(_without_urls(representation), option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.blake2b(canonical, digest_size=12).hexdigest()


# A member named api_url in JSON text: its value is a string, in which a quote is always escaped. (The
# loop is unrolled, runs of plain characters first: four times faster on a company than `(?:[^"\\]|\\.)*`.)
_URL_MEMBER = re.compile(r'"api_url":"[^"\\]*(?:\\.[^"\\]*)*"')


def written_content_tag(text: str) -> str:
    """`content_tag` of JSON the database wrote (app.serialization.json_sql): a digest of that text with
    every `api_url` blanked. The text is canonical already (sorted keys, no spaces), so it is neither
    parsed nor written again; a resource's tags all come from one of the two functions, never both."""
    canonical = _URL_MEMBER.sub('"api_url":""', text).encode()
    return hashlib.blake2b(canonical, digest_size=12).hexdigest()


def page_headers(tag: str) -> dict[str, str]:
    """The headers of a page the client may keep and revalidate: its tag and `Cache-Control`."""
    return {"ETag": f'"{tag}"', "Cache-Control": CACHE_CONTROL}


def unchanged_tag(user: User) -> str | None:
    """The tag in the request's `If-None-Match` that names the user's current data, if one does: the page
    it was sent with is still the page (and that tag still its tag)."""
    return unchanged_among(request.if_none_match, user)


def unchanged_among(tags: ETags, user: Versioned) -> str | None:
    """`unchanged_tag` for the parsed `If-None-Match` of any request (the fast path has no Flask request)."""
    if not tags:
        return None
    current = data_tag(user)
    # An empty tag (`""`) is parsed as None: it names nothing.
    return next((tag for tag in tags.as_set(include_weak=True) if tag and tag.partition(".")[0] == current), None)


def matches(tag: str | None, current_data: str, content: Callable[[], str]) -> bool:
    """Whether a tag a client sent (quoted or not, `*` for any) still names the object (see the module);
    an empty one (`""`, which werkzeug parses as None) names nothing."""
    if not tag:
        return False
    raw, weak = unquote_etag(tag.strip())
    if raw == "*":
        return True
    if weak or not raw:
        return False
    data, _, content_part = raw.partition(".")
    return data == current_data or (bool(content_part) and content_part == content())


def check_if_match(user: User, content: Callable[[], str]) -> None:
    """Refuse the write with a 412 (and the current tag) when `If-Match` names another version.

    `user.data_version` must be current (read after the object's lock). Without `If-Match` every write
    goes through, as it always has.
    """
    if not request.if_match:
        return
    if request.if_match.star_tag:
        return
    current_data = data_tag(user)
    if any(matches(tag, current_data, content) for tag in request.if_match.as_set()):
        return
    raise APIError(412, STALE, headers={"ETag": f'"{current_data}.{content()}"'})
