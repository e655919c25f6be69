"""What a page's form needs beyond HTML: the errors of a refused submission, keyed by field.

The rules themselves are the API's (its schemas and service functions): a page passes the submitted
values to them and shows what they refused next to the fields, as `FormErrors`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError

FORM = "_form"  # errors about the whole form rather than one field


class FormErrors(dict[str, list[str]]):
    """Messages by field name (FORM for the whole form); empty when the form was accepted."""

    @classmethod
    def of(cls, error: ValidationError, renames: Mapping[str, str] | None = None) -> FormErrors:
        """The messages of a schema's ValidationError, under the form's field names (`renames`)."""
        errors = cls()
        messages: Any = error.messages
        if not isinstance(messages, dict):
            messages = {FORM: messages}
        for key, value in messages.items():
            name = (renames or {}).get(key, key)
            errors.setdefault(name, []).extend(_flatten(value))
        return errors

    @classmethod
    def under(cls, name: str, error: ValidationError, most: int = 20) -> FormErrors:
        """Every message of `error` under the one field `name` (a file whose content was refused),
        each with its place in the file, the first `most` of them."""
        lines = _flatten(error.messages)
        if len(lines) > most:
            lines = [*lines[:most], f"… and {len(lines) - most} more."]
        return cls({name: lines})

    @classmethod
    def form(cls, message: str) -> FormErrors:
        return cls({FORM: [message]})


def _flatten(value: Any) -> list[str]:
    """Nested schema messages ({"tables": {"company": {"0": [...]}}}) as readable lines."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [line for item in value for line in _flatten(item)]
    if isinstance(value, dict):
        return [f"{key}: {line}" for key, item in value.items() for line in _flatten(item)]
    return [str(value)]
