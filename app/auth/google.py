"""Google sign-in over OpenID Connect: exchange the client's authorization code, verify the ID token.

The React client runs Google's pop-up flow and posts the authorization code here (redirect URI
`postmessage`). The provider's endpoints come from its discovery document (GOOGLE_DISCOVERY_URL), the
code is exchanged with Authlib's OAuth 2 client, and the ID token in the answer is verified with
joserfc (Authlib's JOSE library; `authlib.jose` is deprecated): RS256 signature against the provider's
JWKS, issuer, audience, expiry and a verified e-mail address. Failures the client caused (a bad or used
code, a token that does not verify) are 400s; a provider that is not configured or cannot be reached is
a 503, never a 500.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from flask import current_app
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from app.auth.accounts import VerifiedIdentity
from app.errors import APIError

log = logging.getLogger(__name__)

PROVIDER = "google-oauth2"
ID_TOKEN_ALGORITHMS = ("RS256",)
HTTP_TIMEOUT = 10  # seconds, for each call to the provider
CACHE_SECONDS = 3600  # discovery document and JWKS; an unknown key id refetches the JWKS at once
CLOCK_SKEW = 60  # seconds of leeway on exp/iat, as Google's own libraries allow
GOOGLE_ISSUERS = ("https://accounts.google.com", "accounts.google.com")
SCOPES = "openid email profile"

_cache: dict[str, tuple[float, dict[str, Any]]] = {}


class ProviderUnavailable(APIError):
    def __init__(self, detail: str = "Google sign-in is unavailable right now; try again later.") -> None:
        super().__init__(503, detail)


def _sign_in_failed(reason: str) -> APIError:
    return APIError(400, f"Google sign-in failed: {reason}")


def _fetch_json(url: str, *, fresh: bool = False) -> dict[str, Any]:
    """A provider document (discovery, JWKS), cached for CACHE_SECONDS."""
    cached = _cache.get(url)
    if cached is not None and not fresh and cached[0] > time.monotonic():
        return cached[1]
    try:
        response = requests.get(url, timeout=HTTP_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        log.warning("google sign-in: cannot fetch %s: %s", url, exc)
        raise ProviderUnavailable() from exc
    if not isinstance(document, dict):
        raise ProviderUnavailable()
    _cache[url] = (time.monotonic() + CACHE_SECONDS, document)
    return document


def _settings() -> tuple[str, str, str]:
    config = current_app.config
    client_id, secret, discovery = (
        config.get("GOOGLE_CLIENT_ID"),
        config.get("GOOGLE_CLIENT_SECRET"),
        config.get("GOOGLE_DISCOVERY_URL"),
    )
    if not (client_id and secret and discovery):
        raise ProviderUnavailable("Google sign-in is not configured on this server.")
    return client_id, secret, discovery


def _metadata(discovery_url: str) -> dict[str, Any]:
    metadata = _fetch_json(discovery_url)
    if not all(isinstance(metadata.get(key), str) for key in ("issuer", "token_endpoint", "jwks_uri")):
        log.warning("google sign-in: discovery document without issuer, token_endpoint or jwks_uri")
        raise ProviderUnavailable()
    return metadata


def is_configured() -> bool:
    """Whether Google sign-in has its client id, secret and discovery URL (the pages offer it then)."""
    config = current_app.config
    return all(config.get(name) for name in ("GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET", "GOOGLE_DISCOVERY_URL"))


def authorization_url(redirect_uri: str, state: str) -> str:
    """Where to send a browser to sign in with Google (the redirect flow of the /account/ pages).

    Google sends it back to `redirect_uri` with `state` and the authorization code that `sign_in` takes.
    """
    client_id, secret, discovery_url = _settings()
    endpoint = _metadata(discovery_url).get("authorization_endpoint")
    if not isinstance(endpoint, str):
        log.warning("google sign-in: discovery document without authorization_endpoint")
        raise ProviderUnavailable()
    with OAuth2Session(client_id, secret, redirect_uri=redirect_uri, scope=SCOPES) as session:
        url, _ = session.create_authorization_url(endpoint, state=state)
    return url


def exchange_code(code: str, redirect_uri: str, metadata: dict[str, Any], client_id: str, secret: str) -> str:
    """The ID token that the provider's token endpoint gives for this authorization code."""
    with OAuth2Session(client_id, secret, redirect_uri=redirect_uri, default_timeout=HTTP_TIMEOUT) as session:
        try:
            token = session.fetch_token(
                metadata["token_endpoint"], grant_type="authorization_code", code=code, redirect_uri=redirect_uri
            )
        except OAuthError as exc:
            if exc.error == "invalid_client":  # our credentials, not the caller's code
                log.error("google sign-in: the provider refused GOOGLE_CLIENT_ID/GOOGLE_CLIENT_SECRET")
                raise ProviderUnavailable("Google sign-in is not configured correctly on this server.") from exc
            # The caller's code was refused: invalid_grant (bad, used or expired), redirect_uri_mismatch...
            raise _sign_in_failed(exc.error or "the authorization code was refused") from exc
        except (requests.RequestException, ValueError) as exc:
            log.warning("google sign-in: token endpoint failed: %s", exc)
            raise ProviderUnavailable() from exc
    id_token = token.get("id_token")
    if not isinstance(id_token, str) or not id_token:
        raise _sign_in_failed("the provider returned no ID token")
    return id_token


def _decode(id_token: str, jwks_uri: str) -> dict[str, Any]:
    """Verify the signature with the provider's keys; a key id we do not know refetches them once."""
    try:
        keys = KeySet.import_key_set(_fetch_json(jwks_uri))
        return jwt.decode(id_token, keys, algorithms=list(ID_TOKEN_ALGORITHMS)).claims
    except InvalidKeyIdError:  # the provider rotated its keys since we cached them
        keys = KeySet.import_key_set(_fetch_json(jwks_uri, fresh=True))
        return jwt.decode(id_token, keys, algorithms=list(ID_TOKEN_ALGORITHMS)).claims


def verify_id_token(id_token: str, metadata: dict[str, Any], client_id: str) -> dict[str, Any]:
    """The claims of a valid ID token for this client; a 400 for any token that does not verify."""
    issuers = [metadata["issuer"]]
    if metadata["issuer"] in GOOGLE_ISSUERS:
        issuers = list(GOOGLE_ISSUERS)  # Google issues both forms
    registry = jwt.JWTClaimsRegistry(
        leeway=CLOCK_SKEW,
        iss={"essential": True, "values": issuers},
        aud={"essential": True, "value": client_id},
        exp={"essential": True},
        iat={"essential": True},
        sub={"essential": True},
        email={"essential": True},
    )
    try:
        claims = _decode(id_token, metadata["jwks_uri"])
        registry.validate(claims)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise _sign_in_failed("the ID token is not valid") from exc
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise _sign_in_failed("the ID token is not valid")
    if claims.get("email_verified") not in (True, "true"):
        raise _sign_in_failed("the e-mail address is not verified")
    if not isinstance(claims["email"], str) or "@" not in claims["email"] or len(claims["email"]) > 254:
        raise _sign_in_failed("the e-mail address is not valid")
    return claims


def sign_in(code: str, redirect_uri: str) -> VerifiedIdentity:
    """Exchange the authorization code and return whom the verified ID token names."""
    client_id, secret, discovery_url = _settings()
    metadata = _metadata(discovery_url)
    claims = verify_id_token(exchange_code(code, redirect_uri, metadata, client_id, secret), metadata, client_id)
    return VerifiedIdentity(
        email=claims["email"],
        first_name=str(claims.get("given_name") or ""),
        last_name=str(claims.get("family_name") or ""),
        avatar_url=str(claims.get("picture") or ""),
    )
