"""The pages' static files: served by the app from the named files only, cached by versioned URL, and the
vendored htmx is exactly the npm file its README names."""

from __future__ import annotations

import hashlib
import re

from flask.testing import FlaskClient

from app.pages.assets import ASSETS, ASSETS_VERSION, STATIC_DIR

VENDOR_README = STATIC_DIR / "vendor" / "README.md"


def test_the_vendored_htmx_is_the_file_its_readme_names() -> None:
    readme = VENDOR_README.read_text()
    for name, version, digest in re.findall(r"\| `(htmx-([\d.]+)\.min\.js)` \|.*?sha256 `([0-9a-f]{64})`", readme):
        assert ASSETS["htmx.min.js"] == f"vendor/{name}"
        assert hashlib.sha256((STATIC_DIR / "vendor" / name).read_bytes()).hexdigest() == digest
        assert f'version:"{version}"' in (STATIC_DIR / "vendor" / name).read_text()
        break
    else:
        raise AssertionError("the vendor README names no htmx file")
    assert (STATIC_DIR / "vendor" / "htmx-LICENSE.txt").read_text().startswith("Zero-Clause BSD")


def test_assets_are_served_with_a_year_of_cache_and_the_page_headers(client: FlaskClient) -> None:
    for name in ASSETS:
        response = client.get(f"/account/assets/{ASSETS_VERSION}/{name}")
        assert response.status_code == 200, name
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.mimetype in ("text/css", "text/javascript", "application/javascript")
        response.close()


def test_only_the_named_assets_of_the_current_version_are_served(client: FlaskClient) -> None:
    assert client.get(f"/account/assets/{ASSETS_VERSION}/README.md").status_code == 404
    assert client.get(f"/account/assets/{ASSETS_VERSION}/vendor%2Fhtmx-LICENSE.txt").status_code == 404
    assert client.get("/account/assets/0000000000000000/app.js").status_code == 404
