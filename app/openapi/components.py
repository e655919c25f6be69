"""Shared parts of the OpenAPI document: the security scheme, the error responses, the auth endpoints."""

from __future__ import annotations

from typing import Any

from apispec import APISpec

from app.auth.schemas import LoginSchema, RefreshSchema, SocialLoginSchema

# status -> (component name, description), every error in the contract's shape.
ERRORS: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "Invalid input: one key per offending field, each with a list of messages."),
    401: ("Unauthorized", "No valid access token."),
    403: ("Forbidden", "The object may be read but not changed by the caller (a global label)."),
    404: ("NotFound", "No such object among the caller's, or no such page (`Invalid page.`)."),
    409: ("Conflict", "The change conflicts with the object's state or with existing data."),
    413: ("PayloadTooLarge", "The body is larger than the server accepts."),
    412: (
        "PreconditionFailed",
        "`If-Match` (or a batch item's `etag`) names an older version: read it again. The current tag is in "
        "the `ETag` header (for a batch, per item index in `stale`).",
    ),
    415: ("UnsupportedMediaType", "The body is not `application/json`."),
    429: ("TooManyRequests", "Rate limit exceeded; see `Retry-After`."),
    503: ("ServiceUnavailable", "Concurrent changes kept the database from finishing; retry after `Retry-After`."),
}

DETAIL = {
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {"type": "string"}},
    "example": {"detail": "Not found."},
}
FIELD_ERRORS = {
    "type": "object",
    "description": "Field name -> list of messages; nested fields nest, list items are keyed by index.",
    "additionalProperties": {},
    "example": {
        "name": ["Missing data for required field."],
        "hq_location": {"zipcode": ["Longer than maximum length 20."]},
    },
}


def register_components(spec: APISpec) -> None:
    """The JWT security scheme, the error schemas and one reusable response per error status."""
    spec.components.security_scheme(
        "JWT",
        {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "`Authorization: JWT <access token>` (as the web client sends it) or "
            "`Bearer <access token>`; get one from `POST /api/api-token-auth/`.",
        },
    )
    spec.components.schema("Error", DETAIL)
    spec.components.schema("FieldErrors", FIELD_ERRORS)
    for status, (name, description) in ERRORS.items():
        schema = "FieldErrors" if status == 400 else "Error"
        spec.components.response(
            name,
            {
                "description": description,
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
            },
        )


ETAG_HEADER = {
    "ETag": {"description": "The version of this representation, for `If-Match`.", "schema": {"type": "string"}}
}
IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": "Change only if the object is still at this version (the `ETag` of your read); else a 412. "
    "Without it, the write goes through as before.",
}


def json_response(description: str, schema: Any) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def json_request(schema: Any) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def error_responses(*statuses: int) -> dict[str, Any]:
    """References to the shared error responses, keyed by status code."""
    return {str(status): {"$ref": f"#/components/responses/{ERRORS[status][0]}"} for status in statuses}


def _strings(*names: str) -> dict[str, Any]:
    return {"type": "object", "required": list(names), "properties": {n: {"type": "string"} for n in names}}


# Bodies and answers of the sign-in endpoints, whose function views carry no schema of their own.
AUTH_OPERATIONS: dict[str, dict[str, Any]] = {
    "auth.token_auth": {
        "requestBody": json_request(LoginSchema),
        "responses": {"200": json_response("An access and a refresh token.", _strings("access", "refresh"))}
        | error_responses(400, 401),
    },
    "auth.token_refresh": {
        "requestBody": json_request(RefreshSchema),
        "responses": {"200": json_response("A new access token.", _strings("access"))} | error_responses(400, 401),
    },
    "auth.logout": {
        "requestBody": json_request(RefreshSchema),
        "description": "The access token in `Authorization`, if one of the same user is sent, is revoked too.",
        "responses": {"204": {"description": "Revoked."}} | error_responses(400, 401),
    },
    "auth.social_login": {
        "requestBody": json_request(SocialLoginSchema),
        "responses": {
            "200": json_response(
                "Tokens and the profile.",
                _strings("token", "refresh", "email", "first_name", "last_name", "avatar_url"),
            )
        }
        | error_responses(400),
    },
}
