"""The companies page reads only the columns its query selects, and every field still answers as it did
when every column was read."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import strawberry
from sqlalchemy import event, select

from app.extensions import db
from app.graphql import companies
from app.graphql.types import CompanyType
from app.models import (
    Address,
    Application,
    ApplicationStatus,
    ApplicationStatusLink,
    Company,
    CompanyRating,
    Label,
    Link,
    PositionLocation,
    User,
)
from app.serialization.loader import load_rows


@pytest.fixture
def full(app, alice) -> None:
    """One company of alice's with every column and relationship filled, none left at its default."""
    with app.app_context():
        owned = {"user_id": alice.id}

        def link(name: str) -> Link:
            return Link(**owned, text=f"{name} text", url=f"https://{name}.example", order=2)

        def address(city: str) -> Address:
            return Address(
                **owned,
                place_name=f"{city} office",
                country="NL",
                state="NH",
                city=city,
                street="1 Dam",
                full_address=f"1 Dam, {city}",
                zipcode="1012",
            )

        mine = Label(user_id=alice.id, text="Mine", color="#123456", order=7)
        shared = db.session.scalars(select(Label).where(Label.user_id.is_(None))).first()
        company = Company(
            **owned,
            name="Acme",
            notes="<p>company notes</p>",
            labels=[mine, shared],
            hq_location=address("Amsterdam"),
            home_page=link("home"),
            ratings=[CompanyRating(**owned, value=4.5, sample_date=dt.date(2024, 2, 3), source=link("reviews"))],
        )
        company.applications.append(
            Application(
                **owned,
                position_title="Engineer",
                notes="<p>application notes</p>",
                job_description_notes="jd notes",
                labels=[mine],
                job_source=link("board"),
                job_description_page=link("jd"),
                position_locations=[PositionLocation(**owned, location=address("Utrecht"))],
                statuses=[
                    ApplicationStatus(
                        **owned,
                        text="Applied",
                        date=dt.date(2024, 3, 4),
                        order=1,
                        links=[ApplicationStatusLink(**owned, link=link("mail"))],
                    )
                ],
            )
        )
        db.session.add(company)
        db.session.commit()


def _run(app: Any, user_id: uuid.UUID, query: str) -> tuple[Any, list[dict]]:
    from app.graphql.schema import schema

    with app.app_context():
        user = db.session.get(User, user_id)
        result = schema.execute_sync(query, context_value={"user": user})
        return result.data, [error.formatted for error in result.errors or ()]


def _statements(app: Any, user_id: uuid.UUID, query: str) -> list[str]:
    """The SQL statements one query runs; asserts it answers without errors."""
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        data, errors = _run(app, user_id, query)
    finally:
        event.remove(engine, "before_cursor_execute", before)
    assert not errors and data["companies"]["edges"], (data, errors)
    return seen


def _page_columns(statements: list[str]) -> set[str]:
    """The company columns the page statement selects (the statement reading FROM the company table)."""
    (page,) = [s for s in statements if re.search(r"\bFROM company\b", s) and "LIMIT" in s]
    selected = page[: re.search(r"\sFROM\s", page).start()]
    return set(re.findall(r"\bcompany\.(\w+)", selected))


def test_the_page_statement_reads_only_the_selected_columns(app, alice, full):
    """A column no field selects (company notes) is not read; selected, it is; the ordering's column too."""
    bare = _statements(app, alice.id, "{ companies { edges { node { uuid name __typename } } } }")
    assert _page_columns(bare) == {"id", "name", "modified_at"}  # modified_at: the default ordering's cursor
    assert not any(re.search(r"\.notes\b", statement) for statement in bare), bare

    with_notes = _statements(app, alice.id, '{ companies(order_by: "name") { edges { cursor node { notes } } } }')
    assert _page_columns(with_notes) == {"id", "name", "notes"}

    nested = _statements(app, alice.id, "{ companies { edges { node { applications { notes } } } } }")
    assert _page_columns(nested) == {"id", "modified_at"}
    (applications,) = [statement for statement in nested if re.search(r"\bFROM application\b", statement)]
    assert re.search(r"\.notes\b", applications) and not re.search(r"\.position_title\b", applications)


# -- every field of every type, alone, against the answer when every column is read ---------------------


def _field_queries(type_: type, model: type, path: list[str]) -> Iterator[tuple[str, str]]:
    """(where, query) for each field reachable from the companies' nodes, each selected alone (as `probe`)."""
    level = companies.level_of(type_, model)
    for name in level.columns:
        yield ".".join([*path, name]), _wrap([*path, f"probe: {name}"])
    for name, (relationship, _child) in level.relations.items():
        yield ".".join([*path, name]), _wrap([*path, f"probe: {name}", "__typename"])
        definition = _strawberry_type_of(type_, name)
        yield from _field_queries(definition, relationship.mapper.class_, [*path, name])


def _strawberry_type_of(type_: type, name: str) -> type:
    from strawberry.types.base import get_object_definition

    for field in get_object_definition(type_, strict=True).fields:
        if (field.graphql_name or field.python_name) == name:
            return companies._object_type(field.type)
    raise KeyError(name)


def _wrap(path: list[str]) -> str:
    inner = path[-1]
    for name in reversed(path[:-1]):
        inner = f"{name} {{ {inner} }}"
    return f"{{ companies {{ edges {{ node {{ {inner} }} }} }} }}"


def _probes(data: Any) -> int:
    """How many values `probe` has in an answer: a field compared on no row proves nothing."""
    if isinstance(data, dict):
        return sum(1 if key == "probe" else _probes(value) for key, value in data.items())
    if isinstance(data, list):
        return sum(_probes(item) for item in data)
    return 0


def _model_rows(plan: Any, query: Any, *, extra: Any = (), limited: bool) -> tuple[list, list]:
    """`load_rows` as the ORM answers it: model instances, every column and relationship at hand."""
    results = db.session.execute(query.add_columns(*extra)).all()
    return [result[0] for result in results], [tuple(result[1:]) for result in results]


def test_every_field_of_every_type_answers_what_the_models_with_every_column_answer(app, alice, full, monkeypatch):
    """Each field selected alone (with the path to it), planned from the selection, against the same query
    answered from ORM instances (every column loaded, relationships lazy): the planner's own code plays no
    part in the reference."""
    queries = dict(_field_queries(CompanyType, Company, []))
    assert len(queries) > 80  # every field at every path it is reachable by
    answered = {where: _run(app, alice.id, query) for where, query in queries.items()}

    monkeypatch.setattr(companies, "load_rows", _model_rows)
    for where, query in queries.items():
        expected = _run(app, alice.id, query)
        assert not expected[1] and _probes(expected[0]) > 0, (where, expected)
        assert answered[where] == expected, where


COMPOSED = {
    "fragments": (
        "query D { companies(first: 3) { ...Conn } } fragment Conn on CompanyConnection { totalCount"
        " edges { cursor node { ...C ... on Company { notes labels { ...L } } } } }"
        " fragment C on Company { uuid created_at hq_location { city zipcode } applications { ...A } }"
        " fragment A on Application { notes statuses { ... on ApplicationStatus { text date } } }"
        " fragment L on Label { uuid user text color order __typename }"
    ),
    "aliases": "{ companies { edges { node { a: name b: notes c: home_page { u: url t: text } } } } }",
    "directives": (
        '{ companies(order_by: "-created_at") { edges { cursor node { name @include(if: false)'
        " notes @skip(if: true) applications { job_description_notes @include(if: true) } } } } }"
    ),
    "one field twice": "{ companies { edges { node { applications { uuid } applications { notes uuid } } } } }",
}


@pytest.mark.parametrize("name", list(COMPOSED))
def test_fields_reached_through_fragments_aliases_and_directives_are_read(app, alice, full, monkeypatch, name):
    answered = _run(app, alice.id, COMPOSED[name])
    monkeypatch.setattr(companies, "load_rows", _model_rows)
    expected = _run(app, alice.id, COMPOSED[name])
    assert not expected[1] and expected[0]["companies"]["edges"], expected
    assert answered == expected


# -- loud failures --------------------------------------------------------------------------------------


def test_a_column_the_plan_did_not_read_is_an_error_not_a_null(app, alice, full, monkeypatch):
    shape = companies.page_shape([], companies.parse_ordering(None))  # no field: the key and the cursor's column
    with app.app_context():
        (row,) = load_rows(companies.company_plan(shape), select(Company), limited=True)[0]
        assert isinstance(row.id, str) and isinstance(row.modified_at, dt.datetime)
        with pytest.raises(AttributeError):
            row.notes  # noqa: B018

    monkeypatch.setattr(companies, "page_shape", lambda selections, ordering: shape)  # a planner that forgets
    data, errors = _run(app, alice.id, "{ companies { edges { node { name notes } } } }")
    assert errors and data is None, (data, errors)


@strawberry.type
class _Computed:
    name: str

    @strawberry.field(metadata={companies.READS: ("name", "notes")})
    def summary(self) -> str:
        return f"{self.name}: {self.notes}"


@strawberry.type
class _Undeclared:
    @strawberry.field
    def summary(self) -> str:
        return "?"


@strawberry.type
class _Misnamed:
    title: str  # no column of Company


def test_a_computed_field_reads_what_it_declares_and_must_declare_it():
    assert companies.level_of(_Computed, Company).columns == {"name": ("name",), "summary": ("name", "notes")}
    with pytest.raises(TypeError, match=r"_Undeclared.summary is computed"):
        companies.level_of(_Undeclared, Company)
    with pytest.raises(TypeError, match=r"_Misnamed.title reads 'title'"):
        companies.level_of(_Misnamed, Company)


def test_plans_are_kept_per_shape_in_a_bounded_cache(app, alice, full, monkeypatch):
    monkeypatch.setattr(companies._plans, "size", 3)
    companies._plans.clear()
    try:
        fields = ["uuid", "name", "notes", "created_at", "user"]
        for field in fields:
            assert _run(app, alice.id, f"{{ companies {{ edges {{ node {{ {field} }} }} }} }}")[1] == []
        assert len(companies._plans) == 3
        shape = companies.page_shape([], companies.parse_ordering(None))
        assert companies.company_plan(shape) is companies.company_plan(shape)
    finally:
        companies._plans.clear()
