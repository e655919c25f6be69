"""Label schema."""

from marshmallow import fields
from marshmallow_sqlalchemy import auto_field

from app.models import Label
from app.resources.schemas import BaseSchema


class LabelSchema(BaseSchema):
    class Meta(BaseSchema.Meta):
        model = Label

    user = fields.UUID(attribute="user_id", dump_only=True, allow_none=True)
    text = auto_field(required=True)
    color = auto_field()
    order = auto_field()
