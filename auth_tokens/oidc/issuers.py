"""Which OIDC issuers this instance trusts, and which URLs it will fetch from them."""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings

GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com"
GITLAB_COM_ISSUER = "https://gitlab.com"


def normalized(issuer: str) -> str:
    return issuer.strip().rstrip("/")


def allowed_issuers() -> list[str]:
    """The instance's allowlist (REGISTRY_OIDC_ISSUERS)."""
    return [normalized(issuer) for issuer in settings.REGISTRY_OIDC_ISSUERS]


def is_allowed(issuer: str) -> bool:
    return issuer in allowed_issuers()


def url_problem(url: str) -> str | None:
    """Why `url` may not be fetched from an issuer, or None when it may.

    https only; plain http only to a loopback address (the tests' stand-in issuer), so an ID
    token's keys never travel where they can be changed on the way.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return "is not a URL"
    if not host or parts.username or parts.password or parts.fragment:
        return "is not a plain URL with a host"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and _loopback(host):
        return None
    return "must use https (plain http only on loopback)"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def audience(host: str) -> str:
    """The `aud` ID tokens must carry for this instance: REGISTRY_OIDC_AUDIENCE, else the host
    name clients reach it by (without a port: uv turns the audience into the name of GitLab's
    ID token variable, `REGISTRY_EXAMPLE_COM_ID_TOKEN`)."""
    if settings.REGISTRY_OIDC_AUDIENCE:
        return str(settings.REGISTRY_OIDC_AUDIENCE)
    name = urlsplit(f"//{host}").hostname
    return name or host.lower()
