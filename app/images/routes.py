"""`POST /api/private-image/` stores an image; `GET /api/private-image/<key>/` serves it to anyone with the URL.

The URL is the credential (an `<img>` tag sends no token), so the key is long and random and is checked
against its exact shape before the database or the storage sees it. Every error answer of these
endpoints carries the contract's `detail` and also `{"error": {"message"}}`, which the client's
rich-text editor reads.
"""

from __future__ import annotations

from flask import Response, current_app, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from app.api import ApiBlueprint, current_user
from app.errors import APIError
from app.extensions import db
from app.images.validation import InvalidImage, image_content_type
from app.limits import allow_upload_body, megabytes
from app.models import StoredImage
from app.storage import get_storage, is_valid_key, new_key, validate_storage_config

blueprint = ApiBlueprint("images", __name__)
blueprint.record_once(lambda state: validate_storage_config(state.app.config))

SERVE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    # A key's bytes never change; `private` keeps shared caches from holding someone's image.
    "Cache-Control": "private, max-age=31536000, immutable",
}


@blueprint.after_request
def _add_error_message(response: Response) -> Response:
    """Give every JSON error of these endpoints (401, 400, 413, 429, 500...) the editor's `error.message`."""
    body = response.get_json(silent=True) if response.status_code >= 400 and response.is_json else None
    if isinstance(body, dict) and "error" not in body:
        detail = body.get("detail")
        message = detail if isinstance(detail, str) else "The request could not be processed."
        response.set_data(current_app.json.dumps({**body, "error": {"message": message}}))
    return response


def _too_large() -> APIError:
    return APIError(413, f"The image is larger than {megabytes(current_app.config['IMAGE_MAX_BYTES'])}.")


def _uploaded_bytes() -> bytes:
    limit = allow_upload_body("IMAGE_MAX_BYTES")
    try:
        upload = request.files.get("file")
    except RequestEntityTooLarge as exc:  # the body is over the image limit plus the multipart envelope
        raise _too_large() from exc
    if upload is None:
        raise APIError(400, "No file was submitted in the `file` field.")
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise _too_large()
    return data


@blueprint.post("/api/private-image/", strict_slashes=False, login=True)
def upload_image() -> ResponseReturnValue:
    """Store an image pasted into notes; answers its absolute capability URL.

    ---
    requestBody:
      required: true
      content:
        multipart/form-data:
          schema:
            type: object
            required: [file]
            properties:
              file: {type: string, format: binary, description: "PNG, JPEG, GIF or WebP"}
    responses:
      "200":
        description: Where the image is served.
        content:
          application/json:
            schema:
              type: object
              required: [image_url]
              properties:
                image_url: {type: string, format: uri}
    """
    data = _uploaded_bytes()
    try:
        content_type = image_content_type(data)
    except InvalidImage as exc:
        raise APIError(400, str(exc)) from exc
    key = new_key()
    storage = get_storage()
    storage.save(key, data, content_type)
    try:
        db.session.add(StoredImage(user_id=current_user().id, key=key, content_type=content_type, size=len(data)))
        db.session.commit()  # the file must not outlive a failed commit: see below
    except BaseException:
        storage.delete(key)  # no row, no file
        raise
    return {"image_url": url_for("images.serve_image", key=key, _external=True)}


@blueprint.get("/api/private-image/<key>/", strict_slashes=False, login=False)
def serve_image(key: str) -> ResponseReturnValue:
    """The image's bytes, to whoever holds its URL."""
    if not is_valid_key(key):
        raise APIError(404, "Not found.")
    image = db.session.scalars(select(StoredImage).where(StoredImage.key == key)).first()
    data = get_storage().load(key) if image is not None else None
    if image is None or data is None:
        raise APIError(404, "Not found.")
    response = Response(data, mimetype=image.content_type, headers=SERVE_HEADERS)
    response.set_etag(key)
    return response.make_conditional(request)
