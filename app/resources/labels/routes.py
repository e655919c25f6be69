"""Labels: the global ones (read-only but for administrators) and the caller's own."""

from app.models import Label
from app.resources.base import ResourceView, resource_blueprint
from app.resources.labels.schemas import LabelSchema


class LabelView(ResourceView):
    model = Label
    schema = LabelSchema


blueprint = resource_blueprint("labels", "/api/labels/", LabelView)
