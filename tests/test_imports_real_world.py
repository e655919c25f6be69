"""Trackers as people really keep them (issue 14): cell links, dates without a year or without any date,
other languages, other tools' exports, ambiguous date orders; each checked cell by cell through the API.
Where each fixture comes from is told in tests/fixtures/imports/SOURCES.md."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.import_batch import ImportRecord
from tests.export_support import parse_csv
from tests.import_support import applications, commit, expected, fixture, import_file, upload_ok


def _today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


def test_xlsx_written_by_libreoffice_keeps_hyperlink_targets_and_hyperlink_formulas(app, alice_api):
    batch = upload_ok(alice_api, fixture("hyperlinks.xlsx"), "hyperlinks.xlsx")
    rows = {row["row"]: row["values"] for row in batch["preview"]["rows"]}
    assert rows[2]["job_url"] == "https://jobs.acme.example/backend-42"
    assert rows[3]["job_url"] == "https://globex.example/careers/analyst?id=7"  # =HYPERLINK("…","Apply")
    commit(alice_api, batch)

    listed = {a["position_title"]: a for a in alice_api.get("/api/applications/?page_size=100").get_json()["results"]}
    page = listed["Backend Engineer"]["job_description_page"]
    assert (page["text"], page["url"]) == ("posting", "https://jobs.acme.example/backend-42")
    source = listed["Backend Engineer"]["job_source"]
    assert (source["text"], source["url"]) == ("LinkedIn", "https://www.linkedin.com/jobs/view/1234")
    page = listed["Data Analyst"]["job_description_page"]
    assert (page["text"], page["url"]) == ("Apply", "https://globex.example/careers/analyst?id=7")
    assert listed["Data Analyst"]["notes"] == "<p>See my notes (https://notes.example/globex)</p>"
    initech = alice_api.get(f"/api/companies/{listed['QA Engineer']['user_company']}/").get_json()
    assert (initech["name"], initech["home_page"]["url"]) == ("Initech", "https://initech.example/")
    assert listed["QA Engineer"]["job_description_page"]["url"] == "https://initech.example/jobs/qa"
    # Newest first: the "Date applied" column, then the status cell in the user's words.
    statuses = [(s["text"], s["stage"], s["date"]) for s in listed["Data Analyst"]["statuses"]]
    assert statuses == [("OA received", "Screening", "2025-03-05"), ("Applied", "Applied", "2025-03-05")]

    # The stored source row keeps both the text and the link of each linked cell.
    with app.app_context():
        raws = dict(db.session.execute(select(ImportRecord.row_number, ImportRecord.raw)).all())
    assert raws[2][4] == {"text": "posting", "url": "https://jobs.acme.example/backend-42"}
    assert raws[3][4] == {"text": "Apply", "url": "https://globex.example/careers/analyst?id=7"}


def test_year_less_dates_take_the_files_year_and_undated_statuses_are_marked(alice_api):
    batch = upload_ok(alice_api, fixture("yearless_undated.csv"), "yearless.csv")
    inferred = {(p["row"], p["column"]): p["message"] for p in batch["preview"]["problems"] if p.get("kind")}
    assert inferred == {
        (3, "Applied on"): "'Nov 2' has no year: read as 2024-11-02 (from the file's dated rows).",
        (4, "Applied on"): "'Sept 3rd' has no year: read as 2024-09-03 (from the file's dated rows).",
        (5, "Applied on"): "'3/4' has no year: read as 2025-03-04 (from the file's dated rows).",
    }
    assert batch["preview"]["dates"]["ambiguous"] is True  # 3/4 reads both ways and nothing settles it
    commit(alice_api, batch)

    today = _today()
    assert applications(alice_api, stages=True) == [
        expected("Acme", "Backend Engineer", statuses=[("Applied", "2024-11-20", "Applied", "given")]),
        expected(
            "Globex",
            "Data Analyst",
            statuses=[
                ("Applied", "2024-11-02", "Applied", "estimated"),
                ("final round", "2024-11-02", "Interviewing", "estimated"),
            ],
            extra={"Last update": "yesterday"},
        ),
        expected(
            "Hooli",
            "Platform Engineer",
            statuses=[
                ("Applied", "2024-09-03", "Applied", "estimated"),
                ("OA received", "2024-09-03", "Screening", "estimated"),
            ],
        ),
        expected(
            "Initech",
            "QA Engineer",
            statuses=[
                ("Applied", "2025-03-04", "Applied", "estimated"),
                ("ghosted", "2025-03-04", "Ghosted", "estimated"),
            ],
        ),
        expected("Umbrella", "Product Manager", statuses=[("final round", today, "Interviewing", "undated")]),
        expected(
            "Wayne",
            "Designer",
            statuses=[("Applied", "2024-12-01", "Applied", "given"), ("Rejected", "2024-12-15", "Rejected", "given")],
        ),
    ]

    # The activity log: an application is added on the earliest date its row holds; no date is invented.
    rows = parse_csv(alice_api.get("/api/exports/activity.csv?from=2000-01-01&to=2100-01-01").data)
    log = [(row[0], row[1], row[2], row[-1]) for row in rows[1:]]
    added = {company: day for day, activity, company, _ in log if activity == "Application added"}
    assert added["Acme"] == "2024-11-20" and added["Globex"] == "2024-11-02" and added["Wayne"] == "2024-12-01"
    assert added["Initech"] == "2025-03-04"
    assert added["Umbrella"] == today  # a row without any date: added the day it was imported
    assert ("2024-11-02", "final round", "Globex", "estimated") in log
    assert (today, "final round", "Umbrella", "undated (the day it was imported)") in log
    assert not [row for row in log if row[0].startswith("2000")]


def test_german_windows_1252_tracker_with_day_first_dates(alice_api):
    batch = upload_ok(alice_api, fixture("german_tracker.csv"), "bewerbungen.csv")
    preview = batch["preview"]
    assert preview["file"]["encoding"] == "cp1252" and preview["file"]["delimiter"] == ";"
    assert {c["header"]: (c["field"], c["stage"]) for c in preview["columns"]} == {
        "Firma": ("company", None),
        "Stelle": ("position_title", None),
        "Ort": ("location", None),
        "Beworben am": ("stage_date", "Applied"),
        "Status": ("status", None),
        "Gehalt": ("salary", None),
        "Notizen": ("notes", None),
    }
    assert preview["date_order"] == "dmy" and preview["dates"]["decided_by"] == "values"
    assert {s["word"]: s["stage"] for s in preview["statuses"]} == {
        "Telefoninterview": "Screening",
        "Absage": "Rejected",
        "Vorstellungsgespräch": "Interviewing",
        "beworben": "Applied",
    }
    commit(alice_api, batch)

    assert applications(alice_api, stages=True) == [
        expected(
            "Müller GmbH",
            "Backend-Entwickler",
            statuses=[
                ("Applied", "2025-03-16", "Applied", "given"),
                ("Telefoninterview", "2025-03-16", "Screening", "estimated"),
            ],
            locations=["München"],
            notes="<p>Nettes Team</p><p>Gehalt: 65.000 €</p>",
        ),
        expected(
            "SAP", "Werkstudent", statuses=[("beworben", "2025-02-28", "Applied", "given")], locations=["Walldorf"]
        ),
        expected(
            "Siemens AG",
            "Data Engineer",
            # 07/05/2025 is 7 May: the file's 16/03/2025 settles the order
            statuses=[("Applied", "2025-05-07", "Applied", "given"), ("Absage", "2025-05-07", "Rejected", "estimated")],
            locations=["Berlin"],
            notes="<p>Keine Rückmeldung zum Gehalt</p>",
        ),
        expected(
            "Zalando SE",
            "Frontend-Entwickler",
            statuses=[
                ("Applied", "2025-04-02", "Applied", "given"),
                ("Vorstellungsgespräch", "2025-04-02", "Interviewing", "estimated"),
            ],
            locations=["Berlin"],
            notes="<p>Gehalt: 70.000 €</p>",
        ),
    ]


def test_a_file_whose_dates_read_both_ways_says_so_and_the_users_choice_sticks(alice_api):
    batch = upload_ok(alice_api, fixture("ambiguous_dates.csv"), "dates.csv")
    dates = batch["preview"]["dates"]
    assert (dates["date_order"], dates["decided_by"], dates["ambiguous"]) == ("mdy", "default", True)
    assert dates["evidence"] == {"day_first": 0, "month_first": 0, "either": 3}
    assert any("ambiguous" in warning for warning in batch["preview"]["warnings"])

    changed = alice_api.patch(f"/api/imports/{batch['uuid']}/", json={"date_order": "dmy"}).get_json()
    assert (changed["preview"]["dates"]["decided_by"], changed["preview"]["dates"]["ambiguous"]) == ("chosen", False)
    # A later change of the mapping keeps the user's choice.
    changed = alice_api.patch(f"/api/imports/{batch['uuid']}/", json={"mapping": {"Status": "status"}}).get_json()
    assert changed["mapping"]["date_order"] == "dmy"
    commit(alice_api, changed)
    assert [a["statuses"] for a in applications(alice_api, stages=True)] == [
        [("Applied", "2025-05-07", "Applied", "given")],
        [("Applied", "2025-04-03", "Applied", "given"), ("onsite", "2025-04-03", "Interviewing", "estimated")],
        [("Applied", "2025-12-11", "Applied", "given"), ("verbal offer", "2025-12-11", "Offer", "estimated")],
    ]


def test_date_order_is_decided_again_when_the_mapping_names_other_date_columns(alice_api):
    data = b"Company,Role,Seen,Applied\nAcme,Engineer,16/03/2025,04/05/2025\n"
    batch = upload_ok(alice_api, data, mapping='{"Seen": "extra"}')
    assert batch["preview"]["dates"]["decided_by"] == "default"  # only 04/05/2025 is a date column
    changed = alice_api.patch(f"/api/imports/{batch['uuid']}/", json={"mapping": {"Seen": "stage_date:Target"}})
    dates = changed.get_json()["preview"]["dates"]
    assert (dates["date_order"], dates["decided_by"]) == ("dmy", "values")


def test_notion_export_name_is_the_company_and_date_ranges_read_as_their_start(alice_api):
    batch = upload_ok(alice_api, fixture("notion_export.csv"), "Job Applications 1a2b3c.csv")
    assert batch["preview"]["warnings"] == []
    commit(alice_api, batch)
    assert applications(alice_api) == [
        expected(
            "Figma",
            "Product Designer",
            statuses=[("Applied", "2025-08-28"), ("Rejected", "2025-08-28")],
            locations=["San Francisco"],
            labels=["Design"],
        ),
        expected(
            "Linear",
            "Product Engineer",
            statuses=[("Applied", "2025-09-17"), ("Interviewing", "2025-09-24")],
            locations=["Remote"],
            labels=["Dream job", "Remote"],
            job_url="https://linear.app/careers/pe",
        ),
        expected(
            "Vercel",
            "DX Engineer",
            statuses=[("Applied", "2025-10-01")],
            locations=["New York"],
            job_url="https://vercel.com/careers/dx",
        ),
    ]


def test_trello_csv_export_cards_named_company_and_role_lists_as_statuses(alice_api):
    batch = upload_ok(alice_api, fixture("trello_export.csv"), "trello.csv")
    ignored = [c["header"] for c in batch["preview"]["columns"] if c["field"] == "ignore"]
    assert ignored == ["Card ID", "List ID", "Board ID", "Board Name"]
    commit(alice_api, batch)
    assert applications(alice_api, stages=True) == [
        expected(
            "Acme",
            "Backend Engineer",
            statuses=[("Phone Screen", "2025-03-04", "Screening", "given")],
            job_url="https://trello.com/c/AbCd1234/1-acme-backend-engineer",
            labels=["Remote"],
            notes="<p>Referred by Sam</p>",
            extra={"Archived": "false"},
        ),
        expected(
            "Globex",
            "Data Analyst",
            statuses=[("Applied", "2025-03-06", "Applied", "given")],
            job_url="https://trello.com/c/EfGh5678/2-data-analyst-globex",
            extra={"Archived": "false"},
        ),
    ]


def test_a_file_with_the_header_row_of_an_earlier_import_starts_from_its_mapping(alice_api, bob_api):
    data = fixture("ambiguous_dates.csv").replace(b"Status", b"Where I am")
    first = upload_ok(alice_api, data, "mine.csv")
    assert "remembered" not in first["preview"]
    changed = alice_api.patch(
        f"/api/imports/{first['uuid']}/",
        json={"mapping": {"Where I am": "status"}, "status_mapping": {"verbal offer": "Accepted"}, "date_order": "dmy"},
    ).get_json()
    commit(alice_api, changed)

    again = upload_ok(alice_api, data + b"Initech,QA Engineer,Applied,13/05/2025\n", "mine (2).csv")
    assert again["preview"]["remembered"]["import"] == first["uuid"]
    assert again["preview"]["remembered"]["filename"] == "mine.csv"
    assert {c["header"]: c["field"] for c in again["mapping"]["columns"]}["Where I am"] == "status"
    assert again["mapping"]["status_mapping"]["verbal offer"] == "Accepted"
    assert (again["mapping"]["date_order"], again["preview"]["dates"]["decided_by"]) == ("dmy", "chosen")
    assert again["mapping"]["remembered_from"] == first["uuid"]
    assert (again["counts"]["create"], again["counts"]["unchanged"]) == (1, 3)
    commit(alice_api, again)

    # Another user's import is never a mapping to start from.
    theirs = upload_ok(bob_api, data, "mine.csv")
    assert "remembered" not in theirs["preview"]
    assert {c["header"]: c["field"] for c in theirs["mapping"]["columns"]}["Where I am"] != "status"


def test_preview_rows_are_paged_over_the_whole_file_and_filtered(app, alice_api):
    app.config.update(IMPORT_PREVIEW_ROWS=2)
    rows = "".join(f"Co{i},Job{i},2024-01-{i + 1:02d}\n" for i in range(25))
    import_file(alice_api, ("Company,Position,Date applied\n" + rows).encode())
    changed = rows.replace("Job3,", "Job3b,").replace("Co7,Job7,2024-01-08", "Co7,Job7,2024-02-08")
    batch = upload_ok(alice_api, ("Company,Position,Date applied\n" + changed + ",,not a date\nCo99,New,x\n").encode())
    assert len(batch["preview"]["rows"]) == 2  # the detail keeps only the first rows
    url = f"/api/imports/{batch['uuid']}/rows/"

    first = alice_api.get(f"{url}?page_size=10").get_json()
    assert first["count"] == 27 and len(first["results"]) == 10 and first["previous"] is None
    last = alice_api.get(f"{url}?page_size=10&page=3").get_json()
    assert [r["row"] for r in last["results"]] == list(range(22, 29)) and last["next"] is None
    assert last["results"][-1]["raw"] == ["Co99", "New", "x"]

    def shown(show: str) -> list[tuple[int, str]]:
        body = alice_api.get(f"{url}?show={show}&page_size=100").get_json()
        return [(r["row"], r["values"]["position_title"] if r["values"] else None) for r in body["results"]]

    assert shown("create") == [(5, "Job3b"), (28, "New")]
    assert shown("update") == [(9, "Job7")]
    assert shown("skip") == [(27, None)]
    assert shown("problems") == [(27, None), (28, "New")]
    assert len(shown("unchanged")) == 23
    response = alice_api.get(f"{url}?show=maybe")
    assert response.status_code == 400
    assert alice_api.get(f"{url}?page=9").status_code == 404


LANGUAGES = {
    # file: (row 1 status and its stage, row 2 status and its stage)
    "french_tracker.csv": (("Entretien téléphonique", "Screening"), ("Refusé", "Rejected")),
    "spanish_tracker.csv": (("Entrevista técnica", "Interviewing"), ("Sin respuesta", "Ghosted")),
    "portuguese_tracker.csv": (("Entrevista", "Interviewing"), ("Reprovado", "Rejected")),
    "italian_tracker.csv": (("Colloquio tecnico", "Interviewing"), ("Rifiutato", "Rejected")),
    "dutch_tracker.csv": (("Sollicitatiegesprek", "Interviewing"), ("Afgewezen", "Rejected")),
}


@pytest.mark.parametrize("name", sorted(LANGUAGES))
def test_trackers_in_other_languages_import_with_no_options(alice_api, name):
    original = parse_csv(fixture(name).replace(b";", b","))
    header, first, second = original
    batch = upload_ok(alice_api, fixture(name), name)
    fields = [c["field"] for c in batch["preview"]["columns"]]
    assert fields == ["company", "position_title", "location", "stage_date", "status", "salary", "notes"]
    assert batch["preview"]["date_order"] == "dmy"  # 16/03/2025 settles it; 07/05/2025 is 7 May
    commit(alice_api, batch)
    (word1, stage1), (word2, stage2) = LANGUAGES[name]
    assert applications(alice_api, stages=True) == sorted(
        [
            expected(
                first[0],
                first[1],
                statuses=[("Applied", "2025-03-16", "Applied", "given"), (word1, "2025-03-16", stage1, "estimated")],
                locations=[first[2]],
                notes=f"<p>{html.escape(first[6])}</p><p>{header[5]}: {html.escape(first[5])}</p>",
            ),
            expected(
                second[0],
                second[1],
                statuses=[("Applied", "2025-05-07", "Applied", "given"), (word2, "2025-05-07", stage2, "estimated")],
                locations=[second[2]],
            ),
        ],
        key=lambda a: (a["company"], a["position_title"]),
    )
