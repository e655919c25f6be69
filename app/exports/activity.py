"""The activity log ("proof of job search"): every application added and every status change
between two dates, oldest first, with company, position, how and where the user applied.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy.orm import selectinload

from app.exports.chunks import keyset_chunks
from app.exports.filters import DateRange
from app.exports.rows import link_text, link_url, locations_text
from app.models import Application, ApplicationStatus, ApplicationStatusLink, Link, PositionLocation, User
from app.permissions import visible

COLUMNS = ("Date", "Activity", "Company", "Position", "How applied", "Job URL", "Locations", "Links", "Date note")
ADDED = "Application added"
# A date nobody gave is never shown as if it were: the last column says so.
DATE_NOTES = {"given": "", "estimated": "estimated", "undated": "undated (the day it was imported)"}


def _application_loads(path: Any = None) -> list[Any]:
    """What a row shows of an application, eager-loaded (below `path`, a loader of the application)."""
    load = path.selectinload if path is not None else selectinload
    return [
        load(Application.user_company),
        load(Application.job_source),
        load(Application.job_description_page),
        load(Application.position_locations).selectinload(PositionLocation.location),
    ]


def how_applied(source: Link | None) -> str:
    """The job source as `text (url)`, or whichever of the two is given."""
    text, url = link_text(source), link_url(source)
    return f"{text} ({url})" if text and url else text or url


@dataclass(frozen=True)
class Event:
    date: dt.date
    rank: int  # on one day, an application is added before its statuses change
    activity: str
    application: Application
    links: tuple[ApplicationStatusLink, ...] = ()
    date_basis: str = "given"

    def row(self) -> list[Any]:
        application = self.application
        return [
            self.date,
            self.activity,
            application.user_company.name,
            application.position_title,
            how_applied(application.job_source),
            link_url(application.job_description_page),
            locations_text(application),
            " ".join(filter(None, (link_url(item.link) for item in self.links))),
            DATE_NOTES.get(self.date_basis, ""),
        ]


def _added_events(user: User, dates: DateRange, chunk_size: int) -> Iterator[Event]:
    query = visible(Application, user).where(*dates.contains_datetime(Application.created_at))
    query = query.options(*_application_loads())
    for chunk in keyset_chunks(query, (Application.created_at, Application.id), chunk_size):
        for application in chunk:
            yield Event(application.created_at.date(), 0, ADDED, application)


def _status_events(user: User, dates: DateRange, chunk_size: int) -> Iterator[Event]:
    query = visible(ApplicationStatus, user).where(*dates.contains_date(ApplicationStatus.date))
    query = query.options(
        selectinload(ApplicationStatus.links).selectinload(ApplicationStatusLink.link),
        *_application_loads(selectinload(ApplicationStatus.application)),
    )
    for chunk in keyset_chunks(query, (ApplicationStatus.date, ApplicationStatus.id), chunk_size):
        for status in chunk:
            yield Event(status.date, 1, status.text, status.application, tuple(status.links), status.date_basis)


def activity_rows(user: User, dates: DateRange) -> Iterator[list[list[Any]]]:
    """The log's rows, oldest first, in chunks."""
    chunk_size = current_app.config["EXPORT_CHUNK_SIZE"]
    events = heapq.merge(
        _added_events(user, dates, chunk_size),
        _status_events(user, dates, chunk_size),
        key=lambda event: (event.date, event.rank),
    )
    chunk: list[list[Any]] = []
    for event in events:
        chunk.append(event.row())
        if len(chunk) >= chunk_size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
