"""How imported URLs become links."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

JOB_URL_TEXT = "Job posting"
COMPANY_URL_TEXT = "Website"


def job_link(values: dict[str, Any]) -> tuple[str, str]:
    """(text, url) of a row's job posting: the text a linked cell showed ("posting", "Apply"), else a default."""
    return values.get("job_url_text") or JOB_URL_TEXT, values["job_url"]


def source_link(values: dict[str, Any]) -> tuple[str, str]:
    """(text, url) of a row's job source: a linked cell gives both; a URL is kept as the link with its site
    as text; anything else is just text."""
    source = values["job_source"]
    if values.get("job_source_url"):
        return source, values["job_source_url"]
    if source.lower().startswith(("http://", "https://", "www.")):
        return site_name(source), source
    return source, ""


def site_name(url: str) -> str:
    """The text of a link made from a bare URL: its site ("indeed.com" for https://www.indeed.com/viewjob)."""
    host = urlsplit(url if "://" in url else "http://" + url).hostname or url
    return host.removeprefix("www.")[:200]
