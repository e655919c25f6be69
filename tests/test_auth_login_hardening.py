"""Login answers reveal nothing: unknown accounts cost a hash check too, and odd usernames are a 400."""

from __future__ import annotations

import pytest

from app.auth import accounts


def test_an_unknown_email_still_costs_one_password_hash_check(anon_api, alice, monkeypatch):
    calls = []
    real = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", lambda h, p: calls.append(h) or real(h, p))

    response = anon_api.post("/api/api-token-auth/", json={"username": "nobody@example.com", "password": "x" * 12})

    assert response.status_code == 401
    assert calls and calls[0].startswith("pbkdf2:")  # made the way real hashes are (cheap in tests)


@pytest.mark.parametrize("username", ["a\x00b@example.com", "\ud800@example.com"])
def test_a_username_the_database_cannot_compare_is_a_400_not_a_500(anon_api, username):
    response = anon_api.post("/api/api-token-auth/", json={"username": username, "password": "whatever"})

    assert response.status_code == 400
    assert "username" in response.get_json()
