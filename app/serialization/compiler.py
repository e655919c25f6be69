"""Compile a marshmallow schema, once, into a function that dumps an object exactly as `schema.dump` does.

marshmallow spends most of a dump on generic machinery per field and per object (hooks, accessors,
dotted-path lookups, the `serialize` wrapper). The schema stays the one declaration of what a resource
shows; this reads its `dump_fields` once and keeps only the work that is left for these fields:
- the value comes from `getattr` when the field and schema read attributes the standard way, else from
  the field's own `get_value`;
- a missing value takes the field's `dump_default`, and a key whose value stays missing is left out;
- fields whose `_serialize` is marshmallow's own for text, UUIDs, numbers, dates and nested schemas
  (many or not) are converted directly; any other field, custom ones included, calls its `_serialize`.
A schema with pre/post-dump hooks, another `dict_class` or its own `get_attribute` is dumped by
marshmallow itself, and so is an object that is a mapping (marshmallow reads keys before attributes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from operator import attrgetter
from typing import Any

from marshmallow import Schema, fields, missing, utils

Dump = Callable[[Any], Any]
Convert = Callable[[Any, Any], Any]  # (value, the object it was read from) -> output


@cache
def dumper(schema_class: type[Schema]) -> Dump:
    """The compiled dumper of `schema_class` (one object -> dict), built on first use and kept."""
    return compile_schema(schema_class())


def dump(schema_class: type[Schema], obj: Any) -> Any:
    """`schema_class().dump(obj)`, compiled."""
    return dumper(schema_class)(obj)


def dump_many(schema_class: type[Schema], objects: Iterable[Any]) -> list[Any]:
    """`schema_class(many=True).dump(objects)`, compiled."""
    one = dumper(schema_class)
    return [one(obj) for obj in objects]


def compile_schema(schema: Schema) -> Dump:
    """A function dumping one object as `schema.dump(obj, many=False)` would."""
    if not _compilable(schema):
        return lambda obj: schema.dump(obj, many=False)
    plan = [
        (
            field.data_key if field.data_key is not None else name,
            _plain_reader(name, field),
            _getter(schema, name, field),
            *_converter(name, field),
        )
        for name, field in schema.dump_fields.items()
    ]

    def dump_one(obj: Any) -> dict[str, Any]:
        if hasattr(obj, "__getitem__"):
            return schema.dump(obj, many=False)
        result = {}
        for key, read, get, convert, keeps_text in plan:
            if read is not None:
                try:
                    value = read(obj)
                except AttributeError:
                    continue
            else:
                value = get(obj)
                if value is missing:
                    continue
            if keeps_text and (value is None or value.__class__ is str):
                result[key] = value
                continue
            value = convert(value, obj)
            if value is not missing:
                result[key] = value
        return result

    return dump_one


def _compilable(schema: Schema) -> bool:
    hooks = schema._hooks
    return (
        not hooks.get("pre_dump")
        and not hooks.get("post_dump")
        and schema.dict_class is dict
        and type(schema).get_attribute is Schema.get_attribute
    )


def _plain_reader(name: str, field: fields.Field) -> Callable[[Any], Any] | None:
    """The attribute getter of a field read the standard way without a dump default, else None (`_getter`)."""
    attribute = field.attribute if field.attribute is not None else name
    standard = type(field).get_value is fields.Field.get_value and "." not in attribute
    if not field._CHECK_ATTRIBUTE or not standard or field.dump_default is not missing:
        return None
    return attrgetter(attribute)


def _getter(schema: Schema, name: str, field: fields.Field) -> Callable[[Any], Any]:
    """The field's value on an object, `missing` (or its dump default) when it has none."""
    if not field._CHECK_ATTRIBUTE:
        return lambda obj: None
    attribute = field.attribute if field.attribute is not None else name
    if type(field).get_value is fields.Field.get_value and "." not in attribute:
        read = attrgetter(attribute)

        def get(obj: Any) -> Any:
            try:
                return read(obj)
            except AttributeError:
                return missing
    else:

        def get(obj: Any) -> Any:
            return field.get_value(obj, name, accessor=schema.get_attribute)

    if field.dump_default is missing:
        return get
    default = field.dump_default

    def get_or_default(obj: Any) -> Any:
        value = get(obj)
        if value is missing:
            return default() if callable(default) else default
        return value

    return get_or_default


def _converter(name: str, field: fields.Field) -> tuple[Convert, bool]:
    """The field's `_serialize`, replaced by what it amounts to where it is marshmallow's own, and whether
    it gives back None and text (`str`) as they are, so that they need no call."""
    serialize = type(field)._serialize
    if serialize is fields.Nested._serialize:
        return _nested(field), False
    if serialize is fields.String._serialize:
        return _text, True
    if serialize is fields.UUID._serialize:
        return _string, True
    number = serialize is fields.Number._serialize and not field.as_string
    if number and type(field)._format_num is fields.Number._format_num:
        return _none_or(field.num_type), False
    if serialize is fields.DateTime._serialize:
        to_text = field.SERIALIZATION_FUNCS.get(field.format or field.DEFAULT_FORMAT)
        if to_text is not None:
            return _text_or(to_text), True
    return (lambda value, obj: field._serialize(value, name, obj)), False


def _nested(field: fields.Nested) -> Convert:
    schema = field.schema
    one = compile_schema(schema)
    if schema.many or field.many:
        return lambda value, obj: None if value is None else [one(item) for item in value]
    return lambda value, obj: None if value is None else one(value)


def _text(value: Any, obj: Any) -> str | None:
    if value.__class__ is str:
        return value
    return None if value is None else utils.ensure_text_type(value)


def _string(value: Any, obj: Any) -> str | None:
    return None if value is None else str(value)


def _none_or(function: Callable[[Any], Any]) -> Convert:
    return lambda value, obj: None if value is None else function(value)


def _text_or(function: Callable[[Any], Any]) -> Convert:
    """`function` of a value, but a value the loader read as its JSON text already (`text_forms`) as it is."""
    return lambda value, obj: value if value is None or value.__class__ is str else function(value)
