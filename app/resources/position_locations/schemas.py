"""Position location schemas: standalone (names its application) and nested in an application."""

from marshmallow import fields

from app.models import Application, PositionLocation
from app.resources.addresses.schemas import AddressSchema
from app.resources.schemas import BaseSchema, Reference


class PositionLocationSchema(BaseSchema):
    class Meta(BaseSchema.Meta):
        model = PositionLocation

    application = Reference(Application, "application_id", required=True)
    location = fields.Nested(AddressSchema, allow_none=True)


class NestedPositionLocationSchema(PositionLocationSchema):
    application = Reference(Application, "application_id", dump_only=True)
