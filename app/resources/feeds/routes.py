"""Feed tokens: create (the secret is shown once), list, rename, and revoke with DELETE."""

from __future__ import annotations

from app.models import FeedToken
from app.resources.base import ResourceView, resource_blueprint
from app.resources.feeds.schemas import FeedTokenSchema
from app.resources.schemas import Patch


class FeedTokenView(ResourceView):
    model = FeedToken
    schema = FeedTokenSchema
    detail_methods = ("GET", "PATCH", "DELETE")

    def perform_create(self, patch: Patch) -> FeedToken:
        feed = patch.apply()
        # The plaintext stays on this instance; the create response is dumped from the same object
        # (the session's identity map hands it back), and it is never stored or shown again.
        feed.issue()
        return feed

    def perform_delete(self, obj: FeedToken) -> None:
        obj.revoke()


blueprint = resource_blueprint("feeds", "/api/feeds/", FeedTokenView)
