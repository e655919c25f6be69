"""GraphQL object types over the models: field names as the client writes them (snake_case).

Every field is a plain attribute of the row it is read from (a loader row with the selected columns and
relationships of a model as attributes), renamed where the client's name is not the model's (`uuid` is
`id`), so strawberry resolves it with no resolver of ours and the executor (`app.graphql.execution`) reads
it directly. Every relationship is loaded with the page by `app.graphql.companies` (which is what keeps the
query count constant), and only the columns the query's fields read (`app.graphql.companies.level_of`): a
field's python name must be a column or a relationship of its model. None is computed today; a field with
a resolver must declare the columns it reads, `strawberry.field(metadata={"reads": ("name", ...)})`, or
the app fails at import.
"""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import strawberry


@strawberry.type(name="Label")
class LabelType:
    id: UUID = strawberry.field(name="uuid")
    user_id: UUID | None = strawberry.field(name="user")
    text: str
    color: str
    order: int


@strawberry.type(name="Link")
class LinkType:
    id: UUID = strawberry.field(name="uuid")
    text: str
    url: str
    order: int


@strawberry.type(name="Address")
class AddressType:
    id: UUID = strawberry.field(name="uuid")
    place_name: str
    country: str
    state: str
    city: str
    street: str
    full_address: str
    zipcode: str


@strawberry.type(name="ApplicationStatusLink")
class ApplicationStatusLinkType:
    id: UUID = strawberry.field(name="uuid")
    link: LinkType | None


@strawberry.type(name="ApplicationStatus")
class ApplicationStatusType:
    id: UUID = strawberry.field(name="uuid")
    created_at: dt.datetime
    modified_at: dt.datetime
    text: str
    date: dt.date
    order: int
    links: list[ApplicationStatusLinkType] = strawberry.field(name="applicationstatuslink_set")  # the REST name


@strawberry.type(name="PositionLocation")
class PositionLocationType:
    id: UUID = strawberry.field(name="uuid")
    location: AddressType | None


@strawberry.type(name="Application")
class ApplicationType:
    id: UUID = strawberry.field(name="uuid")
    user_id: UUID = strawberry.field(name="user")
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
    user_company_id: UUID = strawberry.field(name="user_company")  # the uuid of the company applied to


@strawberry.type(name="CompanyRating")
class CompanyRatingType:
    id: UUID = strawberry.field(name="uuid")
    value: float
    sample_date: dt.date
    source: LinkType | None


@strawberry.type(name="Company")
class CompanyType:
    id: UUID = strawberry.field(name="uuid")
    user_id: UUID = strawberry.field(name="user")
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
