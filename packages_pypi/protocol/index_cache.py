"""Caching of simple-index pages, keyed by the projects' package serials.

Every package write bumps its project's `packages_serial` in the write's own transaction, so a
page cached under the old serials is never served after the write returns, on any app server,
with any cache backend (local memory per process or a shared Redis). The same key is the ETag.
"""

import hashlib
from collections.abc import Callable

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response

from projects.principals import Principal

CACHE_SECONDS = 24 * 3600  # keys change on writes; expiry only frees memory
_PREFIX = "pypi-page:v1:"
# Our pages have an ETag and no Last-Modified: only these headers can change the answer.
_CONDITIONS = frozenset({"HTTP_IF_NONE_MATCH", "HTTP_IF_MATCH"})


def page_key(request: HttpRequest, *parts: object) -> str:
    """A key for one rendering: the scope and serials in `parts`, plus host and media type."""
    text = "|".join(map(str, (request.get_host(), request.scheme, *parts)))
    return hashlib.sha256(text.encode()).hexdigest()


def cached_page(
    request: HttpRequest, principal: Principal, key: str, render: Callable[[], HttpResponse]
) -> HttpResponse:
    """The page for `key`: 304 when the client has it, else from the cache, else rendered."""
    etag = f'"{key[:32]}"'
    if _CONDITIONS.intersection(request.META):
        # The 304 carries the headers the 200 would (RFC 9110 §15.4.5), without the cache.
        headers_only = _validators(HttpResponse(), principal, etag)
        if (not_modified := _not_modified(request, headers_only, etag)) is not None:
            return not_modified
    return _validators(_from_cache(key) or _store(key, render()), principal, etag)


def conditional(
    request: HttpRequest, principal: Principal, response: HttpResponse
) -> HttpResponse:
    """An uncached page with an ETag from its body: 304 when the client has it already."""
    etag = f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
    response = _validators(response, principal, etag)
    return _not_modified(request, response, etag) or response


def _not_modified(request: HttpRequest, response: HttpResponse, etag: str) -> HttpResponse | None:
    """Django's RFC 9110 evaluation of If-None-Match (lists, weak tags, `*`) and If-Match; the
    304 or 412 it answers, else None."""
    if response.status_code != 200:
        return None
    answer = get_conditional_response(request, etag=etag, response=response)
    return None if answer is response else answer


def _validators(response: HttpResponse, principal: Principal, etag: str) -> HttpResponse:
    if response.status_code == 200:
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
