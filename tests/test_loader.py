"""The Core loader reads exactly what the ORM path reads: for every REST resource with a plan, its rows
dump equal to its ORM objects, nested levels, their order and labels included."""

from __future__ import annotations

from app.extensions import db
from app.models import Label
from app.permissions import acting_as, visible
from app.resources.base import ResourceView, eager_options
from app.serialization import dump_many
from app.serialization.loader import load_rows, plan_for
from tests.test_query_counts import seed_companies


def _views(app) -> list[type[ResourceView]]:
    found = {getattr(view, "view_class", None) for view in app.view_functions.values()}
    return sorted((view for view in found if view and issubclass(view, ResourceView)), key=lambda v: v.__name__)


def test_every_planned_resource_loads_what_the_orm_loads(app, alice, bob):
    seed_companies(app, alice.id, 3)
    seed_companies(app, bob.id, 1)
    with app.test_request_context("/"):
        db.session.add(alice)
        db.session.add(Label(user_id=alice.id, text="Mine", order=-1))  # listed among the global ones
        db.session.commit()
        planned = []
        for view in _views(app):
            plan = plan_for(view.schema, view.model)
            if plan is None:
                continue
            planned.append(view.model.__name__)
            query = visible(view.model, alice).order_by(view.model.id)
            with acting_as(alice):
                orm = list(db.session.scalars(query.options(*eager_options(view.schema, view.model))))
                rows, _ = load_rows(plan, query, limited=False)
                assert dump_many(view.schema, rows) == dump_many(view.schema, orm), view.__name__
            assert rows, view.__name__
        assert {"Company", "Application", "ApplicationStatus", "Label", "Link", "Address"} <= set(planned)
