"""Kept for existing imports: the filters now live in `app.filters` (shared with GraphQL)."""

from app.filters import Equals, Filter, IContains, RelatedEquals, RelatedIsNull

__all__ = ["Equals", "Filter", "IContains", "RelatedEquals", "RelatedIsNull"]
