"""The Account page: names, password, "log out everywhere", restore an account file, delete the account.

Each form calls what the API calls: UserSchema for the names, `change_password`, `User.end_sessions`,
`restore_account` and `delete_account`.
"""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from marshmallow import ValidationError

from app.api import sign_in_limit
from app.auth.accounts import change_password, delete_account
from app.auth.schemas import PasswordChangeSchema
from app.errors import APIError
from app.exports.account import restore_account
from app.models import User, normalize_email
from app.pages.forms import FormErrors
from app.pages.session import end_session, start_session
from app.resources.exports.downloads import uploaded_account_file
from app.resources.users.schemas import UserSchema

# A password guesser on a signed-in browser gets the sign-in allowance, as on the API.
password_rate_limit = sign_in_limit(methods=["POST"])
# What a restore reports, table -> (one, several).
TABLE_WORDS = {
    "application": ("application", "applications"),
    "company": ("company", "companies"),
    "application_status": ("status", "statuses"),
    "label": ("label", "labels"),
    "import_batch": ("past import", "past imports"),
}


def _user() -> User:
    return current_user._get_current_object()


def _page(form: str | None = None, errors: FormErrors | None = None, status: int = 200) -> ResponseReturnValue:
    body = render_template(
        "pages/account.html",
        user=_user(),
        errors={form: errors} if form else {},
        values=request.form if form else {},
    )
    return make_response(body, status)


def _saved(message: str) -> ResponseReturnValue:
    flash(message, "success")
    return redirect(url_for("pages.account"), 303)


def account() -> ResponseReturnValue:
    """The account page."""
    return _page()


def names() -> ResponseReturnValue:
    """Change the first and last name."""
    data = {"first_name": request.form.get("first_name", ""), "last_name": request.form.get("last_name", "")}
    try:
        UserSchema().load(data, partial=True).apply(_user())
    except ValidationError as error:
        return _page("names", FormErrors.of(error), 400)
    return _saved("Your name is saved.")


@password_rate_limit
def password() -> ResponseReturnValue:
    """Change the password: every other session and token ends; this browser stays signed in."""
    form = request.form
    if form.get("new_password", "") != form.get("new_password_again", ""):
        return _page("password", FormErrors({"new_password_again": ["The two new passwords differ."]}), 400)
    try:
        body = PasswordChangeSchema().load(
            {"current_password": form.get("current_password", ""), "new_password": form.get("new_password", "")}
        )
        change_password(_user(), body["current_password"], body["new_password"])
    except ValidationError as error:
        return _page("password", FormErrors.of(error), 400)
    start_session(_user())  # at the new version: only the other sessions end
    return _saved("Your password is changed. You are still signed in here; everywhere else you are signed out.")


def log_out_everywhere() -> ResponseReturnValue:
    """End every session and token of the account, this browser's too."""
    _user().end_sessions()
    end_session()
    flash("You are signed out everywhere: on every browser, phone and app. Sign in again to continue.", "success")
    return redirect(url_for("pages.sign_in"), 303)


def _restored_summary(counts: dict[str, int]) -> str:
    parts = [
        f"{counts[table]} {one if counts[table] == 1 else several}"
        for table, (one, several) in TABLE_WORDS.items()
        if counts.get(table)
    ]
    return ", ".join(parts) or "an empty account"


def restore() -> ResponseReturnValue:
    """Restore an account file (from the Exports page) into this account, which must be empty."""
    try:
        data = uploaded_account_file(json_body=False)
        if data is None:
            return _page("restore", FormErrors({"file": ["Choose the account file to restore."]}), 400)
        result = restore_account(data, _user())
    except ValidationError as error:
        return _page("restore", FormErrors.under("file", error), 400)
    except APIError as error:
        return _page("restore", FormErrors({"file": [str(error.detail)]}), error.status)
    counts = {name: len(rows) for name, rows in result.rows.items()}
    return _saved(f"The account file is restored: {_restored_summary(counts)}.")


def delete() -> ResponseReturnValue:
    """Delete the account and everything in it, once its e-mail address is typed."""
    user = _user()
    if normalize_email(request.form.get("email", "")) != user.email:
        message = "Type your e-mail address exactly as shown to delete the account."
        return _page("delete", FormErrors({"email": [message]}), 400)
    delete_account(user)
    end_session()
    flash("Your account and everything in it are deleted.", "success")
    return redirect(url_for("pages.sign_in"), 303)
