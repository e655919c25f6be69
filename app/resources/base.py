"""The generic REST view: list, create, retrieve, update (partial, full, batch) and delete, once.

A concrete resource names its model, schemas and filters; this class applies the owner check
from `app.permissions` to every query and every reference in input, eager-loads what the schema
nests, and owns the request's single transaction (commit once, roll back on any error).
"""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any, ClassVar

from flask import Blueprint, request
from flask.typing import ResponseReturnValue
from flask.views import MethodView
from flask_login import current_user, login_required
from marshmallow import Schema, ValidationError, fields
from sqlalchemy import Select, inspect
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.strategy_options import _AbstractLoad
from werkzeug.exceptions import BadRequest

from app.errors import APIError
from app.extensions import db
from app.filters import Filter
from app.models import User
from app.permissions import acting_as, check_writable, get_visible_or_404, visible
from app.resources.pagination import paginate
from app.resources.schemas import API_ENDPOINTS, BaseSchema, Patch
from app.serialization import dump, dump_many, dumper

DEFAULT_ORDERING = "-modified_at"


@cache
def eager_options(schema_class: type[Schema], model: type) -> tuple[_AbstractLoad, ...]:
    """`selectinload` every relationship the schema dumps, recursively: constant queries per request."""
    options = []
    relationships = inspect(model).relationships
    for name, field in schema_class().dump_fields.items():
        nested = field.inner if isinstance(field, fields.List) else field
        if not isinstance(nested, fields.Nested):
            continue
        relationship = relationships.get(field.attribute or name)
        if relationship is None:
            continue
        loader = selectinload(getattr(model, relationship.key))
        children = eager_options(type(nested.schema), relationship.mapper.class_)
        options.append(loader.options(*children) if children else loader)
    return tuple(options)


def json_body() -> Any:
    """The request's JSON; malformed or absurdly nested input is a 400, never a 500."""
    try:
        return request.get_json()
    except (RecursionError, BadRequest) as exc:
        # Flask answers undecodable JSON with a bare BadRequest outside debug mode; say what was wrong.
        # (A wrong content type is a 415 and a body over MAX_CONTENT_LENGTH a 413: not BadRequests.)
        raise APIError(400, "Malformed JSON in the request body.") from exc


class ResourceView(MethodView):
    """Generic owner-scoped CRUD for one model; subclasses set the class attributes below."""

    decorators: ClassVar[list] = [login_required]
    model: ClassVar[type]
    schema: ClassVar[type[BaseSchema]]
    create_schema: ClassVar[type[BaseSchema] | None] = None  # defaults to `schema`
    update_schema: ClassVar[type[BaseSchema] | None] = None  # defaults to `schema`
    filters: ClassVar[dict[str, Filter]] = {}
    # PATCH on the collection is the batch update; leave it out to refuse batches.
    collection_methods: ClassVar[tuple[str, ...]] = ("GET", "POST")
    detail_methods: ClassVar[tuple[str, ...]] = ("GET", "PATCH", "PUT", "DELETE")

    def dispatch_request(self, **kwargs: Any) -> ResponseReturnValue:
        with acting_as(self.user):
            return super().dispatch_request(**kwargs)

    @property
    def user(self) -> User:
        return current_user._get_current_object()

    # -- reading ---------------------------------------------------------------------------------

    def get(self, uuid: uuid.UUID | None = None) -> ResponseReturnValue:
        """List the caller's objects (paginated, filtered, ordered), or retrieve one."""
        if uuid is not None:
            return dump(self.schema, self.get_object(uuid))
        rows, envelope = paginate(self.list_query())
        return {**envelope, "results": dump_many(self.schema, rows)}

    def list_query(self) -> Select:
        query = visible(self.model, self.user).options(*eager_options(self.schema, self.model))
        errors = {}
        for name, flt in self.filters.items():
            if name in request.args:
                try:
                    query = flt.apply(query, request.args[name])
                except ValidationError as exc:
                    errors[name] = exc.messages
        if errors:
            raise ValidationError(errors)
        return query.order_by(*self.ordering())

    def ordering(self) -> list[Any]:
        """`?ordering=field` or `-field` on any column the model has; newest change first otherwise."""
        requested = request.args.get("ordering") or DEFAULT_ORDERING
        columns = inspect(self.model).columns
        name = requested.lstrip("-")
        name = "id" if name == "uuid" else name
        if name not in columns or name == "user_id":
            requested, name = DEFAULT_ORDERING, DEFAULT_ORDERING.lstrip("-")
        column = columns[name]
        primary = column.desc() if requested.startswith("-") else column.asc()
        return [primary, self.model.id]

    def get_object(self, object_id: uuid.UUID, *, for_write: bool = False) -> Any:
        obj = get_visible_or_404(self.model, object_id, self.user, options=eager_options(self.schema, self.model))
        if for_write:
            check_writable(obj, self.user)
        return obj

    # -- writing ---------------------------------------------------------------------------------

    def post(self) -> ResponseReturnValue:
        """Create an object owned by the caller, with its nested parts, in one transaction."""
        patch = (self.create_schema or self.schema)().load(json_body())
        obj = self.perform_create(patch)
        db.session.add(obj)
        db.session.commit()
        return dump(self.schema, self.get_object(obj.id)), 201

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
        return dump(self.schema, self.get_object(object_id))

    def update_many(self) -> ResponseReturnValue:
        """Batch PATCH: every item names its uuid; any failure fails the whole batch."""
        items = json_body()
        if not isinstance(items, list) or not items:
            raise ValidationError({"non_field_errors": ["Expected a non-empty list of objects."]})
        schema = (self.update_schema or self.schema)()
        ids = [_item_id(item) for item in items]
        # One query loads every object of the batch, and one more reads them back: constant cost.
        objects = self.get_objects([object_id for object_id in ids if object_id is not None])
        errors: dict[str, Any] = {}
        for index, (item, object_id) in enumerate(zip(items, ids, strict=True)):
            try:
                self._update_item(schema, item, object_id, objects)
            except ValidationError as exc:
                errors[str(index)] = exc.messages
        if errors:
            raise ValidationError(errors)
        db.session.commit()
        updated = self.get_objects(ids)
        return dump_many(self.schema, [updated[object_id] for object_id in ids])

    def get_objects(self, object_ids: list[Any]) -> dict[uuid.UUID, Any]:
        """The caller's objects among `object_ids`, eager-loaded like `get_object`, by id."""
        query = visible(self.model, self.user).where(self.model.id.in_(set(object_ids)))
        return {obj.id: obj for obj in db.session.scalars(query.options(*eager_options(self.schema, self.model)))}

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


def _item_id(item: Any) -> uuid.UUID | None:
    """The uuid a batch item names, or None when it names none."""
    try:
        return uuid.UUID(str(item.get("uuid"))) if isinstance(item, dict) else None
    except ValueError:
        return None


def resource_blueprint(name: str, url: str, view: type[ResourceView]) -> Blueprint:
    """One blueprint for one resource: collection and detail URLs, with or without the slash."""
    blueprint = Blueprint(name, __name__)
    view_func = view.as_view("resource")
    blueprint.add_url_rule(url, view_func=view_func, methods=view.collection_methods, strict_slashes=False)
    blueprint.add_url_rule(f"{url}<uuid:uuid>/", view_func=view_func, methods=view.detail_methods, strict_slashes=False)
    API_ENDPOINTS[view.model] = f"{name}.resource"
    dumper(view.schema)  # compiled once, at start
    return blueprint
