"""The one rule for parsing JSON bodies: too deep a document is malformed input (a 400), never a 500.

Python's parser raises RecursionError on a deeply nested document, and code that walks a parsed
document recursively (schemas, the restore's uuid rewriting) would raise it later. Every body the app
parses goes through `loads`: `request.get_json()` (the app's JSON provider, app/json_provider.py), GraphQL, the account
restore's file and the import upload's form fields.
"""

from __future__ import annotations

import json
from typing import Any

from flask import current_app


class TooDeep(ValueError):
    """The document nests arrays and objects deeper than JSON_MAX_DEPTH."""


def depth_problem(value: Any, max_depth: int) -> str | None:
    """Why `value` (parsed JSON) is too deep, or None; iterative, so any depth is measured."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                return f"JSON nested deeper than {max_depth} levels."
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return None


def loads(data: str | bytes, max_depth: int | None = None) -> Any:
    """Parse JSON text; ValueError (TooDeep) when it is malformed or nested too deep."""
    limit = max_depth if max_depth is not None else current_app.config["JSON_MAX_DEPTH"]
    try:
        value = json.loads(data)
    except RecursionError as exc:
        raise TooDeep(f"JSON nested deeper than {limit} levels.") from exc
    problem = depth_problem(value, limit)
    if problem:
        raise TooDeep(problem)
    return value
