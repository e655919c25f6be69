"""The one error class whose message a GraphQL client may read; every other exception is masked."""

from __future__ import annotations

from graphql import GraphQLError


class QueryError(Exception):
    """A bad argument or cursor: the client sees this message, with no data for the field."""

    # Copied into the error by graphql-core: tells clients (and fuzzers) bad input from a crash (Apollo's code).
    extensions = {"code": "BAD_USER_INPUT"}


def should_mask(error: GraphQLError) -> bool:
    """Hide unexpected exceptions (SQL, bugs); keep syntax, validation, permission and QueryError messages."""
    original = error.original_error
    return original is not None and not isinstance(original, QueryError | GraphQLError)
