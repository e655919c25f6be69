"""Owner scoping, in one place, for REST, GraphQL, imports and exports alike.

Every query a caller can reach is built here: lists are filtered in SQL to the caller's rows
(plus the global labels, which everyone may read), lookups of another user's row behave exactly
like lookups of a missing one, and references in input are resolved through the same filter.

The acting user travels one way: as an explicit `user` argument, from the view (`app.api.current_user()`)
or the CLI command down through every engine (REST, imports, exports and their restore). The contextvar
behind `acting_as`/`acting_user` exists for the one layer that cannot take arguments, the marshmallow
fields of the nested writes (`app.resources.schemas`: marshmallow 4 has no context); `app.api` sets it
for every view, and any other caller that loads those schemas wraps the load in `acting_as`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.orm.interfaces import ORMOption

from app.errors import APIError
from app.extensions import db
from app.locking import for_update
from app.models import Label, User

M = TypeVar("M")

_acting_user: ContextVar[User | None] = ContextVar("acting_user", default=None)


@contextmanager
def acting_as(user: User) -> Iterator[User]:
    """Let the nested-write schemas read `user` as the acting user while the block runs (see above)."""
    token = _acting_user.set(user)
    try:
        yield user
    finally:
        _acting_user.reset(token)


def acting_user() -> User:
    """The user on whose behalf the nested-write schemas load input; an error if nobody is."""
    user = _acting_user.get()
    if user is None:
        raise RuntimeError("no acting user: wrap the call in permissions.acting_as(user)")
    return user


def owner_clause(model: type, user: User, *, for_write: bool = False) -> Any:
    """The SQL condition that keeps the rows of `model` that `user` may see (or change)."""
    if for_write and model is Label:
        return or_(Label.user_id == user.id, Label.user_id.is_(None)) if user.is_admin else (Label.user_id == user.id)
    return _readable(model, user.id)


READER_ID = "reader_id"  # the bound parameter of `readable_by_parameter`


def readable_by_parameter(model: type) -> Any:
    """`owner_clause(model, user)` (to read) with the user's id left as the bound parameter `READER_ID`:
    for a statement built once and run for every caller (SQLAlchemy then neither rebuilds it nor derives
    its cache key again)."""
    return _readable(model, bindparam(READER_ID))


def _readable(model: type, reader: Any) -> Any:
    """The rows of `model` the user whose id is `reader` (a value or a bound parameter) may see."""
    if model is User:
        return User.id == reader
    if model is Label:
        return or_(Label.user_id == reader, Label.user_id.is_(None))
    return model.user_id == reader


def owned_rows_clause(table: Any, user: User) -> Any:
    """The rows of a table with an owner column (`user_id`) that `user` owns — owns, not merely sees:
    global labels are nobody's. For whole-account work (the account export and restore)."""
    return table.c.user_id == user.id


def visible(model: type[M], user: User) -> Select[tuple[M]]:
    """A SELECT of the rows of `model` that `user` may see."""
    return select(model).where(owner_clause(model, user))


def get_visible_or_404(
    model: type[M], object_id: uuid.UUID, user: User, options: Sequence[ORMOption] = (), *, lock: bool = False
) -> M:
    """The row with that id if `user` may see it; a 404 otherwise (missing and foreign alike).

    `lock` takes the row's write lock first and reads it afresh (see app.locking), for a change.
    """
    query = visible(model, user).where(model.id == object_id).options(*options)
    if lock:
        query = for_update(query, model).execution_options(populate_existing=True)
    obj = db.session.scalars(query).first()
    if obj is None:
        raise APIError(404, "Not found.")
    return obj


def check_writable(obj: Any, user: User) -> None:
    """Refuse changes to a row the user may read but not change (a global label, for a non-admin)."""
    if isinstance(obj, Label) and obj.user_id is None and not user.is_admin:
        raise APIError(403, "Only an administrator can change a global label.")


def resolve_reference(model: type[M], object_id: uuid.UUID, user: User) -> M | None:
    """The referenced row if it exists and `user` may see it, else None (the caller reports it)."""
    return db.session.scalars(visible(model, user).where(model.id == object_id)).first()


def resolve_references(model: type[M], object_ids: Iterable[uuid.UUID], user: User) -> list[M]:
    """The referenced rows that exist and `user` may see; the others are simply not in the list."""
    ids = list(object_ids)
    if not ids:
        return []
    return list(db.session.scalars(visible(model, user).where(model.id.in_(ids))))


def resolve_label(user: User, label_id: uuid.UUID | None, text: str | None) -> Label | None:
    """A label the user may attach: by uuid, or else by text among their own and the global ones.

    The caller's own label wins over a global one of the same text.
    """
    if label_id is not None:
        return resolve_reference(Label, label_id, user)
    if not text:
        return None
    query = visible(Label, user).where(Label.text == text).order_by(Label.user_id.is_(None), Label.order)
    return db.session.scalars(query).first()
