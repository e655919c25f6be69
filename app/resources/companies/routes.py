"""Companies: the centre of the tracker; PATCH on the collection updates several at once."""

from app.filters import IContains, RelatedEquals, RelatedIsNull
from app.models import Company, Label
from app.resources.base import ResourceView, resource_blueprint
from app.resources.companies.schemas import CompanySchema


class CompanyView(ResourceView):
    model = Company
    schema = CompanySchema
    collection_methods = ("GET", "POST", "PATCH")
    filters = {
        "labels__isnull": RelatedIsNull(Company.labels),
        "labels__text": RelatedEquals(Company.labels, Label.text),
        "name__icontains": IContains(Company.name),
    }


blueprint = resource_blueprint("companies", "/api/companies/", CompanyView)
