"""Accounts as the sign-in paths see them: password check, external identities, password change, deletion."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import cache

from marshmallow import ValidationError
from sqlalchemy import select
from werkzeug.security import check_password_hash

from app.auth.passwords import password_problems
from app.errors import APIError
from app.extensions import db
from app.models import User, normalize_email
from app.storage import delete_user_images

INACTIVE_OR_WRONG = "No active account found with the given credentials."


@dataclass(frozen=True)
class VerifiedIdentity:
    """A person as an identity provider vouches for them (e-mail verified by the provider)."""

    email: str
    first_name: str = ""
    last_name: str = ""
    avatar_url: str = ""


def find_by_email(email: str) -> User | None:
    """The user with that e-mail address, case and surrounding blanks ignored."""
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def authenticate(username: str, password: str) -> User:
    """The active user with that e-mail and password, or a 401 that says nothing more.

    An unknown e-mail, and an account without a password (Google sign-in only), still cost one hash
    check, so the answer's timing does not tell whether an account exists.
    """
    user = find_by_email(username)
    if user is None or not user.password_hash:
        check_password_hash(_decoy_hash(), password)
        raise APIError(401, INACTIVE_OR_WRONG)
    if not user.check_password(password) or not user.is_active:
        raise APIError(401, INACTIVE_OR_WRONG)
    return user


@cache
def _decoy_hash() -> str:
    """A hash made the way real ones are (per process), checked when the e-mail is unknown."""
    probe = User(email="decoy@invalid")
    probe.set_password(secrets.token_urlsafe(16))
    return probe.password_hash or ""


def _fit(value: str | None, column: str) -> str:
    """Provider data cut to what the column holds (a long name must not fail the sign-in)."""
    return (value or "").strip()[: User.__table__.c[column].type.length]


def user_for_identity(identity: VerifiedIdentity) -> User:
    """The user with the identity's e-mail, created (without a password) if there is none.

    Names and avatar are refreshed from the provider when it gives them. Not committed.
    """
    user = find_by_email(identity.email)
    if user is None:
        user = User(email=identity.email)
        db.session.add(user)
    elif not user.is_active:
        raise APIError(401, INACTIVE_OR_WRONG)
    for column in ("first_name", "last_name", "avatar_url"):
        value = _fit(getattr(identity, column), column)
        if value:
            setattr(user, column, value)
    db.session.flush()  # assign the id the tokens carry
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Set a new password after checking the current one and the policy; not committed."""
    if not user.check_password(current_password):
        raise ValidationError({"current_password": ["The current password is not correct."]})
    problems = password_problems(new_password, user.email)
    if problems:
        raise ValidationError({"new_password": problems})
    user.set_password(new_password)


def delete_account(user: User) -> None:
    """Delete the account and, by the database's ON DELETE CASCADE, everything it owns; its stored image
    files go once the deletion has committed. Not committed."""
    delete_user_images(user)  # rows now, files after the commit
    db.session.delete(user)
