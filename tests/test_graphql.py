"""The dashboard's GraphQL endpoint: the contract's query, paging, filters, isolation and limits."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from typing import Any

import pytest
import strawberry
from sqlalchemy import event, select

from app.extensions import db
from app.models import (
    Address,
    Application,
    ApplicationStatus,
    ApplicationStatusLink,
    Company,
    CompanyRating,
    Label,
    Link,
    PositionLocation,
)

# The dashboard query as Apollo sends it: anonymous shorthand, __typename on every selection set.
FULL_QUERY = """
{ companies(first: %(first)s, order_by: "-modified_at", after: %(after)s) {
    totalCount count __typename
    pageInfo { startCursor endCursor hasNextPage __typename }
    edges { cursor __typename node {
      uuid name notes created_at modified_at user __typename
      labels { uuid text color order __typename }
      hq_location { uuid city country full_address __typename }
      home_page { uuid text url __typename }
      ratings { uuid value sample_date source { url __typename } __typename }
      applications { uuid position_title user_company notes __typename
        labels { text __typename }
        job_source { url __typename } job_description_page { url __typename }
        position_locations { uuid location { city __typename } __typename }
        statuses { uuid text date __typename applicationstatuslink_set { link { url __typename } __typename } }
      }
    } }
} }
"""


def gql(api, query: str, variables: dict | None = None, **headers: str):
    """POST a GraphQL query the way Apollo does (JSON body, lowercase header names)."""
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    return api.post("/graphql/", json=body, headers={"content-type": "application/json", **headers})


def page(api, **args: Any) -> dict:
    """One page of `companies` with these arguments; asserts the answer carries no errors."""
    rendered = ", ".join(f"{name}: {json.dumps(value)}" for name, value in args.items())
    arguments = f"({rendered})" if rendered else ""
    query = (
        f"{{ companies{arguments} {{ totalCount count pageInfo {{ startCursor endCursor hasNextPage }} "
        "edges { cursor node { uuid name } } } }"
    )
    response = gql(api, query)
    body = response.get_json()
    assert response.status_code == 200 and "errors" not in body, body
    return body["data"]["companies"]


def errors_of(api, query: str) -> list[str]:
    """The error messages of a query that must fail without data (and never with a 500)."""
    response = gql(api, query)
    assert response.status_code in (200, 400), response.data
    body = response.get_json()
    assert body.get("data") in (None, {}) or body["data"].get("companies") is None, body
    return [error["message"] for error in body["errors"]]


def names(connection: dict) -> list[str]:
    return [edge["node"]["name"] for edge in connection["edges"]]


def label(text: str) -> Label:
    return db.session.scalars(select(Label).where(Label.user_id.is_(None), Label.text == text)).one()


def add_company(user_id: uuid.UUID, name: str, *, labels: tuple[str, ...] = (), nested: bool = False, **fields: Any):
    """A company (with every nested relation filled when `nested`); added to the session, not committed."""
    company = Company(user_id=user_id, name=name, labels=[label(text) for text in labels], **fields)
    if nested:
        owned = {"user_id": user_id}
        company.hq_location = Address(**owned, city="Springfield", country="US")
        company.home_page = Link(**owned, text="Home", url="https://example.com")
        company.ratings = [CompanyRating(**owned, value=4.0, source=Link(**owned, url="https://reviews"))]
        for index in range(2):
            company.applications.append(
                Application(
                    **owned,
                    position_title=f"Engineer {index}",
                    labels=[label("Applied")],
                    job_source=Link(**owned, url="https://board"),
                    job_description_page=Link(**owned, url="https://jd"),
                    position_locations=[PositionLocation(**owned, location=Address(**owned, city="Remote"))],
                    statuses=[
                        ApplicationStatus(
                            **owned,
                            text="Applied",
                            date=dt.date(2024, 1, 1 + status),
                            links=[ApplicationStatusLink(**owned, link=Link(**owned, url="https://mail"))],
                        )
                        for status in range(2)
                    ],
                )
            )
    db.session.add(company)
    return company


@pytest.fixture
def seed(app, alice):
    """Seed companies for alice: seed(name, ...) in one committed transaction each."""

    def make(*names: str, **kwargs: Any) -> None:
        with app.app_context():
            for name in names:
                add_company(alice.id, name, **kwargs)
            db.session.commit()

    return make


def test_contract_query_returns_every_field_the_client_uses(app, alice, alice_api, seed):
    seed("Acme", labels=("Applied",), nested=True, notes="<p>hi</p>")
    response = gql(alice_api, FULL_QUERY % {"first": 20, "after": '""'})
    body = response.get_json()
    assert response.status_code == 200 and "errors" not in body, body
    connection = body["data"]["companies"]
    assert connection["__typename"] == "CompanyConnection"
    assert connection["totalCount"] == connection["count"] == 1
    assert connection["pageInfo"]["hasNextPage"] is False
    assert (
        connection["pageInfo"]["startCursor"] == connection["pageInfo"]["endCursor"] == connection["edges"][0]["cursor"]
    )
    node = connection["edges"][0]["node"]
    assert node["__typename"] == "Company"
    assert node["name"] == "Acme" and node["notes"] == "<p>hi</p>" and node["user"] == str(alice.id)
    uuid.UUID(node["uuid"])
    assert dt.datetime.fromisoformat(node["modified_at"]).tzinfo is not None
    assert [lbl["text"] for lbl in node["labels"]] == ["Applied"]
    assert node["labels"][0]["__typename"] == "Label"
    assert node["hq_location"]["city"] == "Springfield"
    assert node["home_page"]["url"] == "https://example.com"
    assert node["ratings"][0]["value"] == 4.0 and node["ratings"][0]["source"]["url"] == "https://reviews"
    assert [a["position_title"] for a in node["applications"]] == ["Engineer 0", "Engineer 1"]
    application = node["applications"][0]
    assert application["user_company"] == node["uuid"]
    assert application["labels"] == [{"text": "Applied", "__typename": "Label"}]
    assert application["position_locations"][0]["location"]["city"] == "Remote"
    assert [s["date"] for s in application["statuses"]] == ["2024-01-02", "2024-01-01"]  # newest date first
    assert application["statuses"][0]["applicationstatuslink_set"][0]["link"]["url"] == "https://mail"


def test_field_names_are_snake_case_except_the_relay_ones(alice_api, seed):
    seed("Acme", nested=True)
    body = gql(
        alice_api,
        "{ companies { totalCount pageInfo { hasNextPage } edges { node { position_title: name "
        "applications { position_title job_description_notes } } } } }",
    ).get_json()
    assert "errors" not in body, body
    errors = errors_of(alice_api, "{ companies { total_count page_info { has_next_page } } }")
    assert any("total_count" in message for message in errors)
    assert errors_of(alice_api, "{ companies { edges { node { positionTitle } } } }")


def test_variables_and_named_operations_work_like_the_shorthand(alice_api, seed):
    seed("Acme", "Beta")
    query = (
        "query Dashboard($first: Int, $after: String, $text: String) { companies(first: $first, after: $after, "
        "name__icontains: $text) { count edges { node { name } } } }"
    )
    body = gql(alice_api, query, {"first": 5, "after": "", "text": "acm"}).get_json()
    assert body["data"]["companies"] == {"count": 1, "edges": [{"node": {"name": "Acme"}}]}


@pytest.mark.parametrize("order_by", ["-modified_at", "modified_at", "name", "-name", "created_at", "-uuid", "uuid"])
def test_paging_walks_every_company_once_in_order(alice_api, seed, order_by):
    seed(*(f"Company {index:02d}" for index in range(11)))
    everything = names(page(alice_api, first=100, order_by=order_by))
    assert len(everything) == 11
    seen, after, pages = [], "", 0
    while True:
        connection = page(alice_api, first=4, after=after, order_by=order_by)
        assert connection["totalCount"] == 11
        assert connection["count"] == len(connection["edges"])
        seen += names(connection)
        pages += 1
        if not connection["pageInfo"]["hasNextPage"]:
            break
        assert connection["pageInfo"]["endCursor"] == connection["edges"][-1]["cursor"]
        after = connection["pageInfo"]["endCursor"]
    assert pages == 3
    assert seen == everything  # same order, no overlap, no gap
    if order_by.endswith("name"):
        assert everything == sorted(everything, reverse=order_by.startswith("-"))


def test_paging_is_stable_across_rows_sharing_the_sort_key(app, alice, alice_api):
    moment = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)
    with app.app_context():
        for index in range(7):
            company = add_company(alice.id, f"Tied {index}")
            company.modified_at = moment  # flush-time default would otherwise differ per row
        db.session.commit()
        db.session.execute(Company.__table__.update().values(modified_at=moment))
        db.session.commit()
    first = page(alice_api, first=3)
    second = page(alice_api, first=3, after=first["pageInfo"]["endCursor"])
    third = page(alice_api, first=3, after=second["pageInfo"]["endCursor"])
    walked = names(first) + names(second) + names(third)
    assert sorted(walked) == [f"Tied {index}" for index in range(7)] and len(set(walked)) == 7
    assert third["pageInfo"]["hasNextPage"] is False


def test_a_cursor_stays_valid_when_other_companies_change(app, alice, alice_api, seed):
    seed("A", "B", "C", "D")
    first = page(alice_api, first=2, order_by="name")
    seed("AA")  # sorts before the cursor: must not shift the next page
    second = page(alice_api, first=2, order_by="name", after=first["pageInfo"]["endCursor"])
    assert names(first) == ["A", "B"] and names(second) == ["C", "D"]


def test_empty_after_means_the_first_page_and_first_defaults_to_the_cap(alice_api, seed):
    seed(*(f"C{index}" for index in range(3)))
    assert names(page(alice_api, first=2, after="")) == names(page(alice_api, first=2))
    connection = page(alice_api)
    assert connection["count"] == 3 and connection["pageInfo"]["hasNextPage"] is False


def test_first_zero_counts_without_rows(alice_api, seed):
    seed("Acme")
    connection = page(alice_api, first=0)
    assert connection["totalCount"] == 1 and connection["count"] == 0
    assert connection["pageInfo"] == {"startCursor": None, "endCursor": None, "hasNextPage": True}


def test_filters_narrow_the_companies(alice_api, seed):
    seed("Acme Corp", labels=("Applied",))
    seed("acme labs", labels=("Interviewing", "Applied"))
    seed("Globex", labels=("Target",))
    seed("100% Real_Co")
    seed("Initech")
    assert sorted(names(page(alice_api, labels__text="Applied"))) == ["Acme Corp", "acme labs"]
    assert names(page(alice_api, labels__text="Interviewing")) == ["acme labs"]
    assert sorted(names(page(alice_api, labels__isnull=True))) == ["100% Real_Co", "Initech"]
    assert sorted(names(page(alice_api, labels__isnull=False))) == ["Acme Corp", "Globex", "acme labs"]
    assert sorted(names(page(alice_api, name__icontains="ACME"))) == ["Acme Corp", "acme labs"]
    assert names(page(alice_api, name__icontains="0% r")) == ["100% Real_Co"]
    assert names(page(alice_api, name__icontains="_")) == ["100% Real_Co"]  # wildcards are escaped
    combined = page(alice_api, labels__text="Applied", labels__isnull=False, name__icontains="labs", first=1)
    assert names(combined) == ["acme labs"] and combined["totalCount"] == 1
    assert page(alice_api, labels__text="", name__icontains="")["totalCount"] == 5  # blank means no filter


def test_total_count_counts_all_matches_and_count_the_page(alice_api, seed):
    seed(*(f"Applied {index}" for index in range(5)), labels=("Applied",))
    seed("Other")
    connection = page(alice_api, first=2, labels__text="Applied")
    assert connection["totalCount"] == 5 and connection["count"] == 2 and connection["pageInfo"]["hasNextPage"]


def test_each_user_sees_only_their_own_companies(app, alice_api, bob, bob_api, seed):
    seed("Alice Co", labels=("Applied",))
    with app.app_context():
        add_company(bob.id, "Bob Co", labels=("Applied",))
        db.session.commit()
    assert names(page(alice_api)) == ["Alice Co"]
    assert names(page(bob_api, labels__text="Applied")) == ["Bob Co"]
    assert page(bob_api, name__icontains="Alice")["totalCount"] == 0
    alice_cursor = page(alice_api)["pageInfo"]["endCursor"]
    assert "Alice Co" not in names(page(bob_api, after=alice_cursor, first=100))


def test_anonymous_and_invalid_tokens_get_an_error_and_no_data(client, anon_api, alice_api, seed):
    seed("Secret Co")
    for headers in (
        {},
        {"authorization": ""},
        {"authorization": "JWT not-a-token"},
        {"authorization": "JWT " + alice_api.token[:-4] + "AAAA"},
    ):
        response = client.post("/graphql/", json={"query": FULL_QUERY % {"first": 5, "after": '""'}}, headers=headers)
        body = response.get_json()
        assert response.status_code in (200, 401)
        assert body.get("data") is None, body
        assert "Secret Co" not in response.get_data(as_text=True)
        assert body["errors"][0]["message"].startswith("Authentication credentials")


def test_bearer_scheme_and_both_urls_are_accepted(alice_api, seed):
    seed("Acme")
    query = {"query": "{ companies { count } }"}
    for url in ("/graphql/", "/graphql"):
        response = alice_api.client.post(url, json=query, headers={"authorization": f"Bearer {alice_api.token}"})
        assert response.status_code == 200 and response.get_json()["data"]["companies"]["count"] == 1


def _cursor(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


# Fixed (no company has it): test ids must be the same in every pytest-xdist worker.
NO_COMPANY = "0d7e5a52-3c1f-4b9e-a6d2-5f8b9c1e2a34"


@pytest.mark.parametrize(
    "after",
    [
        "garbage!",
        "====",
        "bm90IGpzb24",  # "not json"
        _cursor({"a": 1}),
        _cursor(["-modified_at", "2024-01-01T00:00:00+00:00"]),
        _cursor(["name", "Acme", NO_COMPANY]),  # made for another ordering
        _cursor(["-modified_at", "2024-01-01T00:00:00", NO_COMPANY]),  # naive timestamp
        _cursor(["-modified_at", "yesterday", NO_COMPANY]),
        _cursor(["-modified_at", "2024-01-01T00:00:00+00:00", "not-a-uuid"]),
        _cursor(["-modified_at", 5, NO_COMPANY]),
        "A" * 600,
        "\u00e9\u00e9\u00e9",
    ],
)
def test_bad_cursors_are_graphql_errors(alice_api, seed, after):
    seed("Acme")
    messages = errors_of(alice_api, f"{{ companies(after: {json.dumps(after)}) {{ count }} }}")
    assert messages == ["Invalid cursor."]


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        ("first: 101", "first must be between 0 and 100"),
        ("first: -1", "first must be between 0 and 100"),
        ('order_by: "password_hash"', "order_by must be one of"),
        ('order_by: "--name"', "order_by must be one of"),
        ('order_by: "user_id"', "order_by must be one of"),
        ('first: "ten"', "Int cannot represent"),
        ("labels__isnull: 3", "Boolean cannot represent"),
        ("unknown: 1", "Unknown argument"),
    ],
)
def test_bad_arguments_are_graphql_errors(alice_api, seed, arguments, fragment):
    seed("Acme")
    messages = errors_of(alice_api, f"{{ companies({arguments}) {{ count }} }}")
    assert any(fragment in message for message in messages), messages


def test_syntax_errors_and_non_json_bodies_are_client_errors(alice_api):
    assert errors_of(alice_api, "{ companies( ")
    response = alice_api.client.post(
        "/graphql/",
        data="{not json",
        headers={"authorization": f"JWT {alice_api.token}", "content-type": "application/json"},
    )
    assert response.status_code == 400 and response.get_json()["errors"]


def test_unexpected_failures_are_masked_not_500(alice_api, monkeypatch, caplog):
    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("SELECT secret FROM internals")

    monkeypatch.setattr("app.graphql.schema.companies_page", explode)
    response = gql(alice_api, "{ companies { count } }")
    assert response.status_code == 200
    assert response.get_json()["errors"][0]["message"] == "Unexpected error."
    assert "secret" not in response.get_data(as_text=True)
    assert "SELECT secret" in caplog.text  # logged for the operator


def test_deepest_real_query_passes_and_deeper_documents_are_refused(alice_api, seed):
    seed("Acme", nested=True)
    deepest = (
        "{ companies { edges { node { applications { statuses { applicationstatuslink_set { link { url } } } } } } } }"
    )
    assert "errors" not in gql(alice_api, deepest).get_json()
    too_deep = "{ companies { edges { node { applications { statuses { a { b { c { d { e } } } } } } } } } }"
    messages = errors_of(alice_api, too_deep)
    assert any("exceeds maximum operation depth" in message for message in messages), messages


@pytest.mark.parametrize(
    "query",
    [
        "{ companies { ...Nope } }",
        "{ companies { edges { node { ...X } } } } fragment Y on Company { uuid }",
        "fragment F on CompanyConnection { count ...G } { companies { ...F } }",
    ],
)
def test_an_undefined_fragment_is_named_in_the_error(alice_api, caplog, query):
    messages = errors_of(alice_api, query)
    assert any(message.startswith("Unknown fragment '") for message in messages), messages
    assert "Traceback" not in caplog.text  # a client's mistake, not a server failure


def test_the_depth_limit_follows_fragments(alice_api, seed):
    too_deep = (
        "{ companies { ...E } } fragment E on CompanyConnection { edges { node { applications { ...S } } } }"
        " fragment S on Application { statuses { a { b { c { d { e } } } } } }"
    )
    messages = errors_of(alice_api, too_deep)
    assert any("exceeds maximum operation depth" in message for message in messages), messages


def test_aliases_and_huge_documents_are_refused(alice_api):
    aliases = " ".join(f"c{index}: companies(first: 100) {{ count }}" for index in range(20))
    assert any("aliases" in message for message in errors_of(alice_api, f"{{ {aliases} }}"))
    huge = "{ companies { " + " ".join(["__typename"] * 3000) + " } }"
    assert any("token" in message for message in errors_of(alice_api, huge))


def test_get_and_the_ide_are_not_served(alice_api):
    response = alice_api.get("/graphql/?query={companies{count}}")
    assert response.status_code == 405 and "detail" in response.get_json()


def test_cors_preflight_with_lowercase_headers(client):
    response = client.options(
        "/graphql/",
        headers={
            "origin": "http://localhost:3000",
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization,content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    allowed = {header.strip() for header in response.headers["Access-Control-Allow-Headers"].lower().split(",")}
    assert {"authorization", "content-type"} <= allowed
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    refused = client.options(
        "/graphql", headers={"origin": "https://evil.example", "access-control-request-method": "POST"}
    )
    assert "Access-Control-Allow-Origin" not in refused.headers


def _statements(app, api, first: int, after: str = '""') -> int:
    count = 0

    def before(*args: Any) -> None:
        nonlocal count
        count += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        response = gql(api, FULL_QUERY % {"first": first, "after": after})
    finally:
        event.remove(engine, "before_cursor_execute", before)
    body = response.get_json()
    assert "errors" not in body, body
    assert body["data"]["companies"]["count"] == min(first, body["data"]["companies"]["totalCount"])
    return count


def test_sql_statements_do_not_grow_with_the_page_size(app, alice_api, seed):
    seed("Only", labels=("Applied", "Target"), nested=True)
    one = _statements(app, alice_api, 1)
    seed(*(f"More {index}" for index in range(19)), labels=("Applied", "Target"), nested=True)
    twenty = _statements(app, alice_api, 20)
    assert one == twenty
    assert twenty <= 20  # user, count, page and one batched load per selected relation


def test_the_first_page_counts_every_match_in_its_own_statement(app, alice_api, seed):
    seed(*(f"Company {index:02d}" for index in range(5)), labels=("Applied",), nested=True)
    first = page(alice_api, first=2)
    later = page(alice_api, first=2, after=first["pageInfo"]["endCursor"])
    assert first["totalCount"] == later["totalCount"] == 5
    assert page(alice_api, first=0)["totalCount"] == 5
    assert page(alice_api, first=2, name__icontains="nothing like it")["totalCount"] == 0
    after = json.dumps(first["pageInfo"]["endCursor"])
    assert _statements(app, alice_api, 2) == _statements(app, alice_api, 2, after) - 1


# -- the document cache and the executor's short road answer exactly what strawberry alone answers ---------


def _reference_schema():
    """The dashboard schema as strawberry alone runs it: no document cache, graphql-core's own executor."""
    from strawberry.extensions import MaskErrors, MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
    from strawberry.schema.config import StrawberryConfig

    from app.graphql import schema as dashboard

    return dashboard.DashboardSchema(
        query=dashboard.Query,
        config=StrawberryConfig(auto_camel_case=False),
        extensions=[
            lambda: QueryDepthLimiter(max_depth=dashboard.MAX_DEPTH),
            lambda: MaxTokensLimiter(max_token_count=dashboard.MAX_TOKENS),
            lambda: MaxAliasesLimiter(max_alias_count=dashboard.MAX_ALIASES),
            lambda: MaskErrors(should_mask_error=dashboard.should_mask),
        ],
    )


COMPARED_QUERIES: dict[str, tuple[str, dict | None, str | None]] = {
    "contract": (FULL_QUERY % {"first": 20, "after": '""'}, None, None),
    "variables": (
        "query Q($first: Int, $after: String, $name: String) { companies(first: $first, after: $after,"
        " name__icontains: $name) { totalCount count pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
        " edges { cursor node { uuid name user } } } }",
        {"first": 1, "after": None, "name": "a"},
        None,
    ),
    "fragments": (
        "query D { companies(first: 3) { ...Conn } } fragment Conn on CompanyConnection { totalCount"
        " edges { node { ...C ... on Company { notes labels { ...L } } } } }"
        " fragment C on Company { uuid name created_at hq_location { city zipcode __typename } home_page { url } }"
        " fragment L on Label { uuid user text color order __typename }",
        None,
        "D",
    ),
    "aliases and directives": (
        'query($s: Boolean!) { a: companies(order_by: "name") { count @skip(if: $s) edges { node { n: name'
        " id: uuid name @include(if: $s) } } } b: companies(first: 1) { __typename } __typename }",
        {"s": True},
        None,
    ),
    "filters and orderings": (
        '{ l: companies(labels__text: "Applied", order_by: "-name") { totalCount edges { cursor node { name } } }'
        ' n: companies(labels__isnull: true, order_by: "uuid") { totalCount edges { cursor node { uuid } } }'
        ' c: companies(order_by: "created_at", first: 0) { totalCount count pageInfo { endCursor } } }',
        None,
        None,
    ),
    "nested statuses": (
        "{ companies { edges { node { ratings { value sample_date source { url } } applications { user_company"
        " created_at statuses { date order applicationstatuslink_set { uuid link { url order } } } } } } } }",
        None,
        None,
    ),
    "bad cursor": ('{ companies(after: "garbage!") { count } }', None, None),
    "bad argument": ('{ companies(first: 1000, order_by: "x") { count } }', None, None),
    "validation errors": ("{ companies { edges { node { nam password_hash } } } }", None, None),
    "variable errors": ("query Q($first: Int!) { companies(first: $first) { count } }", {"first": "x"}, None),
    "syntax error": ("{ companies( ", None, None),
    "too deep": ("{ companies { edges { node { applications { statuses { a { b { c { d } } } } } } } } }", None, None),
    "introspection": (
        '{ __type(name: "Application") { name fields { name type { kind ofType { name } } } } }',
        None,
        None,
    ),
}


def _run(schema: Any, app: Any, user_id: uuid.UUID, query: str, variables: dict | None, operation: str | None):
    from app.models import User

    with app.app_context():
        user = db.session.get(User, user_id)
        result = schema.execute_sync(
            query, variable_values=variables, operation_name=operation, context_value={"user": user}
        )
        return result.data, [error.formatted for error in result.errors or ()]


@pytest.mark.parametrize("name", list(COMPARED_QUERIES))
def test_cached_documents_and_the_short_road_answer_what_strawberry_alone_does(app, alice, seed, name):
    from app.graphql.documents import documents
    from app.graphql.schema import schema

    seed("Acme", labels=("Applied",), nested=True, notes="<p>hi</p>")
    seed("Beta", "Gamma")
    query, variables, operation = COMPARED_QUERIES[name]
    documents.clear()
    expected = _run(_reference_schema(), app, alice.id, query, variables, operation)
    assert _run(schema, app, alice.id, query, variables, operation) == expected  # parsed and validated
    assert _run(schema, app, alice.id, query, variables, operation) == expected  # from the cache


def test_a_cached_document_is_run_with_each_request_s_own_variables(app, alice, seed):
    from app.graphql.schema import schema

    seed("Acme", "Beta")
    query = (
        "query Q($s: Boolean!, $first: Int) { companies(first: $first) { count @include(if: $s)"
        " edges { node { name } } } }"
    )
    first = _run(schema, app, alice.id, query, {"s": True, "first": 1}, None)
    second = _run(schema, app, alice.id, query, {"s": False, "first": 2}, None)
    assert first == ({"companies": {"count": 1, "edges": [{"node": {"name": "Beta"}}]}}, [])
    assert second == ({"companies": {"edges": [{"node": {"name": "Beta"}}, {"node": {"name": "Acme"}}]}}, [])


def test_the_document_cache_is_bounded_and_keeps_no_syntax_error(app, alice):
    from app.graphql.documents import MAX_DOCUMENTS, documents
    from app.graphql.schema import schema

    documents.clear()
    for index in range(MAX_DOCUMENTS + 10):
        assert _run(schema, app, alice.id, f"{{ a{index}: __typename }}", None, None)[0] == {f"a{index}": "Query"}
    assert len(documents._entries) == MAX_DOCUMENTS
    assert ("{ a0: __typename }", (("max_tokens", 2000),)) not in documents._entries  # the oldest went first
    _run(schema, app, alice.id, "{ companies( ", None, None)
    assert ("{ companies( ", (("max_tokens", 2000),)) not in documents._entries


def test_the_short_road_reports_a_bad_value_as_graphql_core_does(app, alice, monkeypatch):
    """A null in a non-null leaf or a value its scalar refuses: graphql-core's own error, path and all."""
    from types import SimpleNamespace

    from app.graphql.schema import schema
    from app.graphql.types import CompanyConnection, CompanyEdge, PageInfo

    node = SimpleNamespace(id="not checked", name=None, notes=5, labels=[SimpleNamespace(order="x", text="t")])
    connection = CompanyConnection(
        total_count=1,
        count=1,
        page_info=PageInfo(has_next_page=False, has_previous_page=False, start_cursor=None, end_cursor=None),
        edges=[CompanyEdge(node=node, cursor="c")],  # type: ignore[arg-type]
    )
    monkeypatch.setattr("app.graphql.schema.companies_page", lambda *args, **kwargs: connection)
    for query in (
        "{ companies { edges { node { uuid name } } } }",
        "{ companies { edges { node { notes labels { text order } } } } }",
    ):
        expected = _run(_reference_schema(), app, alice.id, query, None, None)
        assert expected[1], expected  # the reference reports an error
        assert _run(schema, app, alice.id, query, None, None) == expected


# A small schema whose nested fields raise, for the short road's error handling (module level: strawberry
# resolves the annotations by name).
@strawberry.type
class _Leaf:
    name: str

    @strawberry.field
    def fails(self) -> str | None:
        raise ValueError(f"no {self.name}")

    @strawberry.field
    def required(self) -> str:
        if self.name == "b":
            raise ValueError("b is required")
        return self.name


@strawberry.type
class _Branch:
    leaves: list[_Leaf]
    optional_leaves: list[_Leaf] | None
    leaf: _Leaf | None
    missing: _Leaf | None = None


@strawberry.type
class _Root:
    @strawberry.field
    def branch(self) -> _Branch:
        leaves = [_Leaf(name="a"), _Leaf(name="b")]
        return _Branch(leaves=leaves, optional_leaves=leaves, leaf=leaves[1])


def test_the_short_road_reports_errors_below_a_list_as_graphql_core_does():
    """Errors raised under objects and lists that take the short road: nulled and located the same way."""
    from app.graphql.execution import DashboardExecutor

    query = (
        "{ branch { leaves { name fails } optionalLeaves { name required } leaf { required }"
        " missing { name } again: leaves @include(if: true) { name } } }"
    )
    plain = strawberry.Schema(query=_Root)
    short = strawberry.Schema(query=_Root, execution_context_class=DashboardExecutor)
    expected, answered = plain.execute_sync(query), short.execute_sync(query)
    assert answered.data == expected.data
    assert [error.formatted for error in answered.errors] == [error.formatted for error in expected.errors]
    assert answered.data["branch"]["optionalLeaves"] is None and answered.data["branch"]["leaf"] is None
    assert len(answered.errors) == 4


class _Refused(strawberry.BasePermission):
    message = "Not for you."

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return False


@strawberry.type
class _Guarded:
    name: str
    secret: str | None = strawberry.field(default=None, permission_classes=[_Refused])


@strawberry.type
class _GuardedRoot:
    @strawberry.field
    def items(self) -> list[_Guarded]:
        return [_Guarded(name="a", secret="s")]


def test_the_short_road_reads_only_what_strawberrys_own_resolver_would():
    """A field with permissions (an extension, no resolver) is checked, and a configured default resolver
    reads the values: the answers are the plain executor's."""
    from strawberry.schema.config import StrawberryConfig

    from app.graphql.execution import DashboardExecutor

    def shouting(source: Any, name: str) -> Any:
        value = getattr(source, name)
        return value.upper() if isinstance(value, str) else value

    query = "{ items { name secret } }"
    for config in (StrawberryConfig(), StrawberryConfig(default_resolver=shouting)):
        plain = strawberry.Schema(query=_GuardedRoot, config=config)
        short = strawberry.Schema(query=_GuardedRoot, config=config, execution_context_class=DashboardExecutor)
        expected, answered = plain.execute_sync(query), short.execute_sync(query)
        assert answered.data == expected.data
        assert [error.formatted for error in answered.errors] == [error.formatted for error in expected.errors]
    assert answered.data == {"items": [{"name": "A", "secret": None}]}
    assert [error.message for error in answered.errors] == ["Not for you."]


def test_planned_selections_follow_each_executions_variables(app, alice, seed):
    """Plans are made per execution from graphql-core's collected fields: one cached document answered
    with @include/@skip both ways, each time as strawberry alone answers it."""
    from app.graphql.schema import schema

    seed("Acme", labels=("Applied",), nested=True)
    query, _, _ = COMPARED_QUERIES["aliases and directives"]
    reference = _reference_schema()
    for flag in (True, False, True):
        expected = _run(reference, app, alice.id, query, {"s": flag}, None)
        assert _run(schema, app, alice.id, query, {"s": flag}, None) == expected


def test_a_page_of_objects_is_completed_by_plans_not_field_by_field(app, alice, seed, monkeypatch):
    """graphql-core executes the fields of the operation and of the connection; every object below them
    is built by its selection's plan, however many there are."""
    from graphql.execution.executor import Executor

    from app.graphql.schema import schema

    for name in ("Acme", "Beta", "Gamma"):
        seed(name, labels=("Applied",), nested=True)
    executed = []
    execute_fields = Executor.execute_fields

    def counting(self, parent_type, *args, **kwargs):
        executed.append(parent_type.name)
        return execute_fields(self, parent_type, *args, **kwargs)

    monkeypatch.setattr(Executor, "execute_fields", counting)
    data, errors = _run(schema, app, alice.id, COMPARED_QUERIES["contract"][0], None, None)
    assert errors == [] and len(data["companies"]["edges"]) == 3
    assert executed == ["Query", "CompanyConnection"]
