"""The server-rendered pages under /account/: what the React client has no screen for.

Every page is declared here, with its login, on one `PageBlueprint` (app/pages/blueprint.py: CSRF,
sign-in redirect, acting user, one transaction, security headers, HTML errors). The views call the same
service functions as the API; they never re-implement a rule.
"""

from __future__ import annotations

from flask import current_app, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from app.pages import account, assets, exports, feeds, imports, sign_in
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


ROOT_URL = "/account/"


@blueprint.app_template_global()
def nav_items() -> list[tuple[str, str, bool]]:
    """(url, label, is the current page) for each page of the navigation that exists."""
    items = []
    for endpoint, label in NAV:
        if endpoint in current_app.view_functions:
            url = url_for(endpoint)
            # A section's own pages (/account/exports/activity...) are in it; the Account page is the root.
            current = request.path == url or (url != ROOT_URL and request.path.startswith(url))
            items.append((url, label, current))
    return items


blueprint.add_app_template_global(assets.asset_url, "asset_url")

blueprint.add_url_rule("/assets/<assets_version>/<name>", view_func=assets.asset, login=False)
blueprint.add_url_rule("/sign-in/", view_func=sign_in.sign_in, methods=["GET", "POST"], login=False)
blueprint.add_url_rule("/sign-out/", view_func=sign_in.sign_out, methods=["POST"], login=False)
blueprint.add_url_rule("/sign-in/google/", view_func=sign_in.google_start, login=False)
blueprint.add_url_rule("/sign-in/google/callback/", view_func=sign_in.google_callback, login=False)

blueprint.add_url_rule("/", view_func=account.account, login=True)
blueprint.add_url_rule("/names/", "account_names", account.names, methods=["POST"], login=True)
blueprint.add_url_rule("/password/", "account_password", account.password, methods=["POST"], login=True)
blueprint.add_url_rule(
    "/log-out-everywhere/", "account_log_out_everywhere", account.log_out_everywhere, methods=["POST"], login=True
)
blueprint.add_url_rule(
    "/restore/", "account_restore", account.restore, methods=["POST"], login=True, upload="ACCOUNT_IMPORT_MAX_BYTES"
)
blueprint.add_url_rule("/delete/", "account_delete", account.delete, methods=["POST"], login=True)

blueprint.add_url_rule("/exports/", view_func=exports.exports, login=True)
blueprint.add_url_rule("/exports/applications", "export_applications", exports.applications, login=True)
blueprint.add_url_rule("/exports/activity", "export_activity", exports.activity, login=True)
blueprint.add_url_rule("/exports/account.json", "export_account", exports.account_file, login=True)

blueprint.add_url_rule("/feeds/", view_func=feeds.feeds, login=True)
blueprint.add_url_rule("/feeds/", "create_feed", feeds.create_feed, methods=["POST"], login=True)
blueprint.add_url_rule("/feeds/<uuid:feed_id>/revoke/", "revoke_feed", feeds.revoke_feed, methods=["POST"], login=True)

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
