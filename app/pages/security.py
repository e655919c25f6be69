"""The headers of every page and asset: a strict CSP (this server only, no inline script or style) and
the API's security headers (nginx.conf adds the same ones to the API's answers)."""

from __future__ import annotations

from flask import Response, current_app

PAGE_CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
HSTS = "max-age=31536000; includeSubDomains"


def add_security_headers(response: Response) -> Response:
    """The page headers; pages hold personal data, so nothing is cached unless the view said otherwise."""
    response.headers.update(SECURITY_HEADERS)
    if current_app.config["SESSION_COOKIE_SECURE"]:  # served over HTTPS: browsers keep to it
        response.headers["Strict-Transport-Security"] = HSTS
    response.headers.setdefault("Cache-Control", "no-store")
    return response
