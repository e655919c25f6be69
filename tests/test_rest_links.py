"""/api/links/: free-text URLs, defaults and limits."""

from __future__ import annotations

from tests.rest_support import created, crud_roundtrip, link_body


def test_link_crud_with_blank_and_free_text_url(alice, alice_api):
    replaced = crud_roundtrip(
        alice_api, "/api/links/", link_body("", ""), {"url": "anything at all", "order": 2}, {"text": "Put"}
    )
    assert replaced["user"] == str(alice.id)
    assert replaced["text"] == "Put"


def test_link_defaults_and_limits(alice_api):
    link = created(alice_api.post("/api/links/", json={"url": "u" * 500}))
    assert link["text"] == "Link" and link["order"] == 0
    response = alice_api.post("/api/links/", json={"url": "u" * 501})
    assert response.status_code == 400 and list(response.get_json()) == ["url"]
