"""Six differently shaped spreadsheets, each imported and checked cell by cell against the REST API."""

from __future__ import annotations

from tests.import_support import applications, commit, expected, fixture, import_file, upload_ok


def test_minimal_two_column_list_creates_companies_matched_by_name_ignoring_case_and_spacing(alice_api):
    batch = import_file(alice_api, fixture("minimal.csv"), "minimal.csv")

    assert batch["counts"]["create"] == 6
    assert applications(alice_api) == [
        expected("Acme Corp", "Backend Engineer"),
        expected("Acme Corp", "Site Reliability Engineer"),  # "Acme  corp" is the same company
        expected("Globex", "Data Analyst"),
        expected("Hooli", "Frontend Developer"),
        expected("Initech", "QA Engineer"),
        expected("Umbrella Health", "Product Manager"),
    ]
    assert alice_api.get("/api/companies/").get_json()["count"] == 5


def test_tracker_with_free_text_statuses_in_windows_1252_with_semicolons(alice_api):
    batch = upload_ok(alice_api, fixture("tracker_statuses.csv"), "tracker.csv")
    preview = batch["preview"]
    assert preview["file"]["encoding"] == "cp1252" and preview["file"]["delimiter"] == ";"
    assert preview["date_order"] == "dmy"
    # The application shows the user's own word; the stage it means is kept beside it.
    assert all(s["status"] == s["word"] for s in preview["statuses"])
    stages = {s["word"]: s["stage"] for s in preview["statuses"]}
    assert stages == {
        "phone scrn": "Screening",
        "Applied": "Applied",
        "Rejected :(": "Rejected",
        "waiting to hear back": "Applied",
        "onsite": "Interviewing",
        "OFFER!!": "Offer",
    }
    commit(alice_api, batch)

    assert applications(alice_api) == [
        expected("Café Nero", "Store Manager", statuses=[("Applied", "2024-03-02")], locations=["London"]),
        expected(
            "Klarna",
            "Fullstack Developer",
            statuses=[("OFFER!!", "2024-04-20")],
            locations=["Stockholm"],
            notes="<p>Offer: 65k€; decide by 30/04</p>",
        ),
        expected(
            "Müller GmbH",
            "Backend Engineer",
            statuses=[("Rejected :(", "2024-02-28")],
            locations=["Berlin"],
            notes="<p>Form rejection \u2013 no feedback</p>",
        ),
        expected(
            "Société Générale",
            "Quant Developer",
            statuses=[("phone scrn", "2024-03-14")],
            locations=["Paris"],
            notes="<p>Recruiter: Amélie</p>",
        ),
        expected(
            "Spotify",
            "Backend Engineer",
            statuses=[("onsite", "2024-04-10")],
            locations=["Stockholm"],
            notes="<p>System design round</p>",
        ),
        # "waiting to hear back" holds a known phrase ("waiting": Applied); the text stays the user's.
        expected("Zalando", "Data Engineer", statuses=[("waiting to hear back", "2024-04-05")], locations=["Berlin"]),
    ]


def test_one_date_column_per_stage_in_utf16_tabs_with_month_first_dates(alice_api):
    batch = upload_ok(alice_api, fixture("stage_dates.tsv"), "stages.txt")
    preview = batch["preview"]
    assert preview["file"]["encoding"] == "utf-16" and preview["file"]["delimiter"] == "\t"
    assert preview["date_order"] == "mdy"
    stages = {c["header"]: (c["field"], c["stage"]) for c in preview["columns"]}
    assert stages["Phone screen"] == ("stage_date", "Screening")
    assert stages["Interview"] == ("stage_date", "Interviewing")
    commit(alice_api, batch)

    assert applications(alice_api) == [
        expected(
            "Datadog",
            "Software Engineer",
            statuses=[("Applied", "2024-01-20"), ("Screening", "2024-01-25"), ("Rejected", "2024-01-26")],
        ),
        expected(
            "GitLab",
            "Site Reliability Engineer",
            statuses=[("Applied", "2024-01-12")],
            job_url="https://about.gitlab.com/jobs/789/",
        ),
        expected(
            "Shopify",
            "Senior Developer",
            statuses=[
                ("Applied", "2024-01-10"),
                ("Screening", "2024-01-18"),
                ("Interviewing", "2024-02-01"),
                ("Offer", "2024-02-20"),
            ],
            job_url="https://www.shopify.com/careers/senior-developer_456",
        ),
        expected(
            "Stripe",
            "Backend Engineer",
            statuses=[
                ("Applied", "2024-01-08"),
                ("Screening", "2024-01-15"),
                ("Interviewing", "2024-01-29"),
                ("Rejected", "2024-02-05"),
            ],
            job_url="https://stripe.com/jobs/listing/backend-engineer/123?utm_source=linkedin",
        ),
    ]


def test_teal_export_layout_with_bom_quoted_newlines_salaries_and_extra_columns(alice_api):
    import_file(alice_api, fixture("teal_export.csv"), "teal.csv")

    assert applications(alice_api) == [
        expected(
            "Figma",
            "Software Engineer",
            statuses=[("Target", "2024-02-05"), ("Applied", "2024-02-06")],
            job_url="https://figma.com/careers/123",
            locations=["Remote"],
            notes="<p>Min Salary: 140000</p><p>Max Salary: 180000</p>",
            job_description_notes="<p>Work on multiplayer.</p>",
            extra={"Excitement": "4"},
        ),
        expected(
            "Linear",
            "Frontend Engineer",
            statuses=[("Bookmarked", "2024-02-10")],
            job_url="https://linear.app/careers/frontend",
            locations=["Europe", "Remote"],
            extra={"Excitement": "3"},
        ),
        expected(
            "Notion",
            "Product Engineer",
            statuses=[("Target", "2024-02-01"), ("Applied", "2024-02-03"), ("Interviewing", "2024-02-03")],
            job_url="https://www.notion.so/careers/product-engineer",
            locations=["San Francisco, CA"],
            notes="<p>Referred by Sam</p><p>Min Salary: 150000</p><p>Max Salary: 190000</p>",
            job_description_notes="<p>Build the editor.<br>TypeScript, React.</p>",
            extra={"Excitement": "5", "Follow Up": "2024-02-17"},
        ),
        expected(
            "Plaid",
            "Backend Engineer",
            statuses=[("Target", "2024-01-02"), ("Applied", "2024-01-04"), ("Archived", "2024-01-04")],
            locations=["Salt Lake City, UT"],
            notes="<p>Position closed</p>",
            extra={"Excitement": "2"},
        ),
        expected(
            "Vercel",
            "DX Engineer",
            statuses=[("Target", "2024-01-15"), ("Applied", "2024-01-16"), ("Negotiating", "2024-01-16")],
            job_url="https://vercel.com/careers/dx",
            locations=["New York"],
            notes="<p>Second &quot;offer&quot; call on Friday</p><p>Min Salary: 120000</p>",
            job_description_notes="<p>Docs and DX.</p>",
            extra={"Excitement": "5"},
        ),
    ]


def test_messy_workbook_with_title_merged_two_row_header_blank_rows_mixed_dates_and_formulas(alice_api):
    batch = upload_ok(alice_api, fixture("messy.xlsx"), "messy.xlsx")
    preview = batch["preview"]
    assert preview["header_row"] == 4
    assert [c["header"] for c in preview["columns"]] == [
        "Company",
        "Role",
        "Dates Applied",
        "Dates Interview",
        "Dates Offer",
        "Status",
        "Link",
        "Days waiting",
        "Comments",
    ]
    assert preview["date_order"] == "dmy"
    assert [(p["row"], p["column"]) for p in preview["problems"]] == [(8, "Dates Interview"), (9, None), (10, None)]
    assert batch["counts"]["rows"] == 6 and batch["counts"]["skip"] == 1
    committed = commit(alice_api, batch)
    assert committed["counts"]["create"] == 5

    assert applications(alice_api) == [
        expected(
            "Acme Corp",
            "Backend Engineer",
            statuses=[("Applied", "2024-03-01"), ("Interviewing", "2024-03-12")],
            job_url="https://acme.example/jobs/1",
            extra={"Days waiting": 11},
        ),  # a formula's value
        expected(
            "Globex",
            "Data Analyst",  # 45356 is an Excel serial date
            statuses=[("Applied", "2024-03-05"), ("phone scrn", "2024-03-20"), ("Interviewing", "2024-03-20")],
            notes="<p>Hiring manager: Ann</p>",
        ),
        expected("Initech", "QA Engineer", statuses=[("Applied", "2024-03-07")], extra={"Dates Interview": "soon"}),
        expected(
            "Umbrella",
            "Security Engineer",
            statuses=[
                ("Applied", "2024-03-10"),
                ("Interviewing", "2024-03-18"),
                ("Offer", "2024-03-25"),
                ("Offer accepted", "2024-03-25"),
            ],
            notes="<p>Signed!</p>",
            extra={"Days waiting": 15},
        ),
        expected("Unknown company", "Office Manager", statuses=[("Applied", "2024-03-08")]),
    ]


def test_workbook_with_two_sheets_imports_each_sheet_with_its_own_layout(alice_api):
    first = upload_ok(alice_api, fixture("two_sheets.xlsx"), "years.xlsx")
    assert first["preview"]["file"]["sheets"] == ["2023", "2024"]
    assert first["mapping"]["sheet"] == "2023"
    commit(alice_api, first)
    second = upload_ok(alice_api, fixture("two_sheets.xlsx"), "years.xlsx", sheet="2024")
    assert {c["header"]: c["field"] for c in second["preview"]["columns"]} == {
        "Employer": "company",
        "Job title": "position_title",
        "Stage": "status",
        "Updated": "status_date",
        "Location": "location",
        "Salary": "salary",
        "Contact": "contact",
    }
    commit(alice_api, second)

    assert applications(alice_api) == [
        expected(
            "Aviato",
            "Growth Hacker",
            statuses=[("Applied", "2023-11-20"), ("Offer", "2023-11-20")],
            job_source=("Referral", ""),
        ),
        expected("Endframe", "ML Engineer", statuses=[("Applied", "2024-02-02")], locations=["Remote"]),
        expected(
            "Hooli",
            "Platform Engineer",
            statuses=[("Applied", "2023-10-16"), ("ghosted", "2023-10-16")],
            job_source=("indeed.com", "https://www.indeed.com/viewjob?jk=abc123"),
            labels=["Applied"],
        ),
        expected(
            "Pied Piper",
            "Compression Engineer",
            statuses=[("Applied", "2023-09-04"), ("Rejected", "2023-09-04")],
            job_source=("LinkedIn", ""),
            labels=["Dream job", "Remote"],
        ),
        expected(
            "Raviga",
            "Investment Analyst",
            statuses=[("Interview", "2024-01-22")],
            locations=["Palo Alto"],
            notes="<p>Salary: $120k</p><p>Contact: jane@raviga.example</p>",
        ),
    ]
    listed = alice_api.get("/api/labels/?page_size=100").get_json()["results"]
    labels = {label["text"]: label["user"] for label in listed}
    # "applied" used the global label; the unknown ones became Alice's own labels.
    assert labels["Applied"] is None
    assert labels["Dream job"] is not None and labels["Remote"] is not None
