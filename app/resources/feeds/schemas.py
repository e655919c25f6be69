"""Feed token schema: the secret and the feed URL appear once, in the answer to the create."""

from __future__ import annotations

from typing import Any

from flask import url_for
from marshmallow import fields, missing
from marshmallow_sqlalchemy import auto_field

from app.models import FeedToken
from app.resources.schemas import BaseSchema

# The endpoint that serves a feed (app/resources/exports/routes.py).
FEED_ENDPOINT = "exports.feed_applications"


class FeedTokenSchema(BaseSchema):
    class Meta(BaseSchema.Meta):
        model = FeedToken

    user = fields.UUID(attribute="user_id", dump_only=True)
    name = auto_field()
    last_used_at = fields.DateTime(dump_only=True)
    revoked = fields.Boolean(dump_only=True)
    revoked_at = fields.DateTime(dump_only=True)
    # Only a freshly issued token has its plaintext (see FeedToken.issue): listed tokens show neither.
    token = fields.String(attribute="plaintext_token", dump_only=True)
    feed_url = fields.Method("_feed_url", dump_only=True)

    def _feed_url(self, obj: FeedToken) -> Any:
        token = getattr(obj, "plaintext_token", None)
        if token is None:
            return missing
        return url_for(FEED_ENDPOINT, token=token, _external=True)
