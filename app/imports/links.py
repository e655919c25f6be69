"""How imported URLs become links."""

from __future__ import annotations

from urllib.parse import urlsplit

JOB_URL_TEXT = "Job posting"
COMPANY_URL_TEXT = "Website"


def source_link(source: str) -> tuple[str, str]:
    """(text, url) of a job source: a URL is kept as the link with its site as text, else just text."""
    if source.lower().startswith(("http://", "https://", "www.")):
        host = urlsplit(source if "://" in source else "http://" + source).hostname or source
        return host.removeprefix("www.")[:200], source
    return source, ""
