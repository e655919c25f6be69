"""Round trip of every import fixture (issue 14): import with no options, export with the import's layout
(`?layout=<import>`), and compare with the file, cell by cell.

The export holds the applications as the app keeps them, so a few things come back normalised, and only
these (`_same_cell` says exactly how each is compared):
- dates come back in the column's own format (`1/14/2025`, `16.03.2025`, `September 17, 2025`; see
  app/imports/date_formats.py), but only the date: the time of day of a date-time is dropped and a range
  comes back as its start; a column with no one such format (dates without a year, real spreadsheet date
  cells, mixed formats) comes back as ISO dates (YYYY-MM-DD), a date without a year with the year the
  import gave it;
- the status cell comes back as the user's own word, unchanged;
- a linked cell in a URL column comes back as its URL (its text is the link's text in the app);
- lists (labels, locations) may come back in another order and joined with "; ", a label in the case of
  the user's (or the global) label of that text;
- an empty status-date cell comes back as the date the status was given from the row's other dates;
- an empty-cell placeholder ("-", "N/A") and an unticked checkbox (FALSE) in a mapped column come back
  empty; a kept boolean comes back as true/false, a number as its digits;
- a card title without a company column (Trello's "Acme - Backend Engineer") comes back as its position;
- a company comes back as the user's company of that name (matched ignoring case and spacing: "Acme  corp"
  joined "Acme Corp");
- the status column shows the application's current status: where a stage date in the row is later than
  the status cell, that stage (in its column's words), the status cell's word staying in the history;
- an HTML job description (Huntr's) comes back as its text;
- a linked cell in free text comes back as "text (url)"; text that a spreadsheet would run as a formula
  (=, +, -, @ first) comes back behind an apostrophe, as in every export.
Columns the import did not use come back exactly, from the stored source row.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from app.exports.cells import neutralise
from app.html_text import html_to_text
from app.imports.date_formats import format_of
from app.imports.dates import is_yearless, parse_date
from app.imports.matching import company_key
from app.imports.planning import is_placeholder
from app.imports.reading import LinkedCell, open_source
from tests.export_support import parse_csv
from tests.import_support import FIXTURES, fixture, import_file

IMPORTABLE = sorted(path.name for path in Path(FIXTURES).iterdir() if path.suffix in (".csv", ".tsv", ".xlsx"))
LIST_FIELDS = ("labels", "location")
SPLIT = re.compile(r"[;,|\n]+")


def test_every_fixture_is_in_the_round_trip():
    assert len(IMPORTABLE) >= 22  # the six original fixtures, issue 14's and the trackers' exports


@pytest.mark.parametrize("name", IMPORTABLE)
def test_a_fixture_comes_back_in_its_own_layout(alice_api, name):
    data = fixture(name)
    batch = import_file(alice_api, data, name)
    options = batch["mapping"]
    source = open_source(data, options["sheet"])
    rows = list(source.rows())
    header = rows[options["header_row"] - 1]
    formats = options.get("date_formats") or {}
    columns = [
        {**c, "date_format": formats.get(c["header"])} for c in sorted(options["columns"], key=lambda c: c["index"])
    ]
    skipped = {
        row["row"]
        for row in alice_api.get(f"/api/imports/{batch['uuid']}/rows/?show=skip&page_size=100").get_json()["results"]
    }
    originals = [
        (number, cells)
        for number, cells in enumerate(rows, start=1)
        if number > options["header_row"] and number not in skipped and any(cell is not None for cell in cells)
    ]
    exported = parse_csv(alice_api.get(f"/api/exports/applications.csv?layout={batch['uuid']}").data)
    assert [c["header"] for c in columns] == exported[0][: len(columns)], name
    assert len(header) <= len(columns)
    assert len(exported) - 1 == len(originals), name
    has_company = any(c["field"] == "company" for c in columns)
    remaining = exported[1:]
    for number, cells in originals:
        cells = cells + [None] * (len(columns) - len(cells))

        # The current status is the newest: a later stage date of the row's own (an interview date after
        # a "phone scrn" status cell) is what the status column shows, in that column's words.
        staged = {c["stage"] or c["header"] for c in columns if c["field"] == "stage_date" and cells[c["index"]]}

        dated = [cells[c["index"]] for c in columns if c["field"] in ("status_date", "stage_date")]

        def same(got: str, want: Any, column: dict[str, Any], staged: set[str] = staged, dated: list = dated) -> bool:
            if column["field"] == "status" and got in staged:
                return True
            if column["field"] == "status_date" and (want is None or is_placeholder(want)) and got:
                # An empty status date: the status is dated from the row's other dates.
                return any(_same_date(got, other, options["date_order"]) for other in dated if other is not None)
            return _same_cell(got, want, column, options["date_order"], has_company)

        def agreeing(row: list[str], cells: list[Any] = cells) -> int:
            return sum(same(got, want, column) for got, want, column in zip(row, cells, columns, strict=False))

        best = max(remaining, key=agreeing)
        remaining.remove(best)
        for got, want, column in zip(best, cells, columns, strict=False):
            assert same(got, want, column), (name, number, column, got, want)


def _same_cell(got: str, want: Any, column: dict[str, Any], order: str, has_company: bool) -> bool:
    field = column["field"]
    if field in ("ignore", "extra"):
        return got == neutralise(_kept(want))
    if want is None or is_placeholder(want) or want is False:
        return got == "" or (field == "company" and got == "Unknown company")
    if field in ("status_date", "stage_date"):
        written = column.get("date_format")
        if written and isinstance(want, str) and format_of(want, order) is not None:
            # In the file's own format: the date as the cell wrote it, without a time or a range's end.
            return want == got or (want.startswith(got) and want[len(got)] in " T,")
        return _same_date(got, want, order)
    if isinstance(want, LinkedCell) and field in ("job_url", "company_url"):
        want = want.url
    elif isinstance(want, LinkedCell):  # free text keeps the URL beside the text; a name is the name
        want = want.text if field in ("company", "position_title", "job_source") else f"{want.text} ({want.url})"
    if field == "job_description" and isinstance(want, str) and want.startswith("<"):
        want = html_to_text(want)  # an HTML description is imported as its text
    text = neutralise(_text(want))
    if field == "company":
        return company_key(got) == company_key(text)  # the user's company of that name, any case or spacing
    if field in LIST_FIELDS:  # a label joins the user's (or a global) label of that text in any case
        return sorted(p.strip().casefold() for p in SPLIT.split(got) if p.strip()) == sorted(
            p.strip().casefold() for p in SPLIT.split(text) if p.strip()
        )
    if field == "position_title" and not has_company:
        return got != "" and got in text
    return got == text


def _kept(value: Any) -> str:
    if isinstance(value, LinkedCell):
        return value.text
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else _text(value)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.date().isoformat() if isinstance(value, datetime) and not value.time() else value.isoformat()
    return str(value)


def _same_date(got: str, want: Any, order: str) -> bool:
    wanted = parse_date(want.text if isinstance(want, LinkedCell) else want, order)
    if wanted is None:  # not a date: the import kept it as it was
        return got == _text(want)
    if is_yearless(wanted):
        return got[4:] == wanted.isoformat()[4:]
    return got == wanted.isoformat()
