"""Page-number pagination in the contract's shape, for every list: count, absolute next/previous, results."""

from __future__ import annotations

from typing import Any

from flask import current_app, request, url_for
from sqlalchemy import Select, func, select

from app.errors import APIError
from app.extensions import db


def _page_size() -> int:
    default = current_app.config["PAGE_SIZE"]
    raw = request.args.get("page_size")
    if raw is None:
        return default
    try:
        size = int(raw)
    except ValueError:
        return default
    return default if size < 1 else min(size, current_app.config["MAX_PAGE_SIZE"])


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if raw == "last":
        return -1
    try:
        number = int(raw)
    except ValueError as exc:
        raise APIError(404, "Invalid page.") from exc
    if number < 1:
        raise APIError(404, "Invalid page.")
    return number


def _page_url(number: int) -> str:
    args = request.args.to_dict(flat=False)
    args["page"] = [str(number)]
    return url_for(request.endpoint or "", **(request.view_args or {}), **args, _external=True)


def paginate(query: Select) -> tuple[list[Any], dict[str, Any]]:
    """Run `query` for the requested page: the rows, and the envelope without `results`."""
    size = _page_size()
    count = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, -(-count // size))
    number = _page_number()
    if number == -1:
        number = pages
    if number > pages:
        raise APIError(404, "Invalid page.")
    rows = list(db.session.scalars(query.limit(size).offset((number - 1) * size)).unique())
    envelope = {
        "count": count,
        "next": _page_url(number + 1) if number < pages else None,
        "previous": _page_url(number - 1) if number > 1 else None,
    }
    return rows, envelope
