"""GraphQL object types over the models: field names as the client writes them (snake_case).

Resolvers read the row passed as `root` (a loader row with a model's columns as attributes); every
relationship they touch is loaded with the page by `app.graphql.companies` (which is what keeps the
query count constant).
"""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import strawberry

from app.models import Application, ApplicationStatus


def _uuid(root: strawberry.Parent[object]) -> UUID:
    return root.id  # type: ignore[attr-defined]


def _owner(root: strawberry.Parent[object]) -> UUID | None:
    return root.user_id  # type: ignore[attr-defined]


@strawberry.type(name="Label")
class LabelType:
    uuid: UUID = strawberry.field(resolver=_uuid)
    user: UUID | None = strawberry.field(resolver=_owner)
    text: str
    color: str
    order: int


@strawberry.type(name="Link")
class LinkType:
    uuid: UUID = strawberry.field(resolver=_uuid)
    text: str
    url: str
    order: int


@strawberry.type(name="Address")
class AddressType:
    uuid: UUID = strawberry.field(resolver=_uuid)
    place_name: str
    country: str
    state: str
    city: str
    street: str
    full_address: str
    zipcode: str


@strawberry.type(name="ApplicationStatusLink")
class ApplicationStatusLinkType:
    uuid: UUID = strawberry.field(resolver=_uuid)
    link: LinkType | None


@strawberry.type(name="ApplicationStatus")
class ApplicationStatusType:
    uuid: UUID = strawberry.field(resolver=_uuid)
    created_at: dt.datetime
    modified_at: dt.datetime
    text: str
    date: dt.date
    order: int

    @strawberry.field
    def applicationstatuslink_set(self, root: strawberry.Parent[ApplicationStatus]) -> list[ApplicationStatusLinkType]:
        """The status's links (named as in the REST API)."""
        return root.links  # type: ignore[return-value]


@strawberry.type(name="PositionLocation")
class PositionLocationType:
    uuid: UUID = strawberry.field(resolver=_uuid)
    location: AddressType | None


@strawberry.type(name="Application")
class ApplicationType:
    uuid: UUID = strawberry.field(resolver=_uuid)
    user: UUID = strawberry.field(resolver=_owner)
    created_at: dt.datetime
    modified_at: dt.datetime
    position_title: str
    notes: str
    job_description_notes: str
    job_description_page: LinkType | None
    job_source: LinkType | None
    labels: list[LabelType]
    position_locations: list[PositionLocationType]
    statuses: list[ApplicationStatusType] = strawberry.field(description="Newest `date` first.")

    @strawberry.field
    def user_company(self, root: strawberry.Parent[Application]) -> UUID:
        """The uuid of the company applied to."""
        return root.user_company_id


@strawberry.type(name="CompanyRating")
class CompanyRatingType:
    uuid: UUID = strawberry.field(resolver=_uuid)
    value: float
    sample_date: dt.date
    source: LinkType | None


@strawberry.type(name="Company")
class CompanyType:
    uuid: UUID = strawberry.field(resolver=_uuid)
    user: UUID = strawberry.field(resolver=_owner)
    created_at: dt.datetime
    modified_at: dt.datetime
    name: str
    notes: str
    hq_location: AddressType | None
    home_page: LinkType | None
    labels: list[LabelType]
    applications: list[ApplicationType]
    ratings: list[CompanyRatingType]


@strawberry.type
class PageInfo:
    has_next_page: bool = strawberry.field(name="hasNextPage")
    has_previous_page: bool = strawberry.field(name="hasPreviousPage")
    start_cursor: str | None = strawberry.field(name="startCursor")
    end_cursor: str | None = strawberry.field(name="endCursor")


@strawberry.type(name="CompanyEdge")
class CompanyEdge:
    node: CompanyType
    cursor: str


@strawberry.type(name="CompanyConnection")
class CompanyConnection:
    total_count: int = strawberry.field(name="totalCount", description="All matches, on every page.")
    count: int = strawberry.field(description="The edges on this page.")
    page_info: PageInfo = strawberry.field(name="pageInfo")
    edges: list[CompanyEdge]
