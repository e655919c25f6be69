"""Ratings of a company from an outside source (a review site, a survey)."""

from app.models import CompanyRating
from app.resources.base import ResourceView, resource_blueprint
from app.resources.company_ratings.schemas import CompanyRatingSchema


class CompanyRatingView(ResourceView):
    model = CompanyRating
    schema = CompanyRatingSchema


blueprint = resource_blueprint("company_ratings", "/api/company-ratings/", CompanyRatingView)
