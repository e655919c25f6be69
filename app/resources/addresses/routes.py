"""Addresses."""

from app.models import Address
from app.resources.addresses.schemas import AddressSchema
from app.resources.base import ResourceView, resource_blueprint


class AddressView(ResourceView):
    model = Address
    schema = AddressSchema


blueprint = resource_blueprint("addresses", "/api/addresses/", AddressView)
