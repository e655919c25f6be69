"""The query depth limit, on documents whose fragment spreads all name a defined fragment.

Strawberry's `QueryDepthLimiter` measures a document when its rule is built, before any other validation
rule has looked at it, and looked an undefined fragment up with `fragments[name]`: `{ ...Nope }` raised a
KeyError, answered as the message `'Nope'` and logged as a server failure. Such a document is left to
graphql-core's own `KnownFragmentNamesRule`, run beside it, which answers "Unknown fragment 'Nope'.".
"""

from __future__ import annotations

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    ValidationContext,
    ValidationRule,
    Visitor,
    visit,
)
from strawberry.extensions import AddValidationRules
from strawberry.extensions.query_depth_limiter import create_validator


class _SpreadNames(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: object) -> None:
        self.names.add(node.name.value)


def spreads_are_defined(document: DocumentNode) -> bool:
    """Whether every `...Name` in the document has its `fragment Name` in it."""
    defined = {node.name.value for node in document.definitions if isinstance(node, FragmentDefinitionNode)}
    spreads = _SpreadNames()
    visit(document, spreads)
    return spreads.names <= defined


class QueryDepthLimit(AddValidationRules):
    """`QueryDepthLimiter(max_depth)`, skipped where a fragment is undefined (that is an error already)."""

    def __init__(self, max_depth: int) -> None:
        measure = create_validator(max_depth, should_ignore=None)

        class DepthRule(ValidationRule):
            def __init__(self, context: ValidationContext) -> None:
                super().__init__(context)
                if spreads_are_defined(context.document):
                    measure(context)  # reports an operation that is too deep on the context

        super().__init__([DepthRule])
