"""API documentation: the OpenAPI description and an interactive Swagger UI page to try it out.

Swagger UI is served by this app from the `flask-swagger-ui` package (which ships the `swagger-ui-dist`
files), never from a CDN, so the page works offline. It runs under a Content-Security-Policy that allows
this server alone: no inline script (its start-up code is `static/docs.js`), no other host.
"""

from __future__ import annotations

import hashlib
from importlib.metadata import version
from pathlib import Path

import flask_swagger_ui
from flask import Response, abort, send_from_directory, url_for
from markupsafe import escape

SWAGGER_UI_DIR = Path(flask_swagger_ui.__file__).resolve().parent / "dist"
OWN_DIR = Path(__file__).resolve().parent / "static"
# Every file the page loads, and where it lives: nothing else is served under the assets URL.
ASSETS: dict[str, Path] = {
    "swagger-ui.css": SWAGGER_UI_DIR,
    "swagger-ui-bundle.js": SWAGGER_UI_DIR,
    "favicon-32x32.png": SWAGGER_UI_DIR,
    "docs.js": OWN_DIR,
}


def _assets_version() -> str:
    """Changes whenever an asset can: the package's version and our own script's content."""
    digest = hashlib.sha256(version("flask-swagger-ui").encode())
    digest.update((OWN_DIR / "docs.js").read_bytes())
    return digest.hexdigest()[:16]


ASSETS_VERSION = _assets_version()
DOCS_CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",  # swagger-ui.css draws its icons as data: SVGs
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
DOCS_HEADERS = {
    "Content-Security-Policy": DOCS_CSP,
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",  # the page is tiny; revalidating it picks up new asset URLs at once
}
# The URL names the version, so a browser may keep an asset for a year: a new one gets a new URL.
ASSET_HEADERS = {
    **DOCS_HEADERS,
    "Cache-Control": "public, max-age=31536000, immutable",
}

DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Appl Tracky API</title>
  <link rel="stylesheet" href="{css}">
  <link rel="icon" type="image/png" href="{icon}">
</head>
<body>
  <div id="swagger-ui" data-spec-url="{spec_url}"></div>
  <script src="{bundle}"></script>
  <script src="{init}"></script>
</body>
</html>
"""


def _asset_url(filename: str) -> str:
    return escape(url_for("openapi.docs_asset", assets_version=ASSETS_VERSION, filename=filename))


def docs() -> Response:
    """Interactive documentation of this API (Swagger UI).

    ---
    responses:
      "200":
        description: An HTML page.
        content:
          text/html: {}
    """
    page = DOCS_PAGE.format(
        css=_asset_url("swagger-ui.css"),
        icon=_asset_url("favicon-32x32.png"),
        bundle=_asset_url("swagger-ui-bundle.js"),
        init=_asset_url("docs.js"),
        spec_url=escape(url_for("openapi.openapi_json")),
    )
    return Response(page, mimetype="text/html", headers=DOCS_HEADERS)


def docs_asset(assets_version: str, filename: str) -> Response:
    """A script, stylesheet or icon of the documentation page.

    The URL carries the version of the assets, so they may be cached for a year.
    ---
    responses:
      "200":
        description: The file.
        content:
          text/javascript: {}
          text/css: {}
          image/png: {}
    """
    folder = ASSETS.get(filename)
    if folder is None or assets_version != ASSETS_VERSION:
        abort(404)
    response = send_from_directory(folder, filename, max_age=31536000)
    response.headers.update(ASSET_HEADERS)
    return response
