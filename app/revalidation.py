"""The revalidation fast path: a page that has not changed is answered 304 before Flask runs.

A client that kept a page sends its tag back in `If-None-Match` (browsers and the React client do it by
themselves). When the tag still names the user's data version (app.etags), the answer is a 304 with no
body. Through Flask that costs the whole request pipeline (context, Flask-Login, the ORM, hooks) for an
answer that depends on one row. This WSGI middleware answers it from the same pieces, without them:

- only for a GET or HEAD of an endpoint whose view declared it (`revalidates`), matched by Flask's own
  URL map and adapter, with an `If-None-Match` and an access token in `Authorization`;
- the token verified by app.auth.tokens (`verify_token`), its holder read by app.auth.loader
  (`holder_version`: the one indexed statement Flask-Login runs, same refusals: revoked token, older
  token_version, inactive user), the tag compared by app.etags (`unchanged_among`);
- the response made of the headers Flask's 304 carries: the tag and Cache-Control (`page_headers`), the
  CORS headers flask-cors would add (app.cors), and `Vary: Cookie`, which Flask's session interface adds
  to every API response because Flask-Login looks into the session.

Everything else goes to Flask untouched, which answers it as it always has: no tag or a stale one, no
token or a refused one, another route or method, URLs Flask would redirect. Also, on purpose:
- rate limits on (RATELIMIT_ENABLED): Flask-Limiter counts every request and adds its headers;
- a request carrying the pages' session cookie or Flask-Login's remember cookie: Flask refreshes the
  former (Set-Cookie) and Flask-Login reads the latter instead of the token;
- any failure here, a database error included: Flask then answers (a 503 in JSON if the database is
  down), never an error page of this module.

The statement runs on a connection checked out for it alone and returned at once (its read-only
transaction committed, which keeps psycopg's prepared statements, app.read_transactions): nothing stays
open between requests.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask
from flask_login.config import COOKIE_NAME
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from app.auth.loader import holder_version
from app.auth.tokens import InvalidToken, signing_secret, token_from_header, verify_token
from app.cors import cors_headers
from app.etags import page_headers, unchanged_among
from app.extensions import db

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

MARKER = "revalidates"
METHODS = frozenset({"GET", "HEAD"})


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

    def __init__(self, app: Flask, wrapped: WSGIApplication) -> None:
        self.app = app
        self.wrapped = wrapped
        self.endpoints = revalidating_endpoints(app)
        with app.app_context():
            self.engine = db.engine
        config = app.config
        self.cookies = (config["SESSION_COOKIE_NAME"], config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME))

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        response = None
        if (
            environ.get("REQUEST_METHOD") in METHODS
            and "HTTP_IF_NONE_MATCH" in environ
            and "HTTP_AUTHORIZATION" in environ
        ):
            response = self.answer(environ)
        if response is None:
            return self.wrapped(environ, start_response)
        return response(environ, start_response)

    def answer(self, environ: WSGIEnvironment) -> Response | None:
        """The 304 for this request, or None for Flask to answer it."""
        try:
            return self._not_modified(environ)
        except SQLAlchemyError as exc:
            log.warning("revalidation left to Flask after a database error: %s", exc.__class__.__name__)
        except Exception:
            log.exception("revalidation left to Flask after an unexpected error")
        return None

    def _not_modified(self, environ: WSGIEnvironment) -> Response | None:
        app = self.app
        if app.config["RATELIMIT_ENABLED"] or self._carries_login_cookie(environ):
            return None
        request = app.request_class(environ)
        try:
            rule, _ = app.create_url_adapter(request).match(return_rule=True)  # type: ignore[union-attr]
        except HTTPException:  # not found, method not allowed, a redirect, an untrusted host
            return None
        if rule.endpoint not in self.endpoints:
            return None
        token = token_from_header(request.headers.get("Authorization"))
        if token is None:
            return None
        try:
            claims = verify_token(token, "access", signing_secret(app.config))
        except InvalidToken:
            return None
        with self.engine.connect() as connection:
            holder = holder_version(connection, claims)
            connection.commit()  # not a rollback, which would discard the connection's prepared statements
        if holder is None:
            return None
        tag = unchanged_among(request.if_none_match, holder)
        if tag is None:
            return None
        response = app.response_class(status=304, headers=page_headers(tag))
        for name, value in cors_headers(app, request):
            response.headers.add(name, value)
        response.vary.add("Cookie")
        return response

    def _carries_login_cookie(self, environ: WSGIEnvironment) -> bool:
        """Whether the Cookie header may name the session or remember cookie (a cheap, safe over-guess)."""
        cookie = environ.get("HTTP_COOKIE", "")
        return any(name in cookie for name in self.cookies)


def install_revalidation(app: Flask) -> Revalidation:
    """Put the fast path in front of `app` (once its blueprints are registered: it reads their declarations)."""
    middleware = Revalidation(app, app.wsgi_app)
    app.wsgi_app = middleware  # type: ignore[method-assign]
    app.extensions["revalidation"] = middleware
    return middleware
