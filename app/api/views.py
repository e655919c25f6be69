"""How every API view is served: its declared login, the caller as the acting user, one commit.

A view is added through `ApiBlueprint` and says whether it needs a login (`login=True` or `False`;
there is no default). The blueprint wraps it once, at registration, in `serve`: the 401 without a valid
token, `permissions.acting_as(caller)` around the view, and a commit of what a write left pending once
the view has returned (an error rolls back instead: app.errors). A view that answers with the rows it
wrote, as stored, commits them itself before reading them back; `serve`'s commit then has nothing to do.
The registered function carries the declaration as `requires_login`, which the OpenAPI generator reads.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from flask import Blueprint, request
from flask_login import current_user as _login_user
from flask_login.config import EXEMPT_METHODS

from app.extensions import db, login_manager
from app.models import User
from app.permissions import acting_as

LOGIN_MARKER = "requires_login"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def current_user() -> User:
    """The caller of a view that requires a login."""
    return _login_user._get_current_object()


def serve(view: Callable[..., Any], *, login: bool) -> Callable[..., Any]:
    """`view` with its login check (when `login`), the caller as the acting user, and the commit of a write."""

    @functools.wraps(view)
    def served(*args: Any, **kwargs: Any) -> Any:
        acting = nullcontext()
        if login and request.method not in EXEMPT_METHODS:
            if not _login_user.is_authenticated:
                return login_manager.unauthorized()
            acting = acting_as(current_user())
        with acting:
            response = view(*args, **kwargs)
        if request.method not in SAFE_METHODS:
            db.session.commit()
        return response

    setattr(served, LOGIN_MARKER, login)
    return served


def requires_login(view: Callable[..., Any]) -> bool | None:
    """What a registered view declared: True, False, or None when it was added without `ApiBlueprint`."""
    return getattr(view, LOGIN_MARKER, None)


class ApiBlueprint(Blueprint):
    """A blueprint whose every view declares `login=` and is wrapped by `serve` (once per view, so one view
    may serve several rules)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._served: dict[tuple[Callable[..., Any], bool], Callable[..., Any]] = {}

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        *,
        login: bool | None = None,
        **options: Any,
    ) -> None:
        if view_func is not None:
            if login is None:
                raise TypeError(f"{self.name}: the view of {rule} must declare login=True or login=False")
            key = (view_func, login)
            view_func = self._served.setdefault(key, serve(view_func, login=login))
        super().add_url_rule(rule, endpoint, view_func, provide_automatic_options, **options)
