"""Link schema: free-text URLs (the client's forms allow blanks and anything else)."""

from marshmallow import fields
from marshmallow_sqlalchemy import auto_field

from app.models import Link
from app.resources.schemas import BaseSchema


class LinkSchema(BaseSchema):
    class Meta(BaseSchema.Meta):
        model = Link

    user = fields.UUID(attribute="user_id", dump_only=True)
    text = auto_field()
    url = auto_field()
    order = auto_field()
