"""The dumpers compiled from the schemas answer exactly what marshmallow's `dump` answers."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from types import SimpleNamespace

import pytest
from flask import Flask
from marshmallow import Schema, fields, missing, post_dump, pre_dump
from sqlalchemy import select

from app.extensions import db
from app.serialization import compile_schema, dump, dump_many
from tests.factories import make_company
from tests.rest_support import created


def resource_schemas(app: Flask) -> set[tuple[type, type]]:
    """(model, schema) for every schema a registered REST resource reads or writes with."""
    pairs = set()
    for endpoint, view_function in app.view_functions.items():
        view = getattr(view_function, "view_class", None)
        if endpoint.endswith(".resource") and view is not None:
            for schema in (view.schema, view.create_schema, view.update_schema):
                if schema is not None:
                    pairs.add((view.model, schema))
    return pairs


@pytest.fixture
def seeded(app, alice, bob, alice_api) -> None:
    """Nested data of every kind, for two users, some fields left empty, one application with `extra`."""
    with app.app_context():
        make_company(alice.id, applications=2, statuses=2, links_per_status=2, labels=("Applied", "Target"))
        bare = make_company(bob.id, "Bare", applications=1, statuses=1)
        bare.hq_location = None
        bare.home_page = None
        bare.applications[0].job_source = None
        bare.applications[0].extra = {"salary": 1, "nested": {"list": [1.5, None, "é"]}}
        db.session.commit()
    created(alice_api.post("/api/labels/", json={"text": "Mine", "color": "#fff", "order": 3}))
    created(alice_api.post("/api/feeds/", json={"name": "calendar"}))


def test_every_resource_schema_dumps_every_object_as_marshmallow_does(app, seeded):
    pairs = resource_schemas(app)
    assert len({model for model, _ in pairs}) >= 11
    with app.test_request_context():
        for model, schema in sorted(pairs, key=lambda pair: pair[1].__name__):
            objects = list(db.session.scalars(select(model)))
            assert objects, f"no {model.__name__} seeded: the comparison would prove nothing"
            expected = schema(many=True).dump(objects)
            assert dump_many(schema, objects) == expected, schema.__name__
            assert [dump(schema, obj) for obj in objects] == expected
            assert [list(item) for item in dump_many(schema, objects)] == [list(item) for item in expected]


def test_the_api_answers_what_marshmallow_dumps(app, alice_api, seeded):
    from app.resources.companies.schemas import CompanySchema

    page = alice_api.get("/api/companies/").get_json()
    with app.test_request_context():
        from app.models import Company

        companies = {str(company.id): company for company in db.session.scalars(select(Company))}
        for item in page["results"]:
            assert item == CompanySchema().dump(companies[item["uuid"]])


class Inner(Schema):
    when = fields.DateTime()
    day = fields.Date()
    stamp = fields.DateTime(format="timestamp")
    custom = fields.DateTime(format="%Y/%m/%d")


class Everything(Schema):
    text = fields.String()
    renamed = fields.String(attribute="other", data_key="outside")
    dotted = fields.String(attribute="inner.label")
    count = fields.Integer()
    count_text = fields.Integer(as_string=True)
    ratio = fields.Float()
    money = fields.Decimal()
    flag = fields.Boolean()
    ident = fields.UUID()
    absent = fields.String()
    defaulted = fields.String(dump_default="fallback")
    called_default = fields.Integer(dump_default=lambda: 7)
    method = fields.Method("_method")
    function = fields.Function(lambda obj: obj.count * 2)
    child = fields.Nested(Inner)
    children = fields.Nested(Inner, many=True)
    none_child = fields.Nested(Inner, allow_none=True)
    tags = fields.List(fields.String())
    mapping = fields.Dict()
    raw = fields.Raw()
    hidden = fields.String(load_only=True)

    def _method(self, obj):
        return missing if obj.count > 1 else "small"


def sample(count: int = 1) -> SimpleNamespace:
    inner = SimpleNamespace(
        when=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        day=dt.date(2026, 1, 2),
        stamp=dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
        custom=dt.datetime(2026, 1, 2),
        label="inner label",
    )
    return SimpleNamespace(
        text=b"bytes",
        other="renamed",
        inner=inner,
        count=count,
        count_text=5,
        ratio=decimal.Decimal("1.5"),
        money=decimal.Decimal("2.50"),
        flag=1,
        ident=uuid.UUID(int=5),
        defaulted=None,
        child=inner,
        children=[inner, inner],
        none_child=None,
        tags=["a", 1],
        mapping={"a": 1},
        raw=[1, {"b": 2}],
        hidden="secret",
    )


@pytest.mark.parametrize("count", [1, 2])
def test_field_kinds_defaults_keys_and_missing_values_match_marshmallow(count):
    obj = sample(count)
    assert compile_schema(Everything())(obj) == Everything().dump(obj)
    assert list(compile_schema(Everything())(obj)) == list(Everything().dump(obj))


def test_only_and_exclude_are_honoured():
    obj = sample()
    for schema in (Everything(only=("text", "child.day")), Everything(exclude=("child", "method"))):
        assert compile_schema(schema)(obj) == schema.dump(obj)


def test_schemas_with_dump_hooks_and_mappings_are_dumped_by_marshmallow():
    class Hooked(Schema):
        name = fields.String()

        @pre_dump
        def shout(self, obj, **kwargs):
            return {"name": obj["name"].upper()}

        @post_dump
        def mark(self, data, **kwargs):
            return {**data, "hooked": True}

    assert compile_schema(Hooked())({"name": "x"}) == {"name": "X", "hooked": True}
    assert compile_schema(Inner(only=("day",)))({"day": dt.date(2026, 5, 6)}) == {"day": "2026-05-06"}
