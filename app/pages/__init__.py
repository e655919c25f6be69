"""The server-rendered pages under /account/: what the React client has no screen for.

Every page is declared here, with its login, on one `PageBlueprint` (app/pages/blueprint.py: CSRF,
sign-in redirect, acting user, one transaction, security headers, HTML errors). The views call the same
service functions as the API; they never re-implement a rule.
"""

from __future__ import annotations

from flask import current_app, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from app.pages import account, assets, imports, sign_in
from app.pages.blueprint import PageBlueprint, install_policies

blueprint = PageBlueprint("pages", __name__, url_prefix="/account", template_folder="templates")
install_policies(blueprint)

# The navigation, in order: (endpoint, label). An entry whose page is not registered is left out.
NAV = (
    ("pages.import_wizard", "Import"),
    ("pages.exports", "Exports"),
    ("pages.feeds", "Feeds"),
    ("pages.account", "Account"),
)


@blueprint.app_template_global()
def nav_items() -> list[tuple[str, str, bool]]:
    """(url, label, is the current page) for each page of the navigation that exists."""
    views = current_app.view_functions
    return [(url_for(endpoint), label, request.endpoint == endpoint) for endpoint, label in NAV if endpoint in views]


blueprint.add_app_template_global(assets.asset_url, "asset_url")

blueprint.add_url_rule("/assets/<assets_version>/<name>", view_func=assets.asset, login=False)
blueprint.add_url_rule("/sign-in/", view_func=sign_in.sign_in, methods=["GET", "POST"], login=False)
blueprint.add_url_rule("/sign-out/", view_func=sign_in.sign_out, methods=["POST"], login=False)
blueprint.add_url_rule("/sign-in/google/", view_func=sign_in.google_start, login=False)
blueprint.add_url_rule("/sign-in/google/callback/", view_func=sign_in.google_callback, login=False)

blueprint.add_url_rule("/", view_func=account.account, login=True)

# The import wizard (app/pages/imports.py): one URL per step, each a plain form that works without JavaScript.
STEP = "/imports/<uuid:batch_id>/"
blueprint.add_url_rule("/imports/", view_func=imports.import_wizard, login=True)
blueprint.add_url_rule(
    "/imports/", "import_upload", imports.upload, methods=["POST"], login=True, upload="IMPORT_MAX_BYTES"
)
blueprint.add_url_rule(STEP, "import_mapping", imports.mapping, login=True)
blueprint.add_url_rule(STEP, "import_change", imports.change, methods=["POST"], login=True)
blueprint.add_url_rule(f"{STEP}rows/", "import_rows", imports.rows, login=True)
blueprint.add_url_rule(f"{STEP}commit/", "import_commit", imports.commit, methods=["POST"], login=True)
blueprint.add_url_rule(f"{STEP}result/", "import_result", imports.result, login=True)
blueprint.add_url_rule(f"{STEP}delete/", "import_confirm_delete", imports.confirm_delete, login=True)
blueprint.add_url_rule(f"{STEP}delete/", "import_delete", imports.delete, methods=["POST"], login=True)
blueprint.register_error_handler(RequestEntityTooLarge, imports.too_large)
