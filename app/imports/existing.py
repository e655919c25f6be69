"""What the user already has that an import matches against: earlier imported rows, companies, labels.

Everything is read through the owner clauses of `app.permissions`, so an import only ever sees,
matches and attaches the importing user's own rows (and the global labels).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.imports.matching import company_key
from app.imports.planning import RowPlan
from app.models import Application, Company, Label, User
from app.models.import_batch import ImportBatch, ImportRecord
from app.permissions import owner_clause


@dataclass
class Earlier:
    """The latest committed record of a job: the application it made and what it wrote."""

    record_id: uuid.UUID
    application_id: uuid.UUID
    content_hash: str


class ExistingIndex:
    """Lookups built once per preview or commit: a few queries, then dictionaries."""

    def __init__(self, user: User) -> None:
        self.user = user
        query = (
            select(ImportRecord.id, ImportRecord.match_key, ImportRecord.application_id, ImportRecord.content_hash)
            .join(ImportBatch, ImportRecord.batch_id == ImportBatch.id)
            .join(Application, ImportRecord.application_id == Application.id)
            .where(owner_clause(ImportRecord, user), owner_clause(ImportBatch, user), owner_clause(Application, user))
            .where(ImportBatch.state == "committed", ImportRecord.application_id.is_not(None))
            .where(ImportRecord.action != "skip")
            .order_by(ImportBatch.committed_at, ImportRecord.row_number)
        )
        self.earlier: dict[str, Earlier] = {
            key: Earlier(record_id, application_id, digest)
            for record_id, key, application_id, digest in db.session.execute(query)
        }
        self.companies: dict[str, uuid.UUID] = {}
        companies = select(Company.id, Company.name).where(owner_clause(Company, user)).order_by(Company.created_at)
        for company_id, name in db.session.execute(companies):
            self.companies.setdefault(company_key(name), company_id)
        self.labels: dict[str, uuid.UUID] = {}
        # The user's own label wins over a global one of the same text (as in permissions.resolve_label).
        labels = (
            select(Label.id, Label.text)
            .where(owner_clause(Label, user))
            .order_by(Label.user_id.is_(None), Label.order, Label.created_at)
        )
        for label_id, text in db.session.execute(labels):
            self.labels.setdefault(text.casefold(), label_id)

    def action(self, plan: RowPlan) -> tuple[str, Earlier | None]:
        """create, update, unchanged or skip, and the earlier record matched."""
        if plan.skipped:
            return "skip", None
        earlier = self.earlier.get(plan.match_key)
        if earlier is None:
            return "create", None
        return ("unchanged" if earlier.content_hash == plan.content_hash else "update"), earlier
