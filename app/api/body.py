"""The request's JSON body, read the same way by every face."""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.exceptions import BadRequest

from app.errors import APIError


def json_body() -> Any:
    """The request's JSON; malformed or absurdly nested input is a 400, never a 500."""
    try:
        return request.get_json()  # too deep a document is a ValueError of the app's parser (app/json_limits.py)
    except BadRequest as exc:
        # Flask answers undecodable JSON with a bare BadRequest outside debug mode; say what was wrong.
        # (A wrong content type is a 415 and a body over MAX_CONTENT_LENGTH a 413: not BadRequests.)
        raise APIError(400, "Malformed JSON in the request body.") from exc
