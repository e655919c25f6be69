"""The Account page: names, password, "log out everywhere", restore an account file, delete the account."""

from __future__ import annotations

from flask import make_response, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.pages.forms import FormErrors


def _page(errors: dict[str, FormErrors] | None = None, status: int = 200) -> ResponseReturnValue:
    return make_response(render_template("pages/account.html", user=current_user, errors=errors or {}), status)


def account() -> ResponseReturnValue:
    """The account page."""
    return _page()
