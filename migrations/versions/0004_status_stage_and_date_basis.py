"""A status keeps the stage its text maps to, and where its date comes from (given, estimated, undated).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("application_status", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stage", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("date_basis", sa.String(length=10), server_default="given", nullable=False))


def downgrade():
    with op.batch_alter_table("application_status", schema=None) as batch_op:
        batch_op.drop_column("date_basis")
        batch_op.drop_column("stage")
