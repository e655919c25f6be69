"""How every page is served, in one place: its declared login, CSRF, the acting user, one transaction.

A page is added through `PageBlueprint` and declares `login=True` or `login=False` (there is no default).
Signed out, a page that needs a login redirects to the sign-in page, which brings the user back. Every
POST must carry the session's CSRF token (Flask-WTF's CSRFProtect, checked here and nowhere else: the
API has no cookie to forge). A view that answers below 400 has its writes committed; one that answers
with its form's errors (4xx) has them rolled back, so a refused form never writes half a change. A page
that streams its work (a large import's commit, with its progress) ends its transaction in its own body:
it answers a `SelfCommittingResponse`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from app.errors import APIError
from app.extensions import csrf, db
from app.limits import allow_upload_body
from app.pages.security import add_security_headers
from app.permissions import acting_as

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SIGN_IN_ENDPOINT = "pages.sign_in"
PREFIX = "/account"


def safe_next(target: str | None) -> str | None:
    """`target` if it is a page of ours (a path under /account/), else None: never an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(PREFIX + "/") or "\\" in target:
        return None
    return target


def _to_sign_in() -> Response:
    target = request.full_path.rstrip("?") if request.method in SAFE_METHODS else None
    return redirect(url_for(SIGN_IN_ENDPOINT, next=safe_next(target)), 303)


class SelfCommittingResponse(Response):
    """A streamed page whose body commits or rolls back its own transaction once its work is done."""


def serve_page(view: Callable[..., Any], *, login: bool) -> Callable[..., Any]:
    """`view` behind its login (a redirect to sign in), as the acting user, with one commit or rollback."""

    @functools.wraps(view)
    def served(*args: Any, **kwargs: Any) -> Any:
        if login and not current_user.is_authenticated:
            return _to_sign_in()
        with acting_as(current_user._get_current_object()) if login else nullcontext():
            response = make_response(view(*args, **kwargs))
        if request.method not in SAFE_METHODS and not isinstance(response, SelfCommittingResponse):
            if response.status_code < 400:
                db.session.commit()
            else:
                db.session.rollback()
        return response

    return served


class PageBlueprint(Blueprint):
    """A blueprint whose every view declares `login=` and is served by `serve_page`; a view that takes a
    file larger than MAX_CONTENT_LENGTH names the setting that caps it (`upload="IMPORT_MAX_BYTES"`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.upload_settings: dict[str, str] = {}  # endpoint -> the setting capping its file

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        *,
        login: bool | None = None,
        upload: str | None = None,
        **options: Any,
    ) -> None:
        if view_func is not None:
            if login is None:
                raise TypeError(f"{self.name}: the page {rule} must declare login=True or login=False")
            if upload is not None:
                self.upload_settings[f"{self.name}.{endpoint or view_func.__name__}"] = upload
            view_func = serve_page(view_func, login=login)
        super().add_url_rule(rule, endpoint, view_func, provide_automatic_options, **options)


def _check_csrf() -> None:
    if request.method in SAFE_METHODS:
        return
    blueprint = current_app.blueprints.get(request.blueprint or "")
    setting = getattr(blueprint, "upload_settings", {}).get(request.endpoint)
    if setting is not None:  # the CSRF check reads the form: let it hold the file first
        allow_upload_body(setting)
    csrf.protect()


ERROR_TEXT = {
    400: "The request could not be understood.",
    404: "There is no such page, or it is not yours.",
    405: "This page cannot be used that way.",
    413: "The file is too large.",
    429: "Too many attempts in a short time. Wait a minute and try again.",
}
CSRF_TEXT = (
    "The form could not be checked: it was open for too long, or it was not sent from this site. "
    "Nothing was changed. Go back, reload the page and try again."
)


def error_page(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """An HTML error page (the API's errors stay JSON); an htmx request gets it in place of the content."""
    response = make_response(render_template("pages/error.html", status=status, message=message), status)
    response.headers.update(headers or {})
    if request.headers.get("HX-Request") == "true":  # htmx swaps the whole content, not the part it asked for
        response.headers.update({"HX-Retarget": "#main", "HX-Reselect": "#main", "HX-Reswap": "outerHTML"})
    return response


def _http_error(error: HTTPException) -> Response:
    db.session.rollback()
    status = error.code or 500
    if isinstance(error, CSRFError):
        return error_page(status, CSRF_TEXT)
    kept = {name: value for name, value in error.get_headers() if name.lower() in ("retry-after", "allow")}
    return error_page(status, ERROR_TEXT.get(status, error.description or error.name), kept)


def _api_error(error: APIError) -> Response:
    db.session.rollback()
    # The API's "Not found." says less than the page's text; other details say what went wrong.
    detail = error.detail if isinstance(error.detail, str) and error.status != 404 else None
    detail = detail or ERROR_TEXT.get(error.status, "Error.")
    return error_page(error.status, detail, error.headers)


def install_policies(blueprint: Blueprint) -> None:
    """CSRF before every page, the security headers after, HTML for the errors a page raises."""
    blueprint.before_request(_check_csrf)
    blueprint.after_request(add_security_headers)
    blueprint.register_error_handler(HTTPException, _http_error)
    blueprint.register_error_handler(APIError, _api_error)
