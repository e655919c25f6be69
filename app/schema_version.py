"""Which Alembic revision the code expects, and which one the database is at.

Shared by the health check (is the schema current?) and the backups (which schema a dump belongs to).
"""

from __future__ import annotations

from functools import lru_cache

from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy.engine import Connection


def migrations_directory(app: Flask) -> str:
    """The migrations folder Flask-Migrate was set up with."""
    return app.extensions["migrate"].directory


@lru_cache(maxsize=8)
def head_revisions(directory: str) -> frozenset[str]:
    """The head revision(s) of the migration scripts; read from disk once per process and folder."""
    config = AlembicConfig()
    config.set_main_option("script_location", directory)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def database_revisions(connection: Connection) -> frozenset[str]:
    """The revision(s) stamped in the database's `alembic_version` table; empty when unstamped."""
    return frozenset(MigrationContext.configure(connection).get_current_heads())
