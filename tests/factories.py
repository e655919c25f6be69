"""Test data built directly with the models (fast), owned by one user, in the current app context."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import (
    Address,
    Application,
    ApplicationStatus,
    ApplicationStatusLink,
    Company,
    CompanyRating,
    Label,
    Link,
    PositionLocation,
)


def global_label(text: str) -> Label:
    return db.session.scalars(select(Label).where(Label.user_id.is_(None), Label.text == text)).one()


def make_company(
    user_id: uuid.UUID,
    name: str = "Acme",
    *,
    applications: int = 0,
    statuses: int = 0,
    links_per_status: int = 0,
    labels: tuple[str, ...] = (),
    **fields: Any,
) -> Company:
    """A company with HQ, home page, a rating, and `applications` applications, each with
    a job source, a job description page, a position location, labels, and `statuses` statuses
    of `links_per_status` links each. Added to the session, not committed."""
    company = Company(
        user_id=user_id,
        name=name,
        hq_location=Address(user_id=user_id, city="Springfield", country="US"),
        home_page=Link(user_id=user_id, text="Home", url=f"https://{name.lower()}.example"),
        labels=[global_label(text) for text in labels],
        ratings=[CompanyRating(user_id=user_id, value=4.5, source=Link(user_id=user_id, text="Reviews", url="r"))],
        **fields,
    )
    for a in range(applications):
        application = Application(
            user_id=user_id,
            position_title=f"Engineer {a}",
            job_source=Link(user_id=user_id, text="Board", url=f"https://jobs.example/{a}"),
            job_description_page=Link(user_id=user_id, text="JD", url=f"https://jd.example/{a}"),
            position_locations=[PositionLocation(user_id=user_id, location=Address(user_id=user_id, city=f"City {a}"))],
            labels=[global_label(text) for text in labels],
        )
        for s in range(statuses):
            status = ApplicationStatus(
                user_id=user_id,
                text=f"Step {s}",
                date=dt.date(2026, 1, 1) + dt.timedelta(days=s),
            )
            status.links = [
                ApplicationStatusLink(user_id=user_id, link=Link(user_id=user_id, text=f"Mail {k}", url="m"))
                for k in range(links_per_status)
            ]
            application.statuses.append(status)
        company.applications.append(application)
    db.session.add(company)
    return company
