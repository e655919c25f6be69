"""Deletion cascades: what belongs to an object goes with it, labels never do (ORM and database alike)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Address,
    Application,
    ApplicationStatus,
    ApplicationStatusLink,
    Base,
    Company,
    CompanyRating,
    Label,
    Link,
    PositionLocation,
    User,
    application_labels,
    company_labels,
)
from tests.factories import make_company

OWNED_TABLES = (
    Company,
    CompanyRating,
    Application,
    PositionLocation,
    ApplicationStatus,
    ApplicationStatusLink,
    Address,
    Link,
)


def counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table)) for table in Base.metadata.sorted_tables
    }


def seed_full_company(user: User, name: str = "Acme"):
    own_label = Label(user_id=user.id, text="Dream job")
    db.session.add(own_label)
    company = make_company(user.id, name, applications=3, statuses=4, links_per_status=2, labels=("Applied",))
    company.labels.append(own_label)
    db.session.commit()
    return company


def test_deleting_a_company_through_the_api_leaves_no_row_of_it_and_keeps_labels(app, alice, alice_api):
    with app.app_context():
        company_id = seed_full_company(alice).id
        before = counts()
    assert before["application_status_link"] == 3 * 4 * 2

    response = alice_api.delete(f"/api/companies/{company_id}/", json={"uuid": str(company_id)})

    assert response.status_code == 204
    assert response.data == b""
    with app.app_context():
        after = counts()
        for model in OWNED_TABLES:
            assert after[model.__tablename__] == 0, model.__tablename__
        assert after["company_labels"] == after["application_labels"] == 0
        assert after["label"] == before["label"]  # the global labels and the user's own label remain


def test_deleting_a_company_spares_the_other_companies(app, alice):
    with app.app_context():
        doomed = seed_full_company(alice, "Doomed")
        make_company(alice.id, "Kept", applications=2, statuses=2, links_per_status=1)
        db.session.commit()
        kept_counts = counts()
        db.session.delete(doomed)
        db.session.commit()
        after = counts()
        assert after["company"] == 1
        assert after["application"] == 2
        assert after["application_status_link"] == 2 * 2 * 1
        # Kept: 1 HQ address + 2 location addresses; links: home page, rating source, 2 x (source, JD), 4 status links.
        assert after["address"] == 3
        assert after["link"] == 2 + 2 * 2 + 4
        assert kept_counts["label"] == after["label"]


def test_deleting_an_application_deletes_its_statuses_locations_and_links_but_not_its_company(app, alice):
    with app.app_context():
        company = seed_full_company(alice)
        db.session.delete(company.applications[0])
        db.session.commit()
        after = counts()
        assert after["company"] == 1
        assert after["application"] == 2
        assert after["application_status"] == 2 * 4
        assert after["application_status_link"] == 2 * 4 * 2
        assert after["position_location"] == 2
        assert after["address"] == 1 + 2
        assert after["link"] == 2 + 2 * 2 + 2 * 4 * 2
        assert after["application_labels"] == 2


def test_deleting_a_status_deletes_its_status_links_and_their_links(app, alice):
    with app.app_context():
        company = seed_full_company(alice)
        before = counts()
        db.session.delete(company.applications[0].statuses[0])
        db.session.commit()
        after = counts()
        assert after["application_status"] == before["application_status"] - 1
        assert after["application_status_link"] == before["application_status_link"] - 2
        assert after["link"] == before["link"] - 2


def test_removing_a_one_to_one_child_deletes_its_row(app, alice):
    with app.app_context():
        company = seed_full_company(alice)
        before = counts()
        company.hq_location = None
        company.home_page = None
        db.session.commit()
        after = counts()
        assert after["address"] == before["address"] - 1
        assert after["link"] == before["link"] - 1


def test_deleting_a_label_unlinks_it_and_deletes_nothing_else(app, alice):
    with app.app_context():
        seed_full_company(alice)
        before = counts()
        own = db.session.scalars(select(Label).where(Label.user_id == alice.id)).one()
        db.session.delete(own)
        db.session.commit()
        after = counts()
        assert after["label"] == before["label"] - 1
        assert after["company_labels"] == before["company_labels"] - 1
        assert after["company"] == before["company"]


def test_deleting_a_user_deletes_everything_they_own_and_nothing_of_others(app, alice, bob):
    with app.app_context():
        seed_full_company(alice)
        seed_full_company(bob, "Bob's")
        bob_counts = counts()
        db.session.delete(db.session.get(User, alice.id))
        db.session.commit()
        after = counts()
        for model in OWNED_TABLES:
            assert after[model.__tablename__] == bob_counts[model.__tablename__] // 2, model.__tablename__
        assert db.session.scalar(select(func.count()).select_from(Label).where(Label.user_id == alice.id)) == 0
        assert db.session.scalar(select(func.count()).select_from(Label).where(Label.user_id.is_(None))) == 4


def test_the_database_enforces_the_cascades_without_the_orm(app, alice):
    """Rows deleted by plain SQL leave no dangling references: ON DELETE rules on every foreign key."""
    with app.app_context():
        company = seed_full_company(alice)
        company_id, hq_id = company.id, company.hq_location_id
        db.session.expire_all()
        with db.engine.begin() as connection:
            connection.execute(sa.delete(Address.__table__).where(Address.id == hq_id))
            connection.execute(sa.delete(Company.__table__).where(Company.id == company_id))
        after = counts()
        assert after["company"] == after["application"] == after["application_status"] == 0
        assert after["application_status_link"] == after["position_location"] == after["company_rating"] == 0
        assert after["company_labels"] == after["application_labels"] == 0
        with db.engine.begin() as connection:
            connection.execute(sa.delete(User.__table__).where(User.id == alice.id))
        after = counts()
        assert after["address"] == after["link"] == 0
        assert after["label"] == 4


def test_a_one_to_one_row_deleted_by_sql_clears_the_reference(app, alice):
    with app.app_context():
        company = seed_full_company(alice)
        company_id, home_page_id = company.id, company.home_page_id
        db.session.expire_all()
        with db.engine.begin() as connection:
            connection.execute(sa.delete(Link.__table__).where(Link.id == home_page_id))
        assert db.session.get(Company, company_id).home_page_id is None


def test_label_association_tables_reference_both_sides_with_cascade():
    for table in (company_labels, application_labels):
        assert {fk.ondelete for fk in table.foreign_keys} == {"CASCADE"}


def test_every_foreign_key_is_indexed():
    for table in Base.metadata.sorted_tables:
        indexed = {tuple(index.columns.keys()) for index in table.indexes}
        primary = tuple(table.primary_key.columns.keys())
        for fk in table.foreign_keys:
            column = fk.parent.name
            assert (column,) in indexed or primary[:1] == (column,), f"{table.name}.{column} has no index"
