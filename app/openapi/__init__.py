"""The API's OpenAPI 3 description at /api/openapi.json, and interactive docs (Swagger UI) at /api/docs."""

from __future__ import annotations

from flask import Response, current_app, jsonify

from app.api import ApiBlueprint
from app.openapi.docs import docs, docs_asset
from app.openapi.spec import build_spec

blueprint = ApiBlueprint("openapi", __name__)
blueprint.add_url_rule("/api/docs", view_func=docs, strict_slashes=False, login=False)
blueprint.add_url_rule("/api/docs/assets/<assets_version>/<filename>", view_func=docs_asset, login=False)


@blueprint.get("/api/openapi.json", login=False)
def openapi_json() -> Response:
    """The OpenAPI 3 description of this API, generated from its views and schemas."""
    spec = current_app.extensions.get("openapi_spec")
    if spec is None:  # built once per process, after every blueprint is registered
        spec = current_app.extensions["openapi_spec"] = build_spec(current_app)
    return jsonify(spec)
