"""The generic REST view: list, create, retrieve, update (partial, full, batch) and delete, once.

A concrete resource names its model, schemas and filters; this class applies the owner check
from `app.permissions` to every query and every reference in input, eager-loads what the schema
nests, and owns the request's single transaction (commit once, roll back on any error).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cache, partial
from typing import Any, ClassVar

import orjson
from flask import current_app, request
from flask.typing import ResponseReturnValue
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields
from sqlalchemy import Integer, Select, bindparam, func, inspect, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.strategy_options import _AbstractLoad

from app.api import ApiBlueprint, current_user, json_body, paginate, paginate_items, register_detail
from app.api.endpoints import root_memo, url_pieces
from app.errors import APIError
from app.etags import (
    STALE_ITEMS,
    check_if_match,
    content_tag,
    data_tag,
    matches,
    page_headers,
    unchanged_tag,
    written_content_tag,
)
from app.extensions import db
from app.filters import Filter
from app.json_provider import WrittenJSON
from app.locking import for_update
from app.models import User
from app.permissions import READER_ID, check_writable, get_visible_or_404, readable_by_parameter, visible
from app.resources.schemas import BaseSchema, Patch
from app.response_cache import kept_per_version
from app.revalidation import revalidates
from app.serialization import dump, dump_many, dumper
from app.serialization.json_sql import Document, array_text, document
from app.serialization.loader import Plan, Row, load_rows, plan_for

DEFAULT_ORDERING = "-modified_at"
MAX_OFFSET = 2**31 - 1


@cache
def eager_options(schema_class: type[Schema], model: type, *, writes: bool = False) -> tuple[_AbstractLoad, ...]:
    """`selectinload` every relationship the schema dumps (`writes`: loads, for a write), recursively:
    constant queries per request."""
    options = []
    relationships = inspect(model).relationships
    schema = schema_class()
    for name, field in (schema.load_fields if writes else schema.dump_fields).items():
        nested = field.inner if isinstance(field, fields.List) else field
        if not isinstance(nested, fields.Nested):
            continue
        relationship = relationships.get(field.attribute or name)
        if relationship is None:
            continue
        loader = selectinload(getattr(model, relationship.key))
        children = eager_options(type(nested.schema), relationship.mapper.class_, writes=writes)
        options.append(loader.options(*children) if children else loader)
    return tuple(options)


class ResourceView(MethodView):
    """Generic owner-scoped CRUD for one model; subclasses set the class attributes below.

    `resource_blueprint` serves it with a login required and the caller as the acting user (app.api).
    """

    model: ClassVar[type]
    schema: ClassVar[type[BaseSchema]]
    create_schema: ClassVar[type[BaseSchema] | None] = None  # defaults to `schema`
    update_schema: ClassVar[type[BaseSchema] | None] = None  # defaults to `schema`
    filters: ClassVar[dict[str, Filter]] = {}
    # PATCH on the collection is the batch update; leave it out to refuse batches.
    collection_methods: ClassVar[tuple[str, ...]] = ("GET", "POST")
    detail_methods: ClassVar[tuple[str, ...]] = ("GET", "PATCH", "PUT", "DELETE")

    @property
    def user(self) -> User:
        return current_user()

    # -- reading ---------------------------------------------------------------------------------

    def get(self, uuid: uuid.UUID | None = None) -> ResponseReturnValue:
        """List the caller's objects (paginated, filtered, ordered), or retrieve one (with its ETag)."""
        unchanged = unchanged_tag(self.user)
        if unchanged is not None:
            return "", 304, page_headers(unchanged)
        if uuid is not None:
            data = data_tag(self.user)  # the version before the data: a tag is never newer than its page
            body, content = self.represent(uuid)
            return current_app.json.response(body), page_headers(f"{data}.{content}")
        data = data_tag(self.user)
        doc = self.document()
        if doc is not None:
            parameters = {**url_parameters(doc), READER_ID: self.user.id}
            texts, envelope = paginate_items(partial(_page_of_documents, self.document_statements(doc), parameters))
            return {**envelope, "results": WrittenJSON(array_text(texts))}, page_headers(data)
        plan = plan_for(self.schema, self.model)
        if plan is None:
            rows, envelope = paginate(self.list_query())
        else:
            rows, envelope = paginate_items(partial(_page_of_rows, plan, self.list_query(eager=False)))
        return {**envelope, "results": dump_many(self.schema, rows)}, page_headers(data)

    def document(self) -> Document | None:
        """The schema's JSON as the database writes it (`app.serialization.json_sql`), if it can."""
        return document(self.schema, self.model, db.session.get_bind().dialect.name)

    def read_document(self, object_id: uuid.UUID) -> str | None:
        """The caller's object as JSON text written by the database (a 404 if there is none), or None when
        the schema has no document."""
        doc = self.document()
        if doc is None:
            return None
        parameters = {**url_parameters(doc), READER_ID: self.user.id, "object_id": object_id}
        text = db.session.connection().execute(_detail_statement(doc, self.model), parameters).scalar()
        if text is None:
            raise APIError(404, "Not found.")
        return text

    def represent(self, object_id: uuid.UUID) -> tuple[Any, str]:
        """The caller's object as a response body (JSON the database wrote, or values), and the content
        part of its tag (`app.etags`), from the one or the other (a 404 if there is none)."""
        text = self.read_document(object_id)
        if text is not None:
            return WrittenJSON(text), written_content_tag(text)
        body = self.read(object_id)
        return body, content_tag(body)

    def content(self, object_id: uuid.UUID) -> str:
        """The content part of the tag of the caller's object as it is now (see `represent`)."""
        return self.represent(object_id)[1]

    def read(self, object_id: uuid.UUID) -> dict[str, Any]:
        """The representation of the caller's object (a 404 if there is none), read by its plan if it has one."""
        text = self.read_document(object_id)
        if text is not None:
            return orjson.loads(text)
        plan = plan_for(self.schema, self.model)
        if plan is None:
            return dump(self.schema, self.get_object(object_id))
        rows, _ = load_rows(plan, visible(self.model, self.user).where(self.model.id == object_id), limited=False)
        if not rows:
            raise APIError(404, "Not found.")
        return dump(self.schema, rows[0])

    def read_many(self, object_ids: list[Any]) -> list[dict[str, Any]]:
        """The representations of the caller's objects with these ids, in this order."""
        doc = self.document()
        if doc is not None:
            query = visible(self.model, self.user).where(self.model.id.in_(set(object_ids)))
            statement = query.with_only_columns(self.model.id, doc.expression, maintain_column_froms=True)
            texts = dict(db.session.connection().execute(statement, url_parameters(doc)).all())
            return [orjson.loads(texts[object_id]) for object_id in object_ids]
        plan = plan_for(self.schema, self.model)
        if plan is None:
            found = {str(key): obj for key, obj in self.get_objects(object_ids).items()}
        else:  # a row's id is its uuid's text (app.serialization.text_forms)
            query = visible(self.model, self.user).where(self.model.id.in_(set(object_ids)))
            found = {row.id: row for row in load_rows(plan, query, limited=False)[0]}
        return [dump(self.schema, found[str(object_id)]) for object_id in object_ids]

    def document_statements(self, doc: Document) -> PageStatements:
        """The statements of a page of documents for this request's filters and ordering, for any caller
        (`READER_ID`); an unfiltered list's are built once per ordering."""
        ordering = self.ordering_key()
        if not any(name in request.args for name in self.filters):
            return _unfiltered_statements(doc, self.model, ordering)
        query = self.filtered(select(self.model).where(readable_by_parameter(self.model)))
        return _page_statements(doc, self.model, query, ordering)

    def list_query(self, *, eager: bool = True) -> Select:
        query = visible(self.model, self.user)
        if eager:
            query = query.options(*eager_options(self.schema, self.model))
        return self.filtered(query).order_by(*self.ordering())

    def filtered(self, query: Select) -> Select:
        """`query` narrowed by the request's filters (a 400 naming each bad value)."""
        errors = {}
        for name, flt in self.filters.items():
            if name in request.args:
                try:
                    query = flt.apply(query, request.args[name])
                except ValidationError as exc:
                    errors[name] = exc.messages
        if errors:
            raise ValidationError(errors)
        return query

    def ordering_key(self) -> tuple[str, bool]:
        """`?ordering=field` or `-field` on any column the model has, as (column name, descending); newest
        change first otherwise."""
        requested = request.args.get("ordering") or DEFAULT_ORDERING
        name = requested.lstrip("-")
        name = "id" if name == "uuid" else name
        if name not in inspect(self.model).columns or name == "user_id":
            requested, name = DEFAULT_ORDERING, DEFAULT_ORDERING.lstrip("-")
        return name, requested.startswith("-")

    def ordering(self) -> list[Any]:
        """The ORDER BY of `ordering_key`, the id breaking ties."""
        return _ordering(self.model, self.ordering_key())

    def get_object(self, object_id: uuid.UUID, *, for_write: bool = False) -> Any:
        """The caller's object; `for_write` locks it (see app.locking), reads it afresh and checks If-Match."""
        options = self.write_options() if for_write else eager_options(self.schema, self.model)
        obj = get_visible_or_404(self.model, object_id, self.user, options=options, lock=for_write)
        if for_write:
            check_writable(obj, self.user)
            db.session.refresh(self.user, ["data_version"])  # as of the lock: what a writer before us left
            check_if_match(self.user, cache(partial(self.content, object_id)))
        return obj

    def write_options(self) -> tuple[_AbstractLoad, ...]:
        """Eager loads of what a write changes (the nested parts and labels its input may name)."""
        return eager_options(self.update_schema or self.schema, self.model, writes=True)

    # -- writing ---------------------------------------------------------------------------------

    def post(self) -> ResponseReturnValue:
        """Create an object owned by the caller, with its nested parts, in one transaction."""
        patch = (self.create_schema or self.schema)().load(json_body())
        obj = self.perform_create(patch)
        db.session.add(obj)
        db.session.commit()
        return self.read(obj.id), 201

    def patch(self, uuid: uuid.UUID | None = None) -> ResponseReturnValue:
        """Update some fields of one object (or, on the collection, of several at once)."""
        if uuid is None:
            return self.update_many()
        return self.update_one(uuid, partial=True)

    def put(self, uuid: uuid.UUID) -> ResponseReturnValue:
        """Replace an object: required fields must be present."""
        return self.update_one(uuid, partial=False)

    def update_one(self, object_id: uuid.UUID, *, partial: bool) -> ResponseReturnValue:
        obj = self.get_object(object_id, for_write=True)
        (self.update_schema or self.schema)().load(json_body(), partial=partial).apply(obj)
        db.session.commit()
        data = data_tag(self.user)
        body, content = self.represent(object_id)
        return current_app.json.response(body), {"ETag": f'"{data}.{content}"'}

    def update_many(self) -> ResponseReturnValue:
        """Batch PATCH: every item names its uuid (and may carry its `etag`); any failure fails the batch."""
        items = json_body()
        if not isinstance(items, list) or not items:
            raise ValidationError({"non_field_errors": ["Expected a non-empty list of objects."]})
        limit = current_app.config["BATCH_MAX_ITEMS"]
        if len(items) > limit:
            raise ValidationError({"non_field_errors": [f"A batch holds at most {limit} items ({len(items)} given)."]})
        schema = (self.update_schema or self.schema)()
        ids = [_item_id(item) for item in items]
        _refuse_repeats(ids)
        # One query locks and loads every object of the batch (in id order, so overlapping batches wait
        # for each other instead of deadlocking), and one more reads them back: constant cost.
        objects = self.get_objects([object_id for object_id in ids if object_id is not None], for_write=True)
        self._check_item_versions(items, ids, objects)
        errors: dict[str, Any] = {}
        for index, (item, object_id) in enumerate(zip(items, ids, strict=True)):
            try:
                self._update_item(schema, item, object_id, objects)
            except ValidationError as exc:
                errors[str(index)] = exc.messages
        if errors:
            raise ValidationError(errors)
        db.session.commit()
        return self.read_many(ids)

    def get_objects(self, object_ids: list[Any], *, for_write: bool = False) -> dict[uuid.UUID, Any]:
        """The caller's objects among `object_ids`, eager-loaded like `get_object`, by id (`for_write`: locked)."""
        query = visible(self.model, self.user).where(self.model.id.in_(set(object_ids)))
        query = query.options(*(self.write_options() if for_write else eager_options(self.schema, self.model)))
        if for_write:
            query = for_update(query.order_by(self.model.id), self.model).execution_options(populate_existing=True)
            found = {obj.id: obj for obj in db.session.scalars(query)}
            db.session.refresh(self.user, ["data_version"])  # as of the locks (see get_object)
            return found
        return {obj.id: obj for obj in db.session.scalars(query)}

    def _check_item_versions(self, items: list[Any], ids: list[Any], objects: dict[uuid.UUID, Any]) -> None:
        """A batch item's `etag` works like If-Match: a stale one fails the batch with a 412."""
        stale = {}
        current_data = data_tag(self.user)
        for index, (item, object_id) in enumerate(zip(items, ids, strict=True)):
            tag = item.get("etag") if isinstance(item, dict) else None
            if tag is None or object_id not in objects:
                continue
            content = cache(partial(self.content, object_id))
            if not isinstance(tag, str) or not matches(tag, current_data, content):
                stale[str(index)] = f'"{current_data}.{content()}"'
        if stale:
            raise APIError(412, STALE_ITEMS, stale=stale)

    def _update_item(self, schema: BaseSchema, item: Any, object_id: uuid.UUID | None, objects: dict) -> Any:
        if object_id is None:
            raise ValidationError({"uuid": ["A valid uuid of one of your objects is required."]})
        obj = objects.get(object_id)
        if obj is None:
            raise ValidationError({"uuid": ["Object does not exist."]})
        try:
            check_writable(obj, self.user)
        except APIError as exc:
            raise ValidationError({"uuid": [str(exc.detail)]}) from exc
        return schema.load(item, partial=True).apply(obj)

    def delete(self, uuid: uuid.UUID) -> ResponseReturnValue:
        """Delete an object and, by the model's cascades, everything that belongs to it."""
        self.perform_delete(self.get_object(uuid, for_write=True))
        db.session.commit()
        return "", 204

    # -- hooks -----------------------------------------------------------------------------------

    def perform_create(self, patch: Patch) -> Any:
        """Build the new object from validated input; override to set server-made fields too."""
        return patch.apply()

    def perform_delete(self, obj: Any) -> None:
        """Remove the object; override where a DELETE keeps the row (revokes, archives)."""
        db.session.delete(obj)


def _page_of_rows(plan: Plan, query: Select, offset: int, size: int) -> tuple[int, list[Row]]:
    """(How many rows `query` selects, the rows of one page): the count comes with the page, as a window.

    Only past the end (no row, hence no count) does it take a second statement; an offset no database
    could bind (a page number of 30 digits) is past the end of any list.
    """
    rows: list[Row] = []
    if offset <= MAX_OFFSET:
        rows, extras = load_rows(plan, query.limit(size).offset(offset), extra=[func.count().over()], limited=True)
        if rows:
            return extras[0][0], rows
        if offset == 0:
            return 0, rows
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0, rows


@dataclass(frozen=True)
class PageStatements:
    """A list's page of documents with the list's total (`page`, binding `READER_ID`, `PAGE_SIZE` and
    `PAGE_OFFSET`), and the total alone (`count`, for a page past the end, where `page` has no row)."""

    page: Select
    count: Select


PAGE_SIZE, PAGE_OFFSET = "page_size", "page_offset"


def _ordering(model: type, key: tuple[str, bool]) -> list[Any]:
    name, descending = key
    column = inspect(model).columns[name]
    return [column.desc() if descending else column.asc(), model.id]


def _page_statements(doc: Document, model: type, query: Select, ordering: tuple[str, bool]) -> PageStatements:
    """The statements of a page of `query`'s documents (`query` selects `model`, read by `READER_ID`).

    The page's ids and count are a subquery, so the database writes documents for that page's rows only
    (a window count beside the documents would make it write one for every row first).
    """
    order_by = _ordering(model, ordering)
    page = (
        query.with_only_columns(model.id.label("page_id"), func.count().over().label("total"))
        .order_by(*order_by)
        .limit(bindparam(PAGE_SIZE, type_=Integer))
        .offset(bindparam(PAGE_OFFSET, type_=Integer))
        .subquery()
    )
    table = inspect(model).local_table
    statement = (
        select(doc.expression, page.c.total)
        .select_from(table.join(page, page.c.page_id == model.id))
        .order_by(*order_by)
    )
    return PageStatements(statement, select(func.count()).select_from(query.subquery()))


@cache
def _unfiltered_statements(doc: Document, model: type, ordering: tuple[str, bool]) -> PageStatements:
    """`_page_statements` of every row a caller may read, built once per ordering: SQLAlchemy then neither
    rebuilds the statement nor derives its cache key again on each request."""
    return _page_statements(doc, model, select(model).where(readable_by_parameter(model)), ordering)


def _page_of_documents(
    statements: PageStatements, parameters: dict[str, Any], offset: int, size: int
) -> tuple[int, list[str]]:
    """(How many rows the list has, the JSON texts of one page), as `_page_of_rows` does."""
    connection = db.session.connection()
    if offset <= MAX_OFFSET:
        rows = connection.execute(statements.page, {**parameters, PAGE_SIZE: size, PAGE_OFFSET: offset}).all()
        if rows:
            return rows[0][1], [row[0] for row in rows]
        if offset == 0:
            return 0, []
    return connection.execute(statements.count, parameters).scalar() or 0, []


@cache
def _detail_statement(doc: Document, model: type) -> Select:
    """The statement of one object's document, for any caller (`readable_by_parameter`) and any id."""
    return select(doc.expression).where(readable_by_parameter(model), model.id == bindparam("object_id"))


def url_parameters(doc: Document) -> dict[str, str]:
    """The URL pieces a document binds, for the host this request named (the same dict for every request
    that names it: the statement only reads it)."""
    memo = root_memo()
    parameters = memo.get(doc)
    if parameters is None:
        parameters = memo[doc] = doc.parameters({model: url_pieces(model) for model in doc.url_models})
    return parameters


def _refuse_repeats(ids: list[uuid.UUID | None]) -> None:
    seen, repeated = set(), []
    for object_id in ids:
        if object_id is not None and object_id in seen and object_id not in repeated:
            repeated.append(object_id)
        seen.add(object_id)
    if repeated:
        listed = ", ".join(str(object_id) for object_id in repeated[:5])
        raise ValidationError({"non_field_errors": [f"Each uuid may appear once in a batch; repeated: {listed}."]})


def _item_id(item: Any) -> uuid.UUID | None:
    """The uuid a batch item names, or None when it names none."""
    try:
        return uuid.UUID(str(item.get("uuid"))) if isinstance(item, dict) else None
    except ValueError:
        return None


def resource_blueprint(name: str, url: str, view: type[ResourceView]) -> ApiBlueprint:
    """One blueprint for one resource: collection and detail URLs, with or without the slash, login required."""
    blueprint = ApiBlueprint(name, __name__)
    view_func = view.as_view("resource")
    if view.get is ResourceView.get:  # its first step is the 304 of an unchanged page (app.revalidation)
        revalidates(view_func)
        kept_per_version(view_func, frozenset({"GET"}))
    for rule, methods in ((url, view.collection_methods), (f"{url}<uuid:uuid>/", view.detail_methods)):
        blueprint.add_url_rule(rule, view_func=view_func, methods=methods, strict_slashes=False, login=True)
    register_detail(blueprint, view.model, "resource")
    dumper(view.schema)  # compiled once, at start
    return blueprint
