"""Owned children come from the mappers: a new owned relation is found (and undone) without new code."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from app.extensions import db
from app.models import Address, Application, ApplicationStatus, Base, Company, Link, PositionLocation
from app.models.ownership import owned_child_ids, owned_one
from tests.import_support import import_file


class Throwaway(DeclarativeBase):
    """A registry of its own: these tables never reach the app's metadata."""


class Note(Throwaway):
    __tablename__ = "note"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)


class Tag(Throwaway):
    __tablename__ = "tag"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)


class Step(Throwaway):
    __tablename__ = "step"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    task_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("task.id", ondelete="CASCADE"))
    note_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("note.id", ondelete="SET NULL"))
    note: Mapped[Note | None] = owned_one(Note, "Step.note_id")


class Task(Throwaway):
    __tablename__ = "task"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    note_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("note.id", ondelete="SET NULL"))
    tag_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("tag.id", ondelete="SET NULL"))
    note: Mapped[Note | None] = owned_one(Note, "Task.note_id")  # owned one-to-one
    tag: Mapped[Tag | None] = relationship(Tag)  # a reference: not owned
    steps: Mapped[list[Step]] = relationship(cascade="all, delete-orphan")  # owned one-to-many


def test_owned_child_ids_follows_owned_one_to_ones_and_one_to_manys_of_any_model():
    engine = sa.create_engine("sqlite://")
    Throwaway.metadata.create_all(engine)
    with Session(engine) as session:
        tag = Tag()
        task = Task(note=Note(), tag=tag, steps=[Step(note=Note()), Step()])
        other = Task(note=Note(), steps=[Step(note=Note())])
        session.add_all([task, other])
        session.commit()

        owned = owned_child_ids(session, Task, [task.id])

        assert set(owned) == {Note, Step}  # the tag is only referenced
        assert set(owned[Step]) == {step.id for step in task.steps}
        assert set(owned[Note]) == {task.note.id, task.steps[0].note.id}
        assert owned_child_ids(session, Task, []) == {}
    engine.dispose()


def test_every_owned_relation_of_the_models_is_found():
    owned = {
        (mapper.class_.__name__, relation.key)
        for mapper in Base.registry.mappers
        for relation in mapper.relationships
        if "delete-orphan" in relation.cascade
    }
    assert {
        ("Company", "hq_location"),
        ("Company", "home_page"),
        ("Company", "ratings"),
        ("CompanyRating", "source"),
        ("Application", "job_source"),
        ("Application", "statuses"),
        ("ApplicationStatusLink", "link"),
        ("PositionLocation", "location"),
    } <= owned


TRACKER = (
    "Company,Position,Status,Date,Location,Job URL\n"
    "Acme,Engineer,Interview,2024-03-01,Berlin,https://jobs.example.com/1\n"
    "Globex,Designer,Applied,2024-03-02,Paris,https://jobs.example.com/2\n"
)


def test_undo_leaves_no_row_that_the_imported_applications_owned(app, alice, alice_api):
    batch = import_file(alice_api, TRACKER.encode())
    with app.app_context():
        assert db.session.query(Link).count() and db.session.query(Address).count()

    assert alice_api.delete(f"/api/imports/{batch['uuid']}/").status_code == 204

    with app.app_context():
        for model in (Company, Application, ApplicationStatus, PositionLocation, Link, Address):
            assert db.session.query(model).count() == 0, model.__name__
