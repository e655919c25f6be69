"""Page-number pagination in the contract's shape, for every list: count, absolute next/previous, results."""

from __future__ import annotations

from collections.abc import Callable
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
    number = _checked_page(count, size)
    rows = list(db.session.scalars(query.limit(size).offset((number - 1) * size)).unique())
    return rows, _envelope(count, size, number)


def paginate_items(count_and_page: Callable[[int, int], tuple[int, list[Any]]]) -> tuple[list[Any], dict[str, Any]]:
    """The requested page of items that are not rows of a query: `count_and_page(offset, size)` answers
    (how many there are, the items of that page)."""
    size = _page_size()
    requested = _page_number()
    count, items = count_and_page(0 if requested == -1 else (requested - 1) * size, size)
    number = _checked_page(count, size)
    if requested == -1 and number > 1:
        count, items = count_and_page((number - 1) * size, size)
    return items, _envelope(count, size, number)


def _checked_page(count: int, size: int) -> int:
    pages = max(1, -(-count // size))
    number = _page_number()
    if number == -1:
        number = pages
    if number > pages:
        raise APIError(404, "Invalid page.")
    return number


def _envelope(count: int, size: int, number: int) -> dict[str, Any]:
    pages = max(1, -(-count // size))
    return {
        "count": count,
        "next": _page_url(number + 1) if number < pages else None,
        "previous": _page_url(number - 1) if number > 1 else None,
    }
