"""Parsed and validated documents, cached by their query text: a client sends the same few queries over
and over, and parsing plus validating one (every rule walks the whole document) cost more than running it.

`DocumentCache` is a schema extension. On a miss it lets strawberry parse and validate as it always does
and keeps the outcome; on a hit it hands strawberry that outcome, so a query answers exactly what it
answered the first time, validation errors included. Validation depends on the document and the schema's
rules alone (not on variables, the operation name or the caller), all fixed per query text and parse
options. What fails with an exception (a syntax error) is not kept: it fails the same way again.
The cache is bounded (least recently used first out, `app.graphql.lru`) and shared by the worker's threads.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from graphql import DocumentNode, GraphQLError
from strawberry.extensions import SchemaExtension

from app.graphql.lru import LRU

MAX_DOCUMENTS = 128  # distinct query texts kept per worker; a document is at most MAX_TOKENS tokens


@dataclass
class _Prepared:
    document: DocumentNode
    errors: tuple[GraphQLError, ...] | None = None  # None: not validated yet


documents: LRU[object, _Prepared] = LRU(MAX_DOCUMENTS)


class DocumentCache(SchemaExtension):
    """Reuse the parsed document and the validation errors of a query text seen before (see above).

    Must come after the extensions that set parse options (MaxTokensLimiter): they are part of the key.
    """

    def _key(self) -> object:
        context = self.execution_context
        return context.query, tuple(sorted(context.parse_options.items()))

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        key = self._key()
        entry = documents.get(key) if context.query else None
        if entry is not None:
            context.graphql_document = entry.document
            yield
            return
        yield  # strawberry parses; a syntax error is answered there and leaves no document
        if context.query and context.graphql_document is not None:
            documents.put(key, _Prepared(context.graphql_document))

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        entry = documents.get(self._key()) if context.query else None
        if entry is None or entry.document is not context.graphql_document:
            yield
            return
        if entry.errors is not None:
            context.pre_execution_errors = list(entry.errors)  # strawberry then skips its own validation
            yield
            return
        yield  # strawberry validates; a rule that raises leaves nothing kept
        if context.pre_execution_errors is not None:
            entry.errors = tuple(context.pre_execution_errors)
