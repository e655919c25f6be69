"""The dashboard's GraphQL endpoint: `POST /graphql/` (and `/graphql`), authenticated by the REST JWT."""

from __future__ import annotations

from typing import Any

import orjson
from cross_web import HTTPException  # what strawberry's Flask view raises for transport errors
from flask import Blueprint, Request, Response, jsonify, request
from flask.typing import ResponseReturnValue
from flask_login import current_user as login_user
from strawberry.flask.views import GraphQLView
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from app.api import current_user
from app.json_limits import TooDeep, loads
from app.read_transactions import only_reads
from app.response_cache import kept_per_version, refuse_keeping


class DashboardGraphQLView(GraphQLView):
    """Strawberry's Flask view with the caller in the context and JSON for transport errors."""

    def get_context(self, request: Request, response: Response) -> dict[str, Any]:
        user = current_user() if login_user.is_authenticated else None
        return {"request": request, "response": response, "user": user}

    def encode_json(self, data: object) -> bytes:
        """orjson, as the REST API writes (strawberry's default is the standard library's json, several
        times slower); keys stay in the query's order, as GraphQL requires."""
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        try:
            return loads(data)
        except TooDeep as exc:
            raise HTTPException(400, str(exc)) from exc

    def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        """A result with errors is not kept for the data version (app.response_cache): only data is."""
        if result.errors:
            refuse_keeping()
        return super().process_result(request, result)

    def dispatch_request(self) -> ResponseReturnValue:
        try:
            _require_json_object_or_list()
            return self.run(request=request)
        except HTTPException as exc:
            response = jsonify({"detail": exc.reason, "errors": [{"message": exc.reason}]})
            response.status_code = exc.status_code
            return response


def _require_json_object_or_list() -> None:
    """Strawberry reads a JSON body as an object (or a batch list) and crashed on anything else: a 500 for
    `null`, a string or undecodable bytes. Refuse those as the transport error they are."""
    if request.is_json and not isinstance(request.get_json(silent=True), dict | list):
        raise HTTPException(400, "The body must be a JSON object with a `query`.")


def create_blueprint() -> Blueprint:
    """The blueprint serving the schema; GET (queries in the URL) and the in-browser IDE are off."""
    from app.graphql.schema import schema

    blueprint = Blueprint("graphql", __name__)
    view = DashboardGraphQLView.as_view("graphql", schema=schema, graphql_ide=None, allow_queries_via_get=False)
    only_reads(view)  # the schema has no mutations
    kept_per_version(view, frozenset({"POST"}))
    blueprint.add_url_rule("/graphql/", view_func=view, methods=["POST"], strict_slashes=False)
    return blueprint
