"""From the rows of a sheet and a mapping, what each row would write: a `RowPlan`.

`survey` reads the top of the file once to find the header and propose the options; `plan_rows`
streams the whole file and yields one plan per non-blank data row. Plans are plain data: the preview
shows them, the writer writes them, and their `values` are stored on the row's record so that a
re-import can tell what changed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.html_text import html_to_text
from app.imports.columns import HEADER_SEARCH_ROWS, Column, find_header, header_strength, propose_columns, unique_names
from app.imports.dates import is_yearless, parse_date, with_year
from app.imports.errors import ImportFileError
from app.imports.matching import KeyCounter, base_match_key, content_hash
from app.imports.options import OPTIONS_VERSION
from app.imports.reading import LinkedCell, Source, to_json
from app.imports.statuses import STAGE_RANK, STATUS_MAX_LENGTH, mapped_stage, stage_for, stage_rank
from app.imports.words import fold

SURVEY_ROWS = 1000  # data rows read to propose the mapping and the date order
SAMPLES_PER_COLUMN = 50
TRACKER_HEADER_FIELDS = 2  # known fields a header names for its sheet to be taken for the tracker
LIMITS = {"company": 100, "position_title": 150, "url": 500, "label": 200, "link_text": 200}
DEFAULT_COMPANY = "Unknown company"
DEFAULT_POSITION = "Unknown position"
SPLIT_LIST = re.compile(r"[;,|\n]+")
SPLIT_LOCATIONS = re.compile(r"[;|\n]+")
HTML_TAG = re.compile(r"</?(?:p|br|div|ul|ol|li|b|i|strong|em|span|h[1-6])\b[^>]*>", re.IGNORECASE)
# What exports write in an empty cell (Huntr "-", Simplify and JobSync "N/A"): nothing, for a mapped field.
PLACEHOLDERS = frozenset({"-", "--", "\u2013", "\u2014", "n/a", "n.a.", "na", "null", "(empty)"})
# A yes/no cell (a "Remote?" column), in English and the languages of `vocabulary.LANGUAGES`.
YES_NO = {
    **dict.fromkeys(("yes", "y", "true", "x", "ja", "oui", "si", "sim"), True),
    **dict.fromkeys(("no", "n", "false", "nein", "non", "nao", "nee"), False),
}


def is_placeholder(value: Any) -> bool:
    """Whether a cell holds what an export writes for nothing ("-", "N/A")."""
    return isinstance(value, str) and len(value) <= 7 and value.casefold() in PLACEHOLDERS


@dataclass
class RowPlan:
    """What one source row would write, with the problems found reading it."""

    row_number: int
    raw: list[Any]
    values: dict[str, Any] | None  # None: the row is skipped (its raw cells are still kept)
    problems: list[dict[str, Any]] = field(default_factory=list)
    status_word: str | None = None
    match_key: str = ""
    content_hash: str = ""

    @property
    def skipped(self) -> bool:
        return self.values is None


def likeliest_sheet(source: Source) -> str | None:
    """The sheet of a workbook that holds the tracker: the first whose header names at least two known
    fields (a template's first sheets are often instructions or a dashboard), else the one naming most."""
    if source.file_format != "xlsx" or len(source.sheets) < 2:
        return source.sheet
    strengths = []
    for sheet in source.sheets:
        strengths.append(header_strength(source.head(sheet, HEADER_SEARCH_ROWS)))
        if strengths[-1] >= TRACKER_HEADER_FIELDS:
            return sheet
    return source.sheets[max(range(len(strengths)), key=lambda i: (strengths[i], -i))]


def survey(source: Source, options: dict[str, Any]) -> dict[str, Any]:
    """Options for reading `source`: the given ones, completed by what the top of the file suggests."""
    head: list[tuple[int, list[Any]]] = []
    for number, cells in enumerate(source.rows(), start=1):
        if any(cell is not None for cell in cells):
            head.append((number, cells))
        if len(head) >= SURVEY_ROWS + 20:
            break
    if not head:
        where = f"The sheet {source.sheet!r}" if source.sheet else "The file"
        raise ImportFileError(400, f"{where} has no rows with data.")
    header_row, headers = find_header(head)
    if options.get("header_row") and options["header_row"] != header_row:
        header_row = options["header_row"]
        row = dict(head).get(header_row)
        if row is None:
            raise ImportFileError(400, f"Row {header_row} is blank or beyond the rows read; it cannot be the header.")
        headers = unique_names(row)
    data = [cells for number, cells in head if number > header_row]
    if not data:
        raise ImportFileError(400, "The file has a header row but no data rows.")
    width = max([len(headers), *(len(cells) for cells in data)])
    if width > source.max_columns:
        raise ImportFileError(413, f"The sheet has {width} columns; at most {source.max_columns} are accepted.")
    headers = unique_names(headers + [None] * (width - len(headers)))
    samples: list[list[Any]] = [[] for _ in range(width)]
    for cells in data:
        for index, value in enumerate(cells):
            if value is not None and len(samples[index]) < SAMPLES_PER_COLUMN:
                samples[index].append(value)
    previous = {column["header"]: column for column in options.get("columns", [])}
    columns = propose_columns(headers, samples)
    for column in columns:  # keep the user's earlier choices for columns of the same name
        if column.header in previous:
            kept = previous[column.header]
            column.field, column.stage, column.confidence = kept["field"], kept.get("stage"), kept["confidence"]
    return {
        "version": OPTIONS_VERSION,
        "sheet": source.sheet,
        "header_row": header_row,
        "date_order": options.get("date_order") or "mdy",  # decided by `date_evidence.decide_dates`
        "date_order_chosen": bool(options.get("date_order_chosen")),
        "columns": [column.to_json() for column in columns],
        "status_mapping": dict(options.get("status_mapping") or {}),
        "remembered_from": options.get("remembered_from"),
    }


def plan_rows(source: Source, options: dict[str, Any], max_rows: int) -> Iterator[RowPlan]:
    """A plan for every non-blank data row, streaming; a 413 once the file passes `max_rows`."""
    columns = [Column(**column) for column in options["columns"]]
    keys = KeyCounter()
    count = 0
    for number, cells in enumerate(source.rows(), start=1):
        if number <= options["header_row"] or all(cell is None for cell in cells):
            continue
        count += 1
        if count > max_rows:
            raise ImportFileError(413, f"The file has more than {max_rows} data rows; split it and import the parts.")
        plan = plan_row(number, cells, columns, options)
        if plan.values is not None:
            base = base_match_key(plan.values["job_url"], plan.values["company"], plan.values["position_title"])
            plan.match_key = keys.key(base)
            plan.content_hash = content_hash(plan.values)
        else:
            plan.match_key = keys.key(f"skip:{number}")
        yield plan


def _text(value: Any) -> str:
    if isinstance(value, LinkedCell):
        return value.text
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _clip(text: str, limit: int, what: str, plan: RowPlan, column: str) -> str:
    if len(text) <= limit:
        return text
    plan.problems.append(_problem(plan, column, f"{what} is longer than {limit} characters; it was shortened."))
    return text[:limit]


def _problem(plan: RowPlan, column: str | None, message: str) -> dict[str, Any]:
    return {"row": plan.row_number, "column": column, "message": message}


def _html(text: str) -> str:
    return "<p>" + html.escape(text).replace("\r\n", "\n").replace("\n", "<br>") + "</p>"


def plan_row(number: int, cells: list[Any], columns: list[Column], options: dict[str, Any]) -> RowPlan:
    """What one row writes (see the module docstring); problems are reported, never fatal."""
    plan = RowPlan(number, [to_json(cell) for cell in cells], None)
    order = options["date_order"]
    found: dict[str, Any] = {
        "company": "",
        "position_title": "",
        "job_url": "",
        "job_source": "",
        "company_url": "",
        "job_description": "",
    }
    extra: dict[str, Any] = {}
    links: dict[str, str] = {}  # what linked cells add: the URL of a job, a source or a company
    notes: list[tuple[str, str]] = []
    labelled: list[tuple[str, str]] = []
    locations: list[str] = []
    labels: list[str] = []
    dated: list[tuple[str, date, str]] = []  # (stage, date, how the file gave it), one per stage date cell
    status_date: tuple[date, str] | None = None
    status_date_cell: tuple[str, Any] | None = None
    yearless: list[tuple[str, str, date]] = []  # (header, text, day in the year YEARLESS), given years below
    for column in columns:
        value = cells[column.index] if column.index < len(cells) else None
        if value is None or column.field == "ignore":
            continue
        if column.field == "extra":
            extra[column.header] = to_json(value)
            continue
        if is_placeholder(value) or value is False:  # an unticked checkbox (a spreadsheet's FALSE) says nothing
            continue
        text = _text(value)
        if isinstance(value, LinkedCell):
            text = _linked_text(value, column.field, links)
            value = value.text
        if column.field in ("status_date", "stage_date"):
            parsed = parse_date(value, order)
            if parsed is None:
                plan.problems.append(_problem(plan, column.header, f"{text!r} is not a date; kept in extra."))
                extra[column.header] = to_json(value)
            else:
                basis = "given"
                if is_yearless(parsed):
                    yearless.append((column.header, text, parsed))
                    basis = "estimated"
                if column.field == "status_date":
                    status_date, status_date_cell = (parsed, basis), (column.header, to_json(value))
                else:
                    dated.append((column.stage or column.header, parsed, basis))
        elif column.field in ("job_url", "company_url") and len(text) > LIMITS["url"]:
            plan.problems.append(_problem(plan, column.header, "The URL is too long for a link; kept in extra."))
            extra[column.header] = text
        elif column.field == "status":
            plan.status_word = text
        elif column.field in found:
            found[column.field] = text
        elif column.field == "location" and fold(text) in YES_NO:
            if YES_NO[fold(text)]:  # a "Remote?" column ticked: the place is what the header names
                locations.append(column.header.rstrip("?: ").strip())
        elif column.field == "location":
            locations.extend(part.strip() for part in SPLIT_LOCATIONS.split(text) if part.strip())
        elif column.field == "labels":
            labels.extend(part.strip() for part in SPLIT_LIST.split(text) if part.strip())
        elif column.field == "notes":
            notes.append((column.header, text))
        elif column.field in ("salary", "contact"):
            labelled.append((column.header, text))
    _use_links(found, links)
    if yearless:
        dated, status_date = _give_years(plan, yearless, dated, status_date, options)
    if not found["company"] and not any(column.field == "company" for column in columns):
        found["company"], found["position_title"] = _split_title(found["position_title"])
    if not found["company"] and not found["position_title"]:
        plan.problems.append(_problem(plan, None, "No company and no position: the row is kept but not imported."))
        return plan
    if not found["company"]:
        plan.problems.append(_problem(plan, None, f"No company: imported under {DEFAULT_COMPANY!r}."))
        found["company"] = DEFAULT_COMPANY
    if not found["position_title"]:
        plan.problems.append(_problem(plan, None, f"No position: imported as {DEFAULT_POSITION!r}."))
        found["position_title"] = DEFAULT_POSITION
    found["company"] = _clip(found["company"], LIMITS["company"], "The company name", plan, "company")
    found["position_title"] = _clip(
        found["position_title"], LIMITS["position_title"], "The position", plan, "position_title"
    )
    found["job_source"] = _clip(found["job_source"], LIMITS["link_text"], "The job source", plan, "job_source")
    if status_date_cell is not None and not plan.status_word:
        # A date of no status: nothing to attach it to, so it is kept as it was.
        extra[status_date_cell[0]] = status_date_cell[1]
    description = found["job_description"]
    if HTML_TAG.search(description):  # an HTML description (Huntr's htmlDescription): its text, no foreign markup
        description = html_to_text(description)
    found["job_description"] = _html(description) if description else ""
    plan.values = {
        **found,
        "statuses": _statuses(plan, dated, status_date, options.get("status_mapping") or {}),
        "locations": list(dict.fromkeys(location[:500] for location in locations)),
        "labels": list(dict.fromkeys(_clip(label, LIMITS["label"], "A label", plan, "labels") for label in labels)),
        "notes": _notes(notes, labelled),
        "extra": extra,
    }
    return plan


LINK_TEXT_FIELDS = ("notes", "salary", "contact", "job_description", "labels", "location")


def _linked_text(cell: LinkedCell, field: str, links: dict[str, str]) -> str:
    """The text a linked cell gives its field; its URL goes where a URL belongs, so nothing is lost.

    A job URL cell showing "posting" gives the URL (its text names the link); a linked source, company
    or position gives its text, and its URL becomes the source's link, the company's website or the job
    URL when no column of its own gives one; free text keeps the URL beside the text.
    """
    if field in ("job_url", "company_url"):
        if field == "job_url":
            links["job_url_text"] = cell.text[: LIMITS["link_text"]]
        return cell.url
    if field == "job_source":
        links["job_source_url"] = cell.url
    elif field == "company":
        links.setdefault("company_url", cell.url)
    elif field == "position_title":
        links.setdefault("job_url", cell.url)
    elif field in LINK_TEXT_FIELDS and cell.url != cell.text:
        return f"{cell.text} ({cell.url})"
    return cell.text


def _use_links(found: dict[str, Any], links: dict[str, str]) -> None:
    for key in ("job_url", "company_url"):
        if not found[key] and len(links.get(key, "")) <= LIMITS["url"]:
            found[key] = links.get(key, "")
    if found["job_url"] and "job_url_text" in links:
        found["job_url_text"] = links["job_url_text"]
    if found["job_source"] and "job_source_url" in links and len(links["job_source_url"]) <= LIMITS["url"]:
        found["job_source_url"] = links["job_source_url"]


def _notes(notes: list[tuple[str, str]], labelled: list[tuple[str, str]]) -> str:
    parts = [_html(text) if len(notes) == 1 else _html(f"{header}: {text}") for header, text in notes]
    parts += [_html(f"{header}: {text}") for header, text in labelled]
    return "".join(parts)


TITLE_PARTS = re.compile(r"^(?P<a>.+?)\s+(?:[-\u2013\u2014|@]|at|bei|chez|en|presso|bij)\s+(?P<b>.+)$")


def _split_title(title: str) -> tuple[str, str]:
    """(company, position) of a card title such as "Acme - Backend Engineer" or "Backend Engineer @ Acme"
    (a board of cards, such as Trello's, has no company column); ("", title) when it names no company."""
    match = TITLE_PARTS.match(title)
    if match is None:
        return "", title
    if re.search(r"\s(?:@|at|bei|chez|en|presso|bij)\s", title):
        return match["b"].strip(), match["a"].strip()
    return match["a"].strip(), match["b"].strip()


def _give_years(
    plan: RowPlan,
    yearless: list[tuple[str, str, date]],
    dated: list[tuple[str, date, str]],
    status_date: tuple[date, str] | None,
    options: dict[str, Any],
) -> tuple[list[tuple[str, date, str]], tuple[date, str] | None]:
    """The row's year-less dates in the year nearest its own full dates, else the file's (`year_reference`),
    else the day of the upload; each is reported as inferred."""
    given = [(when, basis) for _, when, basis in dated] + ([status_date] if status_date else [])
    full = sorted(when for when, basis in given if basis == "given")
    if full:
        reference, why = full[len(full) // 2], "the row's other dates"
    elif options.get("year_reference"):
        reference, why = date.fromisoformat(options["year_reference"]), "the file's dated rows"
    else:
        reference, why = date.today(), "the day of the upload: the file has no date with a year"
    years = {}
    for header, text, day in yearless:
        years[day] = with_year(day, reference)
        plan.problems.append(
            {
                **_problem(plan, header, f"{text!r} has no year: read as {years[day].isoformat()} (from {why})."),
                "kind": "inferred",
            }
        )
    dated = [(stage, years.get(when, when), basis) for stage, when, basis in dated]
    if status_date is not None:
        status_date = (years.get(status_date[0], status_date[0]), status_date[1])
    return dated, status_date


def _stage_of_column(stage: str) -> str | None:
    return stage if stage in STAGE_RANK else stage_for(stage)[0]


def _statuses(
    plan: RowPlan,
    dated: list[tuple[str, date, str]],
    status_date: tuple[date, str] | None,
    status_mapping: dict[str, str],
) -> list[list[Any]]:
    """The status history, oldest first, as `[text, date, stage, date_basis]`: one per dated stage column,
    and the current status cell in the user's own words, its stage beside it.

    The current status takes the status date, else the date of the same stage (both as the file gives
    them), else the latest of the row's other dates ("estimated"); with none it is "undated" (the day of
    the import is stored, marked so). A stage column and the status cell of one stage and day are one
    status, in the status cell's words.
    """
    entries: list[list[Any]] = [[stage, when, _stage_of_column(stage), basis] for stage, when, basis in dated]
    if plan.status_word:
        text = _clip(plan.status_word, STATUS_MAX_LENGTH, "The status", plan, "status")
        stage = mapped_stage(plan.status_word, status_mapping)
        same = [entry for entry in entries if stage is not None and entry[2] == stage]
        if status_date is not None:
            when, basis = status_date
        elif same:
            when, basis = same[-1][1], same[-1][3]
        elif entries:
            when, basis = max(entry[1] for entry in entries), "estimated"
        else:
            when, basis = None, "undated"
        twin = next((entry for entry in same if entry[1] == when), None)
        if twin is not None:
            twin[0] = text
        elif not any(entry[0] == text and entry[1] == when for entry in entries):
            entries.append([text, when, stage, basis])
    unique = {(entry[0], entry[1]): entry for entry in entries}.values()
    ordered = sorted(unique, key=lambda e: (e[1] is None, e[1] or date.min, stage_rank(e[2] or e[0])))
    return [[text, when.isoformat() if when else None, stage, basis] for text, when, stage, basis in ordered]
