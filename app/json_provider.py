"""The app's JSON: request bodies read under the one depth rule (app/json_limits.py), responses encoded by
orjson, with the very output of Flask's default provider for the values we send.

Flask's provider spends a tenth of a company page in `json.dumps`; orjson writes the same document
several times faster. What the React client reads stays as it was: keys sorted, compact separators
(indented in debug), a final newline, UUIDs as strings, dates and datetimes as Flask writes them
(HTTP dates, through Flask's own `default`), Decimals as strings, dataclasses as objects, int keys as
strings. Only the spelling of non-ASCII text differs: raw UTF-8 instead of `\\uXXXX` escapes.

Whatever orjson refuses (integers beyond 64 bits, nesting deeper than 254 levels, a `default` error)
goes through Flask's provider, so such a value answers exactly as before. Request bodies are read by
Python's parser (its answers to odd input, lone surrogates or NaN, are what the validation messages
expect), through `json_limits.loads`; `app.json.dumps` (a string for the odd caller, with `json.dumps`'
spaced separators) is still Flask's.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from flask import Flask, Response
from flask.json.provider import DefaultJSONProvider

from app.json_limits import loads

OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
OPTIONS |= orjson.OPT_PASSTHROUGH_DATACLASS


class WrittenJSON:
    """JSON text written elsewhere (by the database: app.serialization.json_sql), copied into a response
    as it is by orjson, and read back into values for Python's encoder (the fallback below, or Flask's own)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def written_default(value: Any) -> Any:
    """Flask's `default`, for Python's encoder, with written JSON as its values."""
    if isinstance(value, WrittenJSON):
        return orjson.loads(value.text)
    return DefaultJSONProvider.default(value)


def _orjson_default(value: Any) -> Any:
    if isinstance(value, WrittenJSON):
        return orjson.Fragment(value.text)
    return DefaultJSONProvider.default(value)


class OrjsonProvider(DefaultJSONProvider):
    """Flask's JSON provider with orjson for response bodies (`jsonify`, a view's dict or list), and bodies
    read under JSON_MAX_DEPTH."""

    default = staticmethod(written_default)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s, self._app.config["JSON_MAX_DEPTH"])

    def encode(self, obj: Any, *, indent: bool = False) -> bytes:
        """`obj` as a response body, as Flask's provider would write it (see the module docstring)."""
        try:
            return orjson.dumps(obj, default=_orjson_default, option=OPTIONS | (orjson.OPT_INDENT_2 if indent else 0))
        except orjson.JSONEncodeError:
            layout: dict[str, Any] = {"indent": 2} if indent else {"separators": (",", ":")}
            return super().dumps(obj, **layout).encode()

    def response(self, *args: Any, **kwargs: Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        indent = (self.compact is None and self._app.debug) or self.compact is False
        return self._app.response_class(self.encode(obj, indent=indent) + b"\n", mimetype=self.mimetype)


def stored_json(value: Any) -> str:
    """The text a JSON column stores: compact, as responses are written, so the JSON the database writes
    from it (app.serialization.json_sql) has no spaces either. Keys keep their order (the order of a
    spreadsheet's extra columns, which exports write back), so inside such values they are not sorted."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:  # integers beyond 64 bits, say: Python's encoder, same layout
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def register_json_provider(app: Flask) -> None:
    app.json = OrjsonProvider(app)
