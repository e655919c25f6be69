"""The executor: graphql-core's, with a shorter road for the fields that are only an attribute read.

Most fields of a page are leaves (a name, a uuid, `__typename`) read straight off their row. graphql-core
treats each like any field: it builds a resolve info, wraps the resolver in the middleware, checks for
awaitables twice and completes through the generic `complete_value`. For a field strawberry itself marks
as basic (no resolver, arguments, permissions or field extensions: `_is_default`) whose type is a scalar
or an enum, and for `__typename`, this executor reads and coerces the value directly, which is all those
steps amount to for such a field. Anything out of the ordinary on that road (a null for a non-null
field, a value the scalar refuses, an exception) goes back to graphql-core's own `execute_field`, which
reads the value again (an attribute read, without side effects) and reports it exactly as it always has.
Nothing takes the shortcut when a schema extension adds middleware (a `resolve` hook).

Fields of the same kind whose type is an object or a list of objects (`edges`, `node`, `applications`)
take a road of the same kind: the value is read, and each object's selections are executed as
graphql-core's `complete_object_value` does, without the resolve info, middleware wrapper and generic
completion around it. Such a field takes the long road when its value, or an item, is null (graphql-core
reports that), is not a list where one is due, when its object type checks `is_type_of`, and when its
selection carries a directive (`@stream`, `@defer`: incremental delivery is graphql-core's). An error
raised by a selection below is handled at each level as graphql-core's own completion handles it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    Undefined,
    is_leaf_type,
    is_object_type,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

# (object type name, field name) -> (resolver, leaf type, non-null) for the fields that may take the short road.
LeafFields = dict[tuple[str, str], tuple[Any, GraphQLLeafType, bool]]


@dataclass(frozen=True)
class ObjectRoad:
    """A basic field of an object type, or of a list of one: what its short road needs."""

    resolve: Any
    object_type: GraphQLObjectType
    non_null: bool
    many: bool  # a list of objects, each non-null (the lists of this schema)


ObjectFields = dict[tuple[str, str], ObjectRoad]
_plain_fields: dict[int, tuple[GraphQLSchema, LeafFields, ObjectFields]] = {}  # by id(schema), kept alive


def _unwrapped(type_: GraphQLOutputType) -> tuple[GraphQLOutputType, bool]:
    if isinstance(type_, GraphQLNonNull):
        return type_.of_type, True
    return type_, False


def _basic_fields(schema: GraphQLSchema) -> tuple[LeafFields, ObjectFields]:
    """The basic leaf and object fields of every object type of `schema`, found once per schema."""
    known = _plain_fields.get(id(schema))
    if known is not None and known[0] is schema:
        return known[1], known[2]
    leaves: LeafFields = {}
    objects: ObjectFields = {}
    for type_ in schema.type_map.values():
        if not is_object_type(type_) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            if field.args or not getattr(field.resolve, "_is_default", False):
                continue
            inner, non_null = _unwrapped(field.type)
            if is_leaf_type(inner):
                leaves[type_.name, name] = (field.resolve, inner, non_null)
                continue
            many = isinstance(inner, GraphQLList)
            item, item_non_null = _unwrapped(inner.of_type) if many else (inner, True)
            if is_object_type(item) and item.is_type_of is None and item_non_null:
                objects[type_.name, name] = ObjectRoad(field.resolve, item, non_null, many)
    _plain_fields[id(schema)] = (schema, leaves, objects)
    return leaves, objects


class _TakeTheLongRoad(Exception):
    """The short road met something only graphql-core's own field execution reports correctly."""


class DashboardExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor with the short road for plain leaf fields and `__typename` (see above)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        plain = manager is None or manager.get_field_resolver(_basic_fields) is _basic_fields
        self._leaves, self._objects = _basic_fields(self.schema) if plain else (None, None)

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any,
    ) -> Any:
        leaves = self._leaves
        if leaves is not None:
            name = field_details_list[0].node.name.value
            if name == "__typename":
                return parent_type.name
            road = leaves.get((parent_type.name, name))
            if road is not None:
                try:
                    return self._read_leaf(source, *road)
                except Exception:  # noqa: S110 - graphql-core's own execution reports it below
                    pass
            objects = self._objects.get((parent_type.name, name))
            if objects is not None and not any(details.node.directives for details in field_details_list):
                value = objects.resolve(source, None)
                if self._fits(value, objects):
                    return self._complete_objects(objects, value, field_details_list, path, position_context)
        return super().execute_field(parent_type, source, field_details_list, path, position_context)

    def _fits(self, value: Any, road: ObjectRoad) -> bool:
        """Whether the short road completes `value` as graphql-core would (no null or odd value to report)."""
        if value is None or value is Undefined or isinstance(value, Exception) or self.is_awaitable(value):
            return False
        if not road.many:
            return True
        return isinstance(value, list | tuple) and all(item is not None for item in value)

    def _complete_objects(
        self, road: ObjectRoad, value: Any, field_details_list: Any, path: Any, position_context: Any
    ) -> Any:
        """graphql-core's `complete_object_value` (or its list completion) for a value that fits; an error
        raised below is handled where graphql-core handles it: at each item, then at this field."""
        object_type = road.object_type
        execute = self.collect_and_execute_subfields
        try:
            if not road.many:
                return execute(object_type, field_details_list, path, value, position_context)
            completed = []
            for index, item in enumerate(value):
                item_path = path.add_key(index, None)
                try:
                    completed.append(execute(object_type, field_details_list, item_path, item, position_context))
                except Exception as raw_error:
                    self.handle_field_error(raw_error, GraphQLNonNull(object_type), field_details_list, item_path)
                    completed.append(None)  # where errors do not propagate (it raised otherwise)
            return completed
        except Exception as raw_error:
            field_type = GraphQLList(GraphQLNonNull(object_type)) if road.many else object_type
            self.handle_field_error(
                raw_error, GraphQLNonNull(field_type) if road.non_null else field_type, field_details_list, path
            )
            return None

    def _read_leaf(self, source: Any, resolve: Any, leaf: GraphQLLeafType, non_null: bool) -> Any:
        value = resolve(source, None)  # strawberry's basic resolver reads the attribute; it takes no info
        if value is None:
            if non_null:
                raise _TakeTheLongRoad
            return None
        if value is Undefined or isinstance(value, Exception) or self.is_awaitable(value):
            raise _TakeTheLongRoad
        coerced = leaf.coerce_output_value(value)
        if coerced is None or coerced is Undefined:
            raise _TakeTheLongRoad
        return coerced
