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
"""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    Undefined,
    is_leaf_type,
    is_object_type,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

# (object type name, field name) -> (resolver, leaf type, non-null) for the fields that may take the short road.
LeafFields = dict[tuple[str, str], tuple[Any, GraphQLLeafType, bool]]
_leaf_fields: dict[int, tuple[GraphQLSchema, LeafFields]] = {}  # by id(schema); the schema is kept alive


def _plain_leaf_fields(schema: GraphQLSchema) -> LeafFields:
    """The basic leaf fields of every object type of `schema`, found once per schema."""
    known = _leaf_fields.get(id(schema))
    if known is not None and known[0] is schema:
        return known[1]
    found: LeafFields = {}
    for type_ in schema.type_map.values():
        if not is_object_type(type_) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            non_null = isinstance(field.type, GraphQLNonNull)
            leaf = field.type.of_type if non_null else field.type
            if field.args or not getattr(field.resolve, "_is_default", False) or not is_leaf_type(leaf):
                continue
            found[type_.name, name] = (field.resolve, leaf, non_null)
    _leaf_fields[id(schema)] = (schema, found)
    return found


class _TakeTheLongRoad(Exception):
    """The short road met something only graphql-core's own field execution reports correctly."""


class DashboardExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor with the short road for plain leaf fields and `__typename` (see above)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        plain = manager is None or manager.get_field_resolver(_plain_leaf_fields) is _plain_leaf_fields
        self._leaves = _plain_leaf_fields(self.schema) if plain else None

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
        return super().execute_field(parent_type, source, field_details_list, path, position_context)

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
