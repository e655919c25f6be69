"""Address schema."""

from marshmallow_sqlalchemy import auto_field

from app.models import Address
from app.resources.schemas import BaseSchema


class AddressSchema(BaseSchema):
    class Meta(BaseSchema.Meta):
        model = Address

    place_name = auto_field()
    country = auto_field()
    state = auto_field()
    city = auto_field()
    street = auto_field()
    full_address = auto_field()
    zipcode = auto_field()
