"""`flask users ...` and `flask initialize-superuser`: accounts from the command line."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from app.auth.passwords import password_problems
from app.extensions import db
from app.models import User, normalize_email


def _find(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def _check_password(password: str, email: str) -> None:
    problems = password_problems(password, email)
    if problems:
        raise click.ClickException(" ".join(problems))


def _check_email(email: str) -> str:
    email = normalize_email(email)
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email or len(email) > 254:
        raise click.ClickException(f"{email!r} is not a valid e-mail address.")
    return email


def create_user(email: str, password: str, first_name: str = "", last_name: str = "", admin: bool = False) -> User:
    """Validate and add a local account (not committed); ClickException on bad input."""
    email = _check_email(email)
    if _find(email) is not None:
        raise click.ClickException(f"A user with the e-mail {email} already exists.")
    _check_password(password, email)
    user = User(email=email, first_name=first_name, last_name=last_name, is_admin=admin)
    user.set_password(password)
    db.session.add(user)
    return user


users_group = AppGroup("users", help="Manage user accounts.")


@users_group.command("create")
@click.argument("email")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="The password (prompted for when left out).",
)
@click.option("--first-name", default="", help="First name.")
@click.option("--last-name", default="", help="Last name.")
@click.option("--admin", is_flag=True, help="Make the user an administrator.")
def create_command(email: str, password: str, first_name: str, last_name: str, admin: bool) -> None:
    """Create a user who can log in with EMAIL and the password."""
    user = create_user(email, password, first_name, last_name, admin)
    db.session.commit()
    click.echo(f"Created {'administrator' if admin else 'user'} {user.email}.")


@users_group.command("list")
def list_command() -> None:
    """List every user: e-mail, name, flags."""
    for user in db.session.scalars(select(User).order_by(User.email)):
        flags = ",".join(f for f, on in (("admin", user.is_admin), ("inactive", not user.is_active)) if on)
        click.echo(f"{user.email}\t{user.first_name} {user.last_name}".rstrip() + (f"\t[{flags}]" if flags else ""))


@users_group.command("set-password")
@click.argument("email")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="The new password (prompted for when left out).",
)
def set_password_command(email: str, password: str) -> None:
    """Set the password of the user with EMAIL."""
    user = _find(email)
    if user is None:
        raise click.ClickException(f"No user with the e-mail {normalize_email(email)}.")
    _check_password(password, user.email)
    user.set_password(password)
    db.session.commit()
    click.echo(f"Password changed for {user.email}.")


@click.command("initialize-superuser")
@with_appcontext
def initialize_superuser_command() -> None:
    """Create the administrator from SUPERUSER_EMAIL and SUPERUSER_PASSWORD if absent (for deploys)."""
    email = current_app.config.get("SUPERUSER_EMAIL")
    password = current_app.config.get("SUPERUSER_PASSWORD")
    if not email or not password:
        raise click.ClickException("Set SUPERUSER_EMAIL and SUPERUSER_PASSWORD to create the administrator.")
    existing = _find(email)
    if existing is not None:
        click.echo(f"Administrator {existing.email} already exists.")
        return
    create_user(email, password, admin=True)
    db.session.commit()
    click.echo(f"Created administrator {normalize_email(email)}.")
