"""/api/users/: the list holds the caller alone (the account endpoints are tested in test_users.py)."""

from __future__ import annotations

from tests.rest_support import ok


def test_users_list_holds_the_caller_alone(alice, alice_api, bob):
    page = ok(alice_api.get("/api/users/"))
    assert page["count"] == 1
    [me] = page["results"]
    assert me["uuid"] == str(alice.id) and me["email"] == "alice@example.com"
    assert {"first_name", "last_name", "avatar_url", "api_url"} <= set(me)
    assert ok(alice_api.get(f"/api/users/{alice.id}/"))["uuid"] == str(alice.id)
    assert alice_api.get(f"/api/users/{bob.id}/").status_code == 404
