"""One row per application: the columns of the CSV, XLSX and feed exports, built from the models.

Rows hold Python values (text, dates, numbers, None); each format writer turns them into cells and
neutralises formulas. Applications are read in keyset chunks with everything a row shows eager-loaded,
so an export costs the same few statements per chunk whatever its size.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import defer, selectinload

from app.exports.chunks import keyset_chunks
from app.exports.filters import Criteria
from app.extensions import db
from app.html_text import html_to_text
from app.models import Address, Application, ApplicationStatus, Link, PositionLocation, User
from app.permissions import owner_clause, visible

# What a row shows, loaded with one SELECT per relationship per chunk.
ROW_LOADS = (
    selectinload(Application.user_company),
    selectinload(Application.job_description_page),
    selectinload(Application.job_source),
    selectinload(Application.position_locations).selectinload(PositionLocation.location),
    selectinload(Application.labels),
    selectinload(Application.statuses),
)


def address_text(address: Address | None) -> str:
    """An address on one line: the full address if given, else its parts."""
    if address is None:
        return ""
    if address.full_address:
        return address.full_address
    parts = [address.place_name, address.street, address.city, address.state, address.zipcode, address.country]
    return ", ".join(part for part in parts if part)


def link_url(link: Link | None) -> str:
    return link.url if link is not None else ""


def link_text(link: Link | None) -> str:
    return link.text if link is not None else ""


def locations_text(application: Application) -> str:
    return "; ".join(filter(None, (address_text(pl.location) for pl in application.position_locations)))


def shown_date(status: ApplicationStatus | None) -> dt.date | None:
    """A status's date as an export shows it: none for an undated one (an import found no date for it and
    stored the day of the import, which the file never said)."""
    return status.date if status is not None and status.date_basis != "undated" else None


def date_applied(statuses: list[ApplicationStatus]) -> dt.date | None:
    """The date of the earliest status of the Applied stage, or whose text starts with "applied" (any case)."""
    dates = [
        status.date
        for status in statuses
        if (status.stage == "Applied" or status.text.strip().casefold().startswith("applied")) and shown_date(status)
    ]
    return min(dates) if dates else None


def status_history(statuses: list[ApplicationStatus]) -> str:
    """Every status, oldest first, one per line: `YYYY-MM-DD Text` (`undated Text` for an undated one)."""
    return "\n".join(
        f"{shown_date(status).isoformat() if shown_date(status) else 'undated'} {status.text}"
        for status in reversed(statuses)
    )


def extra_value(value: Any) -> Any:
    """An `extra` field as a cell: text and numbers as they are, anything structured as JSON."""
    if value is None or (isinstance(value, str | int | float) and not isinstance(value, bool)):
        return value
    return json.dumps(value, ensure_ascii=False)


Getter = Callable[[Application], Any]


def current_status(application: Application) -> ApplicationStatus | None:
    """The newest status (the relationship is ordered newest first)."""
    return application.statuses[0] if application.statuses else None


def extra_field(key: str) -> Getter:
    """A getter of one `extra` field."""

    def get(application: Application) -> Any:
        extra = application.extra if isinstance(application.extra, dict) else {}
        return extra_value(extra.get(key))

    return get


# The fixed columns, in order; the `extra` fields an import kept follow them.
FIXED: tuple[tuple[str, Getter], ...] = (
    ("Company", lambda a: a.user_company.name),
    ("Position", lambda a: a.position_title),
    ("Status", lambda a: current_status(a).text if a.statuses else ""),
    # The stage the user's own status word maps to (Applied, Screening, ...), for sorting and filtering.
    ("Stage", lambda a: (current_status(a).stage or "") if a.statuses else ""),
    ("Status date", lambda a: shown_date(current_status(a))),
    ("Date applied", lambda a: date_applied(a.statuses)),
    ("Status history", lambda a: status_history(a.statuses)),
    ("Job URL", lambda a: link_url(a.job_description_page)),
    ("Job source", lambda a: link_text(a.job_source)),
    ("Job source URL", lambda a: link_url(a.job_source)),
    ("Locations", locations_text),
    ("Labels", lambda a: "; ".join(label.text for label in a.labels)),
    ("Notes", lambda a: html_to_text(a.notes)),
)
COLUMNS = tuple(header for header, _ in FIXED)


@dataclass(frozen=True)
class Layout:
    """The export's columns: a header and a getter each, plus what the getters need loaded."""

    columns: tuple[tuple[str, Getter], ...]
    loads: tuple[Any, ...] = ()

    @property
    def header(self) -> list[str]:
        return [header for header, _ in self.columns]

    def row(self, application: Application) -> list[Any]:
        return [get(application) for _, get in self.columns]


def default_layout(extra_keys: tuple[str, ...]) -> Layout:
    """The fixed columns, then one per `extra` key (told apart if named like a fixed column)."""
    extras = tuple((f"{key} (extra)" if key in COLUMNS else key, extra_field(key)) for key in extra_keys)
    # The job description is not in these columns, and may be long: it is not even read.
    return Layout(FIXED + extras, (defer(Application.job_description_notes),))


def applications_query(user: User, criteria: Criteria) -> Any:
    """The user's applications that the export holds (owner-scoped, filtered)."""
    return criteria.apply(visible(Application, user))


def extra_keys(user: User, criteria: Criteria) -> tuple[str, ...]:
    """Every key of `extra` among the exported applications, in order of first appearance."""
    query = criteria.apply(select(Application.extra).where(owner_clause(Application, user)))
    query = query.order_by(Application.created_at, Application.id).execution_options(yield_per=1000)
    keys: dict[str, None] = {}
    for extra in db.session.scalars(query):
        if isinstance(extra, dict):
            keys.update(dict.fromkeys(str(key) for key in extra))
    return tuple(keys)


def application_rows(user: User, criteria: Criteria, layout: Layout) -> Iterator[list[list[Any]]]:
    """The rows of the export, a chunk (EXPORT_CHUNK_SIZE applications) at a time."""
    query = applications_query(user, criteria).options(*ROW_LOADS, *layout.loads)
    chunk_size = current_app.config["EXPORT_CHUNK_SIZE"]
    for chunk in keyset_chunks(query, (Application.created_at, Application.id), chunk_size):
        rows = [layout.row(application) for application in chunk]
        del chunk  # one chunk of ORM objects in memory at a time, not two
        yield rows
