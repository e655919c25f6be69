"""`flask seed-labels`: the global labels every user can use."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.extensions import db
from app.models import GLOBAL_LABELS, Label


def seed_global_labels() -> list[str]:
    """Create the global labels that are missing (idempotent); the texts created."""
    existing = set(db.session.scalars(select(Label.text).where(Label.user_id.is_(None))))
    created = []
    for order, text in enumerate(GLOBAL_LABELS):
        if text not in existing:
            db.session.add(Label(text=text, user_id=None, order=order, color=""))
            created.append(text)
    return created


@click.command("seed-labels")
@with_appcontext
def seed_labels_command() -> None:
    """Create the global labels (Target, Applied, Interviewing, Archived) if absent."""
    created = seed_global_labels()
    db.session.commit()
    click.echo(f"Created global labels: {', '.join(created)}." if created else "Global labels already exist.")
