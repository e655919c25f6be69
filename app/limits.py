"""How large a request body may be, per endpoint, from the settings in app/config.py alone.

Every body is capped by `MAX_CONTENT_LENGTH` (JSON and everything else), except the uploads, whose
file has a setting of its own; their body may be that file plus a multipart envelope (boundaries,
part headers, the import's option fields). nginx.conf sets `client_max_body_size` per location to
exactly these numbers (tests/test_limits.py compares them with the defaults).
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import current_app, request

MULTIPART_ENVELOPE_BYTES = 64 * 1024

# URL prefix (an nginx location; without the slash, which the routes do not require) -> the setting that
# caps the file its requests carry.
UPLOAD_LIMIT_SETTINGS = {
    "/api/private-image": "IMAGE_MAX_BYTES",
    "/api/imports": "IMPORT_MAX_BYTES",
    "/api/imports/account": "ACCOUNT_IMPORT_MAX_BYTES",
    "/account/restore": "ACCOUNT_IMPORT_MAX_BYTES",  # the Account page's restore form (app/pages)
    "/account/imports": "IMPORT_MAX_BYTES",  # the import wizard's upload
}


def body_limits(config: Mapping[str, object]) -> dict[str, int]:
    """The largest body, in bytes, under each URL prefix ("/" is every other URL)."""
    limits = {"/": int(config["MAX_CONTENT_LENGTH"])}
    for prefix, setting in UPLOAD_LIMIT_SETTINGS.items():
        limits[prefix] = int(config[setting]) + MULTIPART_ENVELOPE_BYTES
    return limits


def allow_upload_body(setting: str) -> int:
    """Let this request's body hold a file of up to `setting` bytes plus the envelope; returns the file limit."""
    limit = current_app.config[setting]
    request.max_content_length = limit + MULTIPART_ENVELOPE_BYTES
    return limit


def megabytes(size: int) -> str:
    """`size` for a message: "10 MB", "5.5 MB"."""
    return f"{size / (1024 * 1024):g} MB"
