"""Responses kept for the data version (app.response_cache), answered again by the fast path.

A kept answer must be the answer Flask would build now, header for header and byte for byte: the main
test reads every page and the dashboard after each write through every endpoint and nested path, and
compares the whole stack's answer with Flask's alone.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import User
from app.resources import RESOURCES
from app.resources.base import ResourceView
from app.response_cache import ENTRY_OVERHEAD, Kept, ResponseCache, keeping_endpoints
from tests.conftest import create_user, login, make_config
from tests.fast_path_support import both, same_answer
from tests.rest_support import company_body, ok
from tests.test_etags import _urls, _writes
from tests.test_query_counts import count_statements
from tests.test_revalidation import _refuse_inactive, _refuse_older_version, _refuse_revoked

DASHBOARD = {
    "query": '{ companies(first: 20, order_by: "-modified_at") { totalCount edges { node { uuid name'
    " labels { text } applications { uuid position_title } } } } }"
}
GRAPHQL_HEADERS = {"Content-Type": "application/json"}


def _graphql(api: Any, query: dict[str, Any]) -> Any:
    return api.open("POST", "/graphql/", data=json.dumps(query).encode(), headers=GRAPHQL_HEADERS)


def _cache(app: Any) -> ResponseCache:
    return app.extensions["revalidation"].cache


def test_every_resource_get_and_the_graphql_post_are_kept_and_nothing_else(app):
    expected = {f"{name}.resource": frozenset({"GET"}) for name in RESOURCES}
    assert keeping_endpoints(app) == {**expected, "graphql.graphql": frozenset({"POST"})}


@pytest.mark.parametrize(
    "url",
    ["/api/companies/", "/api/companies/?page_size=1&page=2", "/api/companies/?ordering=name", "detail"],
)
def test_a_read_again_is_the_kept_answer_of_one_statement(app, alice_api, fast_path, url):
    company = ok(alice_api.post("/api/companies/", json=company_body("Acme")), 201)
    ok(alice_api.post("/api/companies/", json=company_body("Beta")), 201)
    url = f"/api/companies/{company['uuid']}/" if url == "detail" else url
    fast_path.clear()
    first = alice_api.get(url)
    assert first.status_code == 200 and fast_path == [url.partition("?")[0]], "the first read is Flask's"
    fast_path.clear()
    with count_statements(app) as statements:
        again = alice_api.get(url)
    assert fast_path == [] and len(statements) == 1, statements
    same_answer(again, first)
    _, alone = both(alice_api, "GET", url, {})
    same_answer(again, alone)


def test_the_dashboard_is_kept_with_flasks_headers(app, alice_api, fast_path):
    ok(alice_api.post("/api/companies/", json=company_body("Acme")), 201)
    fast_path.clear()
    first = _graphql(alice_api, DASHBOARD)
    assert first.status_code == 200 and fast_path == ["/graphql/"]
    fast_path.clear()
    with count_statements(app) as statements:
        again = _graphql(alice_api, DASHBOARD)
    assert fast_path == [] and len(statements) == 1
    same_answer(again, first)
    assert again.get_json()["data"]["companies"]["edges"][0]["node"]["name"] == "Acme"
    other = _graphql(alice_api, {"query": "{ companies(first: 1) { totalCount } }"})
    assert other.get_json() == {"data": {"companies": {"totalCount": 1}}}, "another query is another answer"


def test_a_graphql_answer_with_errors_is_not_kept(alice_api, fast_path):
    query = {"query": "{ companies(first: 1) { nope } }"}
    for _ in range(2):
        assert "errors" in _graphql(alice_api, query).get_json()
    assert fast_path == ["/graphql/", "/graphql/"]


@pytest.mark.parametrize("origin", [None, "http://localhost:3000", "http://other.example"])
def test_a_kept_answer_carries_this_requests_cors_and_limit_headers(app, alice_api, fast_path, origin):
    ok(alice_api.post("/api/companies/", json=company_body("Acme")), 201)
    headers = {"Origin": origin} if origin else {}
    alice_api.get("/api/companies/", headers={"Origin": "http://localhost:3000"})  # kept, with its CORS
    fast_path.clear()
    stack, alone = both(alice_api, "GET", "/api/companies/", headers)
    assert fast_path == [], "Flask answered"
    same_answer(stack, alone)


def test_after_every_write_a_kept_answer_is_flasks_answer_now(app, alice_api, runner, tmp_path, fast_path):
    create_user(app, "root@example.com", is_admin=True)
    admin_api = login(app.test_client(), "root@example.com")
    kept_answers = 0

    def read_everything(step: str) -> None:
        nonlocal kept_answers
        for url in _urls(alice_api):
            fast_path.clear()
            stack, alone = both(alice_api, "GET", url, {})
            kept_answers += fast_path == []  # the whole stack never reached Flask: a kept answer
            assert stack.get_data() == alone.get_data(), f"stale {url} after {step}"
            assert stack.headers.get("ETag") == alone.headers.get("ETag"), f"stale tag of {url} after {step}"
        for query in (DASHBOARD, {"query": "{ companies(first: 1) { totalCount count } }"}):
            stack, alone = both(alice_api, "POST", "/graphql/", GRAPHQL_HEADERS, json.dumps(query).encode())
            assert stack.get_data() == alone.get_data(), f"stale dashboard after {step}"

    read_everything("nothing")
    for step in _writes(app, alice_api, admin_api, runner, tmp_path):
        read_everything(step)
        read_everything(f"{step}, read again")
    # The test would pass with nothing kept: the second reads of each step were the kept answers.
    assert kept_answers > 100


def test_one_users_kept_answer_is_never_anothers(app, alice_api, bob_api, fast_path):
    ok(alice_api.post("/api/companies/", json=company_body("Alice's")), 201)
    ok(bob_api.post("/api/companies/", json=company_body("Bob's")), 201)
    for api, name in ((alice_api, "Alice's"), (bob_api, "Bob's")):
        for _ in range(2):
            assert [c["name"] for c in ok(api.get("/api/companies/"))["results"]] == [name]
            assert _graphql(api, DASHBOARD).get_json()["data"]["companies"]["edges"][0]["node"]["name"] == name


def test_another_host_is_another_answer(app, alice_api, fast_path):
    company = ok(alice_api.post("/api/companies/", json=company_body("Acme")), 201)
    url = f"/api/companies/{company['uuid']}/"
    for _ in range(2):
        assert ok(alice_api.get(url))["api_url"].startswith("http://localhost/")
    other = ok(alice_api.get(url, base_url="https://tracky.example"))
    assert other["api_url"] == f"https://tracky.example{url}"


@pytest.mark.parametrize("refuse", [_refuse_revoked, _refuse_older_version, _refuse_inactive])
def test_a_refused_token_gets_401_even_with_a_kept_answer(app, alice, alice_api, fast_path, refuse):
    for _ in range(2):
        ok(alice_api.get("/api/companies/"))
    with app.app_context():
        refuse(app, alice, alice_api)
        db.session.commit()
    assert alice_api.get("/api/companies/").status_code == 401


class TestRateLimitsOn:
    @pytest.fixture
    def app_config(self, database_url: str):
        return make_config(database_url, RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="3/minute")

    def test_kept_answers_count_with_flasks_headers_then_flask_answers_429(self, app, alice_api, fast_path):
        first = alice_api.get("/api/companies/")
        second, third = alice_api.get("/api/companies/"), alice_api.get("/api/companies/")
        assert [first.status_code, second.status_code, third.status_code] == [200, 200, 200]
        assert second.get_data() == first.get_data() and fast_path == ["/api/companies/"]
        assert [r.headers["X-RateLimit-Remaining"] for r in (first, second, third)] == ["2", "1", "0"]
        assert alice_api.get("/api/companies/").status_code == 429
        assert fast_path == ["/api/companies/"] * 2, "Flask refused the fourth"


def test_creates_and_heads_are_never_answered_from_the_cache(app, alice_api, fast_path):
    body = company_body("Acme")
    for _ in range(2):
        ok(alice_api.post("/api/companies/", json=body), 201)
    assert len(ok(alice_api.get("/api/companies/"))["results"]) == 2
    fast_path.clear()
    assert alice_api.open("HEAD", "/api/companies/").status_code == 200
    assert fast_path == ["/api/companies/"]


def test_a_request_with_the_pages_session_cookie_is_flasks(app, alice_api, fast_path):
    for _ in range(2):
        both(alice_api, "GET", "/api/companies/", {"Cookie": "appl_tracky_session=whatever"})
    assert fast_path == ["/api/companies/"] * 2
    assert len(_cache(app)) == 0


def test_nothing_is_kept_with_no_bytes_allowed(database_url, images_root):
    from app import create_app

    app = create_app(make_config(database_url, RESPONSE_CACHE_BYTES=0, IMAGE_STORAGE_PATH=str(images_root)))
    try:
        create_user(app, "zoe@example.com")
        api = login(app.test_client(), "zoe@example.com")
        for _ in range(2):
            ok(api.get("/api/companies/"))
        assert len(_cache(app)) == 0
    finally:
        app.extensions["revalidation"].release()
        with app.app_context():
            db.session.remove()
            db.session.execute(db.delete(User).where(User.email == "zoe@example.com"))
            db.session.commit()
            db.engine.dispose()


def test_the_cache_holds_at_most_its_bytes_least_recently_used_out():
    entry = ENTRY_OVERHEAD + 100
    cache = ResponseCache(capacity=5 * entry)

    def kept(size: int) -> Kept:
        return Kept("tag", (), b"x" * size)

    cache.put(("u", ("a",)), kept(100))
    cache.put(("u", ("b",)), kept(100))
    cache.put(("u", ("huge",)), kept(5 * entry // 4))  # over a quarter of the capacity: never kept
    assert len(cache) == 2 and cache.size == 2 * entry
    cache.get(("u", ("a",)))
    for name in "cde":
        cache.put(("u", (name,)), kept(100))
    assert cache.size == 5 * entry
    cache.put(("u", ("f",)), kept(100))
    assert cache.get(("u", ("b",))) is None, "the least recently used went first"
    assert cache.get(("u", ("a",))) is not None and cache.size == 5 * entry
    cache.put(("u", ("a",)), kept(50))  # replaced, not added
    assert cache.size == 5 * entry - 50


def test_concurrent_reads_while_writing_end_on_the_last_write(app, alice_api):
    company = ok(alice_api.post("/api/companies/", json=company_body("v0")), 201)
    url = f"/api/companies/{company['uuid']}/"
    errors: list[Any] = []

    def read() -> None:
        try:
            for _ in range(15):
                response = alice_api.get(url)
                assert response.status_code == 200, response.status_code
        except Exception as exc:
            errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    for n in range(1, 6):
        ok(alice_api.patch(url, json={"name": f"v{n}"}))
    for reader in readers:
        reader.join()
    assert errors == []
    assert ok(alice_api.get(url))["name"] == "v5"
    assert ok(alice_api.get("/api/companies/"))["results"][0]["name"] == "v5"


def test_a_kept_page_is_never_answered_when_its_version_cannot_be_read(app, alice_api, fast_path, monkeypatch):
    ok(alice_api.post("/api/companies/", json=company_body("Acme")), 201)
    ok(alice_api.get("/api/companies/"))
    middleware = app.extensions["revalidation"]
    monkeypatch.setattr(middleware, "engine", sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:9/none"))
    monkeypatch.setattr(middleware, "holds_connections", False)
    fast_path.clear()
    assert ok(alice_api.get("/api/companies/"))["results"][0]["name"] == "Acme"  # Flask's, from its database
    assert fast_path == ["/api/companies/"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # a write while SQLite's read holds its lock
def test_a_write_while_a_page_is_built_is_never_hidden_by_that_page(app, alice_api, fast_path, monkeypatch):
    """The page is tagged with the version read before its data: a write that commits after the data was
    read (here, while the response is made) leaves the page kept under the older version, never served."""
    company = ok(alice_api.post("/api/companies/", json=company_body("v0")), 201)
    url = f"/api/companies/{company['uuid']}/"
    represent = ResourceView.represent
    wrote: list[bool] = []

    def represent_then_write(view: ResourceView, object_id: Any) -> Any:
        answer = represent(view, object_id)
        if not wrote:
            wrote.append(True)
            ok(alice_api.patch(url, json={"name": "v1"}))  # another request: its own context and transaction
        return answer

    monkeypatch.setattr(ResourceView, "represent", represent_then_write)
    assert ok(alice_api.get(url))["name"] == "v0", "built before the write committed"
    fast_path.clear()
    assert ok(alice_api.get(url))["name"] == "v1"
    assert fast_path == [url], "the page built before the write was not answered again"
    assert ok(alice_api.get(url))["name"] == "v1" and fast_path == [url], "the new page is kept"
