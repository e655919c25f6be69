"""The `companies` connection: owner-scoped, filtered, keyset-paginated, with batched nested loads.

Scoping goes through `app.permissions.visible`, filtering through the same filter classes as the REST
list. A page is read by the Core loader of the REST views (`app.serialization.loader`), planned from what
the query selects: per level, only the columns of the selected fields (with the primary key, and on a
company the ordering's column, which its cursor reads), each selected collection in one statement for the
whole page and each selected many-to-one joined in, so a page costs the same number of SQL statements for
1 company or 100. Which columns a field reads comes from the types in `app.graphql.types` (`level_of`):
a plain field reads the attribute it is named after, a field computed by a resolver reads what it declares
in its `reads` metadata, and a field that is neither fails at import. Plans are kept per selection shape
in a bounded cache. Rows carry the database's own values but for uuids, read as their text (see
`_plan_of`), and nothing else: a type reading an attribute its plan did not load raises AttributeError.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import Select, Uuid, func, inspect, select
from sqlalchemy.orm import RelationshipDirection, RelationshipProperty
from strawberry.types.base import StrawberryContainer, get_object_definition
from strawberry.types.nodes import SelectedField, Selection

from app.extensions import db
from app.filters import COMPANY_FILTERS
from app.graphql.cursors import Ordering, parse_ordering
from app.graphql.errors import QueryError
from app.graphql.lru import LRU
from app.graphql.types import CompanyConnection, CompanyEdge, CompanyType, PageInfo
from app.models import Company, User
from app.permissions import visible
from app.serialization.loader import Plan, load_rows, make_plan

MAX_FIRST = 100
MAX_PLANS = 256  # distinct selection shapes kept per worker (a client sends a handful)
READS = "reads"  # the metadata key of a field computed by a resolver: the model attributes it reads


@dataclass(eq=False)
class Level:
    """What each field of one object type reads off its model's rows: the columns of a column field (or
    of a computed one, as it declares them), the relationship and the related level of an object field."""

    model: type
    columns: dict[str, tuple[str, ...]]  # GraphQL field name -> the model attributes it reads
    relations: dict[str, tuple[RelationshipProperty, Level]]  # GraphQL field name -> where it leads


def _object_type(annotation: Any) -> type | None:
    """The object type a field's type names, through lists and optionals; None for a scalar."""
    while isinstance(annotation, StrawberryContainer):
        annotation = annotation.of_type
    return annotation if get_object_definition(annotation) is not None else None


@cache  # over the types of app.graphql.types, paired with their models: a fixed, small set
def level_of(type_: type, model: type) -> Level:
    """The level of `type_` over `model`. Raises TypeError for a field whose reads are unknown: a resolver
    that declares no `reads`, or an attribute that is no column or relationship of `model`."""
    mapper = inspect(model)
    columns: dict[str, tuple[str, ...]] = {}
    relations: dict[str, tuple[RelationshipProperty, Level]] = {}
    for strawberry_field in get_object_definition(type_, strict=True).fields:
        name = strawberry_field.graphql_name or strawberry_field.python_name
        where = f"{type_.__name__}.{strawberry_field.python_name}"
        if strawberry_field.base_resolver is not None:
            reads = strawberry_field.metadata.get(READS)
            if reads is None:
                raise TypeError(f"{where} is computed: declare the columns it reads, metadata={{{READS!r}: (...)}}")
            unknown = [attribute for attribute in reads if attribute not in mapper.column_attrs]
            if unknown:
                raise TypeError(f"{where} declares reads that are not columns of {model.__name__}: {unknown}")
            columns[name] = tuple(reads)
            continue
        attribute = strawberry_field.python_name
        related = _object_type(strawberry_field.type)
        if related is not None and attribute in mapper.relationships:
            relationship = mapper.relationships[attribute]
            relations[name] = (relationship, level_of(related, relationship.mapper.class_))
        elif related is None and attribute in mapper.column_attrs:
            columns[name] = (attribute,)
        else:
            raise TypeError(f"{where} reads {attribute!r}, neither a column nor a relationship of {model.__name__}")
    return Level(model, columns, relations)


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


# What a page reads, per level: the attributes (sorted) and the selected relationships (by field name,
# sorted), each with its own shape. All a plan depends on, so plans are cached by it.
Shape = tuple[tuple[str, ...], tuple[tuple[str, "Shape"], ...]]


def _shape(selections: Iterable[Selection], level: Level) -> Shape:
    """The attributes and relationships of `level` the selections read, nested.

    `@skip` and `@include` are not evaluated: a field they may leave out is read anyway (the plan does not
    depend on the variables). Names the level does not know (`__typename`) read nothing; any other unknown
    name was refused by validation before this runs.
    """
    found = _field_names(selections)
    attributes: set[str] = set()
    relations = []
    for name, children in found.items():
        reads = level.columns.get(name)
        if reads is not None:
            attributes.update(reads)
        elif name in level.relations:
            relations.append((name, _shape(children, level.relations[name][1])))
    return tuple(sorted(attributes)), tuple(sorted(relations))


_COMPANY = level_of(CompanyType, Company)  # at import: a field whose reads are unknown fails here, not on a request
_plans: LRU[Shape, Plan] = LRU(MAX_PLANS)


def company_plan(shape: Shape) -> Plan:
    """The plan of a page of this shape, built on first use (its statements are kept on the plan)."""
    plan = _plans.get(shape)
    if plan is None:  # two threads may both build it: equivalent plans, either kept
        plan = _plan_of(_COMPANY, shape)
        _plans.put(shape, plan)
    return plan


def _plan_of(level: Level, shape: Shape) -> Plan:
    """Primary keys first (the loader tells a missing row by a null key and keys collections by it), then
    what the shape reads. No foreign key is needed: joins and collection statements use the tables' own
    columns, not the rows'."""
    mapper = inspect(level.model)
    attributes, relations = shape
    ones, manys = [], []
    for name, nested in relations:
        relationship, child_level = level.relations[name]
        child = _plan_of(child_level, nested)
        many = relationship.direction is not RelationshipDirection.MANYTOONE
        (manys if many else ones).append((relationship.key, relationship, child))
    keys = [mapper.get_property_by_column(column).key for column in mapper.primary_key]
    selected = tuple(dict.fromkeys([*keys, *attributes]))
    # Uuids are read as their text (`text_forms`): the UUID scalar prints a uuid with str(), which a str
    # passes through unchanged, so no uuid.UUID is built only to be printed. Timestamps stay datetimes:
    # the DateTime scalar calls their isoformat().
    uuids = frozenset(key for key in selected if isinstance(mapper.column_attrs[key].columns[0].type, Uuid))
    return make_plan(level.model, selected, ones, manys, uuids)


def page_shape(selections: Iterable[Selection], ordering: Ordering) -> Shape:
    """The shape a page of companies reads: what its nodes select, and the ordering's column (its cursors
    read it off each row)."""
    attributes, relations = _shape(node_selections(selections), _COMPANY)
    key = ordering.column.key
    if key not in attributes:
        attributes = tuple(sorted((*attributes, key)))
    return attributes, relations


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
    plan = company_plan(page_shape(selections, ordering))

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
