"""Writing the plans of a batch: bulk inserts for new rows, the ORM for the few updated ones.

Rows are written in chunks (ids generated here, so no insert waits for another's key), all inside
the caller's one transaction: a failure anywhere leaves nothing behind. Nothing here commits.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select

from app.bulk_insert import insert_rows
from app.extensions import db
from app.imports.existing import Earlier, ExistingIndex
from app.imports.links import COMPANY_URL_TEXT, job_link, source_link
from app.imports.matching import company_key
from app.imports.planning import RowPlan
from app.imports.snapshot import SNAPSHOT_LOADS, apply_update, snapshot, status_entry
from app.imports.stored import record_values_errors
from app.models import (
    Address,
    Application,
    ApplicationStatus,
    Company,
    Label,
    Link,
    PositionLocation,
    User,
    application_labels,
)
from app.models.base import utcnow
from app.models.import_batch import ImportBatch, ImportRecord
from app.permissions import owner_clause, resolve_references, visible

CHUNK = 1000
ADDRESS_BLANKS = {"place_name": "", "country": "", "state": "", "city": "", "street": "", "zipcode": ""}


def added_at(statuses: list[list[Any]], now: datetime) -> datetime:
    """When an imported application was added: the earliest date its row holds (midnight UTC), else now."""
    days = [date.fromisoformat(entry[1]) for entry in statuses if entry[1]]
    if not days:
        return now
    return min(now, datetime.combine(min(days), time.min, tzinfo=UTC))


class BulkWriter:
    """Writes one batch's plans; `add` each plan, then `finish`."""

    def __init__(self, batch: ImportBatch, user: User, index: ExistingIndex) -> None:
        self.batch, self.user, self.index = batch, user, index
        self.now: datetime = utcnow()
        self.today: date = self.now.date()
        self.counts = {"rows": 0, "create": 0, "update": 0, "unchanged": 0, "skip": 0}
        self.created_labels: list[str] = []
        self._reset()

    def _reset(self) -> None:
        self.rows: dict[type | Any, list[dict[str, Any]]] = {
            model: []
            for model in (
                Label,
                Link,
                Company,
                Address,
                Application,
                PositionLocation,
                ApplicationStatus,
                application_labels,
            )
        }
        self.records: list[dict[str, Any]] = []
        self.updates: list[tuple[RowPlan, dict[str, Any], Earlier]] = []

    def _owned(self, **values: Any) -> dict[str, Any]:
        return {"id": uuid.uuid4(), "user_id": self.user.id, "created_at": self.now, "modified_at": self.now, **values}

    # -- plans -----------------------------------------------------------------------------------

    def add(self, plan: RowPlan) -> None:
        action, earlier = self.index.action(plan)
        self.counts["rows"] += 1
        self.counts[action] += 1
        record = self._owned(
            batch_id=self.batch.id,
            row_number=plan.row_number,
            raw=plan.raw,
            match_key=plan.match_key,
            content_hash=plan.content_hash,
            action=action,
            application_id=None,
            company_id=None,
            created_company=False,
            values=plan.values,
            previous=None,
        )
        if action == "create":
            self._create(plan.values, record)
        elif action == "update":
            self.updates.append((plan, record, earlier))
        elif action == "unchanged":
            record["application_id"] = earlier.application_id
        self.records.append(record)
        if len(self.records) >= CHUNK:
            self.flush()

    def finish(self) -> dict[str, int]:
        self.flush()
        self.batch.created_labels = self.created_labels
        return self.counts

    def company_id(self, name: str, url: str, record: dict[str, Any]) -> uuid.UUID:
        """The user's company of that name (ignoring case and spacing), created when there is none."""
        key = company_key(name)
        found = self.index.companies.get(key)
        if found is not None:
            record["company_id"] = found
            return found
        home_page_id = None
        if url:
            home_page_id = self._link(COMPANY_URL_TEXT, url)
        row = self._owned(name=name, notes="", hq_location_id=None, home_page_id=home_page_id)
        self.rows[Company].append(row)
        self.index.companies[key] = row["id"]
        record["company_id"], record["created_company"] = row["id"], True
        return row["id"]

    def label_id(self, text: str) -> uuid.UUID:
        """A label the user may use with that text (any case), or a new label of the user's own."""
        found = self.index.labels.get(text.casefold())
        if found is not None:
            return found
        row = self._owned(text=text, color="", order=0)
        self.rows[Label].append(row)
        self.index.labels[text.casefold()] = row["id"]
        self.created_labels.append(str(row["id"]))
        return row["id"]

    def _link(self, text: str, url: str) -> uuid.UUID:
        row = self._owned(text=text, url=url, order=0)
        self.rows[Link].append(row)
        return row["id"]

    def _create(self, values: dict[str, Any], record: dict[str, Any]) -> None:
        company_id = self.company_id(values["company"], values["company_url"], record)
        page_id = self._link(*job_link(values)) if values["job_url"] else None
        source_id = self._link(*source_link(values)) if values["job_source"] else None
        application = self._owned(
            # Added when the row says it was: its earliest date (an import day only for a row without dates).
            created_at=added_at(values["statuses"], self.now),
            user_company_id=company_id,
            position_title=values["position_title"],
            job_description_page_id=page_id,
            job_source_id=source_id,
            notes=values["notes"],
            job_description_notes=values["job_description"],
            extra=values["extra"] or None,
        )
        self.rows[Application].append(application)
        record["application_id"] = application["id"]
        for order, entry in enumerate(values["statuses"]):
            text, when, stage, basis = status_entry(entry)
            self.rows[ApplicationStatus].append(
                self._owned(
                    application_id=application["id"],
                    text=text,
                    order=order,
                    date=date.fromisoformat(when) if when else self.today,
                    stage=stage,
                    date_basis=basis,
                )
            )
        for location in values["locations"]:
            address = self._owned(full_address=location, **ADDRESS_BLANKS)
            self.rows[Address].append(address)
            self.rows[PositionLocation].append(self._owned(application_id=application["id"], location_id=address["id"]))
        for text in values["labels"]:
            self.rows[application_labels].append({"application_id": application["id"], "label_id": self.label_id(text)})

    # -- writing ---------------------------------------------------------------------------------

    def flush(self) -> None:
        """Insert the pending rows, parents before children, then apply the pending updates."""
        self._insert_rows()
        if self.updates:
            self._apply_updates()
        insert_rows(ImportRecord.__table__, self.records)
        self._reset()

    def _insert_rows(self) -> None:
        for model, rows in self.rows.items():
            if rows:
                # Core inserts (COPY on PostgreSQL): the ORM's bulk path costs more per row than the database does.
                insert_rows(model if model is application_labels else model.__table__, rows)
                self.rows[model] = []

    def _apply_updates(self) -> None:
        pending, self.updates = self.updates, []
        applications = {
            application.id: application
            for application in db.session.scalars(
                visible(Application, self.user)
                .where(Application.id.in_([e.application_id for _, _, e in pending]))
                .options(*SNAPSHOT_LOADS)
            )
        }
        earlier_values = dict(
            db.session.execute(
                select(ImportRecord.id, ImportRecord.values).where(
                    owner_clause(ImportRecord, self.user),
                    ImportRecord.id.in_([earlier.record_id for _, _, earlier in pending]),
                )
            ).all()
        )
        changes = []
        for plan, record, earlier in pending:
            old = earlier_values.get(earlier.record_id) or {}
            if record_values_errors(old):  # unusable (a forged restore): merge as if nothing was known
                old = {}
            new = plan.values
            # Companies and labels the updates point at are created (in bulk) before the ORM needs them.
            company_id = None
            if company_key(old.get("company", "")) != company_key(new["company"]):
                company_id = self.company_id(new["company"], new["company_url"], record)
            label_ids = [self.label_id(text) for text in new["labels"] if text not in old.get("labels", [])]
            changes.append((applications[earlier.application_id], record, old, new, company_id, label_ids))
        self._insert_rows()
        for application, record, old, new, company_id, label_ids in changes:
            record["application_id"] = application.id
            record["previous"] = snapshot(application)
            labels = resolve_references(Label, label_ids, self.user)
            apply_update(application, old, new, company_id, labels, self.today)
        db.session.flush()
