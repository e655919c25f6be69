"""Application statuses: the dated steps of an application (applied, interview, offer, ...)."""

from app.filters import Equals
from app.models import ApplicationStatus
from app.resources.application_statuses.schemas import ApplicationStatusSchema
from app.resources.base import ResourceView, resource_blueprint


class ApplicationStatusView(ResourceView):
    model = ApplicationStatus
    schema = ApplicationStatusSchema
    filters = {"application": Equals(ApplicationStatus.application_id)}


blueprint = resource_blueprint("application_statuses", "/api/application-statuses/", ApplicationStatusView)
