"""Applications and activity exports: CSV and XLSX cell by cell, filters, isolation, formula
injection, and a 5,000-application export with bounded memory and constant queries per chunk."""

from __future__ import annotations

import datetime as dt
import io
import tracemalloc
import uuid

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, insert

from app.exports.cells import neutralise
from app.extensions import db
from app.html_text import html_to_text
from app.models import (
    Address,
    Application,
    ApplicationStatus,
    Company,
    Label,
    Link,
    PositionLocation,
    application_labels,
)
from app.models.base import utcnow
from tests.conftest import login
from tests.export_support import (
    EXPECTED_HEADER,
    EXPECTED_ROWS,
    HEADER,
    download,
    parse_csv,
    seed_applications,
    set_extra,
)
from tests.import_support import fixture, import_file
from tests.rest_support import new_application, new_company, ok


@pytest.fixture
def app_config(app_config):
    """Two applications per chunk: the three seeded ones cross a chunk boundary in every format."""
    app_config.EXPORT_CHUNK_SIZE = 2
    return app_config


@pytest.fixture
def seeded(app, alice_api):
    return seed_applications(app, alice_api)


def test_csv_export_matches_the_seeded_data_cell_by_cell(alice_api, seeded):
    response = alice_api.get("/api/exports/applications.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # one charset, not two
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="applications-')
    assert response.data.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    rows = parse_csv(response.data)
    assert rows[0] == EXPECTED_HEADER
    assert rows[1:] == EXPECTED_ROWS


def test_xlsx_export_matches_the_seeded_data_cell_by_cell(alice_api, seeded):
    response = download(alice_api, "/api/exports/applications.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.title == "Applications"
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == EXPECTED_HEADER
    date_columns = {EXPECTED_HEADER.index("Status date"), EXPECTED_HEADER.index("Date applied")}
    for got, expected in zip(rows[1:], EXPECTED_ROWS, strict=True):
        for index, (value, text) in enumerate(zip(got, expected, strict=True)):
            if index in date_columns and text:
                assert value == dt.datetime.fromisoformat(text), (index, value)  # a real date cell
            else:
                assert (value or "") == text, (index, value, text)


def test_xlsx_never_holds_a_formula(alice_api, seeded):
    sheet = load_workbook(io.BytesIO(download(alice_api, "/api/exports/applications.xlsx").data)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    texts = {cell.value for cell in cells if cell.data_type == "s"}
    assert {"'=Evil Corp", "'+Data scientist", "'@mention", "'=cmd|' /C calc'!A0"} <= texts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=SUM(A1:A2)", "'=SUM(A1:A2)"),
        ("+1", "'+1"),
        ("-1+2", "'-1+2"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("plain = text", "plain = text"),
        ("", ""),
    ],
)
def test_formula_triggers_are_neutralised(text, expected):
    assert neutralise(text) == expected


def test_every_csv_cell_is_neutralised_including_headers_and_extra_fields(app, alice_api):
    company = new_company(alice_api, "-2+3")
    application = new_application(alice_api, company["uuid"], "\tTabbed", position_locations=[])
    set_extra(app, application["uuid"], {"=HEADER()": "\rcarriage", "n": -5})
    rows = parse_csv(alice_api.get("/api/exports/applications.csv").data)
    assert rows[0][-2:] == ["'=HEADER()", "n"]
    assert rows[1][:2] == ["'-2+3", "'\tTabbed"]
    assert rows[1][-2:] == ["'\rcarriage", "'-5"]


def test_notes_are_exported_as_plain_text():
    assert html_to_text("<p>a</p><p><br></p><p>b <i>c</i></p>") == "a\n\nb c"
    assert html_to_text("<h1>T&eacute;l&eacute;</h1><script>alert(1)</script><ol><li>x</li></ol>") == "Télé\n• x"
    assert html_to_text("no markup\nkept as typed") == "no markup\nkept as typed"
    assert html_to_text(None) == ""


def test_blank_filters_are_no_filters(alice_api, seeded):
    rows = parse_csv(alice_api.get("/api/exports/applications.csv?label=&status=&from=&to=").data)
    assert len(rows) == 4


def test_filter_by_label(alice_api, seeded):
    rows = parse_csv(alice_api.get("/api/exports/applications.csv?label=Dream job").data)
    assert [row[1] for row in rows[1:]] == ["Backend engineer"]
    rows = parse_csv(alice_api.get("/api/exports/applications.csv?label=Archived").data)
    assert [row[1] for row in rows[1:]] == ["Manager"]


def test_filter_by_current_status_ignores_case_and_past_statuses(alice_api, seeded):
    rows = parse_csv(alice_api.get("/api/exports/applications.csv?status=interview").data)
    assert [row[1] for row in rows[1:]] == ["Backend engineer"]
    rows = parse_csv(alice_api.get("/api/exports/applications.csv?status=Applied").data)
    assert rows[1:] == []  # Applied is in its history, but it is not the current status


def test_filter_by_date_range_keeps_applications_active_in_it(alice_api, seeded):
    rows = parse_csv(alice_api.get("/api/exports/applications.csv?from=2024-01-10&to=2024-01-31").data)
    assert [row[1] for row in rows[1:]] == ["Backend engineer"]
    rows = parse_csv(alice_api.get("/api/exports/applications.csv?from=2024-03-01&to=2024-03-31").data)
    assert [row[1] for row in rows[1:]] == ["Manager"]
    today = utcnow().date().isoformat()
    rows = parse_csv(alice_api.get(f"/api/exports/applications.csv?from={today}").data)
    assert len(rows) == 4  # all three were added today


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("label=Nope", {"label": ["Label 'Nope' does not exist."]}),
        ("from=2024-13-01", {"from": ["Not a valid date."]}),
        ("to=yesterday", {"to": ["Not a valid date."]}),
        ("from=2024-02-01&to=2024-01-01", {"to": ["Must not be before `from`."]}),
        ("status=" + "x" * 51, {"status": ["Longer than maximum length 50."]}),
    ],
)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_bad_filters_are_a_400_on_the_field(alice_api, query, errors, fmt):
    response = download(alice_api, f"/api/exports/applications.{fmt}?{query}")
    assert response.status_code == 400
    assert response.get_json() == errors


def test_another_users_label_is_not_a_filter(alice_api, bob_api, seeded):
    response = bob_api.get("/api/exports/applications.csv?label=Dream job")
    assert response.status_code == 400


def test_exports_hold_only_the_callers_applications(alice_api, bob_api, seeded):
    bobs = new_company(bob_api, "Bob Ltd")
    new_application(bob_api, bobs["uuid"], "Bob's job", position_locations=[])
    rows = parse_csv(bob_api.get("/api/exports/applications.csv").data)
    assert rows[1:] == [["Bob Ltd", "Bob's job", *[""] * (len(rows[0]) - 2)]]
    assert rows[0] == HEADER  # Alice's extra fields do not even show in the header
    sheet = load_workbook(io.BytesIO(download(bob_api, "/api/exports/applications.xlsx").data)).active
    assert [[cell.value for cell in row][:2] for row in sheet.iter_rows(min_row=2)] == [["Bob Ltd", "Bob's job"]]
    activity = parse_csv(bob_api.get("/api/exports/activity.csv").data)
    assert [row[2] for row in activity[1:]] == ["Bob Ltd"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/exports/applications.csv",
        "/api/exports/applications.xlsx",
        "/api/exports/activity.csv",
        "/api/exports/account.json",
    ],
)
def test_exports_need_a_token(anon_api, url):
    response = download(anon_api, url)
    assert response.status_code == 401
    assert "detail" in response.get_json()


def test_csv_export_round_trips_to_the_api_data(alice_api, seeded):
    """What a spreadsheet gets back matches what the API holds, field by field."""
    rows = parse_csv(alice_api.get("/api/exports/applications.csv").data)
    by_title = {row[1]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    applications = ok(alice_api.get("/api/applications/?page_size=100"))["results"]
    assert len(applications) == len(by_title)
    for application in applications:
        row = by_title[neutralise(application["position_title"])]
        company = ok(alice_api.get(f"/api/companies/{application['user_company']}/"))
        assert row["Company"] == neutralise(company["name"])
        statuses = application["statuses"]  # newest first
        assert row["Status"] == (statuses[0]["text"] if statuses else "")
        assert row["Stage"] == ((statuses[0]["stage"] or "") if statuses else "")
        assert row["Status date"] == (statuses[0]["date"] if statuses else "")
        assert row["Status history"].splitlines() == [f"{s['date']} {s['text']}" for s in reversed(statuses)]
        assert row["Job URL"] == application["job_description_page"]["url"]
        assert row["Job source"] == neutralise(application["job_source"]["text"])
        assert row["Labels"] == "; ".join(label["text"] for label in application["labels"])
        assert row["Notes"] == neutralise(html_to_text(application["notes"]))
        for key, value in (application["extra"] or {}).items():
            assert row[key] == neutralise(value)


def test_activity_log_between_two_dates_cell_by_cell(alice_api, seeded):
    response = alice_api.get("/api/exports/activity.csv?from=2024-01-01&to=2024-02-29")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="activity-2024-01-01-2024-02-29.csv"'
    rows = parse_csv(response.data)
    assert rows[0] == [
        "Date",
        "Activity",
        "Company",
        "Position",
        "How applied",
        "Job URL",
        "Locations",
        "Links",
        "Date note",
    ]
    common = [
        "Acme",
        "Backend engineer",
        "LinkedIn (https://linkedin.example/j/1)",
        "https://jobs.example/1",
        "Berlin, Germany; Paris, France",
    ]
    assert rows[1:] == [
        ["2024-01-05", "Applied", *common, "https://mail.example/1", ""],
        ["2024-01-12", "Phone screen", *common, "", ""],
        ["2024-02-01", "Interview", *common, "", ""],
    ]


def test_activity_log_lists_applications_added_before_their_statuses(alice_api, seeded):
    today = utcnow().date().isoformat()
    rows = parse_csv(alice_api.get(f"/api/exports/activity.csv?from={today}&to={today}").data)
    assert [(row[0], row[1], row[3]) for row in rows[1:]] == [
        (today, "Application added", "Backend engineer"),
        (today, "Application added", "'+Data scientist"),
        (today, "Application added", "Manager"),
    ]
    everything = parse_csv(alice_api.get("/api/exports/activity.csv").data)
    assert [row[0] for row in everything[1:]] == sorted(row[0] for row in everything[1:])
    assert len(everything) == 1 + 3 + 4  # header, three added, four statuses


def test_activity_log_rejects_a_bad_range(alice_api):
    response = alice_api.get("/api/exports/activity.csv?from=2024-02-01&to=2024-01-01")
    assert (response.status_code, response.get_json()) == (400, {"to": ["Must not be before `from`."]})


# -- a large export -----------------------------------------------------------------------------------

LARGE = 5_000
CHUNK = 500
# Per chunk: applications, companies, job pages, job sources, position locations, their addresses,
# labels, statuses.
STATEMENTS_PER_CHUNK = 8


def _seed_large(app, user_id: uuid.UUID) -> None:
    """5,000 applications with every part a row shows, inserted in bulk (fast on both databases)."""
    now = utcnow()
    with app.app_context():
        label = Label(user_id=user_id, text="Bulk")
        db.session.add(label)
        companies = [{"id": uuid.uuid4(), "user_id": user_id, "name": f"Company {i}"} for i in range(50)]
        links, addresses, applications, locations, statuses = [], [], [], [], []
        for i in range(LARGE):
            page, source, address, application = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
            links += [
                {"id": page, "user_id": user_id, "text": "Posting", "url": f"https://jobs.example/{i}"},
                {"id": source, "user_id": user_id, "text": "Board", "url": "https://board.example"},
            ]
            addresses.append({"id": address, "user_id": user_id, "city": f"City {i}"})
            applications.append(
                {
                    "id": application,
                    "user_id": user_id,
                    "user_company_id": companies[i % 50]["id"],
                    "position_title": f"Engineer {i}",
                    "job_description_page_id": page,
                    "job_source_id": source,
                    "notes": f"<p>Notes about application {i}, long enough to matter.</p>" * 3,
                    "created_at": now + dt.timedelta(microseconds=i),
                    "modified_at": now,
                }
            )
            locations.append(
                {"id": uuid.uuid4(), "user_id": user_id, "application_id": application, "location_id": address}
            )
            statuses += [
                {
                    "id": uuid.uuid4(),
                    "user_id": user_id,
                    "application_id": application,
                    "text": text,
                    "date": dt.date(2024, 1, 1) + dt.timedelta(days=day),
                }
                for day, text in ((0, "Applied"), (7, "Interview"))
            ]
        db.session.flush()
        for model, rows in (
            (Company, companies),
            (Link, links),
            (Address, addresses),
            (Application, applications),
            (PositionLocation, locations),
            (ApplicationStatus, statuses),
        ):
            db.session.execute(insert(model.__table__), rows)
        db.session.execute(
            insert(application_labels), [{"application_id": row["id"], "label_id": label.id} for row in applications]
        )
        db.session.commit()
        db.session.remove()


def test_large_export_streams_in_bounded_memory_with_constant_queries_per_chunk(app, alice, alice_api):
    app.config["EXPORT_CHUNK_SIZE"] = CHUNK
    _seed_large(app, alice.id)
    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    # Memory does not depend on the database; tracing it is slow, so it is measured on SQLite alone.
    trace_memory = engine.dialect.name == "sqlite"

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        started = len(statements)
        # Unbuffered, as a WSGI server reads it; the test client runs the app up to the first piece.
        response = alice_api.client.get(
            "/api/exports/applications.csv", headers={"Authorization": f"JWT {alice_api.token}"}, buffered=False
        )
        assert response.status_code == 200
        first = len(statements) - started
        per_piece, size, lines, peak = [], 0, 0, 0
        if trace_memory:
            tracemalloc.start()
        try:
            before = len(statements)
            for piece in response.response:
                per_piece.append(len(statements) - before)
                before = len(statements)
                size += len(piece)
                lines += piece.count(b"\r\n")
            tail = len(statements) - before
            if trace_memory:
                _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
            response.close()
    finally:
        event.remove(engine, "before_cursor_execute", count)

    chunks = LARGE // CHUNK
    # Before the first piece: the caller's user, the extra-field keys, and the first chunk.
    assert first == 2 + STATEMENTS_PER_CHUNK
    assert per_piece == [0] + [STATEMENTS_PER_CHUNK] * (chunks - 1)  # the same statements for every chunk
    assert tail <= 1  # at most the keyset query that finds the end
    assert lines >= LARGE + 1
    # One chunk of ORM objects and rows at a time: about 9.5 MB measured, where reading the 5,000
    # applications at once peaks at about 83 MB.
    assert size > 1_500_000
    assert peak < 12_000_000, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB export"


# -- with spreadsheet imports (app/imports) -------------------------------------------------------------


def test_layout_follows_a_saved_import_mapping(alice_api):
    """Exported after an import, with ?layout=<import>, the file lines up with the user's own columns."""
    original = parse_csv(fixture("teal_export.csv"))
    batch = import_file(alice_api, fixture("teal_export.csv"), "teal_export.csv")
    rows = parse_csv(alice_api.get(f"/api/exports/applications.csv?layout={batch['uuid']}").data)
    width = len(original[0])
    assert rows[0][:width] == original[0]
    # What the original had no column for follows it.
    assert rows[0][width:] == [
        "Stage",
        "Status date",
        "Date applied",
        "Status history",
        "Job source",
        "Job source URL",
        "Labels",
    ]
    # The import maps status words to stages (its `status_mapping`, e.g. Bookmarked -> Target) but keeps
    # the user's words: everything comes back as it was.
    assert batch["mapping"]["status_mapping"]["Bookmarked"] == "Target"
    assert sorted(row[:width] for row in rows[1:]) == sorted(original[1:])


def test_layout_of_another_users_import_is_a_400(alice_api, bob_api):
    batch = import_file(alice_api, fixture("minimal.csv"), "minimal.csv")
    response = bob_api.get(f"/api/exports/applications.csv?layout={batch['uuid']}")
    assert (response.status_code, response.get_json()) == (400, {"layout": ["Import does not exist."]})
    response = bob_api.get("/api/exports/applications.csv?layout=nope")
    assert (response.status_code, response.get_json()) == (400, {"layout": ["Not a valid UUID."]})


def test_export_then_import_into_a_fresh_account_gives_back_the_same_file(app, alice_api, seeded, make_user):
    """Alice's CSV imported into Carol's empty account, then exported in the import's layout, is the
    same file cell by cell: applications, current statuses and their dates, the date applied, links,
    locations, labels, notes and extra fields all came through (the history, as a kept column)."""
    exported = alice_api.get("/api/exports/applications.csv").data
    make_user("carol@example.com")
    carol_api = login(app.test_client(), "carol@example.com")
    batch = import_file(carol_api, exported, "applications.csv")
    assert batch["counts"]["create"] == 3
    again = parse_csv(carol_api.get(f"/api/exports/applications.csv?layout={batch['uuid']}").data)
    original = parse_csv(exported)
    header = original[0]
    assert again[0][: len(header)] == header

    def normalised(row: list[str]) -> list[str]:
        """Labels tied on their order may swap (the statuses keep the user's words)."""
        cells = dict(zip(header, row, strict=False))
        cells["Labels"] = "; ".join(sorted(cells["Labels"].split("; ")))
        return [cells[name] for name in header]

    assert sorted(map(normalised, again[1:])) == sorted(map(normalised, original[1:]))
