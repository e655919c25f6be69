"""Links attached to an application status (an e-mail, a calendar invite, ...)."""

from app.models import ApplicationStatusLink
from app.resources.application_status_links.schemas import ApplicationStatusLinkSchema
from app.resources.base import ResourceView, resource_blueprint


class ApplicationStatusLinkView(ResourceView):
    model = ApplicationStatusLink
    schema = ApplicationStatusLinkSchema


blueprint = resource_blueprint("application_status_links", "/api/application-status-links/", ApplicationStatusLinkView)
