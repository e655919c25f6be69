"""What every HTTP face (REST resources, auth, imports, exports, images, docs) shares.

`json_body` reads a request's JSON, `paginate` answers a list page, `register_detail`/`api_url` are the
endpoint registry behind every object's `api_url`, `current_user` is the caller, and `ApiBlueprint`
serves each view with its declared login, the caller as the acting user and one commit.
"""

from app.api.body import json_body
from app.api.endpoints import UnregisteredModel, api_url, detail_endpoint, register_detail
from app.api.limits import sign_in_limit
from app.api.pagination import paginate, paginate_items
from app.api.views import ApiBlueprint, current_user, requires_login, serve

__all__ = [
    "ApiBlueprint",
    "UnregisteredModel",
    "api_url",
    "current_user",
    "detail_endpoint",
    "json_body",
    "paginate",
    "paginate_items",
    "register_detail",
    "requires_login",
    "serve",
    "sign_in_limit",
]
