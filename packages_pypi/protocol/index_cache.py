"""Caching of simple-index pages, keyed by the projects' package serials.

Every package write bumps its project's `packages_serial` (and its groups' tree serials) in the
write's own transaction, so a page cached under the old serials is never served after the
write returns, on any app server, with any cache backend (local memory per process or a shared
Redis). The same key is the ETag.

Anonymous callers are answered before that, from `public_page`: the page or the miss under
the public generation (`packages_pypi.public_generation`), with no database query at all. The
key of every other caller's page includes what decides what they may see (the serials or the
ids of the projects they read), so a page is never served to a caller who may not see it.
"""

import hashlib
from collections.abc import Callable
from typing import TypeVar, cast

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response

from packages_pypi.protocol import front_cache
from packages_pypi.public_generation import public_generation
from projects.principals import Principal
from registry.http.exceptions import NotFound

CACHE_SECONDS = 24 * 3600  # keys change on writes; expiry only frees memory
_PREFIX = "pypi-page:v1:"
_PUBLIC_PREFIX = "pypi-public:v1:"
_PUBLIC_VALUE_PREFIX = "pypi-public-value:v1:"
_MISS = "miss"
# Set on the responses `cached_page` answers: our own rendering of our own rows, which the
# public cache may keep (a redirect or anything else a view answers is never kept).
_OWN_PAGE = "_registry_own_page"
T = TypeVar("T")


class Miss(NotFound):
    """A name in no project of the scope, and not sent upstream (forwarding off, or a guard
    refusing): decided by our own rows alone, so an anonymous miss is cached like a page."""

    def __init__(self) -> None:
        super().__init__("Package")
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
    response = _validators(_from_cache(key) or _store(key, render()), principal, etag)
    setattr(response, _OWN_PAGE, True)
    return response


def public_page(
    request: HttpRequest, principal: Principal, parts: tuple, answer: Callable[[], HttpResponse]
) -> HttpResponse:
    """For an anonymous caller, `answer()` (a page, or a Miss raised) kept under the public
    generation; any other caller gets `answer()` as it is.

    `parts` name the request as the URL does (scope reference, name, media type): host and
    scheme are added. The generation is read before `answer()` reads the database.
    """
    if not principal.is_anonymous or (generation := public_generation()) is None:
        return answer()
    key = _PUBLIC_PREFIX + page_key(request, generation, *parts)
    hit = cache.get(key)
    if hit == _MISS:
        _front_cacheable(request, generation)
        raise Miss()
    if hit is not None:
        content_type, body, etag = hit
        response = _validators(HttpResponse(body, content_type=content_type), principal, etag)
        _front_cacheable(request, generation)
        return _not_modified(request, response, etag) or response
    try:
        response = answer()
    except Miss:
        cache.set(key, _MISS, CACHE_SECONDS)
        _front_cacheable(request, generation)
        raise
    if response.status_code == 200 and getattr(response, _OWN_PAGE, False):
        stored = (response["Content-Type"], response.content, response["ETag"])
        cache.set(key, stored, CACHE_SECONDS)
        _front_cacheable(request, generation)
    return response


def _front_cacheable(request: HttpRequest, generation: str) -> None:
    """Tell the front cache (`front_cache`) that this answer is the public one, and under
    which generation; anything else (an upstream's page, a redirect) is never marked."""
    request.META[front_cache.MARK] = generation


def public_value(
    request: HttpRequest, principal: Principal, parts: tuple, find: Callable[[], T | None]
) -> T | None:
    """For an anonymous caller, what `find()` returns (unless None) kept under the public
    generation, as `public_page` keeps pages; any other caller gets `find()` as it is.

    For what a request resolves to rather than what it answers: a download streams its file,
    but which file it is (and that the caller may have it) is decided by rows alone.
    """
    if not principal.is_anonymous or (generation := public_generation()) is None:
        return find()
    key = _PUBLIC_VALUE_PREFIX + page_key(request, generation, *parts)
    hit = cache.get(key)
    if hit is not None:
        return cast(T, hit)
    value = find()
    if value is not None:
        cache.set(key, value, CACHE_SECONDS)
    return value


def conditional(
    request: HttpRequest, principal: Principal, response: HttpResponse
) -> HttpResponse:
    """An uncached page (the proxy's) with an ETag from its body: 304 when the client has it."""
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
