"""The `companies` connection: owner-scoped, filtered, keyset-paginated, with batched nested loads.

Scoping goes through `app.permissions.visible`, filtering through the same filter classes as the REST
list, and every relationship the query selects is loaded with one `selectinload` per relationship, so
a page costs the same number of SQL statements for 1 company or 100.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload
from strawberry.types.nodes import SelectedField, Selection

from app.extensions import db
from app.filters import COMPANY_FILTERS
from app.graphql.cursors import parse_ordering
from app.graphql.errors import QueryError
from app.graphql.types import CompanyConnection, CompanyEdge, PageInfo
from app.models import (
    Application,
    ApplicationStatus,
    ApplicationStatusLink,
    Company,
    CompanyRating,
    PositionLocation,
    User,
)
from app.permissions import visible

MAX_FIRST = 100

# GraphQL field name -> (relationship, the same for the related type). Every relationship field of
# the types in app.graphql.types must be here, or it would be lazy-loaded once per row.
LOADS: dict[str, tuple[Any, dict]] = {
    "labels": (Company.labels, {}),
    "hq_location": (Company.hq_location, {}),
    "home_page": (Company.home_page, {}),
    "ratings": (Company.ratings, {"source": (CompanyRating.source, {})}),
    "applications": (
        Company.applications,
        {
            "labels": (Application.labels, {}),
            "job_description_page": (Application.job_description_page, {}),
            "job_source": (Application.job_source, {}),
            "position_locations": (Application.position_locations, {"location": (PositionLocation.location, {})}),
            "statuses": (
                Application.statuses,
                {"applicationstatuslink_set": (ApplicationStatus.links, {"link": (ApplicationStatusLink.link, {})})},
            ),
        },
    ),
}


def _field_names(selections: Iterable[Selection]) -> dict[str, list[Selection]]:
    """The fields selected at one level (fragments flattened), each with its own sub-selections."""
    found: dict[str, list[Selection]] = {}
    for selection in selections:
        if isinstance(selection, SelectedField):
            found.setdefault(selection.name, []).extend(selection.selections)
        else:  # a fragment spread or inline fragment: its fields belong to this level
            for name, children in _field_names(selection.selections).items():
                found.setdefault(name, []).extend(children)
    return found


def _load_options(selections: Iterable[Selection], loads: dict[str, tuple[Any, dict]]) -> list[Any]:
    options = []
    for name, children in _field_names(selections).items():
        if name not in loads:
            continue
        relationship, nested = loads[name]
        loader = selectinload(relationship)
        sub = _load_options(children, nested)
        options.append(loader.options(*sub) if sub else loader)
    return options


def node_selections(connection_selections: Iterable[Selection]) -> list[Selection]:
    """What the query selects on `edges { node { ... } }`."""
    edges = _field_names(connection_selections).get("edges", [])
    return _field_names(edges).get("node", [])


def filtered_companies(user: User, arguments: dict[str, Any]) -> Select:
    """The caller's companies narrowed by the filter arguments (None or "" means not given)."""
    query = visible(Company, user)
    for name, flt in COMPANY_FILTERS.items():
        value = arguments.get(name)
        if value is None or value == "":
            continue
        raw = ("true" if value else "false") if isinstance(value, bool) else str(value)
        try:
            query = flt.apply(query, raw)
        except ValidationError as exc:
            raise QueryError(f"{name}: {' '.join(map(str, exc.messages))}") from exc
    return query


def companies_page(
    user: User,
    *,
    first: int | None,
    after: str | None,
    order_by: str | None,
    filters: dict[str, Any],
    selections: Iterable[Selection],
) -> CompanyConnection:
    """One page of the caller's companies, as a connection."""
    if first is None:
        first = MAX_FIRST
    if not 0 <= first <= MAX_FIRST:
        raise QueryError(f"first must be between 0 and {MAX_FIRST}.")
    ordering = parse_ordering(order_by)
    after_clause = ordering.after(after) if after else None  # a bad cursor fails before any query runs
    query = filtered_companies(user, filters)
    page_query = query.where(after_clause) if after_clause is not None else query
    page_query = page_query.order_by(*ordering.order_by()).limit(first + 1)
    page_query = page_query.options(*_load_options(node_selections(selections), LOADS))

    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(db.session.scalars(page_query))
    has_next = len(rows) > first
    rows = rows[:first]
    edges = [CompanyEdge(node=row, cursor=ordering.cursor(row)) for row in rows]  # type: ignore[arg-type]
    return CompanyConnection(
        total_count=total,
        count=len(edges),
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=bool(after),
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        edges=edges,
    )
