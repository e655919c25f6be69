"""`flask prune-tokens`: forget revoked refresh tokens that have expired anyway (log-out prunes too)."""

import click
from flask.cli import with_appcontext

from app.auth.revocation import prune_expired
from app.extensions import db


@click.command("prune-tokens")
@with_appcontext
def prune_tokens_command() -> None:
    """Delete denylist entries of refresh tokens past their expiry."""
    count = prune_expired()
    db.session.commit()
    click.echo(f"Pruned {count} expired revoked token{'' if count == 1 else 's'}.")
