"""Columns laid out like the user's own spreadsheet: the mapping a spreadsheet import saved.

`ImportBatch.options["columns"]` (shape documented in app/imports/options.py) lists the original
columns in order and the field each fed. The export gives each original column back from that
field, so a file exported after an import lines up with the original; whatever the original had no
column for (the status history, `extra` fields of other imports, ...) follows, so nothing is left
out. A mapped cell that is empty falls back to the `extra` field of the same header, where an import
keeps a value it could not use (a date that was not a date, a URL too long for a link). A column the
import did not use at all ("ignore": another tool's ids) comes back from the stored source row.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.exports.cells import WrittenDate
from app.exports.rows import (
    COLUMNS,
    FIXED,
    Getter,
    Layout,
    current_status,
    extra_field,
    link_text,
    link_url,
    shown_date,
)
from app.exports.rows import address_text as _address_text
from app.extensions import db
from app.html_text import html_to_text
from app.imports.date_formats import format_date
from app.imports.links import site_name
from app.models import Application, Company, ImportBatch
from app.models.import_batch import ImportRecord

# Which fixed column a mapped field stands for (the fixed column is then not repeated at the end).
COVERS = {
    "company": "Company",
    "position_title": "Position",
    "status": "Status",
    "status_date": "Status date",
    "job_url": "Job URL",
    "job_source": "Job source",
    "location": "Locations",
    "labels": "Labels",
    "notes": "Notes",
}


def _labelled_lines(application: Application) -> list[str]:
    return html_to_text(application.notes).splitlines()


def _note_getter(header: str, field: str, labelled_headers: frozenset[str]) -> Getter:
    """Notes, salary and contact columns: an import wrote them into the notes as `Header: text`
    lines when there were several; a lone notes column holds the other lines."""
    prefix = f"{header}: "

    def get(application: Application) -> str:
        lines = _labelled_lines(application)
        own = [line.removeprefix(prefix) for line in lines if line.startswith(prefix)]
        if own or field != "notes":
            return "\n".join(own)
        return "\n".join(line for line in lines if not line.startswith(tuple(f"{h}: " for h in labelled_headers)))

    return get


def _stage_getter(stage: str) -> Getter:
    folded = stage.casefold()

    def get(application: Application) -> Any:
        dates = [
            shown_date(s)
            for s in application.statuses
            if (s.text.strip().casefold() == folded or (s.stage or "").casefold() == folded) and shown_date(s)
        ]
        return min(dates) if dates else None

    return get


def _nth_location(position: int, last: bool) -> Getter:
    def get(application: Application) -> str:
        places = [text for text in (_address_text(pl.location) for pl in application.position_locations) if text]
        return "; ".join(places[position:]) if last else (places[position] if position < len(places) else "")

    return get


SIMPLE: dict[str, Getter] = {
    "company": lambda a: a.user_company.name,
    "position_title": lambda a: a.position_title,
    "status": lambda a: current_status(a).text if a.statuses else "",
    "status_date": lambda a: shown_date(current_status(a)),
    "job_url": lambda a: link_url(a.job_description_page),
    "job_source": lambda a: _source_text(a),
    "company_url": lambda a: link_url(a.user_company.home_page),
    "job_description": lambda a: html_to_text(a.job_description_notes),
    "ignore": lambda a: "",
}


def _source_text(application: Application) -> str:
    """The job source as the file gave it: a URL given as the source comes back as the URL, not as the site
    name the import made its text."""
    text, url = link_text(application.job_source), link_url(application.job_source)
    return url if url and (not text or text == site_name(url)) else text


def _written(getter: Getter, spec: str) -> Getter:
    """Dates written the way the file's column wrote them (`date_formats.format_date`)."""

    def get(application: Application) -> Any:
        value = getter(application)
        return WrittenDate(value, format_date(value, spec)) if isinstance(value, date) else value

    return get


def _with_fallback(getter: Getter, header: str, kept_first: bool = False) -> Getter:
    """`getter`, else what the import kept in `extra` under the same header; `kept_first`: the kept value
    first (a date cell the import could not read is its own content, the status date is another's)."""
    kept = extra_field(header)

    def get(application: Application) -> Any:
        if kept_first:
            value = kept(application)
            return value if value not in (None, "") else getter(application)
        value = getter(application)
        return value if value not in (None, "") else kept(application)

    return get


def _source_rows(batch: ImportBatch) -> Callable[[Application], list[Any]]:
    """The stored source row of an application in `batch` (all of them read once, on the first row asked)."""
    raws: dict[Any, list[Any]] = {}

    def cells_of(application: Application) -> list[Any]:
        if not raws:
            query = select(ImportRecord.application_id, ImportRecord.raw).where(
                ImportRecord.batch_id == batch.id,
                ImportRecord.user_id == batch.user_id,
                ImportRecord.application_id.is_not(None),
            )
            raws.update(db.session.execute(query.order_by(ImportRecord.row_number)).tuples().all())
            raws.setdefault(None, [])  # read, even if the batch wrote no row
        cells = raws.get(application.id)
        return cells if isinstance(cells, list) else []

    return cells_of


def _source_cell(cells_of: Callable[[Application], list[Any]], index: int) -> Getter:
    """A column the import did not use (Trello's card id): the cell as the file held it."""

    def get(application: Application) -> Any:
        cells = cells_of(application)
        cell = cells[index] if index < len(cells) else None
        return cell.get("text") if isinstance(cell, dict) else cell

    return get


def import_layout(batch: ImportBatch, extra_keys: tuple[str, ...]) -> Layout:
    """The layout of `batch`'s original spreadsheet, then everything else the export holds."""
    specs = sorted(batch.options.get("columns") or [], key=lambda column: column.get("index", 0))
    labelled = frozenset(c["header"] for c in specs if c.get("field") in ("salary", "contact", "notes"))
    locations = [c for c in specs if c.get("field") == "location"]
    date_formats = batch.options.get("date_formats") or {}
    cells_of = _source_rows(batch)
    columns: list[tuple[str, Getter]] = []
    fields_seen: set[str] = set()
    labels_given = False
    for spec in specs:
        header, field = str(spec.get("header") or spec.get("letter") or ""), spec.get("field")
        getter: Callable[[Application], Any]
        if field == "extra":
            getter = extra_field(header)
        elif field == "stage_date":
            getter = _stage_getter(str(spec.get("stage") or header))
        elif field in ("notes", "salary", "contact"):
            getter = _note_getter(header, field, labelled)
        elif field == "location":
            position = locations.index(spec)
            getter = _nth_location(position, last=position == len(locations) - 1)
        elif field == "ignore":
            getter = _source_cell(cells_of, int(spec.get("index", 0)))
        elif field == "labels":
            shown, labels_given = labels_given, True  # every label in the first labels column
            getter = (lambda a: "") if shown else (lambda a: "; ".join(label.text for label in a.labels))
        else:
            getter = SIMPLE.get(field, SIMPLE["ignore"])
        fields_seen.add(field)
        if field in ("status_date", "stage_date") and header in date_formats:
            getter = _written(getter, date_formats[header])
        if field != "extra":
            getter = _with_fallback(getter, header, kept_first=field in ("status_date", "stage_date"))
        columns.append((header, getter))
    headers = {header for header, _ in columns}
    covered = {COVERS[field] for field in fields_seen if field in COVERS}
    for header, getter in FIXED:
        if header not in covered:
            columns.append((f"{header} (Appl Tracky)" if header in headers else header, getter))
    for key in extra_keys:
        if key not in headers:
            columns.append((f"{key} (extra)" if key in COLUMNS else key, extra_field(key)))
    loads = (selectinload(Application.user_company).selectinload(Company.home_page),)
    return Layout(tuple(columns), loads)
