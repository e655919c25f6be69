"""Read what a schema dumps with Core selects of exactly those columns, assembled by relationship.

Loading ORM objects (identity map, instance state, per-attribute instrumentation) costs more than the
database does for a company page. A schema is already the one declaration of what a resource shows, so a
`Plan` is derived from it once, on first use: per nested level, the columns its fields read and how the level
hangs off its parent. Uuids and timestamps are selected as the text their fields dump (`text_forms`), so
a row's `id` is a string. Rows come back as plain objects (`Row`) carrying those attributes, and the compiled
dumper (`app.serialization.compiler`) dumps them exactly as it dumps ORM objects.

How each level is read, by the kind of its relationship (`app.models.ownership`):
- a nested many-to-one (an address, a link) is LEFT JOINed into its parent's statement;
- a nested collection (one-to-many, or many-to-many through its secondary table) is one statement for the
  whole page, `WHERE <parent key> IN (<the parents' ids>)`, ordered as the relationship is;
- except that a statement without LIMIT also LEFT JOINs its first collection that nests no collection
  itself (status links into statuses), in relationship order, so a company page costs 6 statements
  whatever its size (the page, its labels and ratings, applications with their locations, their labels,
  statuses with their links).

Which columns a field reads: its attribute (`attribute` or its name) for marshmallow's own fields, or
what a custom field declares in `reads` (`Reference`, `ApiUrl`). A schema with a field that declares
nothing and is not marshmallow's own (a `Method`, say) has no plan: its resource reads ORM objects.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from marshmallow import Schema, fields
from sqlalchemy import ColumnElement, FromClause, Select, and_, bindparam, inspect, select
from sqlalchemy.orm import RelationshipDirection, RelationshipProperty
from sqlalchemy.sql.util import ClauseAdapter

from app.extensions import db
from app.serialization.text_forms import has_text_form, text_form

MANYTOONE = RelationshipDirection.MANYTOONE
MANYTOMANY = RelationshipDirection.MANYTOMANY


class Row:
    """One loaded row: the attributes its schema reads, the nested levels, and the model it is a row of
    (`api_model`, which `app.api.api_url` asks for)."""

    api_model: type


@dataclass(eq=False)
class Plan:
    """How to read one schema's level: its model, the attributes it needs, its nested levels."""

    model: type
    attributes: tuple[str, ...]
    ones: list[tuple[str, RelationshipProperty, Plan]] = field(default_factory=list)
    manys: list[tuple[str, RelationshipProperty, Plan]] = field(default_factory=list)
    row_class: type[Row] = Row
    texts: frozenset[str] = frozenset()  # attributes selected in their JSON text form (`text_forms`)
    # The statements built for this plan (`_root_statement`, `_collection_statement`), kept on the plan so
    # they go with it: a caller may drop plans (GraphQL keeps a bounded number of them).
    built: dict[Any, Any] = field(default_factory=dict, repr=False)

    @property
    def leaf(self) -> bool:
        """Whether this level nests no collection, at any depth of its joined levels."""
        return not self.manys and all(child.leaf for _, _, child in self.ones)


@cache
def plan_for(schema_class: type[Schema], model: type) -> Plan | None:
    """The plan of `schema_class` over `model`, or None when a field's reads are unknown (see above)."""
    mapper = inspect(model)
    attributes = dict.fromkeys(key.key for key in mapper.primary_key)
    ones, manys = [], []
    native: set[str] = set()  # attributes some field needs as the database's value, not as text
    for name, schema_field in schema_class().dump_fields.items():
        if isinstance(schema_field, fields.Nested):
            relationship = mapper.relationships.get(schema_field.attribute or name)
            child = relationship and plan_for(type(schema_field.schema), relationship.mapper.class_)
            if child is None:
                return None
            key = schema_field.attribute or name
            many = schema_field.many or schema_field.schema.many
            if relationship.direction is MANYTOONE and not many:
                ones.append((key, relationship, child))
            elif relationship.uselist and many:
                manys.append((key, relationship, child))
            else:
                return None
            continue
        reads = _reads(name, schema_field)
        if reads is None or any(attribute not in mapper.column_attrs for attribute in reads):
            return None
        attributes.update(dict.fromkeys(reads))
        if not _takes_text(schema_field):
            native.update(reads)
    texts = {attribute for attribute in attributes if has_text_form(_column(model, attribute))}
    if texts & native & {key.key for key in mapper.primary_key}:
        return None  # rows are keyed by their text uuid: a field that needs the uuid object reads ORM objects
    return make_plan(model, tuple(attributes), ones, manys, frozenset(texts - native))


def make_plan(
    model: type,
    attributes: tuple[str, ...],
    ones: list[tuple[str, RelationshipProperty, Plan]],
    manys: list[tuple[str, RelationshipProperty, Plan]],
    texts: frozenset[str] = frozenset(),
) -> Plan:
    """A plan read into rows of their own class, naming `model` as their `api_model`."""
    row_class = type(f"{model.__name__}Row", (Row,), {"api_model": model})
    return Plan(model, attributes, ones, manys, row_class, texts)


def _takes_text(schema_field: fields.Field) -> bool:
    """Whether the field dumps a uuid or timestamp given as its JSON text as it dumps the value itself:
    marshmallow's UUID and ISO DateTime do, and so do the fields declaring `reads` (their contract)."""
    if getattr(schema_field, "reads", None) is not None or isinstance(schema_field, fields.UUID):
        return True
    return type(schema_field) is fields.DateTime and schema_field.format in (None, "iso")


def _reads(name: str, schema_field: fields.Field) -> tuple[str, ...] | None:
    declared = getattr(schema_field, "reads", None)
    if declared is not None:
        return tuple(declared)
    own = type(schema_field)
    standard = own.get_value is fields.Field.get_value and own._serialize.__module__.startswith("marshmallow")
    attribute = schema_field.attribute or name
    if not standard or not schema_field._CHECK_ATTRIBUTE or "." in attribute:
        return None
    return (attribute,)


# -- one statement: a level, its joined many-to-ones, and maybe one joined collection ---------------


@dataclass(eq=False)
class _Reading:
    """A plan bound to the table alias it is read from in one statement, and where its columns start."""

    plan: Plan
    table: FromClause
    first: int
    ones: list[tuple[str, _Reading]] = field(default_factory=list)

    def make(self, values: Any) -> Row | None:
        start = self.first
        if values[start] is None:  # its primary key: no row behind a null reference or an outer join
            return None
        row = self.plan.row_class()
        attributes = self.plan.attributes
        state = row.__dict__
        state.update(zip(attributes, values[start : start + len(attributes)], strict=True))
        for key, one in self.ones:
            state[key] = one.make(values)
        for key, _, _ in self.plan.manys:
            state[key] = []
        return row


class _Statement:
    """The columns and outer joins of one statement, each level read from its own alias."""

    def __init__(self, table: FromClause) -> None:
        self.table = table
        self.columns: list[ColumnElement] = []
        self.joins: list[tuple[FromClause, ColumnElement]] = []

    def read(self, plan: Plan, table: FromClause) -> _Reading:
        reading = _Reading(plan, table, len(self.columns))
        self.columns += [_selected(plan, attribute, table) for attribute in plan.attributes]
        for key, relationship, child in plan.ones:
            alias = relationship.mapper.local_table.alias()
            pairs = relationship.local_remote_pairs
            self.joins.append((alias, _and(alias.c[remote.key] == table.c[local.key] for local, remote in pairs)))
            reading.ones.append((key, self.read(child, alias)))
        return reading

    def join_collection(self, parent: _Reading, relationship: RelationshipProperty, child: Plan) -> _Reading:
        """LEFT JOIN a collection of `parent` (through its secondary table for a many-to-many)."""
        alias = relationship.mapper.local_table.alias()
        if relationship.direction is MANYTOMANY:
            secondary = relationship.secondary.alias()
            pairs = relationship.synchronize_pairs
            self.joins.append(
                (secondary, _and(secondary.c[remote.key] == parent.table.c[local.key] for local, remote in pairs))
            )
            pairs = relationship.secondary_synchronize_pairs
            self.joins.append((alias, _and(alias.c[local.key] == secondary.c[remote.key] for local, remote in pairs)))
        else:
            pairs = relationship.synchronize_pairs
            onclause = _and(alias.c[remote.key] == parent.table.c[local.key] for local, remote in pairs)
            self.joins.append((alias, onclause))
        return self.read(child, alias)

    def from_clause(self, root: FromClause) -> FromClause:
        for alias, onclause in self.joins:
            root = root.outerjoin(alias, onclause)
        return root


def _selected(plan: Plan, attribute: str, table: FromClause) -> ColumnElement:
    column = table.c[_column(plan.model, attribute).key]
    return text_form(column) if attribute in plan.texts else column


def _column(model: type, attribute: str) -> Any:
    (column,) = inspect(model).column_attrs[attribute].columns
    return column


def _and(clauses: Iterable[ColumnElement]) -> ColumnElement:
    return and_(*clauses)


def _ordering(relationship: RelationshipProperty, table: FromClause) -> list[ColumnElement]:
    adapter = ClauseAdapter(table)
    return [adapter.traverse(clause) for clause in relationship.order_by or ()]


def _joinable(plan: Plan) -> tuple[str, RelationshipProperty, Plan] | None:
    """The first collection of `plan` that nests none: read in its parent's statement."""
    return next((many for many in plan.manys if many[2].leaf), None)


# -- a whole tree -----------------------------------------------------------------------------------


@dataclass(eq=False)
class _Built:
    """One statement's parts, built once per plan: its columns and FROM, the readings, the joined collection."""

    columns: list[ColumnElement]
    source: FromClause
    reading: _Reading
    joined: tuple[str, RelationshipProperty, Plan] | None
    joined_reading: _Reading | None
    order: list[ColumnElement]
    owner: ColumnElement | None = None  # a collection's column naming the parent of each row
    parent_key: Any = None  # the parent's key as bound from its text form (uuid.UUID), None if not text


def _root_statement(plan: Plan, limited: bool) -> _Built:
    built = plan.built.get(limited)
    if built is None:  # two threads may both build it: the same statement, either kept
        built = plan.built[limited] = _build_root_statement(plan, limited)
    return built


def _build_root_statement(plan: Plan, limited: bool) -> _Built:
    table = inspect(plan.model).local_table
    statement = _Statement(table)
    reading = statement.read(plan, table)
    joined = None if limited else _joinable(plan)
    joined_reading, order = None, []
    if joined is not None:
        joined_reading = statement.join_collection(reading, joined[1], joined[2])
        order = [table.c[_column(plan.model, "id").key], *_ordering(joined[1], joined_reading.table)]
    return _Built(statement.columns, statement.from_clause(table), reading, joined, joined_reading, order)


def _collection_statement(relationship: RelationshipProperty, plan: Plan, text_keys: bool) -> tuple[_Built, Select]:
    """The statement of a collection; `text_keys`: its parents are keyed by their uuid's text."""
    key = (relationship, text_keys)
    built = plan.built.get(key)
    if built is None:
        built = plan.built[key] = _build_collection_statement(relationship, plan, text_keys)
    return built


def _build_collection_statement(
    relationship: RelationshipProperty, plan: Plan, text_keys: bool
) -> tuple[_Built, Select]:
    table = relationship.mapper.local_table.alias()
    statement = _Statement(table)
    reading = statement.read(plan, table)
    if relationship.direction is MANYTOMANY:
        ((_, parent_key),) = relationship.synchronize_pairs
        ((child_key, through_key),) = relationship.secondary_synchronize_pairs
        secondary = relationship.secondary.alias()
        owner = secondary.c[parent_key.key]
        source: FromClause = table.join(secondary, secondary.c[through_key.key] == table.c[child_key.key])
    else:
        ((_, parent_key),) = relationship.synchronize_pairs
        owner = table.c[parent_key.key]
        source = table
    order = _ordering(relationship, table)
    joined = _joinable(plan)
    joined_reading = None
    if joined is not None:
        joined_reading = statement.join_collection(reading, joined[1], joined[2])
        order = [*order, table.c[_column(plan.model, "id").key], *_ordering(joined[1], joined_reading.table)]
    text_keys = text_keys and has_text_form(owner)
    parent_key = owner.type.python_type if text_keys else None
    built = _Built(
        statement.columns, statement.from_clause(source), reading, joined, joined_reading, order, owner, parent_key
    )
    query = (
        select(*built.columns, text_form(owner) if text_keys else owner)
        .select_from(built.source)
        .where(owner.in_(bindparam("parents", expanding=True)))
        .order_by(*order)
    )
    return built, query


def load_rows(
    plan: Plan, query: Select, *, extra: Iterable[ColumnElement] = (), limited: bool
) -> tuple[list[Row], list[tuple[Any, ...]]]:
    """The rows `query` (a select of `plan.model`, filtered and ordered) names, every nested level filled in.

    `extra` columns are added to the first statement and returned per row (a page's window count).
    `limited`: the query has a LIMIT, so a joined collection would cut the page; it joins none.
    """
    built = _root_statement(plan, limited)
    selected = query.with_only_columns(*built.columns, *extra, maintain_column_froms=False).select_from(built.source)
    if built.order:
        selected = selected.order_by(*built.order)
    width = len(built.columns)
    rows: dict[Any, Row] = {}
    extras = []
    results = _connection().execute(selected)
    for values, row, new in _assemble(results, built, lambda values: values[built.reading.first]):
        if new:
            rows[values[built.reading.first]] = row
            extras.append(tuple(values[width:]))
    loaded = list(rows.values())
    _load_collections(built.reading, loaded, built.joined)
    return loaded, extras


def _assemble(results: Iterable[Any], built: _Built, identity: Any) -> Iterable[tuple[Any, Row, bool]]:
    """(values, its row, whether the row is new) per result row; joined children appended to their rows."""
    seen: dict[Any, Row] = {}
    make, joined_make = built.reading.make, built.joined_reading and built.joined_reading.make
    joined_key = built.joined[0] if built.joined else None
    for values in results:
        key = identity(values)
        row = seen.get(key)
        new = row is None
        if new:
            row = seen[key] = make(values)
        if joined_make is not None:
            child = joined_make(values)
            if child is not None:
                row.__dict__[joined_key].append(child)
        yield values, row, new


def _load_collections(reading: _Reading, rows: list[Row], joined: Any) -> None:
    """The collections of `rows` (read by `reading`) and of their joined many-to-ones, but `joined`."""
    if not rows:
        return
    for many in reading.plan.manys:
        if many is not joined:
            _load_collection(rows, *many, text_keys="id" in reading.plan.texts)
    for key, one in reading.ones:
        _load_collections(one, [row.__dict__[key] for row in rows if row.__dict__[key] is not None], None)


def _load_collection(
    parents: list[Row], key: str, relationship: RelationshipProperty, plan: Plan, *, text_keys: bool
) -> None:
    """One statement for the collection `key` of every parent, each child appended to its parent."""
    built, query = _collection_statement(relationship, plan, text_keys)
    by_id = {parent.__dict__["id"]: parent for parent in parents}
    first = built.reading.first
    parents = list(by_id) if built.parent_key is None else [built.parent_key(key) for key in by_id]
    results = _connection().execute(query, {"parents": parents})
    children = []
    for values, row, new in _assemble(results, built, lambda values: (values[-1], values[first])):
        if new:
            by_id[values[-1]].__dict__[key].append(row)
            children.append(row)
    _load_collections(built.reading, children, built.joined)


def _connection() -> Any:
    """The session's connection, pending changes flushed: Core statements skip the ORM's execution layer."""
    db.session.flush()
    return db.session.connection()
