"""ETags from the user's data version: 304s that are never stale, headers, statements, If-Match kept.

The main test is a client that keeps every page it read with its ETag and revalidates them all after
each write through every endpoint and nested path (REST, batch, GraphQL reads alike, an import, its
undo, an account restore, the CLI, an administrator's global label): a 304 must mean that the page it
kept is exactly what the server would send now.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, insert, select

from app.etags import written_content_tag
from app.extensions import db
from app.models import Company, Label, Link, User
from app.models.label import company_labels
from tests.conftest import create_user, login
from tests.import_support import import_file
from tests.rest_support import address_body, chosen_label, company_body, link_body, ok
from tests.test_query_counts import count_statements

TRACKER = "Company,Position,Status,Date,Notes,Labels\nAcme,Engineer,Applied,2024-03-01,first note,Remote\n"


class CachingClient:
    """A browser cache: every page read is kept with its ETag and revalidated with If-None-Match."""

    def __init__(self, api: Any) -> None:
        self.api = api
        self.pages: dict[str, tuple[str, Any]] = {}
        self.revalidated = 0

    def read(self, url: str) -> Any:
        response = self.api.get(url)
        if response.status_code == 404 and "page=" in url:  # past the end, for now: an error has no tag
            assert "ETag" not in response.headers
            return None
        assert response.status_code == 200, (url, response.status_code)
        assert response.headers["Cache-Control"] == "private, no-cache"
        self.pages[url] = (response.headers["ETag"], response.get_json())
        return response.get_json()

    def revalidate_all(self, step: str) -> None:
        """Every kept page: a 304 only if the kept page is what the server sends now."""
        for url, (tag, kept) in list(self.pages.items()):
            response = self.api.get(url, headers={"If-None-Match": tag})
            fresh = self.api.get(url)
            if response.status_code == 304:
                self.revalidated += 1
                assert response.headers["ETag"] == tag and not response.data
                assert fresh.get_json() == kept, f"stale 304 for {url} after {step}"
            elif response.status_code == 404:
                assert fresh.status_code == 404
                self.pages.pop(url)
            else:
                assert response.status_code == 200, (url, response.status_code)
                self.pages[url] = (response.headers["ETag"], response.get_json())


def _urls(api: Any) -> list[str]:
    urls = ["/api/companies/", "/api/applications/", "/api/application-statuses/", "/api/labels/", "/api/users/"]
    urls += ["/api/addresses/", "/api/links/", "/api/position-locations/", "/api/application-status-links/"]
    urls += ["/api/company-ratings/", "/api/companies/?page_size=1&page=2", "/api/feeds/"]
    for company in ok(api.get("/api/companies/?page_size=100"))["results"]:
        urls.append(f"/api/companies/{company['uuid']}/")
        urls += [f"/api/applications/{application['uuid']}/" for application in company["applications"]]
    return urls


def _read_everything(cache: CachingClient) -> None:
    for url in _urls(cache.api):
        if url not in cache.pages:
            cache.read(url)


def _writes(app: Any, api: Any, admin_api: Any, runner: Any, tmp_path: Any) -> Any:
    """Each step writes through one path, and names it."""
    company = ok(api.post("/api/companies/", json=company_body("Acme", labels=[chosen_label("Target")])), 201)
    yield "create a company with nested parts and a label"
    other = ok(api.post("/api/companies/", json=company_body("Globex")), 201)
    yield "create a second company"
    url = f"/api/companies/{company['uuid']}/"
    application = ok(
        api.post(
            "/api/applications/",
            json={
                "user_company": company["uuid"],
                "position_title": "Engineer",
                "job_description_page": link_body("JD", "jd.example"),
                "job_source": None,
                "position_locations": [{"location": address_body(city="Paris")}],
                "labels": [chosen_label("Applied")],
            },
        ),
        201,
    )
    yield "create an application with links, a location and a label"
    status = ok(
        api.post(
            "/api/application-statuses/",
            json={
                "application": application["uuid"],
                "text": "Applied",
                "applicationstatuslink_set": [{"link": link_body("Mail", "mail.example")}],
            },
        ),
        201,
    )
    yield "create a status with a link"
    ok(api.patch(url, json={"hq_location": address_body(city="Berlin")}))
    yield "merge the nested HQ address"
    ok(api.patch(url, json={"home_page": None}))
    yield "remove the nested home page"
    ok(api.patch(url, json={"labels": [chosen_label("Interviewing")]}))
    yield "replace the company's labels"
    ok(api.patch(f"/api/addresses/{company['hq_location']['uuid']}/", json={"city": "Munich"}))
    yield "change the HQ address through its own endpoint"
    position = application["position_locations"][0]
    ok(api.patch(f"/api/addresses/{position['location']['uuid']}/", json={"city": "Lyon"}))
    yield "change a position's address through its own endpoint"
    ok(api.patch(f"/api/links/{application['job_description_page']['uuid']}/", json={"url": "jd2.example"}))
    yield "change an application's link through its own endpoint"
    link = status["applicationstatuslink_set"][0]
    ok(api.patch(f"/api/links/{link['link']['uuid']}/", json={"text": "Reply"}))
    yield "change a status link's link"
    ok(api.patch(f"/api/application-status-links/{link['uuid']}/", json={"link": link_body("Again", "a.example")}))
    yield "replace a status link's link"
    ok(api.patch(f"/api/application-statuses/{status['uuid']}/", json={"text": "Interview"}))
    yield "change a status"
    ok(api.patch(f"/api/position-locations/{position['uuid']}/", json={"location": address_body(city="Nice")}))
    yield "replace a position location's address"
    ok(api.patch(f"/api/applications/{application['uuid']}/", json={"position_locations": []}))
    yield "empty an application's locations"
    rating = ok(api.post("/api/company-ratings/", json={"company": company["uuid"], "value": 3.5}), 201)
    yield "rate a company"
    assert api.delete(f"/api/company-ratings/{rating['uuid']}/").status_code == 204
    yield "delete the rating"
    own = ok(api.post("/api/labels/", json={"text": "Mine", "color": "red"}), 201)
    ok(api.patch(url, json={"labels": [{"uuid": own["uuid"], "text": "Mine"}]}))
    yield "attach an own label"
    ok(api.patch(f"/api/labels/{own['uuid']}/", json={"color": "blue"}))
    yield "recolour the label the company shows"
    ok(api.patch("/api/companies/", json=[{"uuid": other["uuid"], "notes": "batch"}]))
    yield "batch update"
    ok(api.put(f"/api/companies/{other['uuid']}/", json=company_body("Globex Corp")))
    yield "replace a company"
    me = ok(api.get("/api/users/"))["results"][0]
    ok(api.patch(f"/api/users/{me['uuid']}/", json={"first_name": "Changed"}))
    yield "change the user's own name"
    with app.app_context():
        label = db.session.scalars(select(Label).where(Label.user_id.is_(None), Label.text == "Target")).one()
        label_id = str(label.id)
    ok(admin_api.patch(f"/api/labels/{label_id}/", json={"color": "gold"}))
    yield "an administrator recolours a global label"
    feed = ok(api.post("/api/feeds/", json={"name": "My sheet"}), 201)
    yield "create a feed"
    assert app.test_client().get(feed["feed_url"].removeprefix("http://localhost")).status_code == 200
    yield "read the feed, which notes its last use"
    batch = import_file(api, TRACKER.encode())
    yield "import a spreadsheet"
    assert api.delete(f"/api/imports/{batch['uuid']}/").status_code == 204
    yield "undo the import"
    path = tmp_path / "tracker.csv"
    path.write_text(TRACKER.replace("Acme", "Initech"))
    result = runner.invoke(args=["import-spreadsheet", str(path), "--user", me["email"]])
    assert result.exit_code == 0, result.output
    yield "import from the CLI"
    assert api.delete(f"/api/application-statuses/{status['uuid']}/").status_code == 204
    yield "delete a status"
    assert api.delete(url).status_code == 204
    yield "delete a company (the database cascades the rest)"


def test_a_revalidated_page_is_never_stale_whatever_wrote(app, alice_api, runner, tmp_path):
    create_user(app, "root@example.com", is_admin=True)
    admin_api = login(app.test_client(), "root@example.com")
    cache = CachingClient(alice_api)
    _read_everything(cache)
    for step in _writes(app, alice_api, admin_api, runner, tmp_path):
        cache.revalidate_all(step)
        _read_everything(cache)
    cache.revalidate_all("the end")
    # Reads with nothing written in between do revalidate: the test would pass without any 304 otherwise.
    before = cache.revalidated
    cache.revalidate_all("nothing")
    assert cache.revalidated - before == len(cache.pages)


def test_an_account_restore_changes_the_version(app, alice_api, make_user):
    make_user("carol@example.com")
    carol_api = login(app.test_client(), "carol@example.com")
    ok(alice_api.post("/api/companies/", json=company_body("Acme")), 201)
    raw = alice_api.get("/api/exports/account.json").data
    cache = CachingClient(carol_api)
    cache.read("/api/companies/")
    response = carol_api.post("/api/imports/account/", data=raw, content_type="application/json")
    assert response.status_code == 201, response.get_json()
    tag, _ = cache.pages["/api/companies/"]
    assert carol_api.get("/api/companies/", headers={"If-None-Match": tag}).status_code == 200


def test_another_users_write_keeps_my_pages_fresh(alice_api, bob_api):
    mine = CachingClient(alice_api)
    mine.read("/api/companies/")
    ok(bob_api.post("/api/companies/", json=company_body("Bob's")), 201)
    tag, _ = mine.pages["/api/companies/"]
    assert alice_api.get("/api/companies/", headers={"If-None-Match": tag}).status_code == 304


def test_a_tag_is_the_users_own(alice_api, bob_api):
    """Two users on one browser: a page kept for one is never revalidated for the other."""
    tag = alice_api.get("/api/companies/").headers["ETag"]
    assert bob_api.get("/api/companies/", headers={"If-None-Match": tag}).status_code == 200


def test_a_304_costs_one_statement_the_token_check(app, alice_api):
    ok(alice_api.post("/api/companies/", json=company_body("Acme")), 201)
    for url in ("/api/companies/", f"/api/companies/{ok(alice_api.get('/api/companies/'))['results'][0]['uuid']}/"):
        tag = alice_api.get(url).headers["ETag"]
        with count_statements(app) as statements:
            response = alice_api.get(url, headers={"If-None-Match": tag})
        assert response.status_code == 304
        assert len(statements) == 1, statements


@pytest.mark.parametrize("header", ['W/"{tag}"', '"other", "{tag}"', "{tag}"])
def test_if_none_match_takes_weak_and_listed_tags(alice_api, header):
    tag = alice_api.get("/api/companies/").headers["ETag"].strip('"')
    assert alice_api.get("/api/companies/", headers={"If-None-Match": header.format(tag=tag)}).status_code == 304


def test_a_write_elsewhere_keeps_an_objects_if_match_good(alice_api):
    """If-Match is per object: another company's change does not make this one's tag stale."""
    first = ok(alice_api.post("/api/companies/", json=company_body("First")), 201)
    second = ok(alice_api.post("/api/companies/", json=company_body("Second")), 201)
    tag = alice_api.get(f"/api/companies/{first['uuid']}/").headers["ETag"]
    ok(alice_api.patch(f"/api/companies/{second['uuid']}/", json={"notes": "elsewhere"}))
    assert alice_api.get(f"/api/companies/{first['uuid']}/", headers={"If-None-Match": tag}).status_code == 200
    response = alice_api.patch(f"/api/companies/{first['uuid']}/", json={"notes": "mine"}, headers={"If-Match": tag})
    assert response.status_code == 200
    # A nested change is a change of the object.
    tag = response.headers["ETag"]
    ok(alice_api.patch(f"/api/addresses/{first['hq_location']['uuid']}/", json={"city": "Elsewhere"}))
    stale = alice_api.patch(f"/api/companies/{first['uuid']}/", json={"notes": "x"}, headers={"If-Match": tag})
    assert stale.status_code == 412


def test_a_write_response_tag_revalidates_the_detail(alice_api):
    company = ok(alice_api.post("/api/companies/", json=company_body("Acme")), 201)
    url = f"/api/companies/{company['uuid']}/"
    patched = alice_api.patch(url, json={"notes": "new"})
    assert alice_api.get(url, headers={"If-None-Match": patched.headers["ETag"]}).status_code == 304


def test_statements_run_through_the_session_change_their_owners_versions(app, alice, bob):
    """Core INSERTs and bulk DELETEs (imports, undo, restores) are seen too, owned directly or through a key."""

    def version(user: User) -> str:
        return db.session.scalar(select(User.data_version).where(User.id == user.id))

    with app.app_context():
        company = Company(user_id=bob.id, name="Bob's")
        db.session.add(company)
        db.session.commit()
        alice_before, bob_before = version(alice), version(bob)
        db.session.execute(insert(Link), [{"user_id": alice.id, "url": "x"}])
        db.session.commit()
        assert version(alice) != alice_before and version(bob) == bob_before
        alice_before = version(alice)
        label = db.session.scalars(select(Label).where(Label.user_id.is_(None))).first()
        db.session.execute(company_labels.insert(), [{"company_id": company.id, "label_id": label.id}])
        db.session.commit()
        assert version(bob) != bob_before and version(alice) == alice_before
        bob_before = version(bob)
        db.session.execute(delete(company_labels).where(company_labels.c.company_id == company.id))
        db.session.commit()
        assert version(bob) != bob_before and version(alice) == alice_before
        db.session.execute(delete(Link).where(Link.user_id == alice.id))
        db.session.commit()
        assert version(alice) != alice_before


@pytest.mark.parametrize("header", ['""', '"", ""', 'W/""'])
def test_an_empty_tag_names_no_version(alice_api, header):
    """Werkzeug parses `""` as no tag at all: a read answers the page, a write under it is refused, never a 500."""
    company = ok(alice_api.post("/api/companies/", json=company_body("Acme")), 201)
    url = f"/api/companies/{company['uuid']}/"

    assert alice_api.get(url, headers={"If-None-Match": header}).status_code == 200
    assert alice_api.get("/api/companies/", headers={"If-None-Match": header}).status_code == 200
    assert alice_api.patch(url, json={"notes": "x"}, headers={"If-Match": header}).status_code == 412
    assert alice_api.get(url).json["notes"] != "x"


@pytest.mark.parametrize(
    "url",
    ["https://a.example/api/links/1/", 'odd \\" quote', "back\\\\slash", "\\u00e9", ""],
)
def test_a_written_tag_blanks_every_api_url_whatever_it_holds(url):
    text = f'{{"api_url":"{url}","items":[{{"api_url":"{url}","text":"\\"api_url\\":\\"kept\\""}}]}}'
    blank = '{"api_url":"","items":[{"api_url":"","text":"\\"api_url\\":\\"kept\\""}]}'
    assert written_content_tag(text) == written_content_tag(blank)
    assert written_content_tag(text) != written_content_tag(blank.replace("kept", "changed"))
