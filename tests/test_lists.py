"""Lists: the pagination envelope, page sizes, pages past the end, ordering, and every contract filter."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from app.extensions import db
from tests.rest_support import chosen_label, created, new_application, new_company, new_status, ok, row_counts

INVALID_PAGE = {"detail": "Invalid page."}


@pytest.fixture
def twenty(alice_api) -> list[dict]:
    """Twenty companies, created in name order (so the newest is "Company 19")."""
    return [new_company(alice_api, f"Company {n:02d}") for n in range(20)]


def test_default_page_has_eight_newest_first_and_absolute_links(alice_api, twenty):
    page = ok(alice_api.get("/api/companies/"))
    assert page["count"] == 20
    assert [c["name"] for c in page["results"]] == [f"Company {n:02d}" for n in range(19, 11, -1)]
    assert page["previous"] is None
    assert page["next"] == "http://localhost/api/companies/?page=2"


def test_following_next_walks_every_object_once(alice_api, twenty):
    seen, url, pages = [], "/api/companies/?name__icontains=company", 0
    while url:
        page = ok(alice_api.get(url))
        seen += [c["uuid"] for c in page["results"]]
        url, pages = page["next"], pages + 1
    assert pages == 3
    assert sorted(seen) == sorted(c["uuid"] for c in twenty)


def test_middle_and_last_page_links_keep_the_other_parameters(alice_api, twenty):
    page = ok(alice_api.get("/api/companies/?page=2&page_size=5&ordering=name"))
    assert [c["name"] for c in page["results"]] == [f"Company {n:02d}" for n in range(5, 10)]
    assert page["next"] == "http://localhost/api/companies/?page=3&page_size=5&ordering=name"
    assert page["previous"] == "http://localhost/api/companies/?page=1&page_size=5&ordering=name"
    last = ok(alice_api.get("/api/companies/?page=4&page_size=5"))
    assert last["next"] is None and len(last["results"]) == 5


def test_page_size_up_to_one_hundred(alice_api, twenty):
    assert len(ok(alice_api.get("/api/companies/?page_size=20"))["results"]) == 20
    assert ok(alice_api.get("/api/companies/?page_size=20"))["next"] is None
    assert len(ok(alice_api.get("/api/companies/?page_size=3"))["results"]) == 3


def test_page_size_is_capped_at_one_hundred(app, alice, alice_api):
    from app.extensions import db
    from app.models import Label

    with app.app_context():
        db.session.add_all(Label(user_id=alice.id, text=f"L{n}") for n in range(110))
        db.session.commit()
    page = ok(alice_api.get("/api/labels/?page_size=1000"))
    assert page["count"] == 114
    assert len(page["results"]) == 100
    assert page["next"] == "http://localhost/api/labels/?page_size=1000&page=2"


def test_bad_page_size_falls_back_to_a_sane_size(alice_api, twenty):
    for size in ("0", "-3", "abc", "", "1e3", "%00"):
        assert len(ok(alice_api.get(f"/api/companies/?page_size={size}"))["results"]) == 8, size
    assert len(ok(alice_api.get("/api/companies/?page_size=99999999999999999999999"))["results"]) == 20


def test_empty_list_is_one_empty_page(alice_api):
    assert ok(alice_api.get("/api/companies/")) == {"count": 0, "next": None, "previous": None, "results": []}
    assert ok(alice_api.get("/api/companies/?page=1"))["count"] == 0
    response = alice_api.get("/api/companies/?page=2")
    assert (response.status_code, response.get_json()) == (404, INVALID_PAGE)


def test_bad_or_past_the_end_pages_are_404_invalid_page(alice_api, twenty):
    for page in ("4", "0", "-1", "abc", "1.5", "", "99999999999999999999999999999999", "%00", "1%20OR%201=1"):
        response = alice_api.get(f"/api/companies/?page={page}")
        assert (response.status_code, response.get_json()) == (404, INVALID_PAGE), page


def test_page_last_is_the_last_page(alice_api, twenty):
    page = ok(alice_api.get("/api/companies/?page=last"))
    assert len(page["results"]) == 4 and page["next"] is None


def test_ordering_by_field_ascending_and_descending(alice_api, twenty):
    names = [f"Company {n:02d}" for n in range(20)]
    assert [c["name"] for c in ok(alice_api.get("/api/companies/?ordering=name&page_size=20"))["results"]] == names
    descending = ok(alice_api.get("/api/companies/?ordering=-name&page_size=20"))["results"]
    assert [c["name"] for c in descending] == names[::-1]
    by_created = ok(alice_api.get("/api/companies/?ordering=created_at&page_size=20"))["results"]
    assert [c["name"] for c in by_created] == names


def test_ordering_follows_the_latest_change(alice_api, twenty):
    ok(alice_api.patch(f"/api/companies/{twenty[3]['uuid']}/", json={"labels": [chosen_label("Applied")]}))
    assert ok(alice_api.get("/api/companies/"))["results"][0]["uuid"] == twenty[3]["uuid"]


def test_unknown_ordering_falls_back_to_newest_change_first(alice_api, twenty):
    for ordering in ("nonexistent", "-user_id", "user_id", "", "--name", "name;drop", "%00"):
        page = ok(alice_api.get(f"/api/companies/?ordering={ordering}"))
        assert page["results"][0]["name"] == "Company 19", ordering


@pytest.fixture
def labelled(alice_api) -> dict[str, dict]:
    return {
        "plain": new_company(alice_api, "Plain Corp"),
        "applied": new_company(alice_api, "Acme Applied", labels=[chosen_label("Applied")]),
        "both": new_company(alice_api, "ACME both", labels=[chosen_label("Applied"), chosen_label("Target")]),
        "special": new_company(alice_api, "100% _real_ co", labels=[chosen_label("Archived")]),
    }


def _names(api, url: str) -> set[str]:
    return {c["name"] for c in ok(api.get(url))["results"]}


def test_company_filters(alice_api, labelled):
    assert _names(alice_api, "/api/companies/?labels__isnull=true") == {"Plain Corp"}
    assert _names(alice_api, "/api/companies/?labels__isnull=True") == {"Plain Corp"}
    assert _names(alice_api, "/api/companies/?labels__isnull=false") == {"Acme Applied", "ACME both", "100% _real_ co"}
    assert _names(alice_api, "/api/companies/?labels__text=Applied") == {"Acme Applied", "ACME both"}
    assert _names(alice_api, "/api/companies/?labels__text=Nope") == set()
    assert _names(alice_api, "/api/companies/?name__icontains=acme") == {"Acme Applied", "ACME both"}
    assert _names(alice_api, "/api/companies/?name__icontains=%25") == {"100% _real_ co"}  # LIKE wildcards escaped
    assert _names(alice_api, "/api/companies/?name__icontains=_real_") == {"100% _real_ co"}
    assert _names(alice_api, "/api/companies/?name__icontains=o_r") == set()
    combined = "/api/companies/?labels__text=Applied&name__icontains=both&labels__isnull=false"
    assert _names(alice_api, combined) == {"ACME both"}


def test_filtered_count_and_no_duplicates_for_several_labels(alice_api, labelled):
    page = ok(alice_api.get("/api/companies/?labels__isnull=false"))
    assert page["count"] == 3 and len(page["results"]) == 3


def test_application_filters(alice_api):
    first, second = new_company(alice_api, "First"), new_company(alice_api, "Second")
    a1 = new_application(alice_api, first["uuid"], "One", labels=[chosen_label("Applied")])
    new_application(alice_api, first["uuid"], "Two")
    new_application(alice_api, second["uuid"], "Three", labels=[chosen_label("Applied")])
    titles = lambda url: {a["position_title"] for a in ok(alice_api.get(url))["results"]}  # noqa: E731
    assert titles(f"/api/applications/?user_company={first['uuid']}") == {"One", "Two"}
    assert titles(f"/api/applications/?user_company={second['uuid']}") == {"Three"}
    assert titles("/api/applications/?labels__text=Applied") == {"One", "Three"}
    assert titles(f"/api/applications/?labels__text=Applied&user_company={first['uuid']}") == {"One"}
    assert a1["uuid"] in {a["uuid"] for a in ok(alice_api.get("/api/applications/"))["results"]}


def test_status_filter(alice_api):
    company = new_company(alice_api)
    one, two = new_application(alice_api, company["uuid"]), new_application(alice_api, company["uuid"])
    s1 = new_status(alice_api, one["uuid"], "A")
    new_status(alice_api, two["uuid"], "B")
    page = ok(alice_api.get(f"/api/application-statuses/?application={one['uuid']}"))
    assert [s["uuid"] for s in page["results"]] == [s1["uuid"]]
    assert ok(alice_api.get("/api/application-statuses/"))["count"] == 2


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/companies/?labels__isnull=maybe", "labels__isnull"),
        ("/api/companies/?labels__isnull=", "labels__isnull"),
        ("/api/applications/?user_company=not-a-uuid", "user_company"),
        ("/api/applications/?user_company=", "user_company"),
        ("/api/application-statuses/?application=123", "application"),
        ("/api/companies/?name__icontains=%00", "name__icontains"),
        ("/api/companies/?labels__text=a%00b", "labels__text"),
        ("/api/applications/?labels__text=%00", "labels__text"),
    ],
)
def test_bad_filter_values_are_400_on_the_parameter(app, alice_api, url, field):
    before = row_counts(app)
    response = alice_api.get(url)
    assert response.status_code == 400
    body = response.get_json()
    assert list(body) == [field]
    assert isinstance(body[field], list) and all(isinstance(m, str) for m in body[field])
    assert row_counts(app) == before


def test_several_bad_filters_are_reported_together(alice_api):
    response = alice_api.get("/api/applications/?user_company=x&labels__text=%00")
    assert response.status_code == 400
    assert set(response.get_json()) == {"user_company", "labels__text"}


def test_unknown_query_parameters_are_ignored(alice_api, labelled):
    assert ok(alice_api.get("/api/companies/?color=red&labels__foo=1"))["count"] == 4


def test_labels_list_is_paginated_like_any_list(alice_api):
    created(alice_api.post("/api/labels/", json={"text": "Mine"}))
    page = ok(alice_api.get("/api/labels/?page_size=2&ordering=text"))
    assert page["count"] == 5
    assert [label["text"] for label in page["results"]] == ["Applied", "Archived"]
    assert page["next"].startswith("http://localhost/api/labels/?")


def test_unfiltered_lists_share_one_statement_per_ordering_for_every_caller(app, alice_api, bob_api, nothing_kept):
    """The page statement of an unfiltered list is built once per ordering (SQLAlchemy then derives its
    cache key once), and binds the caller: each still reads only their own rows."""
    new_company(alice_api, "Alice's")
    new_company(bob_api, "Bob's")
    pages = []

    def record(_conn, statement, *_args) -> None:
        columns = getattr(statement, "selected_columns", None)
        if columns is not None and columns.get("document") is not None:
            pages.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_execute", record)
    try:
        names = [
            [company["name"] for company in ok(api.get(url))["results"]]
            for api, url in (
                (alice_api, "/api/companies/"),
                (bob_api, "/api/companies/"),
                (alice_api, "/api/companies/?ordering=name"),
                (bob_api, "/api/companies/?ordering=name"),
                (alice_api, "/api/companies/?name__icontains=alice"),
                (alice_api, "/api/companies/?name__icontains=alice"),
            )
        ]
    finally:
        event.remove(engine, "before_execute", record)
    assert names == [["Alice's"], ["Bob's"], ["Alice's"], ["Bob's"], ["Alice's"], ["Alice's"]]
    assert len(pages) == 6
    assert pages[0] is pages[1] and pages[2] is pages[3]
    assert pages[0] is not pages[2]
    assert pages[4] is not pages[5]  # a filter binds its value in the statement it builds
