"""The endpoint registry behind `api_url`: which view shows one object of each model.

A blueprint declares its detail endpoints with `register_detail`; they are recorded on the app when the
blueprint is registered. Asking for the URL of a model nobody registered is an error, never a `null`.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, Flask, current_app, request, url_for

_EXTENSION = "api_detail_endpoints"
_ROOT_MEMOS = "api_url_root_memos"
_MAX_ROOTS = 64  # hosts a client names are its own choice: a hostile stream of them only empties the memo
_URL_PLACEHOLDER = uuid.UUID(int=0)


class UnregisteredModel(LookupError):
    """A model's `api_url` was asked for, but no blueprint registered a detail view for it."""


def register_detail(blueprint: Blueprint, model: type, endpoint: str) -> None:
    """Declare that `blueprint`'s `endpoint` (taking a `uuid` argument) shows one object of `model`."""
    blueprint.record(lambda state: detail_endpoints(state.app).__setitem__(model, f"{state.name}.{endpoint}"))


def detail_endpoints(app: Flask) -> dict[type, str]:
    """Model -> endpoint of its detail view, for `app`."""
    return app.extensions.setdefault(_EXTENSION, {})


def detail_endpoint(model: type) -> str:
    """The endpoint of `model`'s detail view in the current app; UnregisteredModel if it has none."""
    try:
        return detail_endpoints(current_app)[model]
    except KeyError:
        raise UnregisteredModel(
            f"no detail endpoint is registered for {model.__name__}: call app.api.register_detail for it"
        ) from None


def root_memo() -> dict[Any, Any]:
    """This app's memo for the URL root the request named (scheme, host and script root).

    An absolute URL depends on nothing else of the request, so what is derived from detail URLs is worked
    out once per root, not once per request (url_for cost a detail a tenth of its time).
    """
    memos = current_app.extensions.setdefault(_ROOT_MEMOS, {})
    memo = memos.get(request.root_url)
    if memo is None:
        if len(memos) >= _MAX_ROOTS:
            memos.clear()
        memo = memos[request.root_url] = {}
    return memo


def url_pieces(model: type) -> tuple[str, str]:
    """The absolute URL of `model`'s detail view in this request, split around the object's uuid.

    A company page nests hundreds of objects: each model's URL is split once per URL root (`root_memo`),
    then only joined with each uuid, here or in the database (`app.serialization.json_sql`).
    """
    memo = root_memo()
    around = memo.get(model)
    if around is None:
        url = url_for(detail_endpoint(model), uuid=_URL_PLACEHOLDER, _method="GET", _external=True)
        prefix, suffix = url.split(str(_URL_PLACEHOLDER))
        around = memo[model] = (prefix, suffix)
    return around


def api_url(obj: Any) -> str:
    """The absolute URL of `obj`'s detail view (an ORM object, or a row that names its `api_model`)."""
    prefix, suffix = url_pieces(getattr(obj, "api_model", None) or type(obj))
    return f"{prefix}{obj.id}{suffix}"
