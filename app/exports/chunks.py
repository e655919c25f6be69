"""Keyset pagination: walk an ordered query in chunks, each chunk a fixed number of SQL statements.

OFFSET pagination re-reads every skipped row; a keyset (`WHERE (a, b) > (last a, last b)`) reads each
row once, so a 5,000-row export costs ten chunks of the same few queries and holds one chunk at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from app.extensions import db


def _after(keys: tuple[InstrumentedAttribute, ...], values: tuple[Any, ...]) -> Any:
    """`keys > values` in lexicographic order, written out (row-value comparison is not portable)."""
    clauses = []
    for index, key in enumerate(keys):
        equal_before = [keys[i] == values[i] for i in range(index)]
        clauses.append(and_(*equal_before, key > values[index]))
    return or_(*clauses)


def keyset_chunks(query: Select, keys: tuple[InstrumentedAttribute, ...], chunk_size: int) -> Iterator[list[Any]]:
    """The ORM objects of `query`, ordered by `keys` (which must end with a unique column), in lists."""
    ordered = query.order_by(*keys).limit(chunk_size)
    last: tuple[Any, ...] | None = None
    while True:
        page = ordered if last is None else ordered.where(_after(keys, last))
        chunk = list(db.session.scalars(page))
        if chunk:
            yield chunk
        if len(chunk) < chunk_size:
            return
        last = tuple(getattr(chunk[-1], key.key) for key in keys)
        del chunk  # let this chunk's objects go before the next one loads
