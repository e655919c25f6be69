"""/api/addresses/: CRUD."""

from __future__ import annotations

from app.models import Address
from tests.rest_support import address_body, crud_roundtrip, table_rows


def test_addresscrud_roundtrip(alice_api, app):
    crud_roundtrip(
        alice_api,
        "/api/addresses/",
        address_body(city="Paris", country="FR"),
        {"zipcode": "75001"},
        {"street": "1 rue de Rivoli"},
    )
    assert table_rows(app, Address) == 0
