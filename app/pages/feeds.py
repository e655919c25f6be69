"""The Live feeds page: create a feed (its URL and IMPORTDATA formula are shown once), list, revoke.

A feed is the API's FeedToken, created through the API's schema and `issue`, revoked with `revoke`.
"""

from __future__ import annotations

import uuid

from flask import flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from marshmallow import ValidationError

from app.extensions import db
from app.models import FeedToken
from app.pages.forms import FormErrors
from app.permissions import get_visible_or_404, visible
from app.resources.feeds.schemas import FEED_ENDPOINT, FeedTokenSchema


def _page(errors: FormErrors | None = None, created: FeedToken | None = None, status: int = 200) -> ResponseReturnValue:
    user = current_user._get_current_object()
    feeds = db.session.scalars(
        visible(FeedToken, user).order_by(FeedToken.revoked_at.is_not(None), FeedToken.created_at.desc())
    )
    feed_url = None
    if created is not None:
        feed_url = url_for(FEED_ENDPOINT, token=created.plaintext_token, _external=True)
    body = render_template(
        "pages/feeds.html",
        feeds=list(feeds),
        errors=errors or FormErrors(),
        created=created,
        feed_url=feed_url,
        name=request.form.get("name", "") if errors else "",
    )
    return make_response(body, status)


def feeds() -> ResponseReturnValue:
    """The feeds page."""
    return _page()


def create_feed() -> ResponseReturnValue:
    """Create a feed; the answer is the only time its URL is shown."""
    try:
        feed = FeedTokenSchema().load({"name": request.form.get("name", "").strip()}).apply()
    except ValidationError as error:
        return _page(FormErrors.of(error), status=400)
    feed.issue()
    db.session.add(feed)
    db.session.flush()
    return _page(created=feed, status=201)


def revoke_feed(feed_id: uuid.UUID) -> ResponseReturnValue:
    """Revoke a feed: its URL stops working at once."""
    feed = get_visible_or_404(FeedToken, feed_id, current_user._get_current_object(), lock=True)
    feed.revoke()
    named = f"“{feed.name}”" if feed.name else "without a name"
    flash(f"The feed {named} is revoked: its URL no longer works.", "success")
    return redirect(url_for("pages.feeds"), 303)
