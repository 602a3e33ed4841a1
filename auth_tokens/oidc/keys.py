"""An issuer's signing keys: found through its OpenID configuration, fetched with timeouts and
size bounds, cached (in the shared cache, so every app server uses one copy) and fetched again
when a token names a key id the cache lacks (a key rotation), at most once a refresh period.

The issuer's servers are untrusted: whatever they answer (slow, huge, not JSON, a redirect),
the caller gets a KeysUnavailable with the reason, never an exception of the HTTP library.
"""

import json
import time
from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache

from auth_tokens.oidc.issuers import url_problem

# An openid-configuration or a JWKS is a few KiB; GitHub's JWKS is under 4 KiB.
MAX_DOCUMENT_BYTES = 256 * 1024
CHUNK_BYTES = 16 * 1024

JsonKey = dict[str, Any]


class KeysUnavailable(Exception):
    """The issuer's keys could not be fetched; the message says why (no secret in it)."""


def signing_key(issuer: str, kid: str) -> JsonKey | None:
    """The issuer's JWK with key id `kid`, or None when its current JWKS has no such key."""
    keys = cache.get(_cache_key(issuer))
    if keys is not None and kid in keys:
        return keys[kid]
    if keys is None or _refresh_allowed(issuer):
        keys = fetch_keys(issuer)
        cache.set(_cache_key(issuer), keys, settings.REGISTRY_OIDC_JWKS_CACHE_SECONDS)
    return keys.get(kid)


def _cache_key(issuer: str) -> str:
    return f"oidc-jwks:{issuer}"


def _refresh_allowed(issuer: str) -> bool:
    """True once per refresh period: an unknown kid cannot make us hammer the issuer."""
    period = settings.REGISTRY_OIDC_JWKS_REFRESH_SECONDS
    return period <= 0 or cache.add(f"oidc-jwks-refresh:{issuer}", 1, period)


def fetch_keys(issuer: str) -> dict[str, JsonKey]:
    """{kid: JWK} from `{issuer}/.well-known/openid-configuration` and its `jwks_uri`."""
    configuration = _get_json(f"{issuer}/.well-known/openid-configuration")
    if configuration.get("issuer") != issuer:
        # OpenID Connect Discovery §4.3: the document must name the issuer it was fetched for.
        raise KeysUnavailable("the issuer's openid-configuration names another issuer")
    jwks_uri = configuration.get("jwks_uri")
    if not isinstance(jwks_uri, str):
        raise KeysUnavailable("the issuer's openid-configuration has no jwks_uri")
    if issuer.startswith("https://") and not jwks_uri.startswith("https://"):
        # Loopback http is for a stand-in issuer; a real one must not send us to local ports.
        raise KeysUnavailable(f"{jwks_uri} must use https, as the issuer does")
    document = _get_json(jwks_uri)
    keys = document.get("keys")
    if not isinstance(keys, list):
        raise KeysUnavailable("the issuer's JWKS has no keys")
    return {
        key["kid"]: key
        for key in keys
        if isinstance(key, dict) and isinstance(key.get("kid"), str)
    }


def _get_json(url: str) -> dict[str, Any]:
    problem = url_problem(url)
    if problem is not None:
        raise KeysUnavailable(f"{url} {problem}")
    timeout = settings.REGISTRY_OIDC_FETCH_TIMEOUT_SECONDS
    try:
        with requests.get(
            url, timeout=timeout, stream=True, allow_redirects=False,
            headers={"Accept": "application/json"},
        ) as response:
            if response.status_code != 200:
                raise KeysUnavailable(f"{url} answered {response.status_code}")
            body = _read_bounded(response, deadline=time.monotonic() + timeout)
    except requests.RequestException as error:
        raise KeysUnavailable(f"{url} could not be fetched ({type(error).__name__})") from error
    try:
        document = json.loads(body)
    except ValueError as error:
        raise KeysUnavailable(f"{url} did not answer JSON") from error
    if not isinstance(document, dict):
        raise KeysUnavailable(f"{url} did not answer a JSON object")
    return document


def _read_bounded(response: requests.Response, *, deadline: float) -> bytes:
    """The body, refusing more than MAX_DOCUMENT_BYTES or a trickle past the deadline (the
    read timeout alone restarts with every byte)."""
    body = bytearray()
    for chunk in response.iter_content(CHUNK_BYTES):
        body += chunk
        if len(body) > MAX_DOCUMENT_BYTES:
            raise KeysUnavailable(f"{response.url} answered more than {MAX_DOCUMENT_BYTES} bytes")
        if time.monotonic() > deadline:
            raise KeysUnavailable(f"{response.url} answered too slowly")
    return bytes(body)
