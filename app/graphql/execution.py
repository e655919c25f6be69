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

Where every field graphql-core collects for such an object takes one of these roads, all the way down,
the objects are completed by a plan of that selection (`_plan`: a reader per response key, made once per
execution from graphql-core's own collected fields, which @include and @skip have already decided), with
no path, no per-field dispatch and no completion around each value. The plan gives up at the first
thing out of the ordinary (a null, a value its scalar refuses, a non-list, an exception): that object or
list is then completed again the way described above, which reports it exactly as graphql-core does. The
values are attribute reads, so reading them twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from operator import attrgetter
from typing import Any

from graphql import (
    GraphQLField,
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

# (object type name, field name) -> (reader, leaf type, non-null) for the fields that may take the short road.
LeafFields = dict[tuple[str, str], tuple[Callable[[Any], Any], GraphQLLeafType, bool]]


@dataclass(frozen=True)
class ObjectRoad:
    """A basic field of an object type, or of a list of one: what its short road needs."""

    read: Callable[[Any], Any]
    object_type: GraphQLObjectType
    non_null: bool
    many: bool  # a list of objects, each non-null (the lists of this schema)


ObjectFields = dict[tuple[str, str], ObjectRoad]
_plain_fields: dict[int, tuple[GraphQLSchema, LeafFields, ObjectFields]] = {}  # by id(schema), kept alive


def _unwrapped(type_: GraphQLOutputType) -> tuple[GraphQLOutputType, bool]:
    if isinstance(type_, GraphQLNonNull):
        return type_.of_type, True
    return type_, False


def _reader(field: GraphQLField) -> Callable[[Any], Any]:
    """How a basic field reads its value off its source: what strawberry's resolver of it does (its default
    resolver on the field's Python name: `StrawberryField.get_result`), without the two calls around it."""
    definition = field.extensions.get("strawberry-definition")
    if definition is not None and definition.is_basic_field and definition.default_resolver is getattr:
        return attrgetter(definition.python_name)
    resolve = field.resolve
    return lambda source: resolve(source, None)  # a basic resolver takes no info


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
                leaves[type_.name, name] = (_reader(field), inner, non_null)
                continue
            many = isinstance(inner, GraphQLList)
            item, item_non_null = _unwrapped(inner.of_type) if many else (inner, True)
            if is_object_type(item) and item.is_type_of is None and item_non_null:
                objects[type_.name, name] = ObjectRoad(_reader(field), item, non_null, many)
    _plain_fields[id(schema)] = (schema, leaves, objects)
    return leaves, objects


_Plan = Callable[[Any], dict[str, Any]]  # one object's completed selections, built straight from it


def _constant(value: Any, _source: Any) -> Any:
    return value


class _TakeTheLongRoad(Exception):
    """The short road met something only graphql-core's own field execution reports correctly."""


class DashboardExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor with the short road for plain leaf fields and `__typename` (see above)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        plain = manager is None or manager.get_field_resolver(_basic_fields) is _basic_fields
        self._leaves, self._objects = _basic_fields(self.schema) if plain else (None, None)
        # Plans of selection sets, memoized as graphql-core memoizes their collected fields: by type and the
        # identity of the field details, kept alive with the plan (this execution only: variables decide
        # what @include and @skip collect).
        self._plans: dict[tuple[str, int], tuple[Any, _Plan | None]] = {}

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
                value = objects.read(source)
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
        plan = self._plan(object_type, field_details_list)
        if plan is not None:
            try:
                return [plan(item) for item in value] if road.many else plan(value)
            except Exception:  # noqa: S110 - the completion below reports it as graphql-core does
                pass
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

    def _plan(self, object_type: GraphQLObjectType, field_details_list: Any) -> _Plan | None:
        """The plan completing objects of `object_type` under these field details, when each field collected
        for them takes a short road (`__typename`, a leaf, or an object whose own selections do); else None."""
        key = (object_type.name, id(field_details_list))
        known = self._plans.get(key)
        if known is not None:
            return known[1]
        self._plans[key] = (field_details_list, None)  # a selection that reaches itself is not planned
        plan = self._make_plan(object_type, field_details_list)
        self._plans[key] = (field_details_list, plan)
        return plan

    def _make_plan(self, object_type: GraphQLObjectType, field_details_list: Any) -> _Plan | None:
        grouped, defers, _ = self.collect_subfields(object_type, field_details_list)
        if defers:
            return None
        steps: list[Callable[[Any], Any]] = []
        for details in grouped.values():
            name = details[0].node.name.value
            if name == "__typename":
                steps.append(partial(_constant, object_type.name))
                continue
            leaf = self._leaves.get((object_type.name, name))
            if leaf is not None:
                steps.append(partial(self._read_leaf_or_fail, *leaf))
                continue
            road = self._objects.get((object_type.name, name))
            if road is None or any(entry.node.directives for entry in details):
                return None
            inner = self._plan(road.object_type, details)
            if inner is None:
                return None
            steps.append(partial(self._planned_objects, road, inner))
        keys = tuple(grouped)
        return lambda source: dict(zip(keys, [step(source) for step in steps], strict=True))

    def _planned_objects(self, road: ObjectRoad, plan: _Plan, source: Any) -> Any:
        value = road.read(source)
        if not self._fits(value, road):
            raise _TakeTheLongRoad
        return [plan(item) for item in value] if road.many else plan(value)

    def _read_leaf_or_fail(self, read: Callable[[Any], Any], leaf: GraphQLLeafType, non_null: bool, source: Any) -> Any:
        return self._read_leaf(source, read, leaf, non_null)

    def _read_leaf(self, source: Any, read: Callable[[Any], Any], leaf: GraphQLLeafType, non_null: bool) -> Any:
        value = read(source)
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
