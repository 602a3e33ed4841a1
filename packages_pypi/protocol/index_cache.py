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
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response

from packages_pypi.protocol import front_cache
from packages_pypi.public_generation import public_generation
from projects.principals import Principal
from registry.http.exceptions import NotFound

CACHE_SECONDS = 24 * 3600  # keys change on writes; expiry only frees memory
_PREFIX = "pypi-page:v1:"
_PUBLIC_PREFIX = "pypi-public:v2:"
_PUBLIC_VALUE_PREFIX = "pypi-public-value:v1:"
_MISS = "miss"
# Set on the responses `cached_page` answers: our own rendering of our own rows, which the
# public cache may keep (a redirect or anything else a view answers is never kept).
_OWN_PAGE = "_registry_own_page"
# Set by `keep_for` on a page that is not of our own rows (the upstream's): how many seconds
# the public cache may keep it.
_KEEP_FOR = "_registry_keep_for"
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
    scheme are added. The generation is read before `answer()` reads the database. Our own
    pages are kept until the generation changes; an upstream's page (`keep_for`) only as long
    as it says.
    """
    if not principal.is_anonymous or (generation := public_generation()) is None:
        return answer()
    key = _PUBLIC_PREFIX + page_key(request, generation, *parts)
    hit = cache.get(key)
    if hit == _MISS:
        _front_cacheable(request, generation, CACHE_SECONDS)
        raise Miss()
    if hit is not None:
        content_type, body, etag, expires = hit
        response = _validators(HttpResponse(body, content_type=content_type), principal, etag)
        if (left := _seconds_left(expires)) > 0:
            _front_cacheable(request, generation, left)
        return _not_modified(request, response, etag) or response
    try:
        response = answer()
    except Miss:
        cache.set(key, _MISS, CACHE_SECONDS)
        _front_cacheable(request, generation, CACHE_SECONDS)
        raise
    seconds = _keepable_for(response)
    if seconds > 0:
        expires = time.time() + seconds if seconds < CACHE_SECONDS else 0.0
        cache.set(key, (response["Content-Type"], response.content, response["ETag"], expires),
                  seconds)
        _front_cacheable(request, generation, seconds)
    return response


def keep_for(response: HttpResponse, seconds: int) -> HttpResponse:
    """Let the public cache keep `response` (not a page of our own rows) for `seconds`."""
    setattr(response, _KEEP_FOR, seconds)
    return response


def _keepable_for(response: HttpResponse) -> int:
    if response.status_code != 200:
        return 0
    if getattr(response, _OWN_PAGE, False):
        return CACHE_SECONDS
    return int(getattr(response, _KEEP_FOR, 0))


def _seconds_left(expires: float) -> int:
    return CACHE_SECONDS if not expires else int(expires - time.time())


def _front_cacheable(request: HttpRequest, generation: str, seconds: int) -> None:
    """Tell the front cache (`front_cache`) that this answer is the public one, under which
    generation and for how long; anything else (a redirect, an error) is never marked."""
    request.META[front_cache.MARK] = (generation, seconds)


class PublicSlot:
    """One anonymous request's entry in the public cache, for what it resolves to rather
    than what it answers (a download streams its file, but which file it is, and that the
    caller may have it, is decided by rows alone). For any other caller it holds nothing.

    The generation is read when the slot is made, before the caller reads the database.
    """

    def __init__(self, request: HttpRequest, principal: Principal, parts: tuple) -> None:
        self.key: str | None = None
        if principal.is_anonymous and (generation := public_generation()) is not None:
            self.key = _PUBLIC_VALUE_PREFIX + page_key(request, generation, *parts)

    def get(self) -> Any:
        return cache.get(self.key) if self.key else None

    def set(self, value: object, seconds: int = CACHE_SECONDS) -> None:
        if self.key and seconds > 0:
            cache.set(self.key, value, seconds)


def public_value(
    request: HttpRequest, principal: Principal, parts: tuple, find: Callable[[], T | None]
) -> T | None:
    """For an anonymous caller, what `find()` returns (unless None) kept under the public
    generation (a `PublicSlot`); any other caller gets `find()` as it is."""
    slot = PublicSlot(request, principal, parts)
    hit = slot.get()
    if hit is not None:
        return cast(T, hit)
    value = find()
    if value is not None:
        slot.set(value)
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
