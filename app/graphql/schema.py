"""The dashboard schema: one `companies` connection, for the authenticated caller only.

Field names are kept as written (no camel-casing); the connection's relay names are set explicitly.
Limits: query depth, document size and aliases are bounded, `first` is capped, and batched
queries are off, so one request cannot walk the whole database.
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors, MaxAliasesLimiter, MaxTokensLimiter
from strawberry.permission import BasePermission
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from app.graphql.companies import companies_page
from app.graphql.depth import QueryDepthLimit
from app.graphql.documents import DocumentCache
from app.graphql.errors import should_mask
from app.graphql.execution import DashboardExecutor
from app.graphql.types import CompanyConnection

MAX_DEPTH = 8  # the deepest real selection (a status link's url) is 7 below the root
MAX_TOKENS = 2000
MAX_ALIASES = 15


class IsAuthenticated(BasePermission):
    """A valid access token (read by Flask-Login's request loader) is required for any data."""

    message = "Authentication credentials were not provided or are not valid."

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return info.context.get("user") is not None


@strawberry.type
class Query:
    @strawberry.field(permission_classes=[IsAuthenticated])
    def companies(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        order_by: str | None = None,
        labels__text: str | None = None,
        labels__isnull: bool | None = None,
        name__icontains: str | None = None,
    ) -> CompanyConnection:
        """The caller's companies, newest change first unless `order_by` says otherwise."""
        return companies_page(
            info.context["user"],
            first=first,
            after=after,
            order_by=order_by,
            filters={
                "labels__text": labels__text,
                "labels__isnull": labels__isnull,
                "name__icontains": name__icontains,
            },
            selections=info.selected_fields[0].selections,
        )


class DashboardSchema(strawberry.Schema):
    """Logs only unexpected errors (with their traceback); client mistakes are answered, not logged."""

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        super().process_errors([error for error in errors if should_mask(error)], execution_context)


schema = DashboardSchema(
    query=Query,
    config=StrawberryConfig(auto_camel_case=False),
    execution_context_class=DashboardExecutor,
    # Factories: strawberry builds fresh extension instances for every request.
    extensions=[
        lambda: QueryDepthLimit(max_depth=MAX_DEPTH),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        DocumentCache,  # keyed by the parse options the limiters above set, too
        lambda: MaskErrors(should_mask_error=should_mask),
    ],
)
