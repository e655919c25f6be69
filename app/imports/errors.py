"""The one error imports raise for bad files and bad options: a 400 or 413 with the reason."""

from __future__ import annotations

from app.errors import APIError


class ImportFileError(APIError):
    """The file or the options cannot be imported; `detail` says why in words a user understands."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(status, detail)
