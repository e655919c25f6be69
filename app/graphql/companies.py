"""The `companies` connection: owner-scoped, filtered, keyset-paginated, with batched nested loads.

Scoping goes through `app.permissions.visible`, filtering through the same filter classes as the REST
list. A page is read by the Core loader of the REST views (`app.serialization.loader`), planned from
the relationships the query selects (`LOADS`): every column of each model, each selected collection in
one statement for the whole page and each selected many-to-one joined in, so a page costs the same
number of SQL statements for 1 company or 100. Rows carry the database's own values but for uuids, read
as their text (see `_plan_of`), which the types in `app.graphql.types` read like model instances.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import Select, Uuid, func, inspect, select
from sqlalchemy.orm import RelationshipDirection
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
from app.serialization.loader import Plan, load_rows, make_plan

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


Shape = tuple[tuple[str, "Shape"], ...]  # the selected relationships of LOADS, nested, in a stable order


def _shape(selections: Iterable[Selection], loads: dict[str, tuple[Any, dict]]) -> Shape:
    """The relationships of `loads` the selections name, with theirs: all a plan depends on."""
    found = _field_names(selections)
    return tuple(sorted((name, _shape(found[name], loads[name][1])) for name in found if name in loads))


@cache  # shapes are subtrees of LOADS (about 2,300), and a plan's statements are cached by the plan itself
def _company_plan(shape: Shape) -> Plan:
    return _plan_of(Company, shape, LOADS)


def _plan_of(model: type, shape: Shape, loads: dict[str, tuple[Any, dict]]) -> Plan:
    mapper = inspect(model)
    ones, manys = [], []
    for name, nested in shape:
        relationship_attribute, child_loads = loads[name]
        relationship = relationship_attribute.property
        child = _plan_of(relationship.mapper.class_, nested, child_loads)
        many = relationship.direction is not RelationshipDirection.MANYTOONE
        (manys if many else ones).append((relationship.key, relationship, child))
    keys = [mapper.get_property_by_column(column).key for column in mapper.primary_key]  # first, as plans have
    attributes = dict.fromkeys([*keys, *(attribute.key for attribute in mapper.column_attrs)])
    # Uuids are read as their text (`text_forms`): the UUID scalar prints a uuid with str(), which a str
    # passes through unchanged, so no uuid.UUID is built only to be printed. Timestamps stay datetimes:
    # the DateTime scalar calls their isoformat().
    uuids = frozenset(key for key in attributes if isinstance(mapper.column_attrs[key].columns[0].type, Uuid))
    return make_plan(model, tuple(attributes), ones, manys, uuids)


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
    plan = _company_plan(_shape(node_selections(selections), LOADS))

    if after_clause is None:  # the first page: the total comes with it, as a window over every match
        rows, extras = load_rows(plan, page_query, extra=[func.count().over()], limited=True)
        total = extras[0][0] if rows else 0
    else:
        total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows, _ = load_rows(plan, page_query, limited=True)
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
