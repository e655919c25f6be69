"""SQLite stores timestamps as their `isoformat()` text in UTC (`app.models.base.UTCDateTime`).

SQLAlchemy wrote `2024-05-01 12:00:00.250000`; the column now holds `2024-05-01T12:00:00.250000+00:00`,
and `2024-05-01T12:00:00+00:00` for a whole second, as `datetime.isoformat()` prints them. Every
timestamp column is rewritten in place (only values in the old form); the declared DATETIME stays.
PostgreSQL stores timestamptz: nothing changes there.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Every timestamp column at this revision (tests/test_migrations.py checks the list against the models).
TIMESTAMP_COLUMNS = {
    "user": ("date_joined", "created_at", "modified_at"),
    "address": ("created_at", "modified_at"),
    "feed_token": ("last_used_at", "revoked_at", "created_at", "modified_at"),
    "import_batch": ("committed_at", "undone_at", "created_at", "modified_at"),
    "label": ("created_at", "modified_at"),
    "link": ("created_at", "modified_at"),
    "revoked_token": ("expires_at", "created_at", "modified_at"),
    "stored_image": ("created_at", "modified_at"),
    "company": ("created_at", "modified_at"),
    "application": ("created_at", "modified_at"),
    "company_rating": ("created_at", "modified_at"),
    "application_status": ("created_at", "modified_at"),
    "import_record": ("created_at", "modified_at"),
    "position_location": ("created_at", "modified_at"),
    "application_status_link": ("created_at", "modified_at"),
}

OLD_FORM = "'????-??-?? ??:??:??*'"  # SQLAlchemy's: a space between date and time, no offset
NEW_FORM = "'????-??-??T??:??:??*+00:00'"


def _iso(column: str) -> str:
    """SQLAlchemy's text (a fraction of 6 digits, or none) as isoformat() prints it."""
    whole_second = f"CASE WHEN {column} GLOB '*.000000' THEN substr({column}, 1, 19) ELSE {column} END"
    return f"replace({whole_second}, ' ', 'T') || '+00:00'"


def _sqlalchemy(column: str) -> str:
    """isoformat() text back as SQLAlchemy writes it (always 6 digits of fraction)."""
    fraction = f"CASE WHEN length({column}) = 25 THEN '.000000' ELSE '' END"
    return f"replace(substr({column}, 1, length({column}) - 6), 'T', ' ') || {fraction}"


def _rewrite(form, pattern: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, columns in TIMESTAMP_COLUMNS.items():
        for column in columns:
            quoted = f'"{column}"'
            op.execute(f'UPDATE "{table}" SET {quoted} = {form(quoted)} WHERE {quoted} GLOB {pattern}')


def upgrade():
    _rewrite(_iso, OLD_FORM)


def downgrade():
    _rewrite(_sqlalchemy, NEW_FORM)
