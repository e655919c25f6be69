"""Appl Tracky: the application factory."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import Config, load_config
from app.database import engine_options, with_psycopg_driver
from app.errors import register_errorhandlers
from app.extensions import csrf, db, limiter, login_manager, migrate
from app.json_provider import register_json_provider
from app.read_transactions import register_read_commits
from app.revalidation import install_revalidation
from app.transactions import register_transaction_retry


def create_app(config: type[Config] | Config | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, error handlers, CLI commands, the revalidation fast
    path (app.revalidation) and, outermost, the proxy headers."""
    app = Flask(__name__, instance_relative_config=True, static_folder=None)
    app.config.from_object(load_config(config))
    register_json_provider(app)
    register_database_url(app)
    register_extensions(app)
    register_blueprints(app)
    register_transaction_retry(app)
    register_read_commits(app)
    register_errorhandlers(app)
    register_commands(app)
    install_revalidation(app)
    register_proxy_fix(app)
    return app


def register_proxy_fix(app: Flask) -> None:
    """Trust X-Forwarded-* (client address, scheme, host, port) from exactly PROXY_HOPS proxies.

    With 0 the app is reached directly: nothing is applied, so a client cannot forge its address
    (and dodge the sign-in rate limit) or the host and scheme of the absolute URLs.
    """
    hops = app.config["PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )


def register_database_url(app: Flask) -> None:
    """Without DATABASE_URL, use a SQLite file in the instance folder: nothing to install to run. A
    PostgreSQL URL without a driver (`postgresql://`, `postgres://`) is served by psycopg 3. The engine's
    options then suit its database (`app.database.engine_options`)."""
    url = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not url:
        import os

        os.makedirs(app.instance_path, exist_ok=True)
        url = "sqlite:///" + os.path.join(app.instance_path, "appl_tracky.db")
    app.config["SQLALCHEMY_DATABASE_URI"] = url = with_psycopg_driver(url)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(url, app.config["SQLALCHEMY_ENGINE_OPTIONS"])


def register_extensions(app: Flask) -> None:
    from app import storage
    from app.auth.loader import init_login
    from app.cors import init_cors
    from app.database import enable_sqlite_foreign_keys, render_migration_item
    from app.models.data_version import track_data_versions
    from app.pages.session import init_page_sessions

    db.init_app(app)
    with app.app_context():
        enable_sqlite_foreign_keys(db.engine)
    migrate.init_app(
        app,
        db,
        directory=str(app.config.get("MIGRATIONS_DIR") or _migrations_dir()),
        render_as_batch=True,
        compare_type=True,
        render_item=render_migration_item,
    )
    login_manager.init_app(app)
    init_login(login_manager)
    init_page_sessions(login_manager)
    csrf.init_app(app)
    init_cors(app)
    limiter.init_app(app)
    storage.init_app(app)
    track_data_versions(db.session)


def _migrations_dir() -> str:
    import os

    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


def register_blueprints(app: Flask) -> None:
    from app.auth.routes import blueprint as auth_blueprint
    from app.graphql import create_blueprint as graphql_blueprint
    from app.health import blueprint as health_blueprint
    from app.images.routes import blueprint as images_blueprint
    from app.openapi import blueprint as openapi_blueprint
    from app.pages import blueprint as pages_blueprint
    from app.resources import register_resources
    from app.resources.exports.routes import blueprint as exports_blueprint
    from app.resources.imports.routes import blueprint as imports_blueprint

    app.register_blueprint(auth_blueprint)
    app.register_blueprint(exports_blueprint)
    app.register_blueprint(health_blueprint)
    app.register_blueprint(graphql_blueprint())
    app.register_blueprint(images_blueprint)
    app.register_blueprint(imports_blueprint)
    register_resources(app)
    app.register_blueprint(openapi_blueprint)
    app.register_blueprint(pages_blueprint)


def register_commands(app: Flask) -> None:
    from app.cli import register_cli

    register_cli(app)
