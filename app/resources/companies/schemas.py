"""Company schema: HQ address, home page and labels written through it; applications read-only."""

from marshmallow import fields
from marshmallow_sqlalchemy import auto_field

from app.models import Company
from app.resources.addresses.schemas import AddressSchema
from app.resources.applications.schemas import ApplicationSchema
from app.resources.company_ratings.schemas import CompanyRatingSchema
from app.resources.labels.schemas import LabelSchema
from app.resources.links.schemas import LinkSchema
from app.resources.schemas import BaseSchema, LabelList


class CompanySchema(BaseSchema):
    class Meta(BaseSchema.Meta):
        model = Company

    user = fields.UUID(attribute="user_id", dump_only=True)
    name = auto_field(required=True)
    hq_location = fields.Nested(AddressSchema, allow_none=True)
    home_page = fields.Nested(LinkSchema, allow_none=True)
    notes = auto_field()
    labels = LabelList(LabelSchema)
    applications = fields.Nested(ApplicationSchema, many=True, dump_only=True)
    ratings = fields.Nested(CompanyRatingSchema, many=True, dump_only=True)
