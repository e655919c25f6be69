"""Bad input where schemathesis does not reach (see test_fuzz.py), fuzzed by hand: query strings, headers,
raw JSON oddities, multipart uploads and GraphQL. Never a 500, always the contract's JSON error shape,
and nothing written by a request that failed.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.rest_support import chosen_label, new_application, new_company, new_status

NUL_ERROR = ["NUL characters are not allowed."]


@pytest.fixture
def world(alice_api) -> dict[str, Any]:
    company = new_company(alice_api, labels=[chosen_label("Applied")])
    application = new_application(alice_api, company["uuid"])
    status = new_status(alice_api, application["uuid"])
    feed = alice_api.post("/api/feeds/", json={"name": "Sheet"}).get_json()
    return {"company": company, "application": application, "status": status, "feed": feed}


def assert_json_error(response: Any, status: int | None = None) -> Any:
    """A 4xx with a JSON body: `{"detail": ...}` or field keys; never a 5xx, never HTML."""
    assert response.status_code < 500, (response.status_code, response.get_data()[:300])
    assert response.status_code >= 400, response.status_code
    if status is not None:
        assert response.status_code == status, (response.status_code, response.get_json())
    assert response.is_json, response.get_data()[:300]
    body = response.get_json()
    assert isinstance(body, dict) and body
    return body


# -- query strings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/exports/applications.csv", "status"),  # PostgreSQL raised on these two: a 500
        ("/api/exports/applications.xlsx", "label"),
        ("/api/exports/activity.csv", "from"),
        ("/api/companies/", "name__icontains"),
        ("/api/companies/", "ordering"),
        ("/api/applications/", "labels__text"),
        ("/api/imports/", "page"),
        ("/api/labels/", "unknown_parameter"),
    ],
)
def test_a_nul_in_any_query_value_is_a_400_on_that_parameter(alice_api, world, path, name):
    body = assert_json_error(alice_api.get(f"{path}?{name}=a%00b"), 400)
    assert body == {name: NUL_ERROR}


def test_a_nul_in_the_feed_query_is_a_400_too(client, world):
    response = client.get(f"/api/feeds/{world['feed']['token']}/applications.csv?label=%00")
    assert assert_json_error(response, 400) == {"label": NUL_ERROR}
