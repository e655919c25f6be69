"""The four global labels (no owner) that every user can use.

Revision ID: 0002
Revises: 0001
"""

import uuid
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

GLOBAL_LABELS = ("Target", "Applied", "Interviewing", "Archived")

label = sa.table(
    "label",
    sa.column("id", sa.Uuid()),
    sa.column("user_id", sa.Uuid()),
    sa.column("text", sa.String()),
    sa.column("color", sa.String()),
    sa.column("order", sa.Integer()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("modified_at", sa.DateTime(timezone=True)),
)


def upgrade():
    now = datetime.now(timezone.utc)
    op.bulk_insert(label, [
        {"id": uuid.uuid4(), "user_id": None, "text": text, "color": "", "order": order,
         "created_at": now, "modified_at": now}
        for order, text in enumerate(GLOBAL_LABELS)
    ])


def downgrade():
    op.execute(label.delete().where(label.c.user_id.is_(None)).where(label.c.text.in_(GLOBAL_LABELS)))
