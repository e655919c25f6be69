"""The yardstick of `make bench`: a WSGI app that answers each request kind with bytes captured from ours.

`BENCH_RESPONSES` names a JSON file `{kind: {"status": "200 OK", "headers": [[name, value], ...],
"body": <latin-1 text>}}`; a request for `/<kind>` gets that response, whatever its method, headers or
body (read and dropped, as any server must). It runs under the same gunicorn settings as the app, so the
ratio of the two rates is what our own code costs over the stack's floor.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any


def _load(path: str) -> dict[str, tuple[str, list[tuple[str, str]], bytes]]:
    with open(path, encoding="utf-8") as handle:
        captured = json.load(handle)
    responses = {}
    for kind, response in captured.items():
        body = response["body"].encode("latin-1")
        headers = [(name, value) for name, value in response["headers"]] + [("Content-Length", str(len(body)))]
        responses[kind] = (response["status"], headers, body)
    return responses


RESPONSES = _load(os.environ["BENCH_RESPONSES"])


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length:
        environ["wsgi.input"].read(length)
    found = RESPONSES.get(environ.get("PATH_INFO", "").strip("/"))
    if found is None:
        start_response("404 Not Found", [("Content-Length", "0")])
        return [b""]
    status, headers, body = found
    start_response(status, headers)
    return [body]
