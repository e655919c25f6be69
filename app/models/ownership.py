"""Owned children, declared on the mappers and found from them.

A parent owns a child when the relationship between them cascades `delete-orphan`:
- an owned one-to-one is held by a foreign key on the parent (`Company.home_page`, a rating's `source`),
  declared with `owned_one`; the database only sets that key to NULL when the parent goes;
- an owned one-to-many is held by a foreign key on the child (`Application.statuses`); the database
  cascades the deletion.
`owned_child_ids` follows both kinds, recursively, so a bulk deletion (undo of an import) can remove
every row the ORM would have removed for `session.delete(parent)`, and a new owned relation is covered
without touching the code that deletes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Mapped, RelationshipDirection, RelationshipProperty, Session, relationship

CHUNK = 500


def owned_one(target: type, column: str) -> Mapped:
    """A one-to-one child held by a foreign key on the parent and deleted with it."""
    return relationship(target, foreign_keys=column, cascade="all, delete-orphan", single_parent=True, lazy="select")


def is_owned_one(relationship: RelationshipProperty) -> bool:
    """A child the parent holds by its own foreign key and deletes with it (`hq_location`, a link)."""
    return relationship.direction is RelationshipDirection.MANYTOONE and "delete-orphan" in relationship.cascade


def is_owned_many(relationship: RelationshipProperty) -> bool:
    """Children that point at the parent and go with it (`position_locations`, `statuses`)."""
    return relationship.direction is RelationshipDirection.ONETOMANY and "delete-orphan" in relationship.cascade


def _chunks(ids: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _child_ids(session: Session, model: type, relation: RelationshipProperty, ids: list[Any]) -> list[Any]:
    (parent_key,) = inspect(model).primary_key
    found: list[Any] = []
    for chunk in _chunks(ids):
        if is_owned_one(relation):
            query = select(*[local for local, _ in relation.local_remote_pairs]).where(parent_key.in_(chunk))
        else:
            (child_key,) = relation.mapper.primary_key
            remote = [remote for _, remote in relation.local_remote_pairs]
            query = select(child_key).where(*[column.in_(chunk) for column in remote])
        found += [value for value in session.scalars(query) if value is not None]
    return found


def owned_child_ids(session: Session, model: type, ids: Iterable[uuid.UUID]) -> dict[type, list[uuid.UUID]]:
    """Every row owned, directly or through other owned rows, by the rows of `model` with these ids.

    By model, parents' children before their own children; the rows of `model` themselves are not included.
    Read it before deleting the parents: an owned one-to-one is only found through the parent's key.
    """
    found: dict[type, dict[uuid.UUID, None]] = {}
    pending: list[tuple[type, list[Any]]] = [(model, list(ids))]
    seen: set[tuple[type, Any]] = {(model, object_id) for object_id in pending[0][1]}
    while pending:
        parent, parent_ids = pending.pop(0)
        for relation in inspect(parent).relationships:
            if not (is_owned_one(relation) or is_owned_many(relation)):
                continue
            child = relation.mapper.class_
            new = [i for i in _child_ids(session, parent, relation, parent_ids) if (child, i) not in seen]
            if new:
                seen.update((child, i) for i in new)
                found.setdefault(child, {}).update(dict.fromkeys(new))
                pending.append((child, new))
    return {child: list(child_ids) for child, child_ids in found.items()}
