"""Helpers for Flask-client tests of the /account/ pages: CSRF tokens, signing in, submitting forms.

A form is always submitted as a browser would: GET the page it is on, take the CSRF token from its
hidden field, POST the fields with it.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from conftest import PASSWORD
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
SIGN_IN = "/account/sign-in/"


def csrf_token(client: FlaskClient, page: str = SIGN_IN) -> str:
    """The CSRF token of the forms on `page`, as the browser got it."""
    response = client.get(page)
    assert response.status_code == 200, (page, response.status_code)
    match = CSRF_FIELD.search(response.get_data(as_text=True))
    assert match, f"no CSRF field on {page}"
    return match.group(1)


def submit(client: FlaskClient, page: str, action: str, data: dict[str, Any], **kwargs: Any) -> TestResponse:
    """POST `data` to `action` with the CSRF token of `page`, the way its form does."""
    return client.post(action, data={**data, "csrf_token": csrf_token(client, page)}, **kwargs)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> TestResponse:
    """Sign `client` in through the sign-in form; fails the test unless it worked."""
    response = submit(client, SIGN_IN, SIGN_IN, {"email": email, "password": password})
    assert response.status_code == 303, response.get_data(as_text=True)
    return response


def field_errors(response: TestResponse, field: str) -> list[str]:
    """The messages shown under the field named `field` (its id, without a form prefix)."""
    html = response.get_data(as_text=True)
    block = re.search(rf'<ul class="field-errors" id="{re.escape(field)}-error">(.*?)</ul>', html, re.S)
    return [unescape(item) for item in re.findall(r"<li>(.*?)</li>", block.group(1), re.S)] if block else []


def form_errors(response: TestResponse) -> list[str]:
    """The messages about a whole form (wrong password, a refused restore...)."""
    html = response.get_data(as_text=True)
    return [
        p.strip()
        for block in re.findall(r'class="form-errors"[^>]*>(.*?)</div>', html, re.S)
        for p in re.findall(r"<p>(.*?)</p>", block, re.S)
    ]
