"""The pages' sign-in: a Flask-Login session in Flask's signed cookie, for the /account/ pages alone.

The session names the user and the `token_version` it was started at. Only a request to a page reads it
(the API stays token-only, so a cookie can never authorize an API call that has no CSRF check), and it is
refused once the version moved: "log out everywhere" and a password change end every session, exactly as
they refuse every token.
"""

from __future__ import annotations

import uuid

from flask import request, session
from flask_login import LoginManager, login_user, logout_user

from app.extensions import db
from app.models import User

BLUEPRINT = "pages"
VERSION_KEY = "token_version"


def session_user(user_id: str) -> User | None:
    """The active user a page request's session names, if the session is still valid; else None."""
    if request.blueprint != BLUEPRINT:
        return None
    try:
        key = uuid.UUID(user_id)
    except (ValueError, TypeError):
        return None
    user = db.session.get(User, key)
    if user is None or not user.is_active or session.get(VERSION_KEY) != user.token_version:
        return None
    return user


def start_session(user: User) -> None:
    """Sign `user` in on this browser: a fresh session (a new CSRF token too) at the user's current version."""
    session.clear()
    login_user(user)
    session[VERSION_KEY] = user.token_version
    session.permanent = True  # PERMANENT_SESSION_LIFETIME, rather than until the browser closes


def end_session() -> None:
    """Sign out this browser."""
    logout_user()
    session.clear()


def init_page_sessions(manager: LoginManager) -> None:
    """Let Flask-Login read the pages' session cookie (the token loader stays as it is)."""
    manager.user_loader(session_user)
