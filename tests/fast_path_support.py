"""The revalidation fast path seen from outside: which requests Flask answered, Flask's own answer, and
reads that are all Flask's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import Client

from app.revalidation import Revalidation
from tests.conftest import ApiClient


@pytest.fixture
def fast_path(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The paths Flask answered (the middleware fell through) during the test."""
    middleware: Revalidation = app.extensions["revalidation"]
    flask_app = middleware.wrapped
    seen: list[str] = []

    def spy(environ: dict, start_response: Any) -> Any:
        seen.append(environ["PATH_INFO"])
        return flask_app(environ, start_response)

    spy.flask = flask_app  # type: ignore[attr-defined]
    monkeypatch.setattr(middleware, "wrapped", spy)
    yield seen


@pytest.fixture
def nothing_kept(app: Flask) -> Iterator[None]:
    """Every read built again by Flask (app.response_cache keeps nothing): for tests of how pages are built."""
    cache = app.extensions["revalidation"].cache
    capacity, cache.capacity = cache.capacity, 0
    yield
    cache.capacity = capacity


def flask_alone(app: Flask, method: str, url: str, headers: dict[str, str], data: bytes | None = None) -> Any:
    """Flask's own answer (the app behind the middleware) to the same request."""
    wrapped = app.extensions["revalidation"].wrapped
    flask_app = getattr(wrapped, "flask", wrapped)  # behind the spy of `fast_path`
    client = Client(flask_app, app.response_class, use_cookies=False)
    return client.open(url, method=method, headers=headers, data=data)


def both(api: ApiClient, method: str, url: str, headers: dict[str, str], data: bytes | None = None) -> tuple[Any, Any]:
    """(The whole stack's answer, Flask's alone) to one request of `api`'s user (a Cookie header as given)."""
    app = api.client.application
    all_headers = {"Authorization": f"JWT {api.token}" if api.token else "", **headers}
    stack = Client(app, app.response_class, use_cookies=False).open(url, method=method, headers=all_headers, data=data)
    return stack, flask_alone(app, method, url, all_headers, data)


def same_answer(stack: Any, alone: Any) -> None:
    assert stack.status == alone.status, (stack.get_data(as_text=True), alone.get_data(as_text=True))
    assert list(stack.headers.items()) == list(alone.headers.items())
    assert stack.get_data() == alone.get_data()
