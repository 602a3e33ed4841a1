"""Token secrets: generate, digest, and tell the kinds apart by their prefix."""

import hashlib
import hmac
import secrets

PERSONAL_ACCESS_TOKEN_PREFIX = "glpat-"
DEPLOY_TOKEN_PREFIX = "gldt-"
JOB_TOKEN_PREFIX = "glcbt-"
# Tokens minted by trusted publishing. `pypi-` because gh-action-pypi-publish warns about a
# minted token that does not start with it; `tp-` tells ours apart from pypi.org's macaroons.
PUBLISHING_TOKEN_PREFIX = "pypi-tp-"
# How much of a secret is kept in clear, to tell tokens apart in lists and logs.
DISPLAY_PREFIX_LENGTH = 4


def generate(prefix: str) -> str:
    """A new random secret: the kind's prefix and 32 url-safe characters (192 bits)."""
    return f"{prefix}{secrets.token_urlsafe(24)}"


def digest(secret: str) -> str:
    """The SHA-256 hex digest under which a secret is stored; the secret itself never is.

    A plain hash is enough: secrets are random with 192 bits, so there is nothing to guess.
    """
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


def display_prefix(secret: str, prefix: str) -> str:
    """The public part shown in lists: `glpat-AbCd`."""
    return secret[: len(prefix) + DISPLAY_PREFIX_LENGTH]


def matches(secret: str, stored_digest: str) -> bool:
    """Constant-time comparison of a presented secret with a stored digest."""
    return hmac.compare_digest(digest(secret), stored_digest)
