"""The pages' static files (our stylesheet and script, the vendored htmx), served by the app itself.

Only the files named in ASSETS are served. Their URL carries a digest of all of them, so a browser may
keep them for a year: any change to a file gives every file a new URL.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Response, abort, send_from_directory, url_for

STATIC_DIR = Path(__file__).resolve().parent / "static"
# URL name -> file under STATIC_DIR.
ASSETS: dict[str, str] = {
    "app.css": "app.css",
    "app.js": "app.js",
    "htmx.min.js": "vendor/htmx-2.0.11.min.js",
    "imports.css": "imports.css",
    "imports.js": "imports.js",
}


def _assets_version() -> str:
    digest = hashlib.sha256()
    for name in sorted(ASSETS):
        digest.update((STATIC_DIR / ASSETS[name]).read_bytes())
    return digest.hexdigest()[:16]


ASSETS_VERSION = _assets_version()


def asset_url(name: str) -> str:
    """The URL of an asset, for the templates."""
    if name not in ASSETS:
        raise KeyError(f"no page asset named {name!r}")
    return url_for("pages.asset", assets_version=ASSETS_VERSION, name=name)


def asset(assets_version: str, name: str) -> Response:
    """A stylesheet or script of the pages (cached for a year: the URL names its version)."""
    path = ASSETS.get(name)
    if path is None or assets_version != ASSETS_VERSION:
        abort(404)
    response = send_from_directory(STATIC_DIR, path, max_age=31536000)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
