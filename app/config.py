"""Settings, read from the environment once at start and validated.

`APP_ENV` picks the class (development, testing, production). Only development and testing have
defaults for secrets; production refuses to start without real ones.
"""

from __future__ import annotations

import os
from datetime import timedelta

from app.json_provider import stored_json


class ConfigError(RuntimeError):
    """The environment does not describe a safe, usable configuration."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}")


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from exc


def _env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in (_env(name, default) or "").split(",") if item.strip()]


class Config:
    """Settings shared by every environment; subclasses change the defaults."""

    ENV_NAME = "development"
    DEBUG = False
    TESTING = False
    DEFAULT_SECRET_KEY: str | None = "dev-only-insecure-secret-key-change-me"

    def __init__(self) -> None:
        self.SECRET_KEY = _env("SECRET_KEY", self.DEFAULT_SECRET_KEY)
        # How many proxies in front of the app set X-Forwarded-*: 1 behind nginx, 0 reached directly
        # (the headers are then ignored: a client could forge them).
        self.PROXY_HOPS = _env_int("PROXY_HOPS", 1)
        # How many app instances (containers, pods) serve this deployment: above 1, state that lives in
        # one process or on one disk (in-memory rate limits, local images) is refused.
        self.APP_INSTANCES = _env_int("APP_INSTANCES", 1)
        self.SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL")  # None: SQLite in the instance folder
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "json_serializer": stored_json}
        self.SQLALCHEMY_RECORD_QUERIES = False
        self.CORS_ORIGINS = _env_list("CORS_ORIGINS", "http://localhost:3000")
        self.JWT_SIGNING_KEY = _env("JWT_SIGNING_KEY")  # defaults to SECRET_KEY
        self.JWT_ACCESS_TOKEN_LIFETIME = timedelta(seconds=_env_int("JWT_ACCESS_TOKEN_SECONDS", 7 * 86400))
        self.JWT_REFRESH_TOKEN_LIFETIME = timedelta(seconds=_env_int("JWT_REFRESH_TOKEN_SECONDS", 14 * 86400))
        self.RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
        self.RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_DEFAULT = _env("RATELIMIT_DEFAULT", "180/minute")
        self.RATELIMIT_AUTH = _env("RATELIMIT_AUTH", "20/minute")
        self.RATELIMIT_HEADERS_ENABLED = True
        # Redis keys are prefixed (a shared Redis); if the storage fails, count in memory rather than fail.
        self.RATELIMIT_KEY_PREFIX = _env("RATELIMIT_KEY_PREFIX", "appl-tracky")
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = _env_bool("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
        self.GOOGLE_CLIENT_ID = _env("GOOGLE_CLIENT_ID")
        self.GOOGLE_CLIENT_SECRET = _env("GOOGLE_CLIENT_SECRET")
        self.GOOGLE_DISCOVERY_URL = _env(
            "GOOGLE_DISCOVERY_URL", "https://accounts.google.com/.well-known/openid-configuration"
        )
        self.MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 5 * 1024 * 1024 + 64 * 1024)
        self.IMAGE_MAX_BYTES = _env_int("IMAGE_MAX_BYTES", 5 * 1024 * 1024)
        self.IMAGE_STORAGE = _env("IMAGE_STORAGE", "local")
        self.IMAGE_STORAGE_PATH = _env("IMAGE_STORAGE_PATH")  # None: instance/images
        self.S3_BUCKET = _env("S3_BUCKET")
        self.S3_PREFIX = _env("S3_PREFIX", "")
        self.S3_REGION = _env("S3_REGION") or _env("AWS_REGION")
        self.S3_ENDPOINT_URL = _env("S3_ENDPOINT_URL")
        self.BACKUP_S3_BUCKET = _env("BACKUP_S3_BUCKET")
        # Spreadsheet imports (app/imports): the largest file, the most data rows and columns accepted,
        # how many rows a preview shows, and how many per-row problems it lists (all are counted).
        self.IMPORT_MAX_BYTES = _env_int("IMPORT_MAX_BYTES", 10 * 1024 * 1024)
        self.IMPORT_MAX_ROWS = _env_int("IMPORT_MAX_ROWS", 50_000)
        self.IMPORT_MAX_COLUMNS = _env_int("IMPORT_MAX_COLUMNS", 200)
        self.IMPORT_PREVIEW_ROWS = _env_int("IMPORT_PREVIEW_ROWS", 20)
        self.IMPORT_MAX_PROBLEMS = _env_int("IMPORT_MAX_PROBLEMS", 200)
        # Exports (app/exports): applications read per chunk, the live-feed rate limit per feed token,
        # and the largest account file POST /api/imports/account/ accepts.
        self.EXPORT_CHUNK_SIZE = _env_int("EXPORT_CHUNK_SIZE", 500)
        self.FEED_RATE_LIMIT = _env("FEED_RATE_LIMIT", "60/minute")
        self.ACCOUNT_IMPORT_MAX_BYTES = _env_int("ACCOUNT_IMPORT_MAX_BYTES", 50 * 1024 * 1024)
        # Bounded work per request: items of one batch PATCH, nesting of any JSON body, runs of a
        # transaction the database aborted as a deadlock or serialization failure (then a 503).
        self.BATCH_MAX_ITEMS = _env_int("BATCH_MAX_ITEMS", 100)
        self.JSON_MAX_DEPTH = _env_int("JSON_MAX_DEPTH", 64)
        self.TRANSACTION_ATTEMPTS = _env_int("TRANSACTION_ATTEMPTS", 4)
        # XLSX reading (app/imports/reading.py): shared strings, cells, styles and seconds of parsing.
        self.IMPORT_XLSX_MAX_SHARED_STRINGS = _env_int("IMPORT_XLSX_MAX_SHARED_STRINGS", 200_000)
        self.IMPORT_XLSX_MAX_CELLS = _env_int("IMPORT_XLSX_MAX_CELLS", 2_000_000)
        self.IMPORT_XLSX_MAX_STYLES = _env_int("IMPORT_XLSX_MAX_STYLES", 10_000)
        self.IMPORT_XLSX_MAX_SECONDS = _env_int("IMPORT_XLSX_MAX_SECONDS", 20)
        # The /account/ pages (app/pages) sign in with Flask's signed session cookie: scripts cannot read
        # it, other sites' POSTs do not carry it, and outside development it travels over HTTPS only.
        self.SESSION_COOKIE_NAME = "appl_tracky_session"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", self.ENV_NAME != "development")
        self.PERMANENT_SESSION_LIFETIME = timedelta(seconds=_env_int("SESSION_SECONDS", 14 * 86400))
        # CSRFProtect guards the pages' forms only (app/pages calls it); the token-authenticated API has no
        # cookie to forge. A form's token lives as long as its session.
        self.WTF_CSRF_CHECK_DEFAULT = False
        self.WTF_CSRF_TIME_LIMIT = None
        self.SUPERUSER_EMAIL = _env("SUPERUSER_EMAIL")
        self.SUPERUSER_PASSWORD = _env("SUPERUSER_PASSWORD")
        self.PASSWORD_HASH_METHOD = "scrypt"
        self.PAGE_SIZE = 8
        self.MAX_PAGE_SIZE = 100
        self.JSON_SORT_KEYS = False
        # Each worker keeps the last 200 of each user's read for their data version (app.response_cache):
        # at most this many bytes (bodies, and 2 KB per entry); 0 keeps none.
        self.RESPONSE_CACHE_BYTES = _env_int("RESPONSE_CACHE_BYTES", 32 * 1024 * 1024)

    def validate(self) -> None:
        """Refuse settings that would be unsafe for this environment."""
        if not self.SECRET_KEY:
            raise ConfigError(
                "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
                "string (for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
        if self.PROXY_HOPS < 0:
            raise ConfigError(f"PROXY_HOPS must be 0 or more (the proxies in front of the app), not {self.PROXY_HOPS}")
        if self.APP_INSTANCES < 1:
            raise ConfigError(f"APP_INSTANCES must be 1 or more, not {self.APP_INSTANCES}")
        if self.APP_INSTANCES > 1:
            self._validate_shared_state()

    def _validate_shared_state(self) -> None:
        """Several instances must share images and rate-limit counts, or each would see only its own."""
        instances = f"APP_INSTANCES={self.APP_INSTANCES}"
        if self.IMAGE_STORAGE == "local":
            raise ConfigError(
                f"IMAGE_STORAGE=local keeps images on one instance's disk, but {instances}: "
                "set IMAGE_STORAGE=s3 (and S3_BUCKET), or APP_INSTANCES=1."
            )
        if self.RATELIMIT_ENABLED and (self.RATELIMIT_STORAGE_URI or "").startswith("memory://"):
            raise ConfigError(
                f"RATELIMIT_STORAGE_URI={self.RATELIMIT_STORAGE_URI} counts per process, but {instances}: "
                "set RATELIMIT_STORAGE_URI to a shared store (e.g. redis://host:6379/0), or APP_INSTANCES=1."
            )


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = False  # the debugger is opt-in (FLASK_DEBUG=1), never on by default


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    DEFAULT_SECRET_KEY = "testing-secret-key-not-for-production"

    def __init__(self) -> None:
        super().__init__()
        self.SQLALCHEMY_DATABASE_URI = _env("TEST_DATABASE_URL", "sqlite://")
        self.RATELIMIT_ENABLED = _env_bool("TEST_RATELIMIT_ENABLED", False)
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.CORS_ORIGINS = ["http://localhost:3000"]
        # Cheap hashes keep the suite fast; production always uses scrypt.
        self.PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"


class ProductionConfig(Config):
    ENV_NAME = "production"
    DEFAULT_SECRET_KEY = None

    def validate(self) -> None:
        super().validate()
        if len(self.SECRET_KEY or "") < 32:
            raise ConfigError("SECRET_KEY must be at least 32 characters long in production.")
        if not self.SQLALCHEMY_DATABASE_URI:
            raise ConfigError("DATABASE_URL must be set in production.")


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_config(config: type[Config] | Config | None = None) -> Config:
    """Build and validate the settings: from `config` if given, else from `APP_ENV`."""
    if config is None:
        env = _env("APP_ENV", "development") or "development"
        if env not in CONFIGS:
            raise ConfigError(f"APP_ENV must be one of {', '.join(CONFIGS)}, not {env!r}")
        config = CONFIGS[env]
    instance = config() if isinstance(config, type) else config
    instance.validate()
    return instance
