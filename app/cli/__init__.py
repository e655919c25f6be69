"""Admin commands for the `flask` CLI."""

from flask import Flask

from app.cli.backup import backup_db_command, restore_db_command
from app.cli.labels import seed_labels_command
from app.cli.tokens import prune_tokens_command
from app.cli.users import initialize_superuser_command, users_group
from app.imports.cli import import_spreadsheet_command


def register_cli(app: Flask) -> None:
    """Add every admin command to `flask`."""
    app.cli.add_command(users_group)
    app.cli.add_command(initialize_superuser_command)
    app.cli.add_command(seed_labels_command)
    app.cli.add_command(backup_db_command)
    app.cli.add_command(restore_db_command)
    app.cli.add_command(prune_tokens_command)
    app.cli.add_command(import_spreadsheet_command)
