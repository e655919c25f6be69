"""Application status schema, with its links written through it."""

from marshmallow import fields, validate
from marshmallow_sqlalchemy import auto_field

from app.models import Application, ApplicationStatus
from app.models.application import DATE_BASES
from app.resources.application_status_links.schemas import NestedStatusLinkSchema
from app.resources.schemas import BaseSchema, Reference


class ApplicationStatusSchema(BaseSchema):
    class Meta(BaseSchema.Meta):
        model = ApplicationStatus

    user = fields.UUID(attribute="user_id", dump_only=True)
    application = Reference(Application, "application_id", required=True)
    text = auto_field(required=True)
    date = auto_field()
    order = auto_field()
    stage = auto_field(allow_none=True)
    date_basis = auto_field(validate=validate.OneOf(DATE_BASES))
    applicationstatuslink_set = fields.Nested(NestedStatusLinkSchema, many=True, attribute="links")
