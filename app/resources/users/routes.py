"""Users: the list holds the caller alone; callers rename themselves, change their password, leave.

`PATCH /api/users/<uuid>/` changes the caller's own first and last name (the e-mail and the avatar are
read-only), `DELETE` deletes the caller's account and, by the database's ON DELETE CASCADE on every
owner column, everything the account owned; its stored image files go once that has committed.
Another user's uuid is a 404, as for every resource.
"""

from flask.typing import ResponseReturnValue
from flask.views import MethodView

from app.api import current_user, json_body, sign_in_limit
from app.auth.accounts import change_password, delete_account
from app.auth.schemas import PasswordChangeSchema
from app.models import User
from app.ratelimits import user_or_address_key
from app.resources.base import ResourceView, resource_blueprint
from app.resources.users.schemas import UserSchema


class UserView(ResourceView):
    model = User
    schema = UserSchema
    collection_methods = ("GET",)
    detail_methods = ("GET", "PATCH", "DELETE")

    def perform_delete(self, obj: User) -> None:
        """Delete the caller's own account with everything it owns, stored image files included."""
        delete_account(obj)


class PasswordChangeView(MethodView):
    # A password guesser with a stolen access token gets the sign-in allowance, not the general one.
    decorators = [sign_in_limit(user_or_address_key)]

    def post(self) -> ResponseReturnValue:
        """Change the caller's password: `{"current_password": ..., "new_password": ...}` → 204.

        ---
        requestBody:
          required: true
          content:
            application/json:
              schema: PasswordChangeSchema
        responses:
          "204":
            description: Changed.
        """
        body = PasswordChangeSchema().load(json_body())
        change_password(current_user(), body["current_password"], body["new_password"])
        return "", 204


blueprint = resource_blueprint("users", "/api/users/", UserView)
blueprint.add_url_rule(
    "/api/users/me/password/",
    view_func=PasswordChangeView.as_view("password"),
    methods=["POST"],
    strict_slashes=False,
    login=True,
)
