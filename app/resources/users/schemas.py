"""User schema: the caller's own profile."""

from marshmallow_sqlalchemy import auto_field

from app.models import User
from app.resources.schemas import BaseSchema


class UserSchema(BaseSchema):
    class Meta(BaseSchema.Meta):
        model = User

    email = auto_field(dump_only=True)
    first_name = auto_field()
    last_name = auto_field()
    avatar_url = auto_field(dump_only=True)
