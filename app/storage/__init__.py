"""Image storage: the configured backend, and removing a user's images with their account.

`IMAGE_STORAGE=local` (files under IMAGE_STORAGE_PATH, default instance/images) or `s3`
(S3_BUCKET, S3_PREFIX, S3_REGION, S3_ENDPOINT_URL). Bytes are removed from storage only once the
transaction that deleted their rows has committed, so a failed deletion never loses an image
that its row still points to. `init_app` registers the listeners that do it, on the app's database
sessions only (importing this module registers nothing).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask, current_app
from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session, SessionTransaction

from app.config import ConfigError
from app.extensions import db
from app.models import StoredImage, User
from app.storage.base import ImageStorage, InvalidKey, check_key, is_valid_key, new_key
from app.storage.local import LocalStorage

log = logging.getLogger(__name__)

BACKENDS = ("local", "s3")
_PENDING = "appl_tracky.images_to_delete"

__all__ = [
    "ImageStorage",
    "InvalidKey",
    "check_key",
    "delete_after_commit",
    "delete_user_images",
    "get_storage",
    "init_app",
    "is_valid_key",
    "new_key",
    "validate_storage_config",
]


def validate_storage_config(config: Any) -> None:
    """Refuse an unknown backend, or S3 without a bucket, when the app starts."""
    backend = config.get("IMAGE_STORAGE") or "local"
    if backend not in BACKENDS:
        raise ConfigError(f"IMAGE_STORAGE must be one of {', '.join(BACKENDS)}, not {backend!r}")
    if backend == "s3" and not config.get("S3_BUCKET"):
        raise ConfigError("IMAGE_STORAGE=s3 needs S3_BUCKET (and S3_REGION or S3_ENDPOINT_URL as needed).")


def _build(app: Flask) -> ImageStorage:
    config = app.config
    validate_storage_config(config)
    if (config.get("IMAGE_STORAGE") or "local") == "s3":
        from app.storage.s3 import S3Storage  # boto3 is imported only when S3 is used

        return S3Storage(
            config["S3_BUCKET"],
            prefix=config.get("S3_PREFIX") or "",
            region=config.get("S3_REGION"),
            endpoint_url=config.get("S3_ENDPOINT_URL"),
        )
    return LocalStorage(config.get("IMAGE_STORAGE_PATH") or os.path.join(app.instance_path, "images"))


def get_storage() -> ImageStorage:
    """The current app's image storage backend (built once per app)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if "image_storage" not in app.extensions:
        app.extensions["image_storage"] = _build(app)
    return app.extensions["image_storage"]


def delete_after_commit(keys: list[str]) -> None:
    """Remove these images' bytes once the current transaction commits (and never if it rolls back)."""
    if keys:
        storage = get_storage()
        db.session.info.setdefault(_PENDING, []).extend((storage, key) for key in keys)


def delete_user_images(user: User) -> int:
    """Delete `user`'s image rows in the current transaction, and their bytes once it commits.

    Call this before deleting the account (the caller commits): the database cascade would remove
    the rows too, but only this removes the stored files. Returns how many images there were.
    """
    keys = list(db.session.scalars(select(StoredImage.key).where(StoredImage.user_id == user.id)))
    db.session.execute(delete(StoredImage).where(StoredImage.user_id == user.id))
    delete_after_commit(keys)
    return len(keys)


def init_app(app: Flask) -> None:
    """Delete stored bytes after the commits of `db`'s sessions (and forget them on a rollback)."""
    for name, listener in (("after_commit", _delete_committed), ("after_transaction_end", _forget_rolled_back)):
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)


def _delete_committed(session: Session) -> None:
    for storage, key in session.info.pop(_PENDING, []):
        try:
            storage.delete(key)
        except Exception:  # the rows are gone already: report the orphan, never fail the request
            log.exception("could not delete stored image %s", key)


def _forget_rolled_back(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
