"""Spreadsheet import: preview writes nothing, options, re-import, updates, undo, isolation, CLI."""

from __future__ import annotations

import json

import pytest

from app.extensions import db
from app.models import Application
from app.models.import_batch import ImportRecord
from tests.import_support import applications, commit, fixture, import_file, upload, upload_ok

TRACKER = (
    "Company,Position,Status,Date,Notes,Labels\n"
    "Acme,Engineer,Applied,2024-03-01,first note,Remote\n"
    "Globex,Analyst,Interview,2024-03-05,,\n"
    "Initech,Tester,Rejected,2024-03-07,,\n"
)


def test_upload_previews_without_writing_anything(alice_api):
    batch = upload_ok(alice_api, TRACKER.encode())

    assert batch["state"] == "preview"
    assert batch["counts"] == {
        "rows": 3,
        "create": 3,
        "update": 0,
        "unchanged": 0,
        "skip": 0,
        "problems": 0,
        "new_companies": 3,
    }
    assert [row["values"]["company"] for row in batch["preview"]["rows"]] == ["Acme", "Globex", "Initech"]
    assert alice_api.get("/api/applications/").get_json()["count"] == 0
    assert alice_api.get("/api/companies/").get_json()["count"] == 0
    assert alice_api.get(f"/api/imports/{batch['uuid']}/").get_json()["preview"] == batch["preview"]


def test_preview_keeps_the_first_rows_but_counts_problems_over_the_whole_file(app, alice_api):
    app.config.update(IMPORT_PREVIEW_ROWS=2, IMPORT_MAX_PROBLEMS=3)
    rows = "".join(f"Co{i},Job{i},not-a-date\n" for i in range(10))
    batch = upload_ok(alice_api, ("Company,Position,Date applied\n" + rows).encode())

    assert len(batch["preview"]["rows"]) == 2
    assert len(batch["preview"]["problems"]) == 3 and batch["preview"]["problems_truncated"] is True
    assert batch["counts"]["problems"] == 10 and batch["counts"]["rows"] == 10


def test_patch_changes_mapping_status_words_and_date_order_and_recomputes_the_preview(alice_api):
    data = b"Company,Role,Stage,When,City\nAcme,Engineer,phone scrn,03/04/2024,Berlin\n"
    batch = upload_ok(alice_api, data)
    # month first; the user's word, its stage beside it
    assert batch["preview"]["rows"][0]["values"]["statuses"] == [["phone scrn", "2024-03-04", "Screening", "given"]]

    response = alice_api.patch(
        f"/api/imports/{batch['uuid']}/",
        json={
            "mapping": {"City": "extra", "when": "status_date"},
            "status_mapping": {"phone scrn": "Recruiter call"},
            "date_order": "dmy",
        },
    )

    assert response.status_code == 200, response.get_json()
    values = response.get_json()["preview"]["rows"][0]["values"]
    assert values["statuses"] == [["phone scrn", "2024-04-03", "Recruiter call", "given"]]
    assert values["locations"] == [] and values["extra"] == {"City": "Berlin"}
    mapping = response.get_json()["mapping"]
    assert mapping["date_order"] == "dmy"
    assert mapping["status_mapping"]["phone scrn"] == "Recruiter call"
    assert [(c["header"], c["field"]) for c in mapping["columns"]] == [
        ("Company", "company"),
        ("Role", "position_title"),
        ("Stage", "status"),
        ("When", "status_date"),
        ("City", "extra"),
    ]
    commit(alice_api, response.get_json())
    assert applications(alice_api, stages=True)[0]["statuses"] == [
        ("phone scrn", "2024-04-03", "Recruiter call", "given")
    ]


def test_patch_can_map_a_column_to_a_stage_and_reassign_a_single_field(alice_api):
    data = b"Firma,Stelle,Beworben\nAcme,Engineer,2024-03-01\n"
    batch = upload_ok(alice_api, data)
    response = alice_api.patch(
        f"/api/imports/{batch['uuid']}/",
        json={
            "mapping": {"A": "company", "1": "position_title", "Beworben": "stage_date:Applied"},
        },
    )
    assert response.status_code == 200, response.get_json()
    values = response.get_json()["preview"]["rows"][0]["values"]
    assert (values["company"], values["position_title"], values["statuses"]) == (
        "Acme",
        "Engineer",
        [["Applied", "2024-03-01", "Applied", "given"]],
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"mapping": {"Nope": "company"}}, "mapping"),
        ({"mapping": {"Company": "salary_max"}}, "mapping"),
        ({"mapping": {"Status": "stage_date"}}, "mapping"),
        ({"mapping": {"Company": "status", "Status": "status"}}, "mapping"),
        ({"date_order": "ymd"}, "date_order"),
        ({"status_mapping": {"x": "y" * 51}}, "status_mapping"),
        ({}, "non_field_errors"),
    ],
)
def test_patch_with_bad_options_is_a_400_naming_the_field(alice_api, body, field):
    batch = upload_ok(alice_api, TRACKER.encode())
    response = alice_api.patch(f"/api/imports/{batch['uuid']}/", json=body)
    assert response.status_code == 400
    assert field in response.get_json()


def test_patch_to_a_sheet_that_does_not_exist_is_a_400(alice_api):
    batch = upload_ok(alice_api, fixture("two_sheets.xlsx"), "years.xlsx")
    response = alice_api.patch(f"/api/imports/{batch['uuid']}/", json={"sheet": "2025"})
    assert response.status_code == 400
    assert "2023, 2024" in response.get_json()["detail"]
    switched = alice_api.patch(f"/api/imports/{batch['uuid']}/", json={"sheet": "2024"})
    assert switched.get_json()["mapping"]["sheet"] == "2024"
    assert switched.get_json()["preview"]["rows"][0]["values"]["company"] == "Raviga"


def test_reimporting_the_same_file_creates_no_duplicates(alice_api):
    import_file(alice_api, TRACKER.encode())
    before = applications(alice_api)

    again = upload_ok(alice_api, TRACKER.encode())
    assert (again["counts"]["create"], again["counts"]["unchanged"]) == (0, 3)
    assert [row["action"] for row in again["preview"]["rows"]] == ["unchanged"] * 3
    commit(alice_api, again)

    assert applications(alice_api) == before
    assert alice_api.get("/api/companies/").get_json()["count"] == 3
    assert alice_api.get("/api/labels/?page_size=100").get_json()["count"] == 5  # four global + Remote


def test_a_file_listing_the_same_job_twice_reimports_as_two_rows_again(alice_api):
    data = b"Company,Position\nAcme,Engineer\nAcme,Engineer\n"
    import_file(alice_api, data)
    again = import_file(alice_api, data)
    assert again["counts"]["unchanged"] == 2
    assert len(applications(alice_api)) == 2


def test_reimport_updates_changed_rows_and_keeps_what_the_user_changed_by_hand(alice_api):
    import_file(alice_api, TRACKER.encode())
    listed = alice_api.get("/api/applications/").get_json()["results"]
    acme = next(a for a in listed if a["position_title"] == "Engineer")
    alice_api.patch(f"/api/applications/{acme['uuid']}/", json={"job_description_notes": "<p>mine</p>"})

    changed = TRACKER.replace("Applied,2024-03-01,first note,Remote", "Interview,2024-03-10,second note,Onsite")
    batch = upload_ok(alice_api, changed.encode())
    assert (batch["counts"]["update"], batch["counts"]["unchanged"]) == (1, 2)
    assert [row["action"] for row in batch["preview"]["rows"]] == ["update", "unchanged", "unchanged"]
    commit(alice_api, batch)

    updated = alice_api.get(f"/api/applications/{acme['uuid']}/").get_json()
    assert [(s["text"], s["date"], s["stage"]) for s in updated["statuses"]] == [
        ("Interview", "2024-03-10", "Interviewing")
    ]
    assert updated["notes"] == "<p>second note</p>"
    assert [label["text"] for label in updated["labels"]] == ["Onsite"]
    assert updated["job_description_notes"] == "<p>mine</p>"  # the sheet did not change it
    assert len(applications(alice_api)) == 3


def test_rows_are_matched_by_normalised_job_url_before_company_and_position(alice_api):
    import_file(alice_api, b"Company,Position,URL\nAcme,Engineer,https://www.acme.example/jobs/1?utm_source=x\n")
    renamed = b"Company,Position,URL\nAcme Inc,Senior Engineer,http://acme.example/jobs/1/\n"
    batch = import_file(alice_api, renamed)
    assert batch["counts"]["update"] == 1
    [application] = applications(alice_api)
    assert (application["company"], application["position_title"]) == ("Acme Inc", "Senior Engineer")


def test_undo_removes_everything_the_batch_created_and_keeps_its_source_rows(app, alice_api):
    batch = import_file(alice_api, TRACKER.encode())

    assert alice_api.delete(f"/api/imports/{batch['uuid']}/").status_code == 204

    assert alice_api.get("/api/applications/").get_json()["count"] == 0
    assert alice_api.get("/api/companies/").get_json()["count"] == 0
    assert alice_api.get("/api/labels/").get_json()["count"] == 4  # the created "Remote" label is gone too
    undone = alice_api.get(f"/api/imports/{batch['uuid']}/").get_json()
    assert undone["state"] == "undone" and undone["undone_at"]
    with app.app_context():
        raw = [r.raw for r in db.session.query(ImportRecord).order_by(ImportRecord.row_number)]
        assert raw[0] == ["Acme", "Engineer", "Applied", "2024-03-01", "first note", "Remote"]
        assert db.session.query(Application).count() == 0
    # After the undo the file imports afresh.
    assert upload_ok(alice_api, TRACKER.encode())["counts"]["create"] == 3


def test_undo_of_an_update_puts_the_previous_state_back(alice_api):
    import_file(alice_api, TRACKER.encode())
    before = applications(alice_api)
    changed = TRACKER.replace("Applied,2024-03-01,first note,Remote", "Offer,2024-03-20,new,Dream")
    changed = changed.replace("Globex,Analyst", "Globex Corp,Analyst")  # another company: a new application
    second = import_file(alice_api, changed.encode())
    assert second["counts"]["update"] == 1 and second["counts"]["create"] == 1
    assert applications(alice_api) != before

    assert alice_api.delete(f"/api/imports/{second['uuid']}/").status_code == 204

    assert applications(alice_api) == before
    assert {c["name"] for c in alice_api.get("/api/companies/").get_json()["results"]} == {"Acme", "Globex", "Initech"}
    assert "Dream" not in {label["text"] for label in alice_api.get("/api/labels/").get_json()["results"]}


def test_an_earlier_batch_cannot_be_undone_before_a_later_one_that_updated_its_rows(alice_api):
    first = import_file(alice_api, TRACKER.encode())
    second = import_file(alice_api, TRACKER.replace("first note", "changed note").encode())

    response = alice_api.delete(f"/api/imports/{first['uuid']}/")
    assert response.status_code == 409
    assert "undo that one first" in response.get_json()["detail"]
    assert alice_api.delete(f"/api/imports/{second['uuid']}/").status_code == 204
    assert alice_api.delete(f"/api/imports/{first['uuid']}/").status_code == 204
    assert alice_api.get("/api/applications/").get_json()["count"] == 0


def test_undo_keeps_a_created_company_the_user_has_used_since(alice_api):
    batch = import_file(alice_api, b"Company,Position\nAcme,Engineer\n")
    company = alice_api.get("/api/companies/").get_json()["results"][0]
    manual = alice_api.post("/api/applications/", json={"user_company": company["uuid"], "position_title": "Manual"})
    assert manual.status_code == 201

    alice_api.delete(f"/api/imports/{batch['uuid']}/")

    assert [a["position_title"] for a in alice_api.get("/api/applications/").get_json()["results"]] == ["Manual"]
    assert alice_api.get("/api/companies/").get_json()["count"] == 1


def test_deleting_a_batch_in_preview_discards_it_and_commit_or_patch_twice_is_a_409(alice_api):
    preview = upload_ok(alice_api, TRACKER.encode())
    assert alice_api.delete(f"/api/imports/{preview['uuid']}/").status_code == 204
    assert alice_api.get(f"/api/imports/{preview['uuid']}/").status_code == 404

    batch = import_file(alice_api, TRACKER.encode())
    assert alice_api.post(f"/api/imports/{batch['uuid']}/commit/").status_code == 409
    assert alice_api.patch(f"/api/imports/{batch['uuid']}/", json={"date_order": "dmy"}).status_code == 409


def test_companies_are_matched_among_the_users_own_only(alice_api, bob_api):
    alice_api.post("/api/companies/", json={"name": "ACME  corp"})
    bob_api.post("/api/companies/", json={"name": "Globex"})

    batch = import_file(alice_api, b"Company,Position\nacme CORP,Engineer\nGlobex,Analyst\n")

    assert batch["counts"]["new_companies"] == 1
    names = sorted(c["name"] for c in alice_api.get("/api/companies/").get_json()["results"])
    assert names == ["ACME  corp", "Globex"]
    assert bob_api.get("/api/companies/").get_json()["count"] == 1
    assert bob_api.get("/api/applications/").get_json()["count"] == 0


def test_labels_of_another_user_are_never_used_or_touched(alice_api, bob_api):
    bob_api.post("/api/labels/", json={"text": "Remote"})
    import_file(alice_api, TRACKER.encode())
    alice_labels = {label["text"]: label["user"] for label in alice_api.get("/api/labels/").get_json()["results"]}
    bob_label = bob_api.get("/api/labels/?labels_text=Remote").get_json()["results"]
    assert alice_labels["Remote"] is not None
    assert alice_labels["Remote"] not in {label["user"] for label in bob_label}
    assert bob_api.get("/api/labels/").get_json()["count"] == 5


def test_one_users_batches_are_invisible_to_another(alice_api, bob_api):
    batch = upload_ok(alice_api, TRACKER.encode())
    url = f"/api/imports/{batch['uuid']}/"

    assert bob_api.get("/api/imports/").get_json()["count"] == 0
    assert bob_api.get(url).status_code == 404
    assert bob_api.patch(url, json={"date_order": "dmy"}).status_code == 404
    assert bob_api.post(url + "commit/").status_code == 404
    assert bob_api.delete(url).status_code == 404
    assert alice_api.get(url).get_json()["state"] == "preview"
    assert bob_api.get("/api/applications/").get_json()["count"] == 0


def test_imports_need_a_login(anon_api):
    assert anon_api.get("/api/imports/").status_code == 401
    assert upload(anon_api, TRACKER.encode()).status_code == 401


def test_list_shows_the_users_batches_newest_first_with_counts(alice_api):
    first = import_file(alice_api, TRACKER.encode(), "one.csv")
    second = upload_ok(alice_api, b"Company,Position\nHooli,Dev\n", "two.csv")
    body = alice_api.get("/api/imports/").get_json()
    assert body["count"] == 2
    assert [(b["uuid"], b["filename"], b["state"]) for b in body["results"]] == [
        (second["uuid"], "two.csv", "preview"),
        (first["uuid"], "one.csv", "committed"),
    ]
    assert body["results"][1]["counts"]["create"] == 3
    assert "preview" not in body["results"][0]


def test_a_failing_commit_writes_nothing(alice_api, monkeypatch):
    from app.imports import writer

    def explode(self):
        self.flush()
        raise RuntimeError("disk full")

    monkeypatch.setattr(writer.BulkWriter, "finish", explode)
    batch = upload_ok(alice_api, TRACKER.encode())
    assert alice_api.post(f"/api/imports/{batch['uuid']}/commit/").status_code == 500
    assert alice_api.get("/api/applications/").get_json()["count"] == 0
    assert alice_api.get("/api/companies/").get_json()["count"] == 0
    assert alice_api.get(f"/api/imports/{batch['uuid']}/").get_json()["state"] == "preview"


def test_a_large_file_commits_in_chunks_and_reimports_unchanged(alice_api):
    rows = "".join(
        f"Company {i % 700},Position {i},Applied,2024-01-{i % 28 + 1:02d},https://jobs.example/{i}\n"
        for i in range(2500)
    )
    data = ("Company,Position,Status,Date,URL\n" + rows).encode()
    batch = import_file(alice_api, data)
    assert batch["counts"]["create"] == 2500
    assert alice_api.get("/api/applications/").get_json()["count"] == 2500
    assert alice_api.get("/api/companies/").get_json()["count"] == 700
    assert upload_ok(alice_api, data)["counts"]["unchanged"] == 2500


# -- command line ---------------------------------------------------------------------------------


def test_cli_dry_run_shows_the_mapping_and_writes_nothing(app, alice, runner, tmp_path):
    path = tmp_path / "apps.csv"
    path.write_text(TRACKER)
    result = runner.invoke(args=["import-spreadsheet", str(path), "--user", alice.email, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "3 rows" in result.output and "'Company' -> company" in result.output
    assert "Dry run" in result.output
    with app.app_context():
        assert db.session.query(Application).count() == 0


def test_cli_imports_with_a_mapping(app, alice, alice_api, runner, tmp_path):
    path = tmp_path / "apps.csv"
    path.write_text(TRACKER)
    mapping = json.dumps({"Notes": "extra", "Labels": "ignore"})
    result = runner.invoke(args=["import-spreadsheet", str(path), "--user", "ALICE@example.com", "--mapping", mapping])
    assert result.exit_code == 0, result.output
    assert "3 created" in result.output
    acme = applications(alice_api)[0]
    assert (acme["extra"], acme["labels"], acme["notes"]) == ({"Notes": "first note"}, [], "")


def test_cli_reports_bad_input_and_unknown_users(app, alice, runner, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = runner.invoke(args=["import-spreadsheet", str(empty), "--user", alice.email])
    assert result.exit_code != 0 and "The file is empty." in result.output
    result = runner.invoke(args=["import-spreadsheet", str(empty), "--user", "nobody@example.com"])
    assert result.exit_code != 0 and "No user" in result.output
    path = tmp_path / "apps.csv"
    path.write_text(TRACKER)
    result = runner.invoke(args=["import-spreadsheet", str(path), "--user", alice.email, "--mapping", "{nope"])
    assert result.exit_code != 0 and "not valid JSON" in result.output
