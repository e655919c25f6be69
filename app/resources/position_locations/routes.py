"""Where a position is located."""

from app.models import PositionLocation
from app.resources.base import ResourceView, resource_blueprint
from app.resources.position_locations.schemas import PositionLocationSchema


class PositionLocationView(ResourceView):
    model = PositionLocation
    schema = PositionLocationSchema


blueprint = resource_blueprint("position_locations", "/api/position-locations/", PositionLocationView)
