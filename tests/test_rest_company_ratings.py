"""/api/company-ratings/: CRUD, the company reference, shown read-only on the company."""

from __future__ import annotations

from app.models import CompanyRating, Link
from tests.rest_support import blank, created, crud_roundtrip, link_body, new_company, ok, table_rows


def test_company_ratingcrud_roundtrip(alice_api, app):
    company = new_company(alice_api)
    body = blank(
        company=company["uuid"], source=link_body("Glassdoor", "g.example"), value=4.2, sample_date="2024-02-03"
    )
    rating = crud_roundtrip(
        alice_api,
        "/api/company-ratings/",
        body,
        {"value": 3.5, "sample_date": "2024-02-04"},
        {"company": company["uuid"], "value": 1},
    )
    assert rating["value"] == 1.0
    assert rating["source"]["text"] == "Glassdoor"  # PUT leaves out nothing the client did not send
    assert table_rows(app, CompanyRating) == 0
    assert table_rows(app, Link) == 1  # the rating's source went with it; the home page remains


def test_company_shows_its_ratings_read_only(alice_api):
    company = new_company(alice_api)
    created(alice_api.post("/api/company-ratings/", json={"company": company["uuid"], "value": 5}))
    detail = ok(alice_api.get(f"/api/companies/{company['uuid']}/"))
    assert [rating["value"] for rating in detail["ratings"]] == [5.0]
    patched = ok(alice_api.patch(f"/api/companies/{company['uuid']}/", json={**detail, "ratings": {}}))
    assert len(patched["ratings"]) == 1


def test_rating_requires_a_company(alice_api):
    response = alice_api.post("/api/company-ratings/", json={"value": 5})
    assert response.get_json() == {"company": ["Missing data for required field."]}
