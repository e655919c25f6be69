"""Links."""

from app.models import Link
from app.resources.base import ResourceView, resource_blueprint
from app.resources.links.schemas import LinkSchema


class LinkView(ResourceView):
    model = Link
    schema = LinkSchema


blueprint = resource_blueprint("links", "/api/links/", LinkView)
