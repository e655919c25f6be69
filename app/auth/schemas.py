"""Bodies of the login and refresh endpoints (the client adds blank uuid/timestamps: ignored)."""

from marshmallow import fields, validate

from app.resources.schemas import PlainSchema


class LoginSchema(PlainSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class RefreshSchema(PlainSchema):
    refresh = fields.String(required=True, validate=validate.Length(min=1, max=4096))
