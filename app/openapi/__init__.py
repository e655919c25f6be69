"""The API's OpenAPI 3 description at /api/openapi.json, and interactive docs (Swagger UI) at /api/docs."""

from __future__ import annotations

import base64
import hashlib

from flask import Response, current_app, jsonify, url_for
from markupsafe import escape

from app.api import ApiBlueprint
from app.openapi.spec import build_spec

blueprint = ApiBlueprint("openapi", __name__)

# Swagger UI from a CDN, pinned, with subresource integrity (the hashes of the npm package's files).
SWAGGER_UI = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.35.0"
SWAGGER_UI_JS_SRI = "sha384-gjRm0bEPMeTmMh5jT2cHccIwCUZSTd8YC+j0d0sXw0MdGEfScduGpSyF3ZSSLkX9"
SWAGGER_UI_CSS_SRI = "sha384-WlYgdmXYOOBWL5apwjDEZwN+U3HmXSSu5R6V5aGxEcf7z+KuRNwBhoxKVN1i3D5I"

# The page's one inline script, allowed by its hash in the page's Content-Security-Policy.
DOCS_INIT_SCRIPT = """
    const root = document.getElementById("swagger-ui");
    window.ui = SwaggerUIBundle({url: root.dataset.specUrl, dom_id: "#swagger-ui", deepLinking: true});
  """
DOCS_INIT_HASH = base64.b64encode(hashlib.sha256(DOCS_INIT_SCRIPT.encode()).digest()).decode()
DOCS_CSP = "; ".join(
    (
        "default-src 'none'",
        f"script-src {SWAGGER_UI} 'sha256-{DOCS_INIT_HASH}'",
        f"style-src {SWAGGER_UI}",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    )
)

DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Appl Tracky API</title>
  <link rel="stylesheet" href="{cdn}/swagger-ui.css" integrity="{css_sri}" crossorigin="anonymous">
</head>
<body>
  <div id="swagger-ui" data-spec-url="{spec_url}"></div>
  <script src="{cdn}/swagger-ui-bundle.js" integrity="{js_sri}" crossorigin="anonymous"></script>
  <script>{init_script}</script>
</body>
</html>
"""


@blueprint.get("/api/openapi.json", login=False)
def openapi_json() -> Response:
    """The OpenAPI 3 description of this API, generated from its views and schemas."""
    spec = current_app.extensions.get("openapi_spec")
    if spec is None:  # built once per process, after every blueprint is registered
        spec = current_app.extensions["openapi_spec"] = build_spec(current_app)
    return jsonify(spec)


@blueprint.get("/api/docs", strict_slashes=False, login=False)
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
        cdn=SWAGGER_UI,
        css_sri=SWAGGER_UI_CSS_SRI,
        js_sri=SWAGGER_UI_JS_SRI,
        spec_url=escape(url_for("openapi.openapi_json")),
        init_script=DOCS_INIT_SCRIPT,
    )
    return Response(page, mimetype="text/html", headers={"Content-Security-Policy": DOCS_CSP})
