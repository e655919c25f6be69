"""Build what a schema dumps as JSON text in the database, as PostgREST does: one statement per page.

Even read as plain rows (`app.serialization.loader`), a company page costs the worker most of its time in
turning hundreds of rows into Python values and those into JSON. The database can write the JSON itself:
a schema compiles, once per dialect, into one SQL expression giving one object's JSON text, over its
model's table:
- each field is encoded by the database (`to_json` on PostgreSQL, `json_quote` on SQLite), uuids and
  timestamps in the text their fields dump (`text_forms`);
- a nested many-to-one is a correlated scalar subquery; a nested collection is a correlated subquery
  aggregating its items (`string_agg ... ORDER BY` on PostgreSQL, `group_concat` over an ordered derived
  table on SQLite), in relationship order and then by id;
- keys come in sorted order and without spaces, as the app's JSON provider writes them;
- `api_url` fields are built from the detail URL's pieces (`app.api.endpoints.url_pieces`), which the
  statement binds per request (they name the host the request named).

Only fields whose output the database reproduces exactly are compiled: marshmallow's own text, uuid, ISO
datetime, date, integer, float, boolean and dict fields over columns of those types, nested schemas, and
custom fields that declare their SQL form in `sql_form` (`"api_url"`, or `"uuid"` of the column they read).
A schema with any other field has no document, and its resource dumps in Python as before. The two agree
field for field (tests/test_json_sql.py); floats on SQLite keep their shortest exact form.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson
from marshmallow import Schema, fields
from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Date,
    Float,
    FromClause,
    Integer,
    String,
    Text,
    Uuid,
    and_,
    bindparam,
    case,
    cast,
    func,
    inspect,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import RelationshipDirection, RelationshipProperty
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.util import ClauseAdapter
from sqlalchemy.sql.visitors import InternalTraversal

from app.models.base import UTCDateTime
from app.serialization.text_forms import text_form

DIALECTS = ("postgresql", "sqlite")
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")  # keys written into the SQL as literals


class Unsupported(Exception):
    """A field whose JSON the database would not write exactly as marshmallow does."""


@dataclass(frozen=True, eq=False)  # one per schema, model and dialect (`document`): its identity is its key
class Document:
    """One object's JSON text as an SQL expression over its model's table, and the URL models it binds."""

    expression: ColumnElement
    url_models: frozenset[type]

    def parameters(self, pieces: Mapping[type, tuple[str, str]]) -> dict[str, str]:
        """The statement's bound URL pieces, from each model's (prefix, suffix) of its detail URL."""
        bound = {}
        for model in self.url_models:
            prefix, suffix = pieces[model]
            bound[_prefix_name(model)], bound[_suffix_name(model)] = _escaped(prefix), _escaped(suffix)
        return bound


@cache
def document(schema_class: type[Schema], model: type, dialect: str) -> Document | None:
    """The compiled document of `schema_class` over `model` on `dialect`, or None where it has none."""
    if dialect not in DIALECTS:
        return None
    urls: set[type] = set()
    try:
        expression = _Builder(dialect, urls).object(schema_class(), model, inspect(model).local_table)
    except Unsupported:
        return None
    key = f"{schema_class.__module__}.{schema_class.__qualname__}:{model.__name__}:{dialect}"
    return Document(_Compiled(key, expression).label("document"), frozenset(urls))


def array_text(documents: Iterable[str]) -> str:
    """A JSON array of documents already written as JSON text."""
    return "[" + ",".join(documents) + "]"


def _untyped(schema_field: fields.Field) -> bool:
    """Whether a dict field dumps its value as it is (no key or value field converts its items)."""
    return getattr(schema_field, "key_field", True) is None and getattr(schema_field, "value_field", True) is None


def _prefix_name(model: type) -> str:
    return f"url_prefix_{inspect(model).local_table.name}"


def _suffix_name(model: type) -> str:
    return f"url_suffix_{inspect(model).local_table.name}"


def _escaped(text: str) -> str:
    """`text` as it is written inside a JSON string, by the app's own encoder."""
    return orjson.dumps(text).decode()[1:-1]


def _text(value: str) -> ColumnElement:
    """An SQL string literal; only plain keys and punctuation reach here (no quote or percent sign)."""
    return literal_column(f"'{value}'", String)


class _Compiled(ColumnElement):
    """A document's expression, cached by SQLAlchemy under its name alone.

    SQLAlchemy derives a statement's cache key from its whole tree on every execution, and a company
    page's tree has thousands of elements: that walk cost more than running the statement. A document's
    tree is fixed for its schema, model and dialect, and binds no values (the URL pieces are given at
    execution), so its name is key enough.
    """

    type = String()
    inherit_cache = True
    _traverse_internals = [("key", InternalTraversal.dp_string)]

    def __init__(self, key: str, expression: ColumnElement) -> None:
        self.key = key
        self.tree = expression

    @property
    def _from_objects(self) -> list[FromClause]:
        return self.tree._from_objects


@compiles(_Compiled)
def _compile_document(element: _Compiled, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.tree, **kw)


class _Concat(FunctionElement):
    """`a || b || c ...` in one flat expression: SQLAlchemy would nest each `||` in parentheses, and a
    page's document is deep enough for SQLite's parser to overflow on them."""

    type = String()
    inherit_cache = True


@compiles(_Concat)
def _compile_concat(element: _Concat, compiler: Any, **kw: Any) -> str:
    return "(" + " || ".join(compiler.process(part, **kw) for part in element.clauses) + ")"


Piece = str | ColumnElement  # literal JSON text, or an expression giving JSON text


class _Literal(ColumnElement):
    """Literal JSON text of a run (keys and punctuation: no quote or percent sign)."""

    type = String()
    inherit_cache = True
    _traverse_internals = [("text", InternalTraversal.dp_string)]

    def __init__(self, text: str) -> None:
        self.text = text


@compiles(_Literal)
def _compile_literal(element: _Literal, compiler: Any, **kw: Any) -> str:
    return f"'{element.text}'"


class _Run(FunctionElement):
    """Literal text and scalar values, no subquery among them, as one text.

    On SQLite it is one `printf` (one allocation where each `||` makes a new string), with the literal
    text in its format; elsewhere a `||` chain.
    """

    type = String()
    inherit_cache = True


_PRINTF_ARGUMENTS = 100  # SQLite allows 127 arguments to a function by default


@compiles(_Run, "sqlite")
def _compile_run_sqlite(element: _Run, compiler: Any, **kw: Any) -> str:
    printfs, text, arguments = [], "", []
    for part in element.clauses:
        if isinstance(part, _Literal):
            text += part.text.replace("%", "%%")
            continue
        if len(arguments) == _PRINTF_ARGUMENTS:
            printfs.append(f"printf('{text}', {', '.join(arguments)})")
            text, arguments = "", []
        text += "%s"
        arguments.append(compiler.process(part, **kw))
    printfs.append(f"printf('{text}', {', '.join(arguments)})" if arguments else f"'{text}'")
    return printfs[0] if len(printfs) == 1 else "(" + " || ".join(printfs) + ")"


@compiles(_Run)
def _compile_run(element: _Run, compiler: Any, **kw: Any) -> str:
    return "(" + " || ".join(compiler.process(part, **kw) for part in element.clauses) + ")"


def _run(pieces: list[Piece]) -> ColumnElement:
    """The pieces as one text, adjacent literals joined."""
    parts: list[ColumnElement] = []
    for piece in pieces:
        if isinstance(piece, str):
            if parts and isinstance(parts[-1], _Literal):
                parts[-1] = _Literal(parts[-1].text + piece)
            else:
                parts.append(_Literal(piece))
        else:
            parts.append(piece)
    return parts[0] if len(parts) == 1 else _Run(*parts)


def _concat(parts: list[ColumnElement]) -> ColumnElement:
    return parts[0] if len(parts) == 1 else _Concat(*parts)


class _Builder:
    """Compiles one schema tree for one dialect, collecting the models whose URLs it binds."""

    def __init__(self, dialect: str, urls: set[type]) -> None:
        self.dialect = dialect
        self.urls = urls

    def object(self, schema: Schema, model: type, table: FromClause) -> ColumnElement:
        members = []
        for name, schema_field in schema.dump_fields.items():
            key = schema_field.data_key if schema_field.data_key is not None else name
            if not _PLAIN_KEY.match(key):
                raise Unsupported(key)
            nested = type(schema_field)._serialize is fields.Nested._serialize
            members.append((key, self.value(name, schema_field, model, table), nested))
        members.sort(key=lambda member: member[0])
        # The text between two nested values is one run (`_Run`): SQLite copies all the text so far at
        # each `||`, so a long nested value is then copied once per nested value after it, not once per
        # field after it (a company's applications were copied some 20 times).
        chain: list[ColumnElement] = []
        pieces: list[Piece] = []
        for index, (key, value, nested) in enumerate(members):
            pieces.append(("{" if index == 0 else ",") + f'"{key}":')
            if nested:
                chain += [_run(pieces), *value]
                pieces = []
            else:
                pieces += value
        pieces.append("}" if members else "{}")
        chain.append(_run(pieces))
        return _concat(chain)

    def value(self, name: str, schema_field: fields.Field, model: type, table: FromClause) -> list[Piece]:
        """The field's JSON text, as pieces of a run."""
        serialize = type(schema_field)._serialize
        if serialize is fields.Nested._serialize:
            return [self.nested(name, schema_field, model, table)]
        sql_form = getattr(schema_field, "sql_form", None)
        if sql_form is not None:
            return self.declared(sql_form, schema_field, model, table)
        column = self.column(name, schema_field, model, table)
        column_type = column.type
        if serialize is fields.String._serialize and isinstance(column_type, String | Text):
            return [self.scalar(column)]
        if serialize is fields.UUID._serialize and isinstance(column_type, Uuid):
            return self.plain_text(text_form(column), column.nullable)
        if (
            serialize is fields.DateTime._serialize
            and type(schema_field) is fields.DateTime
            and schema_field.format in (None, "iso")
            and isinstance(column_type, UTCDateTime)
        ):
            return self.plain_text(text_form(column), column.nullable)
        if serialize is fields.Date._serialize and schema_field.format in (None, "iso") and type(column_type) is Date:
            return [self.scalar(column)]
        if serialize is fields.Number._serialize and not schema_field.as_string:
            if schema_field.num_type is int and isinstance(column_type, Integer):
                return [self.scalar(column)]
            if schema_field.num_type is float and isinstance(column_type, Float) and not column_type.asdecimal:
                return [self.float(column)]
        if serialize is fields.Boolean._serialize and isinstance(column_type, Boolean):
            return [self.boolean(column)]
        untyped = (
            getattr(schema_field, "key_field", True) is None and getattr(schema_field, "value_field", True) is None
        )
        if serialize is fields.Dict._serialize and isinstance(column_type, JSON) and untyped:
            return [self.json(column)]
        raise Unsupported(name)

    def column(self, name: str, schema_field: fields.Field, model: type, table: FromClause) -> ColumnElement:
        attribute = schema_field.attribute or name
        own = type(schema_field)
        if own.get_value is not fields.Field.get_value or not schema_field._CHECK_ATTRIBUTE:
            raise Unsupported(name)
        attributes = inspect(model).column_attrs
        if "." in attribute or attribute not in attributes:
            raise Unsupported(name)
        if schema_field.dump_default is not fields.missing_:
            raise Unsupported(name)
        (column,) = attributes[attribute].columns
        return table.c[column.key]

    def declared(self, sql_form: str, schema_field: fields.Field, model: type, table: FromClause) -> list[Piece]:
        (attribute,) = schema_field.reads
        (column,) = inspect(model).column_attrs[attribute].columns
        if not isinstance(column.type, Uuid):
            raise Unsupported(attribute)
        uuid_text = text_form(table.c[column.key])
        if sql_form == "uuid":
            return self.plain_text(uuid_text, column.nullable)
        if sql_form == "api_url" and not column.nullable:
            self.urls.add(model)
            # The pieces are bound already escaped as JSON (Document.parameters).
            prefix = bindparam(_prefix_name(model), type_=String)
            suffix = bindparam(_suffix_name(model), type_=String)
            return ['"', prefix, uuid_text, suffix, '"']
        raise Unsupported(sql_form)

    def nested(self, name: str, schema_field: fields.Nested, model: type, table: FromClause) -> ColumnElement:
        relationship: RelationshipProperty | None = inspect(model).relationships.get(schema_field.attribute or name)
        if relationship is None:
            raise Unsupported(name)
        child_model = relationship.mapper.class_
        child = relationship.mapper.local_table.alias()
        document = self.object(schema_field.schema, child_model, child)
        many = schema_field.many or schema_field.schema.many
        if relationship.direction is RelationshipDirection.MANYTOONE and not many:
            pairs = relationship.local_remote_pairs
            where = and_(*(child.c[remote.key] == table.c[local.key] for local, remote in pairs))
            return func.coalesce(select(document).where(where).scalar_subquery(), _text("null"))
        if not (relationship.uselist and many):
            raise Unsupported(name)
        source: FromClause = child
        if relationship.direction is RelationshipDirection.MANYTOMANY:
            secondary = relationship.secondary.alias()
            where = and_(
                *(secondary.c[remote.key] == table.c[local.key] for local, remote in relationship.synchronize_pairs)
            )
            on = and_(
                *(
                    child.c[local.key] == secondary.c[remote.key]
                    for local, remote in relationship.secondary_synchronize_pairs
                )
            )
            source = child.join(secondary, on)
        else:
            where = and_(
                *(child.c[remote.key] == table.c[local.key] for local, remote in relationship.synchronize_pairs)
            )
        adapter = ClauseAdapter(child)
        order = [adapter.traverse(clause) for clause in relationship.order_by or ()]
        order += [child.c[column.key] for column in relationship.mapper.primary_key]
        return self.array(document, source, where, order, table)

    def array(
        self, document: ColumnElement, source: FromClause, where: ColumnElement, order: list, parent: FromClause
    ) -> ColumnElement:
        if self.dialect == "postgresql":
            items = func.string_agg(document, aggregate_order_by(_text(","), *order))
            aggregated = select(func.coalesce(items, _text(""))).select_from(source).where(where)
        else:  # SQLite: group_concat keeps the order of an ordered derived table
            ordered = (
                select(document.label("document"))
                .select_from(source)
                .where(where)
                .order_by(*order)
                .correlate(parent)
                .subquery()
            )
            aggregated = select(func.coalesce(func.group_concat(ordered.c.document, _text(",")), _text("")))
        return _concat([_text("["), aggregated.scalar_subquery(), _text("]")])

    # -- scalars: JSON text, never NULL ------------------------------------------------------------

    def plain_text(self, text: ColumnElement, nullable: bool | None) -> list[Piece]:
        """A text form that needs no escaping (uuids, timestamps): quoted by the run's own text."""
        if nullable:
            return [self.scalar(text)]
        return ['"', text, '"']

    def scalar(self, value: ColumnElement) -> ColumnElement:
        if self.dialect == "postgresql":
            return func.coalesce(cast(func.to_json(value), Text), _text("null"))
        return func.json_quote(value)

    def float(self, value: ColumnElement) -> ColumnElement:
        if self.dialect == "postgresql":
            # float8 prints its shortest exact form, but a whole number without ".0" (Python: 1000.0), and
            # the values JSON has no number for as strings (orjson writes null).
            text = cast(func.to_json(value), Text)
            return case(
                (value.is_(None), _text("null")),
                (value.in_([_text("NaN"), _text("Infinity"), _text("-Infinity")]), _text("null")),
                (text.regexp_match(_text("[.eE]")), text),
                else_=text.op("||", return_type=String)(_text(".0")),
            )
        # SQLite's json_quote keeps 15 digits: where that is not the same double, all 17.
        quoted = func.json_quote(value)
        exact = func.printf(_text("%!.17g"), value)
        return case((cast(quoted, Float) == value, quoted), (value.is_(None), _text("null")), else_=exact)

    def boolean(self, value: ColumnElement) -> ColumnElement:
        if self.dialect == "postgresql":
            return self.scalar(value)
        return case((value.is_(None), _text("null")), (value, _text("true")), else_=_text("false"))

    def json(self, value: ColumnElement) -> ColumnElement:
        if self.dialect == "postgresql":
            return func.coalesce(cast(value, Text), _text("null"))
        return func.coalesce(func.json(value), _text("null"))
