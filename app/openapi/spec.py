"""The OpenAPI 3 document, generated (never written by hand) from the URL map and the marshmallow schemas.

Every rule under /api/ is described: a `ResourceView` by its model, schemas, filters and the methods it
registers (the same generic operations for every resource); any other view by its docstring — the first
line is the summary, the rest the description, and a YAML block after `---` (apispec's convention)
adds or overrides parts of the operation (its `responses` add to the errors every such view has: 401,
404 for a path parameter, 400/413/415 for a body). A view without a docstring is left out, so the test that
compares the document with the URL map fails until it is documented. Whether an operation needs a token is
what its view declared when it was added (`login=` on `app.api.ApiBlueprint`), never guessed from wrappers.
"""

from __future__ import annotations

import inspect
import re
import sys
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.yaml_utils import load_yaml_from_docstring
from flask import Flask
from marshmallow.fields import Field
from sqlalchemy import inspect as sa_inspect
from werkzeug.routing import Rule

from app.api import requires_login
from app.openapi.components import (
    AUTH_OPERATIONS,
    ETAG_HEADER,
    IF_MATCH,
    error_responses,
    json_request,
    json_response,
    register_components,
)
from app.resources.base import ResourceView
from app.resources.schemas import ApiUrl, Reference

API_PREFIX = "/api/"
API_TITLE = "Appl Tracky API"
API_VERSION = "1.0.0"
API_DESCRIPTION = """\
The REST API of Appl Tracky, a job-application tracker: a user's companies, their applications, each \
application's statuses (applied, interview, offer, ...) with links, the locations of a position, labels, \
ratings and notes, plus spreadsheet imports, exports and live CSV feeds, and images pasted into notes. \
Every user sees and changes only their own data.

**Authentication.** `POST /api/api-token-auth/` with `{"username": <e-mail>, "password": ...}` answers \
`{"access", "refresh"}`. Send `Authorization: JWT <access>` (or `Bearer <access>`) on every other call; \
`POST /api/api-token-refresh/` trades a refresh token for a new access token and `POST /api/logout/` \
revokes it. Google sign-in is `POST /api/login/social/`. Image and feed URLs carry their own secret and \
need no token.

**Conventions.** JSON in and out, UTF-8. URLs end in a slash. Every object has `uuid`, `created_at`, \
`modified_at` and `api_url` (its absolute URL). Lists answer `{"count", "next", "previous", "results"}`, \
8 per page unless `page_size` (at most 100) says otherwise, newest change first unless `ordering` says \
otherwise. Errors are JSON: `{"detail": ...}`, or for invalid input a 400 with one key per offending \
field. Sign-in is rate-limited per client address and everything else per user; a 429 says when to \
retry in `Retry-After`.
"""
OPENAPI_VERSION = "3.0.3"
IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})
_ARGUMENT = re.compile(r"<(?:(?P<converter>[^:<>()]+)(?:\([^)]*\))?:)?(?P<name>[^<>:]+)>")
_CONVERTER_SCHEMAS = {
    "uuid": {"type": "string", "format": "uuid"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
}


def build_spec(app: Flask) -> dict[str, Any]:
    """The OpenAPI document of every route of `app` under /api/."""
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title=API_TITLE,
        version=API_VERSION,
        openapi_version=OPENAPI_VERSION,
        plugins=[plugin],
        info={"description": API_DESCRIPTION},
    )
    plugin.map_to_openapi_type(Reference, "string", "uuid")
    plugin.map_to_openapi_type(ApiUrl, "string", "uri")
    plugin.converter.add_attribute_function(_nullable_column)
    register_components(spec)

    paths: dict[str, dict[str, Any]] = {}
    tags: dict[str, str] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if not rule.rule.startswith(API_PREFIX):
            continue
        view = app.view_functions[rule.endpoint]
        tag = rule.endpoint.split(".")[0]
        view_class = getattr(view, "view_class", None)
        for method in sorted((rule.methods or set()) - IGNORED_METHODS):
            if view_class is not None and issubclass(view_class, ResourceView):
                operation = resource_operation(view_class, rule, method)
                tags.setdefault(tag, _class_doc(view_class))
            else:
                operation = documented_operation(view, view_class, rule, method)
                tags.setdefault(tag, _module_doc(view.__module__))
            if operation is not None:
                if "requestBody" in operation:  # any body may be malformed, too large or of another type
                    operation["responses"] = error_responses(400, 413, 415) | operation["responses"]
                operation.setdefault("tags", [tag])
                operation.setdefault("parameters", []).extend(_path_parameters(rule))
                paths.setdefault(openapi_path(rule), {})[method.lower()] = operation
    for name, description in sorted(tags.items()):
        spec.tag({"name": name, "description": description})
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    document["security"] = [{"JWT": []}]  # every operation needs a token unless it says `security: []`
    return document


def _nullable_column(converter: Any, field: Field, **kwargs: Any) -> dict[str, Any]:
    """A read-only field over a nullable column dumps null (`last_used_at`): say so in the spec.

    (Input fields say it through `allow_none`, which apispec reads; a dump-only field is declared without.)
    """
    model = getattr(getattr(field.parent, "opts", None), "model", None)
    if model is None or not field.dump_only or field.allow_none:
        return {}
    column = sa_inspect(model).columns.get(field.attribute or field.name or "")
    return {"nullable": True} if column is not None and column.nullable else {}


def openapi_path(rule: Rule) -> str:
    """`/api/companies/<uuid:uuid>/` -> `/api/companies/{uuid}/`."""
    return _ARGUMENT.sub(lambda match: "{" + match["name"] + "}", rule.rule)


def _path_parameters(rule: Rule) -> list[dict[str, Any]]:
    return [
        {
            "name": match["name"],
            "in": "path",
            "required": True,
            "schema": _CONVERTER_SCHEMAS.get(match["converter"] or "", {"type": "string"}),
        }
        for match in _ARGUMENT.finditer(rule.rule)
    ]


# -- the generic resource operations ---------------------------------------------------------------


def resource_operation(view: type[ResourceView], rule: Rule, method: str) -> dict[str, Any]:
    """The operation that the generic `ResourceView` performs for `method` on this rule."""
    detail = "uuid" in rule.arguments
    singular = _words(view.model.__name__)
    a_singular = f"{'an' if singular[0] in 'aeiou' else 'a'} {singular}"
    plural = rule.endpoint.split(".")[0].replace("_", " ")
    schema, create, update = view.schema, view.create_schema or view.schema, view.update_schema or view.schema
    name = rule.endpoint.split(".")[0]
    if method == "GET" and not detail:
        operation = {
            "summary": f"List {plural}",
            "description": "The caller's own, newest change first unless `ordering` says otherwise.",
            "operationId": f"{name}_list",
            "parameters": _list_parameters(view),
            "responses": {"200": json_response("A page of results.", _page(schema))} | error_responses(400, 401, 404),
        }
    elif method == "POST" and not detail:
        operation = {
            "summary": f"Create {a_singular}",
            "operationId": f"{name}_create",
            "requestBody": json_request(create),
            "responses": {"201": json_response(f"The created {singular}.", schema)} | error_responses(400, 401, 415),
        }
    elif method == "PATCH" and not detail:
        operation = {
            "summary": f"Update several {plural} at once",
            "description": "A list of partial objects, each with its `uuid` (once: a repeated uuid is a 400), at "
            "most `BATCH_MAX_ITEMS` (100) of them; one failure fails the whole batch. An item may carry `etag`, "
            "the `ETag` it was read with: if the object has changed since, the batch is a 412.",
            "operationId": f"{name}_batch_update",
            "requestBody": json_request({"type": "array", "items": update, "maxItems": 100}),
            "responses": {"200": json_response(f"The updated {plural}.", {"type": "array", "items": schema})}
            | error_responses(400, 401, 412, 415, 503),
        }
    elif method == "GET":
        operation = {
            "summary": f"Retrieve {a_singular}",
            "operationId": f"{name}_retrieve",
            "responses": {"200": {**json_response(f"The {singular}.", schema), "headers": ETAG_HEADER}}
            | error_responses(401, 404),
        }
    elif method in ("PATCH", "PUT"):
        partial = method == "PATCH"
        operation = {
            "summary": f"Update {a_singular}" if partial else f"Replace {a_singular}",
            "description": "Only the fields given change." if partial else "Required fields must be present.",
            "operationId": f"{name}_{'update' if partial else 'replace'}",
            "parameters": [IF_MATCH],
            "requestBody": json_request(update),
            "responses": {"200": {**json_response(f"The updated {singular}.", schema), "headers": ETAG_HEADER}}
            | error_responses(400, 401, 403, 404, 412, 415, 503),
        }
    else:
        operation = {
            "summary": f"Delete {a_singular}",
            "description": "Whatever belongs to it goes with it. A JSON body, if any, is ignored.",
            "operationId": f"{name}_delete",
            "parameters": [IF_MATCH],
            "responses": {"204": {"description": "Deleted."}} | error_responses(401, 403, 404, 412, 503),
        }
    own_doc = _overridden_doc(view, method)
    if own_doc:
        operation["summary"], _, description = own_doc.partition("\n")
        operation["description"] = description.strip() or operation.get("description", "")
    operation["responses"] |= error_responses(429)
    return operation


def _list_parameters(view: type[ResourceView]) -> list[dict[str, Any]]:
    parameters = [
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}, "description": "From 1."},
        {
            "name": "page_size",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 100},
            "description": "8 unless given; at most 100.",
        },
        {
            "name": "ordering",
            "in": "query",
            "schema": {"type": "string"},
            "description": "A field name, `-` first for descending; `-modified_at` unless given.",
        },
    ]
    for name, flt in view.filters.items():
        parameters.append(
            {"name": name, "in": "query", "schema": dict(flt.value_schema), "description": _class_doc(type(flt))}
        )
    return parameters


def _page(schema: Any) -> dict[str, Any]:
    link = {"type": "string", "format": "uri", "nullable": True}
    return {
        "type": "object",
        "required": ["count", "next", "previous", "results"],
        "properties": {
            "count": {"type": "integer"},
            "next": link,
            "previous": link,
            "results": {"type": "array", "items": schema},
        },
    }


def _overridden_doc(view: type[ResourceView], method: str) -> str | None:
    """The docstring of a concrete resource's own override of a method, if it has one."""
    handler = getattr(view, method.lower(), None)
    generic = getattr(ResourceView, method.lower(), None)
    if handler is None or handler is generic:
        return None
    return inspect.getdoc(handler)


# -- other views, described by their docstrings -----------------------------------------------------


def documented_operation(view: Any, view_class: type | None, rule: Rule, method: str) -> dict[str, Any] | None:
    """An operation from the view's docstring (and its YAML part); None when it has no docstring."""
    handler = getattr(view_class, method.lower(), None) if view_class is not None else view
    doc = inspect.getdoc(handler) if handler is not None else None
    if not doc:
        return None
    text = doc.split("\n---", 1)[0]
    summary, _, description = text.partition("\n")
    operation: dict[str, Any] = {
        "summary": summary.strip(),
        "operationId": rule.endpoint.replace(".", "_") + f"_{method.lower()}",
        "responses": {"200": {"description": "Success."}},
    }
    if description.strip():
        operation["description"] = description.strip()
    if not _requires_login(view, rule):
        operation["security"] = []
    else:
        operation["responses"] |= error_responses(401)
    if rule.arguments:  # an unknown key or uuid in the path
        operation["responses"] |= error_responses(404)
    operation.update(AUTH_OPERATIONS.get(rule.endpoint, {}))
    extra = load_yaml_from_docstring(doc) or {}
    responses = extra.pop("responses", {})
    operation.update(extra)
    if any(str(status).startswith("2") for status in responses):  # the view says what success is
        operation["responses"] = {k: v for k, v in operation["responses"].items() if not k.startswith("2")}
    # The YAML adds to the errors every such view has (401, 404 on a path parameter, 400/415 on a body).
    operation["responses"] = operation["responses"] | {str(k): v for k, v in responses.items()} | error_responses(429)
    return operation


def _requires_login(view: Any, rule: Rule) -> bool:
    """What the view declared when it was added (app.api.ApiBlueprint); a view that declared nothing is an error."""
    declared = requires_login(view)
    if declared is None:
        raise LookupError(f"{rule.rule} ({rule.endpoint}): add it through app.api.ApiBlueprint with login=True/False")
    return declared


# -- small helpers ----------------------------------------------------------------------------------


def _words(class_name: str) -> str:
    """`ApplicationStatus` -> `application status`."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", class_name).lower()


def _class_doc(cls: type) -> str:
    return cls.__dict__.get("__doc__") or _module_doc(cls.__module__)


def _module_doc(module_name: str) -> str:
    module = sys.modules.get(module_name)
    return inspect.cleandoc(module.__doc__) if module is not None and module.__doc__ else ""
