"""CORS for the API and GraphQL (flask-cors): its settings, and its headers for a request outside Flask.

The React client runs on another origin (CORS_ORIGINS) and sends credentials. flask-cors adds its
headers to every response Flask makes; the revalidation fast path (app.revalidation) answers some
requests before Flask, and asks `cors_headers` for the same headers, computed by flask-cors' own
functions from the same settings, resolved once like flask-cors resolves them in `init_app`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from flask import Flask
from flask_cors.core import get_cors_headers, get_cors_options, parse_resources, try_match_pattern
from werkzeug import Request

from app.extensions import cors

RESOURCES = {r"/api/*": {}, r"/graphql*": {}}


def cors_settings(app: Flask) -> dict[str, Any]:
    """What `cors.init_app` is given for `app`."""
    return {
        "resources": RESOURCES,
        "origins": app.config["CORS_ORIGINS"],
        "supports_credentials": True,
        "allow_headers": ["authorization", "content-type"],
        "methods": ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        "max_age": 600,
    }


def init_cors(app: Flask) -> None:
    """Add the CORS headers to every response of `app` (flask-cors), and keep the resolved settings for
    `cors_headers`."""
    settings = cors_settings(app)
    cors.init_app(app, **settings)
    app.extensions["cors_resources"] = [
        (pattern, get_cors_options(app, settings, options)) for pattern, options in parse_resources(RESOURCES)
    ]


def cors_headers(app: Flask, request: Request) -> list[tuple[str, str]]:
    """The headers flask-cors adds to a response to `request` (as its after-request function does: the
    first resource whose pattern matches the path)."""
    path = unquote(request.path)
    for pattern, options in app.extensions["cors_resources"]:
        if try_match_pattern(path, pattern, caseSensitive=True):
            headers = get_cors_headers(options, request.headers, request.method)
            return [(name, str(value)) for name, value in headers.items()]
    return []
