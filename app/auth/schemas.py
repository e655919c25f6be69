"""Bodies of the sign-in endpoints (the client adds blank uuid/timestamps: ignored)."""

from marshmallow import fields, validate

from app.auth.google import PROVIDER as GOOGLE
from app.validation import PlainSchema, storable_text

PASSWORD = validate.Length(min=1, max=1024)


class LoginSchema(PlainSchema):
    # The username goes into a query: refuse what the database cannot compare (NUL, lone surrogates).
    username = fields.String(required=True, validate=[validate.Length(min=1, max=254), storable_text])
    password = fields.String(required=True, validate=PASSWORD)


class RefreshSchema(PlainSchema):
    refresh = fields.String(required=True, validate=validate.Length(min=1, max=4096))


class SocialLoginSchema(PlainSchema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=2048))
    provider = fields.String(required=True, validate=validate.OneOf([GOOGLE]))
    redirect_uri = fields.String(load_default="postmessage", validate=validate.Length(min=1, max=500))


class PasswordChangeSchema(PlainSchema):
    current_password = fields.String(required=True, validate=PASSWORD)
    new_password = fields.String(required=True, validate=PASSWORD)
