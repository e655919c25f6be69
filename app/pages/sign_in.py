"""Signing in and out of the pages: e-mail and password, or Google's redirect flow where configured.

The same accounts, checks and rate limit as the API's sign-in (app/auth): `authenticate` for the
password, `google.sign_in` and `user_for_identity` for Google. A signed-in browser holds a session cookie
(app/pages/session.py), never a token.
"""

from __future__ import annotations

import secrets

from flask import flash, make_response, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from marshmallow import ValidationError

from app.api import sign_in_limit
from app.auth import google
from app.auth.accounts import authenticate, user_for_identity
from app.auth.schemas import LoginSchema
from app.errors import APIError
from app.extensions import db
from app.pages.blueprint import safe_next
from app.pages.forms import FormErrors
from app.pages.session import end_session, start_session

HOME_ENDPOINT = "pages.account"
GOOGLE_STATE_KEY = "google_state"
GOOGLE_NEXT_KEY = "google_next"

# The API's sign-in allowance (RATELIMIT_AUTH per client address), for the page's POSTs.
sign_in_rate_limit = sign_in_limit(methods=["POST"])


def _page(errors: FormErrors | None = None, email: str = "", status: int = 200) -> ResponseReturnValue:
    body = render_template(
        "pages/sign_in.html",
        errors=errors or FormErrors(),
        email=email,
        next=safe_next(request.values.get("next")),
        google=google.is_configured(),
    )
    return make_response(body, status)


def _home(target: str | None) -> ResponseReturnValue:
    return redirect(safe_next(target) or url_for(HOME_ENDPOINT), 303)


@sign_in_rate_limit
def sign_in() -> ResponseReturnValue:
    """The sign-in form (GET), and signing in with an e-mail and a password (POST)."""
    if request.method == "GET":
        if current_user.is_authenticated:
            return _home(request.args.get("next"))
        return _page()
    email = request.form.get("email", "")
    try:
        body = LoginSchema().load({"username": email, "password": request.form.get("password", "")})
        user = authenticate(body["username"], body["password"])
    except ValidationError as error:
        return _page(FormErrors.of(error, {"username": "email"}), email, 400)
    except APIError as error:
        return _page(FormErrors.form(str(error.detail)), email, error.status)
    start_session(user)
    return _home(request.form.get("next"))


def sign_out() -> ResponseReturnValue:
    """Sign this browser out (a POST from the navigation's button)."""
    end_session()
    flash("You are signed out.", "info")
    return redirect(url_for("pages.sign_in"), 303)


def _google_callback_url() -> str:
    return url_for("pages.google_callback", _external=True)


def google_start() -> ResponseReturnValue:
    """Send the browser to Google to sign in; Google sends it back to `google_callback`."""
    state = secrets.token_urlsafe(32)
    try:
        target = google.authorization_url(_google_callback_url(), state)
    except APIError as error:
        return _page(FormErrors.form(str(error.detail)), status=error.status)
    session[GOOGLE_STATE_KEY] = state
    session[GOOGLE_NEXT_KEY] = safe_next(request.args.get("next"))
    return redirect(target, 303)


def google_callback() -> ResponseReturnValue:
    """Where Google sends the browser back: check `state`, exchange the code, sign the user in."""
    expected, target = session.pop(GOOGLE_STATE_KEY, None), session.pop(GOOGLE_NEXT_KEY, None)
    state, code = request.args.get("state", ""), request.args.get("code", "")
    if not expected or not secrets.compare_digest(state, expected):
        return _page(FormErrors.form("The Google sign-in could not be checked; try again."), status=400)
    if request.args.get("error") or not code:
        return _page(FormErrors.form("Google sign-in was cancelled or refused."), status=400)
    try:
        user = user_for_identity(google.sign_in(code, _google_callback_url()))
    except APIError as error:
        db.session.rollback()
        return _page(FormErrors.form(str(error.detail)), status=error.status)
    db.session.commit()  # a first sign-in creates the account; this GET writes it before the session names it
    start_session(user)
    return _home(target)
