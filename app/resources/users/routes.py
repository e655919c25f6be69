"""Users: the list holds the caller alone."""

from app.models import User
from app.resources.base import ResourceView, resource_blueprint
from app.resources.users.schemas import UserSchema


class UserView(ResourceView):
    model = User
    schema = UserSchema
    collection_methods = ("GET",)
    detail_methods = ("GET",)


blueprint = resource_blueprint("users", "/api/users/", UserView)
