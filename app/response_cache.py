"""Responses kept for the data version they show: the same read of unchanged data is answered again as it is.

A page of a user's data depends on nothing but the request and that user's data version, which changes in
the same transaction as every write of their data (app.models.data_version); that is what makes their
ETags revalidate (app.etags). A client that kept the page revalidates it for a 304. A client that did not
(another tab or device, a reload without the browser's cache, every GraphQL POST, which no HTTP cache
keeps) had it built again, at the cost of its statement and serialization. Each worker now keeps the last
200 of each user's request, with the version it was built for, and the revalidation fast path
(app.revalidation) answers it again while that version is the user's current one.

- What may be kept is declared: a view marked `kept_per_version` (every resource's GET, the GraphQL
  endpoint, whose schema has no mutations). A response is kept only when it is a 200 to an API caller
  (token, no session cookie: the fast path has looked at the request, `KEY`), sets no cookie, is not
  streamed, and its view did not refuse it (`refuse_keeping`: a GraphQL result with errors).
- A kept response is keyed by its user and the request's identity (`request_identity`: method, URL with
  its query, scheme and host, which the URLs in the page name, and the body's digest) and tagged with the
  data version read when Flask-Login loaded the user, before anything the page shows: its content is of
  that version or newer, so when the fast path reads that same version as current, nothing was written
  since and the content is exactly that version's.
- The headers that belong to the request rather than to the page (rate-limit counts, CORS, Vary, which
  the fast path makes as Flask would) are not kept.
- Each worker holds at most RESPONSE_CACHE_BYTES (bodies, and a fixed cost per entry; least recently
  used first out; 0 keeps nothing); one user's request has one entry, replaced when its version moved on.
  A process keeps its own, so a release or a restart starts empty.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, g, request
from flask_login import current_user

from app.etags import data_tag

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

KEY = "appl_tracky.response_key"  # in the WSGI environ: (user id, identity), set by the fast path
MARKER = "kept_per_version"
_TAG = "response_cache_tag"
_REFUSED = "response_cache_refused"
# Headers of the request's own, made again for each answer (as Flask and its extensions make them).
REQUEST_HEADERS = frozenset({"vary", "retry-after", "set-cookie"})
REQUEST_HEADER_PREFIXES = ("x-ratelimit-", "access-control-")
MAX_BODY_TO_READ = 64 * 1024  # a POST body larger than this is left to Flask unread
ENTRY_OVERHEAD = 2048  # bytes an entry costs besides its body (key, headers; measured): small pages add up too


def kept_per_version(view: Callable[..., Any], methods: frozenset[str]) -> Callable[..., Any]:
    """Declare that a 200 of `view` to these `methods` (GET, or the POST of a read) depends on nothing but
    the request and its caller's data version."""
    setattr(view, MARKER, methods)
    return view


def keeping_endpoints(app: Flask) -> dict[str, frozenset[str]]:
    """The endpoints of `app` whose view declared `kept_per_version`, with the methods it declared."""
    declared = {endpoint: getattr(view, MARKER, None) for endpoint, view in app.view_functions.items()}
    return {endpoint: methods for endpoint, methods in declared.items() if methods}


def refuse_keeping() -> None:
    """Keep this request's response out of the cache (a view's answer that says more than its data)."""
    g.setdefault(_REFUSED, True)


def request_identity(environ: WSGIEnvironment, body: bytes) -> tuple[str, ...]:
    """What, besides the caller and their data, a kept response answers: the same for the same request."""
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
    return (
        environ["REQUEST_METHOD"],
        environ.get("wsgi.url_scheme", "http"),
        host,
        environ.get("SCRIPT_NAME", ""),
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
        environ.get("CONTENT_TYPE", ""),
        hashlib.blake2b(body, digest_size=16).hexdigest(),
    )


@dataclass(frozen=True)
class Kept:
    """A response as its view made it, for the version `tag` (`app.etags.data_tag`)."""

    tag: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


def _cost(kept: Kept) -> int:
    return len(kept.body) + ENTRY_OVERHEAD


class ResponseCache:
    """Kept responses by (user id, request identity), at most `capacity` bytes; thread-safe."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.size = 0
        self._entries: OrderedDict[tuple[uuid.UUID, tuple[str, ...]], Kept] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[uuid.UUID, tuple[str, ...]]) -> Kept | None:
        with self._lock:
            kept = self._entries.get(key)
            if kept is not None:
                self._entries.move_to_end(key)
            return kept

    def put(self, key: tuple[uuid.UUID, tuple[str, ...]], kept: Kept) -> None:
        if _cost(kept) > self.capacity // 4:  # one page never takes over the cache
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.size -= _cost(old)
            self._entries[key] = kept
            self.size += _cost(kept)
            while self.size > self.capacity:
                _, evicted = self._entries.popitem(last=False)
                self.size -= _cost(evicted)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.size = 0

    def __len__(self) -> int:
        return len(self._entries)


def is_request_header(name: str) -> bool:
    lowered = name.lower()
    return lowered in REQUEST_HEADERS or lowered.startswith(REQUEST_HEADER_PREFIXES)


def register_response_keeping(app: Flask, cache: ResponseCache) -> None:
    """Keep the 200s of `app`'s declared views in `cache` (see the module)."""

    @app.before_request
    def note_version() -> None:
        if KEY in request.environ and current_user.is_authenticated:
            g.setdefault(_TAG, data_tag(current_user))  # loads the user, before anything the page shows

    @app.after_request
    def keep(response: Response) -> Response:
        key = request.environ.get(KEY)  # set only for a declared endpoint and method
        tag = g.get(_TAG)
        if (
            key is None
            or tag is None
            or response.status_code != 200
            or response.is_streamed
            or g.get(_REFUSED)
            or "Set-Cookie" in response.headers
            or key[0] != current_user.id
        ):
            return response
        headers = tuple((name, value) for name, value in response.headers.items() if not is_request_header(name))
        cache.put(key, Kept(tag, headers, response.get_data()))
        return response
