"""Settings come from the environment and are validated at start."""

from __future__ import annotations

import pytest

from app import create_app
from app.config import ConfigError, DevelopmentConfig, ProductionConfig, load_config


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
