"""Updating an application from a changed row, and the snapshot that lets an undo put it back.

An update is a three-way merge: only what changed between the earlier import of the row and this
one is written, so whatever the user changed by hand since, and the sheet did not, stays as it is.
The snapshot holds the application's whole state before the update (fields, links, labels,
statuses and locations, by id), so `restore` puts back exactly that.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date
from typing import Any

from marshmallow import RAISE, fields, validate
from sqlalchemy.orm import selectinload

from app.imports.links import job_link, source_link
from app.models import Address, Application, ApplicationStatus, Company, Label, Link, PositionLocation, User
from app.models.application import DATE_BASES
from app.models.base import utcnow
from app.permissions import resolve_reference, resolve_references
from app.validation import INT32, PlainSchema, storable_text

FIELDS = ("user_company_id", "position_title", "notes", "job_description_notes", "extra")
ADDRESS_FIELDS = ("place_name", "country", "state", "city", "street", "full_address", "zipcode")
# What `snapshot`, `apply_update` and `restore` read of an application: load it with these, for a whole chunk.
SNAPSHOT_LOADS = (
    selectinload(Application.statuses),
    selectinload(Application.labels),
    selectinload(Application.position_locations).selectinload(PositionLocation.location),
    selectinload(Application.job_description_page),
    selectinload(Application.job_source),
)


def _link(link: Link | None) -> dict[str, Any] | None:
    return None if link is None else {"text": link.text, "url": link.url, "order": link.order}


def snapshot(application: Application) -> dict[str, Any]:
    """The application's state, JSON-safe."""
    return {
        **{name: _json(getattr(application, name)) for name in FIELDS},
        "modified_at": application.modified_at.isoformat(),
        "job_description_page": _link(application.job_description_page),
        "job_source": _link(application.job_source),
        "label_ids": [str(label.id) for label in application.labels],
        "statuses": [
            {
                "id": str(s.id),
                "text": s.text,
                "date": s.date.isoformat(),
                "order": s.order,
                "stage": s.stage,
                "date_basis": s.date_basis,
            }
            for s in application.statuses
        ],
        "locations": [
            {
                "id": str(p.id),
                "address": None if p.location is None else {name: getattr(p.location, name) for name in ADDRESS_FIELDS},
            }
            for p in application.position_locations
        ],
    }


def _text(column: Any, *, required: bool = True, **kwargs: Any) -> fields.String:
    """Text that fits `column` (its length) and the databases (no NUL)."""
    length = getattr(column.type, "length", None)
    checks = [storable_text, *([validate.Length(max=length)] if length else [])]
    return fields.String(required=required, validate=checks, **kwargs)


class _LinkSnapshot(PlainSchema):
    text = _text(Link.text)
    url = _text(Link.url)
    order = fields.Integer(strict=True, validate=INT32)


class _StatusSnapshot(PlainSchema):
    id = fields.UUID(required=True)
    text = _text(ApplicationStatus.text)
    date = fields.Date(required=True)
    order = fields.Integer(strict=True, required=True, validate=INT32)
    stage = _text(ApplicationStatus.stage, required=False, allow_none=True, load_default=None)
    date_basis = fields.String(validate=validate.OneOf(DATE_BASES), load_default="given")


# The address fields only: anything else a file puts there (ids, owners) is left out.
_AddressSnapshot = PlainSchema.from_dict(
    {name: _text(getattr(Address, name), required=False) for name in ADDRESS_FIELDS}, name="_AddressSnapshot"
)


class _LocationSnapshot(PlainSchema):
    id = fields.UUID(required=True)
    address = fields.Nested(_AddressSnapshot, required=True, allow_none=True)


class SnapshotSchema(PlainSchema):
    """What `snapshot` writes, as `restore` needs it. The importer writes snapshots itself, but an account
    restore brings them from a file: checked there, and by the undo before it writes anything."""

    class Meta:
        unknown = RAISE

    user_company_id = fields.UUID(required=True)
    position_title = _text(Application.position_title)
    notes = _text(Application.notes)
    job_description_notes = _text(Application.job_description_notes)
    extra = fields.Dict(keys=fields.String(), required=True, allow_none=True)
    modified_at = fields.AwareDateTime(default_timezone=UTC, required=True)
    job_description_page = fields.Nested(_LinkSnapshot, required=True, allow_none=True)
    job_source = fields.Nested(_LinkSnapshot, required=True, allow_none=True)
    label_ids = fields.List(fields.UUID(), required=True)
    statuses = fields.List(fields.Nested(_StatusSnapshot), required=True)
    locations = fields.List(fields.Nested(_LocationSnapshot), required=True)


def _json(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value


def _set_link(application: Application, name: str, text: str | None, url: str | None) -> None:
    """Set (text, url) on a one-to-one link, creating it when missing; (None, None) removes it."""
    current = getattr(application, name)
    if text is None and url is None:
        setattr(application, name, None)
    elif current is None:
        setattr(application, name, Link(user_id=application.user_id, text=text or "Link", url=url or ""))
    else:
        current.text, current.url = text or current.text, url if url is not None else current.url


def apply_update(
    application: Application,
    old: dict[str, Any],
    new: dict[str, Any],
    company_id: uuid.UUID | None,
    labels: list[Label],
    today: date,
) -> None:
    """Write onto `application` what changed from `old` to `new` (the earlier and the current row)."""
    if company_id is not None:
        application.user_company_id = company_id
    for key, attribute in (
        ("position_title", "position_title"),
        ("notes", "notes"),
        ("job_description", "job_description_notes"),
    ):
        if old.get(key) != new[key]:
            setattr(application, attribute, new[key])
    if old.get("extra") != new["extra"]:
        application.extra = new["extra"] or None
    if (old.get("job_url"), old.get("job_url_text")) != (new["job_url"], new.get("job_url_text")):
        if new["job_url"]:
            _set_link(application, "job_description_page", *job_link(new))
        else:
            _set_link(application, "job_description_page", None, None)
    if (old.get("job_source"), old.get("job_source_url")) != (new["job_source"], new.get("job_source_url")):
        if new["job_source"]:
            _set_link(application, "job_source", *source_link(new))
        else:
            _set_link(application, "job_source", None, None)
    _update_labels(application, old.get("labels", []), new["labels"], labels)
    _update_locations(application, old.get("locations", []), new["locations"])
    _update_statuses(application, old.get("statuses", []), new["statuses"], today)
    application.modified_at = utcnow()


def _update_labels(application: Application, old: list[str], new: list[str], added: list[Label]) -> None:
    gone = {text.casefold() for text in old} - {text.casefold() for text in new}
    application.labels = [label for label in application.labels if label.text.casefold() not in gone]
    for label in added:
        if label is not None and label not in application.labels:
            application.labels.append(label)


def _update_locations(application: Application, old: list[str], new: list[str]) -> None:
    gone = set(old) - set(new)
    kept = [p for p in application.position_locations if p.location is None or p.location.full_address not in gone]
    present = {p.location.full_address for p in kept if p.location is not None}
    for text in new:
        if text not in present:
            kept.append(
                PositionLocation(
                    user_id=application.user_id, location=Address(user_id=application.user_id, full_address=text)
                )
            )
    application.position_locations = kept


def status_entry(entry: list[Any]) -> tuple[str, str | None, str | None, str]:
    """(text, date, stage, date basis) of a stored status entry; an entry of an older import is [text, date]."""
    text, when = entry[0], entry[1]
    stage = entry[2] if len(entry) > 2 else None
    basis = entry[3] if len(entry) > 3 and entry[3] in DATE_BASES else ("given" if when else "undated")
    return text, when, stage, basis


def _update_statuses(application: Application, old: list[list[Any]], new: list[list[Any]], today: date) -> None:
    old_pairs = [(entry[0], entry[1]) for entry in old]
    new_pairs = [(entry[0], entry[1]) for entry in new]
    statuses = list(application.statuses)
    for text, when in old_pairs:
        if (text, when) in new_pairs:
            continue
        # A status written without a date got the import's day: match it by text alone.
        match = next((s for s in statuses if s.text == text and (when is None or s.date.isoformat() == when)), None)
        if match is not None:
            statuses.remove(match)
    for order, entry in enumerate(new):
        text, when, stage, basis = status_entry(entry)
        if (text, when) in old_pairs:
            continue
        statuses.append(
            ApplicationStatus(
                user_id=application.user_id,
                text=text,
                order=order,
                date=date.fromisoformat(when) if when else today,
                stage=stage,
                date_basis=basis,
            )
        )
    application.statuses = statuses


def load_snapshot(state: Any) -> dict[str, Any]:
    """A stored snapshot as `restore` takes it (uuids, dates); a ValidationError when it is not one."""
    return SnapshotSchema().load(state)


def restore(application: Application, state: dict[str, Any], user: User) -> None:
    """Put `application` back as `state` (a snapshot, as `load_snapshot` answers it) describes it.

    A snapshot is stored input (an account restore brings whatever its file says), so it is trusted no
    more than a request: its company and labels are resolved among `user`'s rows (and the global
    labels) through `app.permissions`, a company that is not (or no longer) the user's leaves the
    application where it is, and its ids only pick the application's own statuses and locations;
    one recreated gets a new id, never a key taken from the snapshot.
    """
    for name in FIELDS:
        if name != "user_company_id":
            setattr(application, name, state[name])
    company_id = state["user_company_id"]
    if company_id != application.user_company_id:
        company = resolve_reference(Company, company_id, user)
        if company is not None:
            application.user_company_id = company.id
    for name in ("job_description_page", "job_source"):
        link = state[name]
        _set_link(application, name, *((link["text"], link["url"]) if link else (None, None)))
    application.labels = resolve_references(Label, state["label_ids"], user)
    current = {s.id: s for s in application.statuses}
    statuses = []
    for item in state["statuses"]:
        status = current.get(item["id"]) or ApplicationStatus(user_id=application.user_id)
        status.text, status.date, status.order = item["text"], item["date"], item["order"]
        status.stage, status.date_basis = item["stage"], item["date_basis"]
        statuses.append(status)
    application.statuses = statuses
    current_locations = {p.id: p for p in application.position_locations}
    locations = []
    for item in state["locations"]:
        location = current_locations.get(item["id"])
        if location is None:
            address = item["address"]
            location = PositionLocation(
                user_id=application.user_id,
                location=Address(user_id=application.user_id, **address) if address else None,
            )
        locations.append(location)
    application.position_locations = locations
    application.modified_at = state["modified_at"]
