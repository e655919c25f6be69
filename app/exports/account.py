"""The whole account as JSON, and its restore into an empty account.

Every table of the models is either exported (EXPORTED_TABLES) or refused (REFUSED_TABLES): an allow-list,
so a new table, which might hold a secret, is exported only once someone says so (a test fails until then).
How an exported table is read is generic over the models' metadata:
- *owned* tables are those with a `user_id` foreign key to `user` (companies, applications, labels,
  images, import batches, ...): the user's rows are exported;
- *dependent* tables have no owner column but a required foreign key to an owned table (the label
  association tables): a row is exported when every row it points at is the user's or a global one.
Credentials never leave the server. Global labels are referenced by uuid, not copied.

A restore gives every row a new uuid and rewrites every foreign key (and every old uuid found inside
JSON values) to the new ones, so the restored rows can neither collide with nor point at anyone else's;
a reference that is neither in the file nor visible to the user (a global label) is refused, and so is a
JSON value the importer keeps that its readers could not use (`app.imports.stored`). The shape
of the file is documented in README.md, "Account export".
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import Column, Table, UniqueConstraint, and_, exists, insert, or_, select

from app.codec import DecodeError, decode, encode, python_type
from app.errors import APIError
from app.extensions import db
from app.imports.stored import STORED_JSON
from app.locking import lock_rows
from app.models import Base, User
from app.models.base import utcnow
from app.permissions import owned_rows_clause, owner_clause

FORMAT = "appl-tracky-account"
VERSION = 1
OWNER_COLUMN = "user_id"
EXPORTED_TABLES = frozenset(
    {
        "address",
        "application",
        "application_labels",
        "application_status",
        "application_status_link",
        "company",
        "company_labels",
        "company_rating",
        "import_batch",
        "import_record",
        "label",
        "link",
        "position_location",
        "stored_image",
    }
)
# The account itself goes in the file's `account` part (never its password hash); refresh-token
# revocations and feed tokens are credentials of this account on this server.
REFUSED_TABLES = frozenset({"user", "revoked_token", "feed_token"})


def _is_owned(table: Table) -> bool:
    column = table.c.get(OWNER_COLUMN)
    return column is not None and any(fk.column.table.name == User.__tablename__ for fk in column.foreign_keys)


def _strictly_owned(table: Table) -> bool:
    return _is_owned(table) and not table.c[OWNER_COLUMN].nullable


@cache
def account_tables() -> tuple[Table, ...]:
    """The tables an account export holds (EXPORTED_TABLES), parents before children."""
    chosen = []
    for table in Base.metadata.sorted_tables:
        if table.name not in EXPORTED_TABLES:
            continue
        if not _is_owned(table) and not any(
            not fk.parent.nullable and _strictly_owned(fk.column.table) for fk in table.foreign_keys
        ):
            raise RuntimeError(f"table {table.name} is exported but has no owner to select its rows by")
        chosen.append(table)
    return tuple(chosen)


def _model_of(table: Table) -> type | None:
    for mapper in Base.registry.mappers:
        if mapper.local_table is table:
            return mapper.class_
    return None


def _visible_ids(target: Column, user: User) -> Any:
    """A SELECT of the values of `target` (a key column) in rows `user` may see (own or global)."""
    model = _model_of(target.table)
    clause = owner_clause(model, user) if model is not None else owned_rows_clause(target.table, user)
    return select(target).where(clause)


def _scope(table: Table, user: User) -> Any:
    """The rows of `table` that belong in `user`'s export."""
    if _is_owned(table):
        return owned_rows_clause(table, user)
    conditions = []
    for fk in table.foreign_keys:
        if fk.column.table.name == User.__tablename__:
            condition = fk.parent == user.id
        else:
            condition = fk.parent.in_(_visible_ids(fk.column, user))
        conditions.append(or_(fk.parent.is_(None), condition) if fk.parent.nullable else condition)
    return and_(*conditions)


def _order(table: Table) -> list[Column]:
    created = table.c.get("created_at")
    return [*([created] if created is not None else []), *table.primary_key.columns]


def dump_account(user: User) -> dict[str, Any]:
    """Everything `user` owns, table by table, every column of every row (see the module docstring)."""
    tables = {}
    for table in account_tables():
        query = select(table).where(_scope(table, user)).order_by(*_order(table))
        tables[table.name] = [
            {key: encode(value) for key, value in row.items()} for row in db.session.execute(query).mappings()
        ]
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": utcnow().isoformat(),
        "account": {
            "uuid": str(user.id),
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
        },
        "tables": tables,
    }


@dataclass
class Restore:
    """One restore: the rows read from the file, the uuid map, and the problems found."""

    user: User
    id_map: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    ids_by_table: dict[str, dict[uuid.UUID, uuid.UUID]] = field(default_factory=lambda: defaultdict(dict))
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    errors: dict[str, dict[str, Any]] = field(default_factory=lambda: defaultdict(dict))

    def error(self, table: str, index: int, column: str, message: str) -> None:
        self.errors[table].setdefault(str(index), {}).setdefault(column, []).append(message)


def _check_envelope(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValidationError({"format": [f"Not an account export (expected format {FORMAT!r})."]})
    if data.get("version") != VERSION:
        raise ValidationError({"version": [f"Version {data.get('version')!r} is not supported (expected {VERSION})."]})
    tables = data.get("tables")
    if not isinstance(tables, dict):
        raise ValidationError({"tables": ["Expected an object of tables."]})
    known = {table.name for table in account_tables()}
    unknown = {name: ["Unknown table."] for name in tables if name not in known}
    if unknown:
        raise ValidationError({"tables": unknown})
    for name, rows in tables.items():
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise ValidationError({"tables": {name: ["Expected a list of objects."]}})
    return tables


def _check_empty(user: User) -> None:
    occupied = [
        table.name
        for table in account_tables()
        if _is_owned(table) and db.session.scalar(select(exists().where(owned_rows_clause(table, user))))
    ]
    if occupied:
        raise APIError(409, f"The account is not empty ({', '.join(occupied)}): restore into an empty account.")


def _own_keys(table: Table) -> list[Column]:
    """The primary-key columns that are the row's own uuid (not a foreign key to another row)."""
    return [c for c in table.primary_key.columns if not c.foreign_keys and python_type(c) is uuid.UUID]


def _assign_new_ids(restore: Restore, tables: dict[str, list[dict[str, Any]]]) -> None:
    for table in account_tables():
        for index, row in enumerate(tables.get(table.name, [])):
            for column in _own_keys(table):
                try:
                    old = decode(column, row.get(column.name))
                except DecodeError:
                    continue  # reported when the row is decoded
                if old is None:
                    continue
                if old in restore.id_map:
                    restore.error(table.name, index, column.name, "Duplicate uuid in the file.")
                restore.id_map[old] = restore.ids_by_table[table.name][old] = uuid.uuid4()


def _remap_json(value: Any, id_map: dict[uuid.UUID, uuid.UUID]) -> Any:
    """Old uuids held as text inside JSON documents (batches, import records) become the new ones."""
    if isinstance(value, dict):
        return {key: _remap_json(item, id_map) for key, item in value.items()}
    if isinstance(value, list):
        return [_remap_json(item, id_map) for item in value]
    if isinstance(value, str) and len(value) in (32, 36):
        try:
            new = id_map.get(uuid.UUID(value))
        except ValueError:
            return value
        return str(new) if new is not None else value
    return value


def _decode_row(restore: Restore, table: Table, index: int, row: dict[str, Any], pending: dict) -> dict[str, Any]:
    decoded: dict[str, Any] = {}
    own_keys = _own_keys(table)
    checks = STORED_JSON.get(table.name, {})
    for name in row.keys() - table.c.keys():
        restore.error(table.name, index, name, "Unknown column.")
    for column in table.columns:
        if column.name == OWNER_COLUMN and _is_owned(table):
            decoded[column.name] = restore.user.id
            continue
        if column.name not in row:
            if not column.nullable and column.default is None and column.server_default is None:
                restore.error(table.name, index, column.name, "Missing data for required field.")
            continue
        try:
            value = decode(column, row[column.name])
        except DecodeError as exc:
            restore.error(table.name, index, column.name, str(exc))
            continue
        problems = checks[column.name](value) if column.name in checks else []
        if problems:  # a value its readers (undo, commit, layout) could not use
            for problem in problems:
                restore.error(table.name, index, column.name, problem)
            continue
        fk = next(iter(column.foreign_keys), None)
        if value is None:
            pass
        elif column in own_keys:
            value = restore.id_map[value]
        elif fk is not None:
            target = fk.column.table.name
            if target == User.__tablename__:
                value = restore.user.id
            elif value in restore.ids_by_table[target]:
                value = restore.ids_by_table[target][value]
            else:
                # Not in the file: it must be a row the user may use as it is (a global label).
                pending[(fk.column, value)].append((table.name, index, column.name))
        elif python_type(column) is dict:
            value = _remap_json(value, restore.id_map)
        decoded[column.name] = value
    return decoded


def _check_references(restore: Restore, pending: dict) -> None:
    by_target: dict[Column, set[uuid.UUID]] = defaultdict(set)
    for target, value in pending:
        by_target[target].add(value)
    for target, values in by_target.items():
        found = set(db.session.scalars(_visible_ids(target, restore.user).where(target.in_(values))))
        for value in values - found:
            for table, index, column in pending[(target, value)]:
                restore.error(table, index, column, "Refers to a row that is neither in the file nor yours.")


def _unique_columns(table: Table) -> list[Column]:
    """Columns other than keys whose values must be unique on the server (an image's storage key)."""
    unique = {c for c in table.columns if c.unique}
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint) and len(constraint.columns) == 1:
            unique |= set(constraint.columns)
    return [c for c in unique if not c.primary_key and not c.foreign_keys]


def _check_unique_values(restore: Restore) -> None:
    """A unique value already on the server (the original account still holds that image) is a 409."""
    taken = []
    for table in account_tables():
        for column in _unique_columns(table):
            values = {row[column.name] for row in restore.rows[table.name] if row.get(column.name) is not None}
            if values and db.session.scalar(select(exists().where(column.in_(values)))):
                taken.append(f"{table.name}.{column.name}")
    if taken:
        raise APIError(
            409,
            f"Values that must be unique are already in use on this server ({', '.join(taken)}): the account "
            "the file was exported from still holds them. Delete that account (or those rows) first.",
        )


def restore_account(data: Any, user: User) -> Restore:
    """Load an account export into `user`'s empty account (the caller commits); a 400 or 409 otherwise."""
    tables = _check_envelope(data)
    # Restores (and import state changes) of one account run one at a time; the emptiness is checked
    # under that lock, so of concurrent restores exactly one finds the account empty.
    lock_rows(User, [user.id])
    _check_empty(user)
    restore = Restore(user)
    _assign_new_ids(restore, tables)
    pending: dict[tuple[Column, uuid.UUID], list[tuple[str, int, str]]] = defaultdict(list)
    for table in account_tables():
        restore.rows[table.name] = [
            _decode_row(restore, table, index, row, pending) for index, row in enumerate(tables.get(table.name, []))
        ]
    _check_references(restore, pending)
    if restore.errors:
        raise ValidationError({"tables": dict(restore.errors)})
    _check_unique_values(restore)
    for table in account_tables():
        _insert(table, restore.rows[table.name])
    return restore


def _insert(table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows, grouped by the columns they give (the others take their defaults)."""
    groups: dict[frozenset[str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[frozenset(row)].append(row)
    for group in groups.values():
        db.session.execute(insert(table), group)
