"""From the rows of a sheet and a mapping, what each row would write: a `RowPlan`.

`survey` reads the top of the file once to find the header and propose the options; `plan_rows`
streams the whole file and yields one plan per non-blank data row. Plans are plain data: the preview
shows them, the writer writes them, and their `values` are stored on the row's record so that a
re-import can tell what changed.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.imports.columns import Column, find_header, propose_columns, unique_names
from app.imports.dates import date_order_evidence, parse_date
from app.imports.errors import ImportFileError
from app.imports.matching import KeyCounter, base_match_key, content_hash
from app.imports.options import OPTIONS_VERSION
from app.imports.reading import Source, to_json
from app.imports.statuses import STATUS_MAX_LENGTH, stage_rank, status_text

SURVEY_ROWS = 1000  # data rows read to propose the mapping and the date order
SAMPLES_PER_COLUMN = 50
LIMITS = {"company": 100, "position_title": 150, "url": 500, "label": 200, "link_text": 200}
DEFAULT_COMPANY = "Unknown company"
DEFAULT_POSITION = "Unknown position"
SPLIT_LIST = re.compile(r"[;,|\n]+")
SPLIT_LOCATIONS = re.compile(r"[;|\n]+")


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
    date_order = options.get("date_order") or _propose_date_order(columns, data)
    return {
        "version": OPTIONS_VERSION,
        "sheet": source.sheet,
        "header_row": header_row,
        "date_order": date_order,
        "columns": [column.to_json() for column in columns],
        "status_mapping": dict(options.get("status_mapping") or {}),
    }


def _propose_date_order(columns: list[Column], data: list[list[Any]]) -> str:
    votes: Counter[str] = Counter()
    date_columns = [c.index for c in columns if c.field in ("status_date", "stage_date")]
    for cells in data:
        for index in date_columns:
            if index < len(cells):
                vote = date_order_evidence(cells[index])
                if vote:
                    votes[vote] += 1
    return "dmy" if votes["dmy"] > votes["mdy"] else "mdy"


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
    notes: list[tuple[str, str]] = []
    labelled: list[tuple[str, str]] = []
    locations: list[str] = []
    labels: list[str] = []
    dated: list[tuple[str, date]] = []
    status_date: date | None = None
    status_date_cell: tuple[str, Any] | None = None
    for column in columns:
        value = cells[column.index] if column.index < len(cells) else None
        if value is None or column.field == "ignore":
            continue
        if column.field == "extra":
            extra[column.header] = to_json(value)
            continue
        text = _text(value)
        if column.field in ("status_date", "stage_date"):
            parsed = parse_date(value, order)
            if parsed is None:
                plan.problems.append(_problem(plan, column.header, f"{text!r} is not a date; kept in extra."))
                extra[column.header] = to_json(value)
            elif column.field == "status_date":
                status_date, status_date_cell = parsed, (column.header, to_json(value))
            else:
                dated.append((column.stage or column.header, parsed))
        elif column.field in ("job_url", "company_url") and len(text) > LIMITS["url"]:
            plan.problems.append(_problem(plan, column.header, "The URL is too long for a link; kept in extra."))
            extra[column.header] = text
        elif column.field == "status":
            plan.status_word = text
        elif column.field in found:
            found[column.field] = text
        elif column.field == "location":
            locations.extend(part.strip() for part in SPLIT_LOCATIONS.split(text) if part.strip())
        elif column.field == "labels":
            labels.extend(part.strip() for part in SPLIT_LIST.split(text) if part.strip())
        elif column.field == "notes":
            notes.append((column.header, text))
        elif column.field in ("salary", "contact"):
            labelled.append((column.header, text))
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
    found["job_description"] = _html(found["job_description"]) if found["job_description"] else ""
    plan.values = {
        **found,
        "statuses": _statuses(plan, dated, status_date, options.get("status_mapping") or {}),
        "locations": list(dict.fromkeys(location[:500] for location in locations)),
        "labels": list(dict.fromkeys(_clip(label, LIMITS["label"], "A label", plan, "labels") for label in labels)),
        "notes": _notes(notes, labelled),
        "extra": extra,
    }
    return plan


def _notes(notes: list[tuple[str, str]], labelled: list[tuple[str, str]]) -> str:
    parts = [_html(text) if len(notes) == 1 else _html(f"{header}: {text}") for header, text in notes]
    parts += [_html(f"{header}: {text}") for header, text in labelled]
    return "".join(parts)


def _statuses(
    plan: RowPlan, dated: list[tuple[str, date]], status_date: date | None, status_mapping: dict[str, str]
) -> list[list[Any]]:
    """The status history, oldest first: one per dated stage column, and the current status cell.

    The current status takes the status date, else the date of the same stage, else the latest
    stage date; with none it has no date (the day of the import is used when it is written).
    """
    entries: list[tuple[str, date | None]] = list(dated)
    if plan.status_word:
        text = _clip(status_text(plan.status_word, status_mapping), STATUS_MAX_LENGTH, "The status", plan, "status")
        same = [when for stage, when in dated if stage == text]
        if status_date is not None:
            when = status_date
        elif same:
            when = same[-1]
        else:
            when = max((when for _, when in dated), default=None)
        if (text, when) not in entries:
            entries.append((text, when))
    unique = list(dict.fromkeys(entries))
    unique.sort(key=lambda item: (item[1] is None, item[1] or date.min, stage_rank(item[0])))
    return [[text, when.isoformat() if when else None] for text, when in unique]
