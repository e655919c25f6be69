"""Status link schemas: standalone (names its status) and nested in a status (the server sets it)."""

from marshmallow import fields

from app.models import ApplicationStatus, ApplicationStatusLink
from app.resources.links.schemas import LinkSchema
from app.resources.schemas import BaseSchema, Reference


class ApplicationStatusLinkSchema(BaseSchema):
    class Meta(BaseSchema.Meta):
        model = ApplicationStatusLink

    user = fields.UUID(attribute="user_id", dump_only=True)
    application_status = Reference(ApplicationStatus, "application_status_id", required=True)
    link = fields.Nested(LinkSchema, allow_none=True)


class NestedStatusLinkSchema(ApplicationStatusLinkSchema):
    application_status = Reference(ApplicationStatus, "application_status_id", dump_only=True)
