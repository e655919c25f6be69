"""The revalidation fast path: a page that has not changed is answered 304 (or again, 200) before Flask runs.

A client that kept a page sends its tag back in `If-None-Match` (browsers and the React client do it by
themselves). When the tag still names the user's data version (app.etags), the answer is a 304 with no
body. Through Flask that costs the whole request pipeline (context, Flask-Login, the ORM, hooks) for an
answer that depends on one row. This WSGI middleware answers it from the same pieces, without them:

- only for a GET or HEAD of an endpoint whose view declared it (`revalidates`), matched by Flask's own
  URL map and adapter, with an `If-None-Match` and an access token in `Authorization`;
- the token verified by app.auth.tokens (`verify_token`), its holder read by app.auth.loader
  (`holder_version`: the one indexed statement Flask-Login runs, same refusals: revoked token, older
  token_version, inactive user), the tag compared by app.etags (`unchanged_among`);
- the request counted against the rate limit Flask-Limiter would count it against, on the same counter
  (app.revalidation_limits: `count_revalidation`), once the answer is known to be a 304;
- the response made of the headers Flask's 304 carries: the tag and Cache-Control (`page_headers`),
  Flask-Limiter's X-RateLimit-* and Retry-After, the CORS headers flask-cors would add (app.cors), and
  `Vary: Cookie`, which Flask's session interface adds to every API response because Flask-Login looks
  into the session.

The same pieces answer a read of a page this worker kept for the user's current data version (a GET of
a resource, the GraphQL POST: app.response_cache) with the kept status line, headers and body, and this
request's own rate-limit, CORS and Vary headers; any other read of a declared endpoint leaves its key in
the environ, for Flask to keep its answer under.

Everything else goes to Flask untouched, which answers it as it always has: no tag or a stale one and no
page kept for the current version, no token or a refused one, another route or method, URLs Flask would
redirect. Also, on purpose:
- a rate limit exhausted (Flask answers 429), its storage failing or replaced by Flask-Limiter's
  in-memory fallback (Flask counts there);
- a request carrying the pages' session cookie or Flask-Login's remember cookie: Flask refreshes the
  former (Set-Cookie) and Flask-Login reads the latter instead of the token;
- any failure here, a database error included: Flask then answers (a 503 in JSON if the database is
  down), never an error page of this module.

The statement runs in autocommit and without the pool's ping (app.database: `single_statement_engine`):
one round trip to the database, and no transaction stays open between requests. Each worker thread keeps
its connection of that engine from one request to the next (checking one out of the pool and back cost a
sixth of a 304); one that fails is closed and replaced on the next request. An in-memory SQLite database
(tests) lives in Flask's one connection, which is checked out per request instead.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask, Request
from flask_login.config import COOKIE_NAME
from sqlalchemy import Row
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.http import parse_set_header

from app.auth.loader import holder_version
from app.auth.tokens import InvalidToken, TokenClaims, signing_secret, token_from_header, verify_token
from app.cors import cors_headers
from app.database import single_statement_engine
from app.etags import data_tag, page_headers, unchanged_among
from app.extensions import db
from app.response_cache import (
    KEY,
    MAX_BODY_TO_READ,
    Kept,
    ResponseCache,
    keeping_endpoints,
    register_response_keeping,
    request_identity,
)
from app.revalidation_limits import count_revalidation

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

MARKER = "revalidates"
METHODS = frozenset({"GET", "HEAD"})
KEPT_METHODS = frozenset({"GET", "POST"})
NOT_MODIFIED = "304 NOT MODIFIED"  # werkzeug's status lines, which Flask sends
OK = "200 OK"


def revalidates(view: Callable[..., Any]) -> Callable[..., Any]:
    """Declare that a GET of `view` answers 304 (`page_headers(unchanged_tag(caller))`) before doing
    anything else, whenever `app.etags.unchanged_tag` finds a tag: the fast path may then answer it."""
    setattr(view, MARKER, True)
    return view


def revalidating_endpoints(app: Flask) -> frozenset[str]:
    """The endpoints of `app` whose view declared `revalidates` (the marker survives functools.wraps)."""
    return frozenset(endpoint for endpoint, view in app.view_functions.items() if getattr(view, MARKER, False))


class Revalidation:
    """The WSGI middleware (see the module): 304 for an unchanged page, else `wrapped` (Flask)."""

    def __init__(self, app: Flask, wrapped: WSGIApplication, cache: ResponseCache) -> None:
        self.app = app
        self.wrapped = wrapped
        self.endpoints = revalidating_endpoints(app)
        self.kept_endpoints = keeping_endpoints(app)
        self.cache = cache
        config = app.config
        with app.app_context():
            self.engine = single_statement_engine(db.engine, config["SQLALCHEMY_ENGINE_OPTIONS"])
            self.holds_connections = self.engine is not db.engine
        self.held = threading.local()
        self.cookies = (config["SESSION_COOKIE_NAME"], config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME))

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        answer = None
        if "HTTP_AUTHORIZATION" in environ and environ.get("REQUEST_METHOD") in METHODS | KEPT_METHODS:
            answer = self.answer(environ)
        if answer is None:
            return self.wrapped(environ, start_response)
        status, headers, body = answer
        start_response(status, headers)
        return body

    def answer(self, environ: WSGIEnvironment) -> tuple[str, list[tuple[str, str]], list[bytes]] | None:
        """The 304, or the kept 200, for this request, or None for Flask to answer it."""
        try:
            return self._answer(environ)
        except SQLAlchemyError as exc:
            log.warning("revalidation left to Flask after a database error: %s", exc.__class__.__name__)
        except Exception:
            log.exception("revalidation left to Flask after an unexpected error")
        return None

    def _answer(self, environ: WSGIEnvironment) -> tuple[str, list[tuple[str, str]], list[bytes]] | None:
        app = self.app
        if self._carries_login_cookie(environ):
            return None
        method = environ["REQUEST_METHOD"]
        revalidating = method in METHODS and "HTTP_IF_NONE_MATCH" in environ
        keeping = method in KEPT_METHODS and self.cache.capacity > 0
        if not (revalidating or keeping):
            return None
        request = app.request_class(environ)
        try:
            rule, _ = app.create_url_adapter(request).match(return_rule=True)  # type: ignore[union-attr]
        except HTTPException:  # not found, method not allowed, a redirect, an untrusted host
            return None
        revalidating = revalidating and rule.endpoint in self.endpoints
        keeping = keeping and method in self.kept_endpoints.get(rule.endpoint, ())
        if not (revalidating or keeping):
            return None
        token = token_from_header(request.headers.get("Authorization"))
        if token is None:
            return None
        try:
            claims = verify_token(token, "access", signing_secret(app.config))
        except InvalidToken:
            return None
        holder = None
        if revalidating:
            holder = self._holder(claims)
            if holder is None:
                return None
            tag = unchanged_among(request.if_none_match, holder)
            if tag is not None:
                headers = self._request_headers(request, rule.endpoint, claims)
                return None if headers is None else (NOT_MODIFIED, [*page_headers(tag).items(), *headers], [])
        if not keeping:
            return None
        kept = self._kept(environ, claims)
        if kept is None:
            return None
        if holder is None:
            holder = self._holder(claims)
        if holder is None or data_tag(holder) != kept.tag:
            return None
        headers = self._request_headers(request, rule.endpoint, claims)
        return None if headers is None else (OK, [*kept.headers, *headers], [kept.body])

    def _kept(self, environ: WSGIEnvironment, claims: TokenClaims) -> Kept | None:
        """The response kept for this request of this user, if any; the request's key is left in `environ`
        for Flask to keep its answer under (a POST's body, read here, is given back to Flask)."""
        body = b""
        if environ["REQUEST_METHOD"] == "POST":
            length = environ.get("CONTENT_LENGTH", "")
            if not length.isdigit() or int(length) > MAX_BODY_TO_READ:
                return None
            body = environ["wsgi.input"].read(int(length))
            environ["wsgi.input"] = io.BytesIO(body)
        key = environ[KEY] = (claims.user_id, request_identity(environ, body))
        return self.cache.get(key)

    def _request_headers(self, request: Request, endpoint: str, claims: TokenClaims) -> list[tuple[str, str]] | None:
        """The headers of this request's own on a fast answer, as Flask would add them (the request counted
        against its rate limit), or None for Flask to answer (a limit reached)."""
        limit_headers = count_revalidation(self.app, endpoint, claims.user_id)
        if limit_headers is None:
            return None
        return vary_on_cookie([*limit_headers, *cors_headers(self.app, request)])

    def _holder(self, claims: TokenClaims) -> Row | None:
        """`holder_version` of the token's user, read on this thread's connection (see the module)."""
        if not self.holds_connections:
            with self.engine.connect() as connection:
                return holder_version(connection, claims)
        connection = getattr(self.held, "connection", None)
        if connection is None or connection.engine is not self.engine:
            self.release()
            connection = self.held.connection = self.engine.connect()
        try:
            return holder_version(connection, claims)
        except SQLAlchemyError:
            self.release()  # a dropped connection is invalidated already: the pool discards it
            raise

    def release(self) -> None:
        """Return this thread's connection to its pool (a thread that ends; the next request opens another)."""
        connection = getattr(self.held, "connection", None)
        self.held.connection = None
        if connection is not None:
            connection.close()

    def _carries_login_cookie(self, environ: WSGIEnvironment) -> bool:
        """Whether the Cookie header may name the session or remember cookie (a cheap, safe over-guess)."""
        cookie = environ.get("HTTP_COOKIE", "")
        return any(name in cookie for name in self.cookies)


def vary_on_cookie(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`headers` with Cookie added to their Vary, as Flask's session interface does (`response.vary.add`):
    into the first Vary header (flask-cors' Vary: Origin), which replaces any other, else as a last one."""
    first = next((index for index, (name, _) in enumerate(headers) if name.lower() == "vary"), None)
    if first is None:
        return [*headers, ("Vary", "Cookie")]
    varies = parse_set_header(headers[first][1])
    varies.add("Cookie")
    rest = [header for header in headers[first + 1 :] if header[0].lower() != "vary"]
    return [*headers[:first], ("Vary", varies.to_header()), *rest]


def install_revalidation(app: Flask) -> Revalidation:
    """Put the fast path in front of `app` (once its blueprints are registered: it reads their declarations)."""
    cache = ResponseCache(app.config["RESPONSE_CACHE_BYTES"])
    register_response_keeping(app, cache)
    middleware = Revalidation(app, app.wsgi_app, cache)
    app.wsgi_app = middleware  # type: ignore[method-assign]
    app.extensions["revalidation"] = middleware
    return middleware
