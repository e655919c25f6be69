"""/api/position-locations/: CRUD of a location on its own (it is also written through its application)."""

from __future__ import annotations

from app.models import PositionLocation
from tests.rest_support import address_body, blank, crud_roundtrip, new_application, new_company, table_rows


def test_position_locationcrud_roundtrip(alice_api, app):
    application = new_application(alice_api, new_company(alice_api)["uuid"], position_locations=[])
    body = blank(application=application["uuid"], location=address_body(city="Lyon"))
    replaced = crud_roundtrip(
        alice_api,
        "/api/position-locations/",
        body,
        {"location": {**address_body(city="Nice"), "uuid": "5a0a0a0a-0a0a-4a0a-8a0a-0a0a0a0a0a0a"}},
        {"application": application["uuid"], "location": None},
    )
    assert replaced["location"] is None
    assert table_rows(app, PositionLocation) == 0
