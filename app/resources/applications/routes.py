"""Applications to a position at one of the caller's companies."""

from app.filters import Equals, RelatedEquals
from app.models import Application, Label
from app.resources.applications.schemas import ApplicationSchema
from app.resources.base import ResourceView, resource_blueprint


class ApplicationView(ResourceView):
    model = Application
    schema = ApplicationSchema
    filters = {
        "user_company": Equals(Application.user_company_id),
        "labels__text": RelatedEquals(Application.labels, Label.text),
    }


blueprint = resource_blueprint("applications", "/api/applications/", ApplicationView)
