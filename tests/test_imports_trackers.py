"""Exports of the trackers people leave for Appl Tracky (issue 14), imported with no options at all, as a new
user would, and checked cell by cell through the REST API. tests/fixtures/imports/SOURCES.md tells where
each file's columns, date formats and status words come from."""

from __future__ import annotations

import io

import pytest

from app.imports.columns import guess_column
from tests.import_support import applications, expected, fixture, import_file, upload_ok


def _fields(batch: dict) -> dict[str, str]:
    return {column["header"]: column["field"] for column in batch["preview"]["columns"]}


def test_huntr_export_camel_case_columns_ids_ignored_dashes_empty(alice_api):
    batch = upload_ok(alice_api, fixture("huntr_export.csv"), "huntr.csv")
    fields = _fields(batch)
    assert {h: f for h, f in fields.items() if f == "ignore"} == dict.fromkeys(
        [
            "id",
            "rootDomain",
            "boardId",
            "boardName",
            "listId",
            "companyId",
            "creatorUserId",
            "creatorUserFirstName",
            "creatorUserLastName",
            "creatorUserEmail",
        ],
        "ignore",
    )
    assert [fields[h] for h in ("companyName", "title", "listName", "lastMovedAt", "companyDomain")] == [
        "company",
        "position_title",
        "status",
        "status_date",
        "company_url",
    ]
    assert batch["preview"]["problems"] == []  # "-" is an empty cell, not a bad date or URL
    import_file(alice_api, fixture("huntr_export.csv"), "huntr.csv")
    huntr_extra = {"deadline": "-", "color": "-"}
    assert applications(alice_api, stages=True) == [
        expected(
            "Datadog",
            "Site Reliability Engineer",
            statuses=[("wishlist", "2025-01-10", "Target", "given")],
            extra=huntr_extra,
        ),
        expected(
            "Microsoft",
            "Platform Engineer",
            statuses=[("Target", "2024-12-02", "Target", "given"), ("rejected", "2025-01-06", "Rejected", "given")],
            job_url="https://careers.microsoft.com/job/1234",
            locations=["Seattle, WA"],
            extra=huntr_extra,
        ),
        expected(
            "Plaid",
            "Data Analyst",
            statuses=[("Target", "2025-01-09", "Target", "given"), ("applied", "2025-01-15", "Applied", "given")],
            job_url="https://jobs.lever.co/plaid/889",
            locations=["Austin, TX"],
            extra=huntr_extra,
        ),
        expected(
            "Stripe",
            "Backend Engineer",
            statuses=[
                ("Target", "2025-01-08", "Target", "given"),
                ("Interview", "2025-01-20", "Interviewing", "given"),
            ],
            job_url="https://boards.greenhouse.io/stripe/jobs/5512",
            locations=["Remote"],
            notes="<p>salary: $140,000</p>",
            job_description_notes="<p>Build payments APIs.<br>• Go<br>• Postgres</p>",  # HTML taken as its text
            extra={"deadline": "2025-01-31 05:00:00", "color": "-"},
        ),
    ]
    companies = {c["name"]: c for c in alice_api.get("/api/companies/?page_size=100").get_json()["results"]}
    assert companies["Stripe"]["home_page"]["url"] == "stripe.com"


def test_simplify_export_upper_case_statuses_and_na_cells(alice_api):
    batch = upload_ok(alice_api, fixture("simplify_export.csv"), "simplify.csv")
    assert _fields(batch)["Date Archived"] == "extra"  # archiving hides a job: it is not a withdrawal
    assert batch["preview"]["problems"] == []
    import_file(alice_api, fixture("simplify_export.csv"), "simplify.csv")
    kept = {"Archived": "false", "Date Archived": "N/A"}
    assert applications(alice_api, stages=True) == [
        expected(
            "Linear",
            "Product Engineer",
            statuses=[("SAVED", "2025-02-12", "Target", "given")],
            job_url="https://simplify.jobs/p/9e8d7c6b/product-engineer",
            notes="<p>Apply before March</p>",
            extra=kept,
        ),
        expected(
            "Notion",
            "Data Engineer",
            statuses=[("Applied", "2025-01-28", "Applied", "given"), ("REJECTED", "2025-02-10", "Rejected", "given")],
            job_url="https://simplify.jobs/p/1c2d3e4f/data-engineer",
            extra={"Archived": "true", "Date Archived": "2025-02-11"},
        ),
        expected(
            "Ramp",
            "Software Engineer Intern",
            statuses=[
                ("Applied", "2025-02-03", "Applied", "given"),
                ("INTERVIEWING", "2025-02-14", "Interviewing", "given"),
            ],
            job_url="https://simplify.jobs/p/3f9a1c2e/software-engineer-intern",
            notes="<p>Recruiter screen went well</p>",
            extra=kept,
        ),
        expected(
            "Robinhood",
            "New Grad Software Engineer",
            statuses=[("APPLIED", "2025-02-04", "Applied", "given")],
            job_url="https://simplify.jobs/p/77b1d0aa/new-grad-swe",
            extra=kept,
        ),
    ]


def test_jobsync_export_its_own_status_list_and_sources(alice_api):
    batch = upload_ok(alice_api, fixture("jobsync_export.csv"), "jobs.csv")
    fields = _fields(batch)
    assert (fields["index"], fields["appliedDate"], fields["JobTitle"], fields["JobSource"]) == (
        "ignore",
        "stage_date",
        "position_title",
        "job_source",
    )
    assert {s["word"]: s["stage"] for s in batch["preview"]["statuses"]} == {
        "Interview": "Interviewing",
        "Applied": "Applied",
        "Draft": "Target",
        "Rejected": "Rejected",
    }
    import_file(alice_api, fixture("jobsync_export.csv"), "jobs.csv")
    assert applications(alice_api, stages=True) == [
        expected(
            "Clio",
            "Software Developer",
            statuses=[
                ("Target", "2025-02-20", "Target", "given"),
                ("Applied", "2025-02-21", "Applied", "given"),
                ("Rejected", "2025-02-21", "Rejected", "estimated"),
            ],
            job_source=("Glassdoor", ""),
            locations=["Vancouver"],
            extra={"applied": "Yes", "jobType": "Full Time"},
        ),
        expected(
            "Cohere",
            "ML Engineer",
            statuses=[("Draft", "2025-03-05", "Target", "given")],
            job_source=("Indeed", ""),
            locations=["Toronto"],
            extra={"applied": "No", "jobType": "Contract"},
        ),
        expected(
            "Shopify",
            "Senior Rails Developer",
            statuses=[
                ("Target", "2025-03-02", "Target", "given"),
                ("Applied", "2025-03-03", "Applied", "given"),
                ("Interview", "2025-03-03", "Interviewing", "estimated"),
            ],
            job_source=("LinkedIn", ""),
            locations=["Remote"],
            extra={"applied": "Yes", "jobType": "Full Time"},
        ),
        expected(
            "Wealthsimple",
            "Backend Developer",
            statuses=[("Target", "2025-03-04", "Target", "given"), ("Applied", "2025-03-04", "Applied", "given")],
            job_source=("Company Career Page", ""),
            locations=["Toronto"],
            extra={"applied": "Yes", "jobType": "Full Time"},
        ),
    ]


def test_airtable_export_us_dates_with_12_hour_times_and_last_modified_kept_aside(alice_api):
    batch = upload_ok(alice_api, fixture("airtable_export.csv"), "Applications-Grid view.csv")
    assert batch["preview"]["dates"]["date_order"] == "mdy"
    assert _fields(batch)["Last Modified"] == "extra"  # when the record changed, not the status
    import_file(alice_api, fixture("airtable_export.csv"), "Applications-Grid view.csv")
    assert applications(alice_api, stages=True) == [
        expected(
            "Airbnb",
            "Senior Frontend Engineer",
            statuses=[
                ("Applied", "2025-01-14", "Applied", "given"),
                ("Interviewing", "2025-01-28", "Interviewing", "given"),
            ],
            job_url="https://careers.airbnb.com/positions/6012",
            notes="<p>Panel with the design team</p><p>Contact: Jamie Lee</p><p>Salary: $185,000</p>",
            extra={
                "Attachments": "resume-v3.pdf (https://dl.airtable.com/.attachments/abc/resume-v3.pdf)",
                "Last Modified": "2/1/2025 9:05am",
            },
        ),
        expected(
            "Asana",
            "UI Engineer",
            statuses=[
                ("Applied", "2024-12-09", "Applied", "given"),
                ("Interviewing", "2024-12-18", "Interviewing", "given"),
                ("Rejected", "2024-12-18", "Rejected", "estimated"),
            ],
            job_url="https://asana.com/jobs/apply/5521",
            notes="<p>Feedback: more system design</p><p>Contact: Priya N.</p>",
            extra={"Last Modified": "1/3/2025 10:12am"},
        ),
        expected(
            "Canva",
            "Design Engineer",
            statuses=[
                ("Applied", "2024-11-25", "Applied", "given"),
                ("Interviewing", "2024-12-05", "Interviewing", "given"),
                ("Offer", "2024-12-05", "Offer", "estimated"),
            ],
            job_url="https://www.lifeatcanva.com/en/jobs/77",
            notes="<p>Offer deadline Jan 31</p><p>Contact: Tom Becker</p><p>Salary: $170,000</p>",
            extra={"Last Modified": "1/27/2025 8:00pm"},
        ),
        expected(
            "Dropbox",
            "Frontend Engineer",
            statuses=[("Applied", "2025-01-20", "Applied", "given")],
            job_url="https://jobs.dropbox.com/listing/4471",
            extra={"Last Modified": "1/20/2025 6:41pm"},
        ),
    ]


def test_google_sheets_template_title_row_date_cells_checkboxes_and_a_linked_cell(alice_api):
    batch = upload_ok(alice_api, fixture("google_sheets_template.xlsx"), "Job Search Tracker.xlsx")
    assert batch["preview"]["header_row"] == 3  # under the title row and a blank row
    assert _fields(batch)["Follow-up Date"] == "extra"  # a reminder, not the date of the status
    import_file(alice_api, fixture("google_sheets_template.xlsx"), "Job Search Tracker.xlsx")
    listed = applications(alice_api, stages=True)
    assert listed == [
        expected(
            "Klarna",
            "Software Engineer",
            statuses=[("Applied", "2025-04-03", "Applied", "given")],
            job_url="https://klarna.example/careers/se-1",
            locations=["Berlin"],
            extra={"Follow-up Date": "2025-04-10"},
        ),
        expected(
            "N26",
            "Platform Engineer",
            statuses=[("Applied", "2025-03-12", "Applied", "given"), ("Offer", "2025-03-12", "Offer", "estimated")],
            job_url="https://n26.example/careers/pe",
            locations=["Remote"],
            notes="<p>Contact Name: Lukas M.</p><p>Contact Email: lukas@n26.example</p>"
            "<p>Salary Range: €85k</p><p>Referral: True</p>",
        ),
        expected(
            "Spotify",
            "Backend Engineer",
            statuses=[
                ("Applied", "2025-04-02", "Applied", "given"),
                ("Phone Screen", "2025-04-02", "Screening", "estimated"),
            ],
            job_url="https://spotify.example/jobs/backend-42",
            locations=["Stockholm"],
            notes="<p>Call went well</p><p>Contact Name: Anna Berg</p><p>Contact Email: anna@spotify.example</p>"
            "<p>Salary Range: SEK 65-75k</p><p>Referral: True</p>",
            extra={"Follow-up Date": "2025-04-09"},
        ),
        expected(
            "Zalando",
            "Data Engineer",
            statuses=[
                ("Applied", "2025-03-20", "Applied", "given"),
                ("No response", "2025-03-20", "Ghosted", "estimated"),
            ],
            job_url="https://jobs.zalando.example/de-7",
            locations=["Berlin"],
            notes="<p>Followed up twice</p><p>Salary Range: €70k</p>",
        ),
    ]
    page = next(
        a
        for a in alice_api.get("/api/applications/").get_json()["results"]
        if a["position_title"] == "Backend Engineer"
    )
    assert page["job_description_page"]["text"] == "View posting"


UNSEEN = (
    b"Company Name,Role,Date of Application,Current Stage,Job Link,Recruiter,Interview Date,Rejection Date,"
    b"Source (LinkedIn etc.),Location (City),Remote?,Date Posted,Created time,Last edited time\r\n"
    b"Acme,Backend Dev,2025-03-04T09:15:00Z,Technical interview,https://acme.example/j/1,Jo,"
    b'"Mar 14, 2025 3:00 PM",,LinkedIn,Berlin,Yes,2025-02-28,"March 1, 2025 10:02 AM","March 15, 2025 8:00 PM"\r\n'
    b"Beta,Frontend Dev,3/5/2025 10:00 AM,Rejected,https://beta.example/j/2,,,3/20/2025 - 3/21/2025,Indeed,"
    b'Remote,No,,"March 2, 2025 9:00 AM","March 20, 2025 9:00 AM"\r\n'
)


def test_a_tracker_nobody_designed_for_iso_times_12_hour_times_ranges_and_a_remote_flag(alice_api):
    batch = upload_ok(alice_api, UNSEEN, "my tracker.csv")
    assert _fields(batch) == {
        "Company Name": "company",
        "Role": "position_title",
        "Date of Application": "stage_date",
        "Current Stage": "status",
        "Job Link": "job_url",
        "Recruiter": "contact",
        "Interview Date": "stage_date",
        "Rejection Date": "stage_date",
        "Source (LinkedIn etc.)": "job_source",
        "Location (City)": "location",
        "Remote?": "location",
        "Date Posted": "extra",  # when the job was posted: not a status of the user's
        "Created time": "stage_date",  # Notion's creation time: the day the job was saved
        "Last edited time": "extra",
    }
    assert batch["preview"]["problems"] == []
    import_file(alice_api, UNSEEN, "my tracker.csv")
    assert applications(alice_api, stages=True) == [
        expected(
            "Acme",
            "Backend Dev",
            statuses=[
                ("Target", "2025-03-01", "Target", "given"),
                ("Applied", "2025-03-04", "Applied", "given"),
                ("Technical interview", "2025-03-14", "Interviewing", "given"),
            ],
            job_url="https://acme.example/j/1",
            job_source=("LinkedIn", ""),
            locations=["Berlin", "Remote"],
            notes="<p>Recruiter: Jo</p>",
            extra={"Date Posted": "2025-02-28", "Last edited time": "March 15, 2025 8:00 PM"},
        ),
        expected(
            "Beta",
            "Frontend Dev",
            statuses=[
                ("Target", "2025-03-02", "Target", "given"),
                ("Applied", "2025-03-05", "Applied", "given"),
                ("Rejected", "2025-03-20", "Rejected", "given"),
            ],
            job_url="https://beta.example/j/2",
            job_source=("Indeed", ""),
            locations=["Remote"],
            extra={"Last edited time": "March 20, 2025 9:00 AM"},
        ),
    ]


def test_a_commit_that_fails_after_some_chunks_were_written_leaves_nothing(alice_api, monkeypatch):
    """The bulk writes (COPY on PostgreSQL) are in the request's one transaction: a failure after two
    chunks of rows went in leaves no application, company or record, and the import still in preview."""
    from sqlalchemy.exc import OperationalError

    from app.imports import writer

    rows = "".join(f"Company {i},Engineer {i},Applied,2025-01-{1 + i % 28:02d}\r\n" for i in range(7))
    batch = upload_ok(alice_api, f"Company,Position,Status,Date applied\r\n{rows}".encode(), "many.csv")
    monkeypatch.setattr(writer, "CHUNK", 2)
    written = writer.insert_rows
    calls = []

    def failing(table, rows):
        calls.append(table.name)
        if calls.count("import_record") == 3:
            raise OperationalError("INSERT", {}, Exception("the database went away"))
        written(table, rows)

    monkeypatch.setattr(writer, "insert_rows", failing)
    response = alice_api.post(f"/api/imports/{batch['uuid']}/commit/")
    assert response.status_code == 503, response.get_json()
    assert calls.count("application") == 3  # two chunks were written before the failure
    assert alice_api.get("/api/applications/").get_json()["count"] == 0
    assert alice_api.get("/api/companies/").get_json()["count"] == 0
    assert alice_api.get(f"/api/imports/{batch['uuid']}/").get_json()["state"] == "preview"


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("companyName", "company"),
        ("JobTitle", "position_title"),
        ("appliedDate", "stage_date"),
        ("lastMovedAt", "status_date"),
        ("City, State", "location"),  # not the status word "state"
        ("Work Mode", "location"),
        ("Last Modified", "extra"),
        ("Follow-up Date", "extra"),
        ("Date Posted", "extra"),
        ("creatorUserEmail", "ignore"),
    ],
)
def test_header_words_of_other_tools(header, field):
    assert guess_column(header, [])[0] == field


def test_a_workbook_whose_first_sheets_are_instructions_and_a_blank_dashboard_imports_its_tracker(alice_api):
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = "How to use"
    for line in ("How to use this template", "1. Add a row per application", "2. Pick a status from the list"):
        workbook.active.append([line])
    workbook.create_sheet("Dashboard")
    tracker = workbook.create_sheet("Tracker")
    tracker.append(["Company", "Role", "Status", "Date Applied"])
    tracker.append(["Acme", "Engineer", "Applied", "2025-03-04"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    batch = upload_ok(alice_api, buffer.getvalue(), "Job Tracker Template.xlsx")
    assert (batch["preview"]["file"]["sheet"], batch["preview"]["file"]["sheets"]) == (
        "Tracker",
        ["How to use", "Dashboard", "Tracker"],
    )
    import_file(alice_api, buffer.getvalue(), "Job Tracker Template.xlsx")
    assert applications(alice_api) == [expected("Acme", "Engineer", statuses=[("Applied", "2025-03-04")])]
