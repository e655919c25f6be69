"""Base schema classes, reusable fields and the generic nested-write machinery.

A schema's `post_load` returns a `Patch`: the validated input and the schema that read it.
`Patch.apply` writes it onto a model instance, treating each nested field by the kind of the
model relationship behind it, so a nested field is declared in a schema and never coded:

- owned one-to-one (a many-to-one with `delete-orphan`: `hq_location`, `home_page`, a link):
  created with the parent, merged on update, `null` removes it (the cascade deletes the row);
- owned one-to-many (`position_locations`, `applicationstatuslink_set`): the list given is the new
  truth, matched by uuid among the parent's own children; unmatched items are created, missing ones
  deleted by the cascade;
- references (`labels`, `user_company`, `application`, ...) arrive already resolved to instances by
  `Reference` and `LabelList`, through the owner-scoped lookups of `app.permissions`.

No function here commits: the view owns the transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from marshmallow import EXCLUDE, ValidationError, fields, post_load, pre_load
from marshmallow_sqlalchemy import ModelConverter, SQLAlchemySchema, SQLAlchemySchemaOpts
from sqlalchemy import inspect

from app.api.endpoints import api_url
from app.models.base import utcnow
from app.models.ownership import is_owned_many, is_owned_one
from app.permissions import acting_user, resolve_label, resolve_reference
from app.validation import INT32, PlainSchema, storable_text  # noqa: F401 - PlainSchema's home is app.validation


class WholeNumber(fields.Integer):
    """An integer that refuses 1.5 instead of truncating it to 1 (2.0 and "2" are still 2)."""

    def _validated(self, value: Any) -> int:
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid")
        return super()._validated(value)


class Converter(ModelConverter):
    """Column -> field conversion with the limits the database will enforce anyway."""

    SQLA_TYPE_MAPPING = {**ModelConverter.SQLA_TYPE_MAPPING, sa.Integer: WholeNumber}

    def _add_column_kwargs(self, kwargs: dict[str, Any], column: sa.Column) -> None:
        super()._add_column_kwargs(kwargs, column)
        validators = kwargs.setdefault("validate", [])
        if isinstance(column.type, sa.Integer):
            validators.append(INT32)
        if isinstance(column.type, sa.String | sa.Text):
            validators.append(storable_text)
        if column.default is not None or column.nullable:
            kwargs["required"] = False


class BlankableUUID(fields.UUID):
    """The `uuid` of an object in input: it only selects an existing nested item, never writes a key.

    The client sends `""` for 'none yet'. Anything that is not a uuid (blank, null, garbage) reads as
    None: like an unknown uuid, it matches nothing, so a nested item is created and a top-level object
    (whose uuid comes from the URL) is unaffected — the contract says to ignore it whatever its value.
    """

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> uuid.UUID | None:
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except ValidationError:
            return None


class ApiUrl(fields.Field):
    """The absolute URL of the object itself."""

    reads = ("id",)  # the columns it is made of (app.serialization.loader)
    sql_form = "api_url"  # how the database writes it (app.serialization.json_sql)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(dump_only=True, **kwargs)

    def get_value(self, obj: Any, attr: str, accessor: Any = None, default: Any = None) -> Any:
        return obj

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        return api_url(obj)


class Reference(fields.Field):
    """A many-to-one reference by uuid, resolved among the rows the acting user may see.

    Dumped from the foreign-key column (no query); a uuid that is missing or someone else's is
    rejected with the same message.
    """

    default_error_messages = {"invalid": "Not a valid UUID.", "not_found": "Object does not exist."}

    def __init__(self, model: type, id_attribute: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.model = model
        self.id_attribute = id_attribute
        self.reads = (id_attribute,)  # the column it is dumped from (app.serialization.loader)
        self.sql_form = "uuid"  # written by the database as that uuid (app.serialization.json_sql)

    def get_value(self, obj: Any, attr: str, accessor: Any = None, default: Any = None) -> Any:
        return getattr(obj, self.id_attribute, None)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return str(value) if value is not None else None

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if value in ("", None):
            if self.required:
                raise self.make_error("required")
            return None
        try:
            object_id = uuid.UUID(str(value))
        except (ValueError, TypeError, AttributeError) as exc:
            raise self.make_error("invalid") from exc
        obj = resolve_reference(self.model, object_id, acting_user())
        if obj is None:
            raise self.make_error("not_found")
        return obj


class LabelList(fields.Nested):
    """Labels attached to an object, replaced as a set; each is matched by uuid, else by text.

    The client sends `{}` for 'no labels'. Labels are never created through this field.
    """

    def __init__(self, schema: Any, **kwargs: Any) -> None:
        super().__init__(schema, many=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[Any]:
        if value in ({}, None):
            return []
        if not isinstance(value, list):
            raise ValidationError("Expected a list of labels.")
        labels, errors = [], {}
        for index, item in enumerate(value):
            label, error = self._resolve(item)
            if error:
                errors[index] = [error]
            elif label not in labels:
                labels.append(label)
        if errors:
            raise ValidationError(errors)
        return labels

    @staticmethod
    def _resolve(item: Any) -> tuple[Any, str | None]:
        if isinstance(item, str):
            item = {"text": item}
        if not isinstance(item, dict):
            return None, "Expected a label object."
        raw_id = item.get("uuid")
        text = item.get("text")
        label_id = None
        if raw_id not in ("", None):
            try:
                label_id = uuid.UUID(str(raw_id))
            except (ValueError, TypeError, AttributeError):
                return None, "Not a valid UUID."
        if label_id is None and not isinstance(text, str | type(None)):
            return None, "Label text must be a string."
        if label_id is None and text:
            try:
                storable_text(text)  # it goes into a query: the database would raise on it
            except ValidationError as exc:
                return None, str(exc.messages[0])
        label = resolve_label(acting_user(), label_id, text)
        if label is None:
            return None, f"Label {text or raw_id!r} does not exist."
        return label, None


@dataclass
class Patch:
    """Validated input for one model object, applied by `apply` (see the module docstring)."""

    model: type
    data: dict[str, Any]

    def apply(self, instance: Any = None, *, top_level: bool = True) -> Any:
        """Create (instance None) or update `instance` with this input; returns the object."""
        obj = instance if instance is not None else self.model()
        if instance is None and "user_id" in inspect(self.model).columns:
            # Every row with an owner column (OwnedMixin, and labels, whose owner may be null for the
            # global ones) is created as the caller's own; input can never choose the owner.
            obj.user_id = acting_user().id
        relationships = inspect(self.model).relationships
        for key, value in self.data.items():
            if key == "id":
                continue  # uuids select nested objects; they are never written
            relationship = relationships.get(key)
            if relationship is not None and is_owned_one(relationship):
                current = getattr(obj, key)
                setattr(obj, key, None if value is None else value.apply(current, top_level=False))
            elif relationship is not None and is_owned_many(relationship):
                setattr(obj, key, _apply_list(getattr(obj, key), value))
            else:
                setattr(obj, key, value)
        if top_level and instance is not None:
            obj.modified_at = utcnow()  # a change to nested parts or labels is a change too
        return obj


def _apply_list(current: list[Any], patches: list[Patch]) -> list[Any]:
    """The given list is the new truth: update by uuid, create the rest, drop what is missing."""
    by_id = {child.id: child for child in current}
    result = []
    for patch in patches:
        existing = by_id.pop(patch.data.get("id"), None)
        result.append(patch.apply(existing, top_level=False))
    return result


class BaseSchemaOpts(SQLAlchemySchemaOpts):
    def __init__(self, meta: Any, *args: Any, **kwargs: Any) -> None:
        if not hasattr(meta, "model_converter"):
            meta.model_converter = Converter
        super().__init__(meta, *args, **kwargs)


class BaseSchema(SQLAlchemySchema):
    """Fields every API object has, read-only echoes dropped, and `Patch` as the load result."""

    OPTIONS_CLASS = BaseSchemaOpts

    class Meta:
        unknown = EXCLUDE
        model_converter = Converter

    uuid = BlankableUUID(attribute="id", allow_none=True)
    api_url = ApiUrl()
    created_at = fields.DateTime(dump_only=True)
    modified_at = fields.DateTime(dump_only=True)

    @pre_load
    def _require_object(self, data: Any, **kwargs: Any) -> Any:
        if not isinstance(data, dict):
            raise ValidationError("Expected a JSON object.", field_name="non_field_errors")
        return data

    @post_load
    def _make_patch(self, data: dict[str, Any], **kwargs: Any) -> Patch:
        return Patch(self.opts.model, data)
