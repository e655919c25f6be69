"""The one small interface every image storage backend implements, and the key rules they share.

A key is the capability in an image URL: 32 random bytes, URL-safe base64 (43 characters). Backends
re-check every key against that exact shape, so nothing else (`../`, `/`, `%2F`, absolute paths)
can ever reach a file system path or an object name.
"""

from __future__ import annotations

import re
import secrets
from abc import ABC, abstractmethod

KEY_BYTES = 32
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")


class InvalidKey(ValueError):
    """Not a key this app could have made."""


def new_key() -> str:
    """A fresh unguessable key (unrelated to the user, the file or the time)."""
    return secrets.token_urlsafe(KEY_BYTES)


def is_valid_key(key: object) -> bool:
    return isinstance(key, str) and KEY_PATTERN.fullmatch(key) is not None


def check_key(key: object) -> str:
    """`key` if it has the exact shape of a key; InvalidKey otherwise."""
    if not is_valid_key(key):
        raise InvalidKey("invalid image key")
    return key  # type: ignore[return-value]


class ImageStorage(ABC):
    """Stores image bytes under a key. Implementations must call `check_key` on every key."""

    @abstractmethod
    def save(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key` (a new key: never overwrites another image)."""

    @abstractmethod
    def load(self, key: str) -> bytes | None:
        """The bytes stored under `key`, or None if there are none."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove what is stored under `key`; nothing happens if there is nothing."""
