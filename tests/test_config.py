"""Settings come from the environment and are validated at start."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app import create_app
from app.config import ConfigError, DevelopmentConfig, ProductionConfig, load_config
from app.database import engine_options
from app.extensions import db


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/appl")
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app()


def test_production_refuses_a_short_secret_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "too-short")
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/appl")
    with pytest.raises(ConfigError, match="at least 32"):
        load_config(ProductionConfig)


def test_production_requires_a_database_url(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_config(ProductionConfig)


def test_production_starts_with_real_settings(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    config = load_config(ProductionConfig)
    assert config.SECRET_KEY == "x" * 40 and not config.DEBUG


def test_unknown_app_env_is_refused(monkeypatch):
    monkeypatch.setenv("APP_ENV", "staging")
    with pytest.raises(ConfigError, match="APP_ENV"):
        load_config()


def test_development_defaults_to_sqlite_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app(DevelopmentConfig)
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/appl_tracky.db")


@pytest.mark.parametrize(
    ("given", "served"),
    [
        (
            "postgresql://u:p%40ss@db:5432/appl?sslmode=require",
            "postgresql+psycopg://u:p%40ss@db:5432/appl?sslmode=require",
        ),
        ("postgres://u@db/appl", "postgresql+psycopg://u@db/appl"),
        ("postgresql+psycopg://u@db/appl", "postgresql+psycopg://u@db/appl"),
        ("sqlite://", "sqlite://"),
    ],
)
def test_a_postgresql_url_without_a_driver_is_served_by_psycopg_3(monkeypatch, given, served):
    monkeypatch.setenv("DATABASE_URL", given)
    app = create_app(DevelopmentConfig)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == served
    with app.app_context():
        assert db.engine.url.render_as_string(hide_password=False) == served


def test_settings_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("JWT_ACCESS_TOKEN_SECONDS", "60")
    monkeypatch.setenv("RATELIMIT_ENABLED", "false")
    config = load_config(DevelopmentConfig)
    assert config.CORS_ORIGINS == ["https://a.example", "https://b.example"]
    assert config.JWT_ACCESS_TOKEN_LIFETIME.total_seconds() == 60
    assert config.RATELIMIT_ENABLED is False


def test_malformed_numbers_and_flags_are_refused(monkeypatch):
    monkeypatch.setenv("JWT_ACCESS_TOKEN_SECONDS", "a week")
    with pytest.raises(ConfigError, match="JWT_ACCESS_TOKEN_SECONDS"):
        load_config(DevelopmentConfig)
    monkeypatch.delenv("JWT_ACCESS_TOKEN_SECONDS")
    monkeypatch.setenv("RATELIMIT_ENABLED", "maybe")
    with pytest.raises(ConfigError, match="RATELIMIT_ENABLED"):
        load_config(DevelopmentConfig)


def test_proxy_hops_default_to_one_and_must_be_a_non_negative_integer(monkeypatch):
    assert load_config(DevelopmentConfig).PROXY_HOPS == 1
    monkeypatch.setenv("PROXY_HOPS", "0")
    assert load_config(DevelopmentConfig).PROXY_HOPS == 0
    monkeypatch.setenv("PROXY_HOPS", "2")
    assert load_config(DevelopmentConfig).PROXY_HOPS == 2
    for bad, message in (("-1", "PROXY_HOPS must be 0 or more"), ("nginx", "PROXY_HOPS must be a whole number")):
        monkeypatch.setenv("PROXY_HOPS", bad)
        with pytest.raises(ConfigError, match=message):
            load_config(DevelopmentConfig)


def _scaled_out(monkeypatch, **env: str) -> None:
    """Production settings for APP_INSTANCES=3 with shared storage, then `env` on top."""
    settings = {
        "SECRET_KEY": "x" * 40,
        "DATABASE_URL": "postgresql://db/appl",
        "APP_INSTANCES": "3",
        "IMAGE_STORAGE": "s3",
        "S3_BUCKET": "images",
        "RATELIMIT_STORAGE_URI": "redis://cache:6379/0",
        "RATELIMIT_ENABLED": "true",
    }
    for name, value in {**settings, **env}.items():
        monkeypatch.setenv(name, value)


def test_app_instances_default_to_one_and_must_be_positive(monkeypatch):
    config = load_config(DevelopmentConfig)
    assert config.APP_INSTANCES == 1
    assert config.IMAGE_STORAGE == "local" and config.RATELIMIT_STORAGE_URI == "memory://"  # fine on one
    for bad, message in (("0", "APP_INSTANCES must be 1 or more"), ("two", "APP_INSTANCES must be a whole number")):
        monkeypatch.setenv("APP_INSTANCES", bad)
        with pytest.raises(ConfigError, match=message):
            load_config(DevelopmentConfig)


def test_several_instances_with_shared_storage_start(monkeypatch):
    _scaled_out(monkeypatch)
    config = load_config(ProductionConfig)
    assert config.APP_INSTANCES == 3


def test_several_instances_refuse_local_images(monkeypatch):
    _scaled_out(monkeypatch, IMAGE_STORAGE="local")
    with pytest.raises(ConfigError, match=r"IMAGE_STORAGE=local .* APP_INSTANCES=3: set IMAGE_STORAGE=s3"):
        load_config(ProductionConfig)
    monkeypatch.setenv("APP_INSTANCES", "1")
    assert load_config(ProductionConfig).IMAGE_STORAGE == "local"


def test_several_instances_refuse_in_memory_rate_limits(monkeypatch):
    _scaled_out(monkeypatch, RATELIMIT_STORAGE_URI="memory://")
    with pytest.raises(ConfigError, match=r"RATELIMIT_STORAGE_URI=memory:// counts per process, but APP_INSTANCES=3"):
        load_config(ProductionConfig)
    monkeypatch.delenv("RATELIMIT_STORAGE_URI")  # the default is memory:// too
    with pytest.raises(ConfigError, match="RATELIMIT_STORAGE_URI"):
        load_config(ProductionConfig)
    monkeypatch.setenv("RATELIMIT_ENABLED", "false")  # no limits, nothing to share
    assert load_config(ProductionConfig).RATELIMIT_ENABLED is False


def test_several_instances_are_checked_in_every_environment(monkeypatch):
    monkeypatch.setenv("APP_INSTANCES", "2")
    with pytest.raises(ConfigError, match="IMAGE_STORAGE=local"):
        load_config(DevelopmentConfig)


def test_sqlite_connections_are_not_pinged_before_each_use(monkeypatch, tmp_path):
    """No server could have dropped them: the ping (`SELECT 1` on each checkout) would only cost time."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'ping.db'}")
    app = create_app(DevelopmentConfig)
    traced: list[str] = []
    with app.app_context():
        sa.event.listen(db.engine, "connect", lambda dbapi, _record: dbapi.set_trace_callback(traced.append))
        for _ in range(2):
            db.session.execute(sa.text("SELECT 2"))
            db.session.remove()
        db.engine.dispose()
    assert traced == ["SELECT 2", "SELECT 2"]


def test_postgresql_connections_are_pinged_before_each_use():
    """A restarted server drops them: the ping replaces a dropped one before the request uses it."""
    options = engine_options("postgresql+psycopg://u@db/appl", {"pool_pre_ping": True, "json_serializer": str})
    assert options == {"pool_pre_ping": True, "json_serializer": str}
