"""The data model. Importing this package registers every table on the metadata."""

from app.models.application import Application, ApplicationStatus, ApplicationStatusLink, PositionLocation
from app.models.base import Base, Entity
from app.models.common import Address, Link
from app.models.company import Company, CompanyRating
from app.models.feed import FeedToken, hash_feed_token
from app.models.image import StoredImage
from app.models.import_batch import ImportBatch, ImportRecord
from app.models.label import GLOBAL_LABELS, Label, application_labels, company_labels
from app.models.token import RevokedToken
from app.models.user import User, normalize_email

__all__ = [
    "GLOBAL_LABELS",
    "Address",
    "Application",
    "ApplicationStatus",
    "ApplicationStatusLink",
    "Base",
    "Company",
    "CompanyRating",
    "Entity",
    "FeedToken",
    "ImportBatch",
    "ImportRecord",
    "Label",
    "Link",
    "PositionLocation",
    "RevokedToken",
    "StoredImage",
    "User",
    "application_labels",
    "company_labels",
    "hash_feed_token",
    "normalize_email",
]
