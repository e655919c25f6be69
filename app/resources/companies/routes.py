"""Companies: the centre of the tracker; PATCH on the collection updates several at once."""

from app.filters import COMPANY_FILTERS
from app.models import Company
from app.resources.base import ResourceView, resource_blueprint
from app.resources.companies.schemas import CompanySchema


class CompanyView(ResourceView):
    model = Company
    schema = CompanySchema
    collection_methods = ("GET", "POST", "PATCH")
    filters = COMPANY_FILTERS


blueprint = resource_blueprint("companies", "/api/companies/", CompanyView)
