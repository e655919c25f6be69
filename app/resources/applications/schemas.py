"""Application schema: links, locations and labels written through it; statuses read-only."""

from marshmallow import fields
from marshmallow_sqlalchemy import auto_field

from app.models import Application, Company
from app.resources.application_statuses.schemas import ApplicationStatusSchema
from app.resources.labels.schemas import LabelSchema
from app.resources.links.schemas import LinkSchema
from app.resources.position_locations.schemas import NestedPositionLocationSchema
from app.resources.schemas import BaseSchema, LabelList, Reference


class ApplicationSchema(BaseSchema):
    class Meta(BaseSchema.Meta):
        model = Application

    user = fields.UUID(attribute="user_id", dump_only=True)
    user_company = Reference(Company, "user_company_id", required=True)
    position_title = auto_field(required=True)
    job_description_page = fields.Nested(LinkSchema, allow_none=True)
    job_source = fields.Nested(LinkSchema, allow_none=True)
    position_locations = fields.Nested(NestedPositionLocationSchema, many=True)
    labels = LabelList(LabelSchema)
    notes = auto_field()
    job_description_notes = auto_field()
    extra = fields.Dict(dump_only=True, allow_none=True)
    statuses = fields.Nested(ApplicationStatusSchema, many=True, dump_only=True)
