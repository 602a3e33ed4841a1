"""Throttling of failed authentication: the sign-in forms (django-axes) and refused tokens.

Sign-in (the web form and the admin's) is django-axes, configured in settings; this module gives
it the client address and the 429 page. Tokens are counted here, in Django's cache (Redis in
production, so every app server shares the counts): GitLab's "failed authentication ban"
(Rack::Attack, maxretry 10 in findtime 60 s, bantime 1 h), per client address and per account.

Only a refused token touches the cache. A successful token request never reads it, so the lock
holds failures only: a locked address that presents a valid token is served. Deliberate
difference from GitLab, which blocks every request of a banned address: that costs a cache read
on every request, and buys nothing here because tokens carry 192 random bits (nothing to guess)
and the flood we stop is of refused ones. GitLab answers a ban with 403; we answer 429 with
`Retry-After`, which python-gitlab, pip and uv understand as "wait", not "you may not".
"""

import datetime
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from registry.http.exceptions import RegistryError

logger = logging.getLogger("registry.throttle")
_PREFIX = "throttle:v1:"
# Known token kinds, so that a refused secret is named by its public part only.
_TOKEN_PREFIXES = ("glpat-", "gldt-", "glcbt-")
_SHOWN_CHARACTERS = 4


class TooManyRequests(RegistryError):
    """429 for a caller locked out by repeated failures; `Retry-After` says for how long."""

    status_code = 429
    default_message = "429 Too Many Requests - Retry later"

    def __init__(self, retry_after: int) -> None:
        super().__init__(headers={"Retry-After": str(retry_after)})


def client_ip(request: HttpRequest) -> str:
    """The caller's address: REMOTE_ADDR, or the one our trusted proxies saw.

    With REGISTRY_TRUSTED_PROXY_COUNT proxies in front (nginx appends `$remote_addr` to
    X-Forwarded-For), the client is that many entries from the right; whatever a client wrote
    further left is its own claim and is ignored.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    hops = settings.REGISTRY_TRUSTED_PROXY_COUNT
    if hops <= 0:
        return remote
    forwarded = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    return forwarded[-hops] if len(forwarded) >= hops else remote


def token_public_part(secret: str) -> str | None:
    """`glpat-AbCd` for a token-shaped secret; None for anything else (it may be a password)."""
    for prefix in _TOKEN_PREFIXES:
        if secret.startswith(prefix):
            return secret[: len(prefix) + _SHOWN_CHARACTERS]
    return None


def token_refused(request: HttpRequest, *, secret: str, user_id: int | None = None) -> None:
    """Count a presented token that was refused; raise TooManyRequests once a lock holds.

    Counted per client address, and per account: the token's user where it is known (revoked
    or expired), else the token's public part. Call it only on the failure path.
    """
    ip = client_ip(request)
    shown = token_public_part(secret)
    account = f"user:{user_id}" if user_id is not None else (f"token:{shown}" if shown else None)
    subjects = [f"ip:{ip}"] + ([account] if account else [])
    now = time.time()
    locks = cache.get_many([_lock_key(subject) for subject in subjects])
    until = max(locks.values(), default=0)
    if until > now:
        raise TooManyRequests(_seconds(until - now))
    for subject in subjects:
        failures = _count(subject)
        if failures >= settings.REGISTRY_TOKEN_FAILURE_LIMIT:
            ban = settings.REGISTRY_TOKEN_BAN_SECONDS
            cache.set(_lock_key(subject), now + ban, ban)
            # The count starts afresh when the ban ends, whatever is left of its window.
            cache.delete(_failures_key(subject))
            logger.warning(
                "token failures locked %s: ip=%s token=%s user_id=%s failures=%d seconds=%d",
                subject.partition(":")[0], ip, shown or "-", user_id or "-", failures, ban,
            )
            raise TooManyRequests(_seconds(ban))
    logger.info("token refused: ip=%s token=%s user_id=%s", ip, shown or "-", user_id or "-")


def _lock_key(subject: str) -> str:
    return f"{_PREFIX}lock:{subject}"


def _failures_key(subject: str) -> str:
    return f"{_PREFIX}failures:{subject}"


def _count(subject: str) -> int:
    """One more failure in the subject's window: a fixed window from its first failure."""
    key = _failures_key(subject)
    cache.add(key, 0, settings.REGISTRY_TOKEN_FAILURE_WINDOW_SECONDS)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, settings.REGISTRY_TOKEN_FAILURE_WINDOW_SECONDS)
        return 1


def _seconds(value: float) -> int:
    return max(1, math.ceil(value))


def sign_in_locked(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """django-axes' lockout answer (AXES_LOCKOUT_CALLABLE): a 429 page that says why."""
    cool_off: datetime.timedelta = settings.AXES_COOLOFF_TIME
    seconds = _seconds(cool_off.total_seconds())
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    logger.warning(
        "sign-in locked: ip=%s username=%r path=%r seconds=%d",
        client_ip(request), username[:150], request.path, seconds,
    )
    response = render(
        request, "users/locked.html", {"minutes": math.ceil(seconds / 60)}, status=429
    )
    response["Retry-After"] = str(seconds)
    return response
