"""SQLite stores uuids as their dashed text (`app.models.base.DashedUuid`), not as 32 hex digits.

Every uuid column is rewritten in place; the declared CHAR(32) stays, as SQLite enforces no length.
Foreign keys are checked at the commit (`defer_foreign_keys`), once parents and children agree again.
PostgreSQL stores native uuids: nothing changes there.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Callable

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Every uuid column at this revision (tests/test_migrations.py checks the list against the models).
UUID_COLUMNS = {
    "user": ("id",),
    "address": ("user_id", "id"),
    "feed_token": ("user_id", "id"),
    "import_batch": ("user_id", "id"),
    "label": ("user_id", "id"),
    "link": ("user_id", "id"),
    "revoked_token": ("user_id", "id"),
    "stored_image": ("user_id", "id"),
    "company": ("hq_location_id", "home_page_id", "user_id", "id"),
    "application": ("user_company_id", "job_description_page_id", "job_source_id", "user_id", "id"),
    "company_labels": ("company_id", "label_id"),
    "company_rating": ("company_id", "source_id", "user_id", "id"),
    "application_labels": ("application_id", "label_id"),
    "application_status": ("application_id", "user_id", "id"),
    "import_record": ("batch_id", "application_id", "company_id", "user_id", "id"),
    "position_location": ("application_id", "location_id", "user_id", "id"),
    "application_status_link": ("application_status_id", "link_id", "user_id", "id"),
}


def _dashed(column: str) -> str:
    groups = [f"substr({column}, {start}, {length})" for start, length in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))]
    joined = " || '-' || ".join(groups)
    return f"lower({joined})"


def _rewrite(form: Callable[[str], str], length: int) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("PRAGMA defer_foreign_keys = ON")  # until the commit that ends this migration
    for table, columns in UUID_COLUMNS.items():
        for column in columns:
            quoted = f'"{column}"'
            op.execute(f'UPDATE "{table}" SET {quoted} = {form(quoted)} WHERE length({quoted}) = {length}')


def upgrade():
    _rewrite(_dashed, 32)


def downgrade():
    _rewrite(lambda column: f"replace({column}, '-', '')", 36)
