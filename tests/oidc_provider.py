"""A small, real OpenID Connect provider on loopback, standing in for Google during the tests.

It serves a discovery document, a JWKS and a token endpoint over HTTP from a thread, and signs
RS256 ID tokens with an RSA key generated for the test run, so the server's code exchange, JWKS fetch
and signature check all run for real. A test registers an authorization code with the claims (and,
to simulate forgeries, the key) that the token endpoint should answer it with.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

CLIENT_ID = "test-client.apps.googleusercontent.com"
CLIENT_SECRET = "test-client-secret"


def new_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(8), "use": "sig", "alg": "RS256"})


@dataclass
class Grant:
    claims: dict[str, Any]
    key: RSAKey | None = None  # None: the provider's published key
    id_token: str | None = None  # a literal ID token to answer with (e.g. none at all: "")


@dataclass
class OpenIDProvider:
    key: RSAKey = field(default_factory=new_key)
    grants: dict[str, Grant] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path) as received
    token_requests: list[dict[str, str]] = field(default_factory=list)
    # The redirect URIs registered for the client: the React client's pop-up, and the pages' callback.
    redirect_uris: set[str] = field(default_factory=lambda: {"postmessage"})
    base_url: str = ""

    @property
    def discovery_url(self) -> str:
        return f"{self.base_url}/.well-known/openid-configuration"

    def id_token_claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {
            "iss": self.base_url,
            "aud": CLIENT_ID,
            "azp": CLIENT_ID,
            "sub": secrets.token_hex(10),
            "iat": now,
            "exp": now + 3600,
            "email": "new.person@example.com",
            "email_verified": True,
            "given_name": "New",
            "family_name": "Person",
            "picture": "https://lh3.example/avatar.png",
        }
        claims.update(overrides)
        return {name: value for name, value in claims.items() if value is not None}

    def issue_code(self, *, key: RSAKey | None = None, id_token: str | None = None, **claims: Any) -> str:
        """An authorization code that the token endpoint will exchange once."""
        code = "4/" + secrets.token_urlsafe(24)
        self.grants[code] = Grant(self.id_token_claims(**claims), key, id_token)
        return code

    def rotate_key(self) -> None:
        self.key = new_key()

    # -- the HTTP side ---------------------------------------------------------------------------

    def __call__(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        self.requests.append((request.method, request.path))
        if request.path == "/.well-known/openid-configuration":
            response = self._json(
                {
                    "issuer": self.base_url,
                    "authorization_endpoint": f"{self.base_url}/auth",
                    "token_endpoint": f"{self.base_url}/token",
                    "jwks_uri": f"{self.base_url}/jwks",
                    "id_token_signing_alg_values_supported": ["RS256"],
                }
            )
        elif request.path == "/jwks":
            response = self._json({"keys": [self.key.as_dict(private=False)]})
        elif request.path == "/token" and request.method == "POST":
            response = self._token(request)
        else:
            response = self._json({"error": "not_found"}, 404)
        return response(environ, start_response)

    @staticmethod
    def _json(body: dict, status: int = 200) -> Response:
        return Response(json.dumps(body), status=status, content_type="application/json")

    def _client_authenticated(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        else:
            client_id, secret = request.form.get("client_id", ""), request.form.get("client_secret", "")
        return client_id == CLIENT_ID and secret == CLIENT_SECRET

    def _token(self, request: Request) -> Response:
        self.token_requests.append(dict(request.form))
        if not self._client_authenticated(request):
            return self._json({"error": "invalid_client"}, 401)
        if request.form.get("grant_type") != "authorization_code":
            return self._json({"error": "unsupported_grant_type"}, 400)
        grant = self.grants.pop(request.form.get("code", ""), None)  # a code works once
        if grant is None or request.form.get("redirect_uri") not in self.redirect_uris:
            return self._json({"error": "invalid_grant", "error_description": "Bad Request"}, 400)
        key = grant.key or self.key
        id_token = grant.id_token
        if id_token is None:
            id_token = jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, grant.claims, key)
        body = {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 3599}
        if id_token:
            body["id_token"] = id_token
        return self._json(body)


class RunningProvider:
    """Serve `provider` on 127.0.0.1 (a free port) from a thread until `stop`."""

    def __init__(self, provider: OpenIDProvider) -> None:
        self.provider = provider
        self.server = make_server("127.0.0.1", 0, provider, threaded=True)
        provider.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
