"""Keys that recognise the same job and the same company across imports.

A row is "the same job" as a row of an earlier import when their normalised job URLs agree, or,
without a URL, their company and position do (ignoring case, spacing and punctuation). The n-th
occurrence of a key in one file gets its own key, so a file listing the same job twice re-imports
as two rows again, never as one overwritten twice.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from app.imports.words import normalize_words

TRACKING_PARAMS = re.compile(r"^(utm_.*|gclid|fbclid|mc_cid|mc_eid|ref|refid|trk|trackingid|src|source)$", re.I)


def company_key(name: str) -> str:
    """A company name compared ignoring case and all spacing: "Acme  Corp" is "acmecorp"."""
    return "".join(name.casefold().split())


def normalize_url(url: str) -> str:
    """A job URL without what varies between copies of it: scheme, www., tracking parameters, fragment."""
    text = url.strip()
    if not re.match(r"^[a-z][a-z0-9+.-]*://", text, re.I):
        text = "http://" + text
    try:
        parts = urlsplit(text)
    except ValueError:
        return normalize_words(url)
    host = (parts.hostname or "").casefold().removeprefix("www.")
    query = urlencode(
        sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING_PARAMS.match(k))
    )
    path = parts.path.rstrip("/")
    return urlunsplit(("", host, path, query, ""))


def base_match_key(job_url: str | None, company: str, position: str) -> str:
    if job_url:
        return "url:" + normalize_url(job_url)
    return f"cp:{company_key(company)}|{normalize_words(position)}"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class KeyCounter:
    """Numbers the occurrences of each key within one file (see the module docstring)."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def key(self, base: str) -> str:
        count = self.seen.get(base, 0) + 1
        self.seen[base] = count
        return digest(f"{base}#{count}")


def content_hash(values: dict[str, Any]) -> str:
    """A hash of what a row writes; equal for an unchanged row, whatever its position in the file."""
    return digest(json.dumps(values, sort_keys=True, ensure_ascii=False, default=str))
