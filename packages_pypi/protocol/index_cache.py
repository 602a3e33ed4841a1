"""Caching of simple-index pages, keyed by the projects' package serials.

Every package write bumps its project's `packages_serial` in the write's own transaction, so a
page cached under the old serials is never served after the write returns, on any app server,
with any cache backend (local memory per process or a shared Redis). The same key is the ETag.
"""

import hashlib
from collections.abc import Callable

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from projects.principals import Principal

CACHE_SECONDS = 24 * 3600  # keys change on writes; expiry only frees memory
_PREFIX = "pypi-page:v1:"


def page_key(request: HttpRequest, *parts: object) -> str:
    """A key for one rendering: the scope and serials in `parts`, plus host and media type."""
    text = "|".join(map(str, (request.get_host(), request.scheme, *parts)))
    return hashlib.sha256(text.encode()).hexdigest()


def cached_page(
    request: HttpRequest, principal: Principal, key: str, render: Callable[[], HttpResponse]
) -> HttpResponse:
    """The page for `key`: 304 when the client has it, else from the cache, else rendered."""
    etag = f'"{key[:32]}"'
    if etag in request.headers.get("If-None-Match", ""):
        return _validators(HttpResponse(status=304), principal, etag)
    return _validators(_from_cache(key) or _store(key, render()), principal, etag)


def conditional(
    request: HttpRequest, principal: Principal, response: HttpResponse
) -> HttpResponse:
    """An uncached page with an ETag from its body: 304 when the client has it already."""
    etag = f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
    return _validators(response, principal, etag)


def _validators(response: HttpResponse, principal: Principal, etag: str) -> HttpResponse:
    if response.status_code in (200, 304):
        response["ETag"] = etag
        response["Vary"] = "Accept"
        # Anonymous pages may be kept by shared caches (nginx), but revalidated every time.
        visibility = "public" if principal.is_anonymous else "private"
        response["Cache-Control"] = f"{visibility}, no-cache"
    return response


def _from_cache(key: str) -> HttpResponse | None:
    hit = cache.get(_PREFIX + key)
    if hit is None:
        return None
    content_type, body = hit
    return HttpResponse(body, content_type=content_type)


def _store(key: str, response: HttpResponse) -> HttpResponse:
    if response.status_code == 200:
        cache.set(_PREFIX + key, (response["Content-Type"], response.content), CACHE_SECONDS)
    return response
