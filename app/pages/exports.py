"""The Exports page: the applications (CSV or XLSX, filtered, in a past import's layout), the activity log
for a date range, and the whole account as JSON — the API's downloads, behind the page's session."""

from __future__ import annotations

from flask import make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from marshmallow import ValidationError

from app.extensions import db
from app.models import ImportBatch, Label
from app.pages.forms import FormErrors
from app.permissions import visible
from app.resources.exports import downloads

PAST_IMPORTS_LISTED = 100
FORMATS = {"csv": downloads.applications_csv, "xlsx": downloads.applications_xlsx}


def _page(errors: dict[str, FormErrors] | None = None, status: int = 200) -> ResponseReturnValue:
    user = current_user._get_current_object()
    labels = db.session.scalars(visible(Label, user).order_by(Label.user_id.is_(None), Label.order, Label.text))
    imports = db.session.scalars(
        visible(ImportBatch, user)
        .where(ImportBatch.committed_at.is_not(None))
        .order_by(ImportBatch.committed_at.desc())
        .limit(PAST_IMPORTS_LISTED)
    )
    body = render_template(
        "pages/exports.html", labels=list(labels), imports=list(imports), errors=errors or {}, values=request.args
    )
    return make_response(body, status)


def exports() -> ResponseReturnValue:
    """The exports page."""
    return _page()


def applications() -> ResponseReturnValue:
    """Download the applications in the format chosen, with the filters and layout of the form."""
    write = FORMATS.get(request.args.get("format", "csv"))
    if write is None:
        return _page({"applications": FormErrors({"format": ["Choose CSV or Excel."]})}, 400)
    try:
        return write(current_user._get_current_object(), request.args)
    except ValidationError as error:
        return _page({"applications": FormErrors.of(error)}, 400)


def activity() -> ResponseReturnValue:
    """Download the activity log of the date range of the form."""
    try:
        return downloads.activity_csv(current_user._get_current_object(), request.args)
    except ValidationError as error:
        return _page({"activity": FormErrors.of(error)}, 400)


def account_file() -> ResponseReturnValue:
    """Download everything the account holds, as the JSON file that the Account page can restore."""
    return downloads.account_json(current_user._get_current_object())
