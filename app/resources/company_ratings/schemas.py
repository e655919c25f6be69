"""Company rating schema."""

from marshmallow import fields
from marshmallow_sqlalchemy import auto_field

from app.models import Company, CompanyRating
from app.resources.links.schemas import LinkSchema
from app.resources.schemas import BaseSchema, Reference


class CompanyRatingSchema(BaseSchema):
    class Meta(BaseSchema.Meta):
        model = CompanyRating

    company = Reference(Company, "company_id", required=True)
    source = fields.Nested(LinkSchema, allow_none=True)
    value = auto_field()
    sample_date = auto_field()
