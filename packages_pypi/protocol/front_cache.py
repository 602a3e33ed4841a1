"""Anonymous index pages answered in front of Django, from what Django answered before.

A cached anonymous page costs no query (`index_cache.public_page`), but it still ran Django's
request handling, middleware, URL resolution and DRF: about nine tenths of its time on the
embedded default, where no nginx micro-cache stands in front (issue 14). This WSGI wrapper
keeps the final bytes and headers of those answers and serves a repeat of the same request
with none of that: one read of the public generation and one cache read.

What is kept: only what `public_page` marked in the request's environ as an anonymous page or
miss it keeps, under the public generation it read *before* the database (so an entry is never
newer than what it says, and a write that replaces the generation ends it everywhere, as for
`public_page`) and for as long as `public_page` keeps it (an upstream's page: its TTL).
Which requests: GET of a simple-index URL with no
credential of any kind (no Authorization, token header, cookie or query string) and no
conditional or range header (those go to Django, which answers 304s). The key holds
everything the answer is built from: the generation, the path, the host and scheme as the
client or a proxy gave them, and the Accept header (pages vary by it).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import cache
from django.http import HttpResponse

from packages_pypi.public_generation import public_generation

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

# Set by index_cache.public_page: the generation an anonymous page or miss was answered under,
# and the seconds it may be kept (an upstream's page lives by the upstream's TTL).
MARK = "registry.public_generation"
_PREFIX = "pypi-front:v1:"
_SIMPLE = re.compile(r"/api/v4/(?:projects|groups)/.+/packages/pypi/simple(?:/.*)?")
_CREDENTIALS_OR_CONDITIONS = (
    "HTTP_AUTHORIZATION", "HTTP_PRIVATE_TOKEN", "HTTP_DEPLOY_TOKEN", "HTTP_JOB_TOKEN",
    "HTTP_COOKIE", "HTTP_IF_NONE_MATCH", "HTTP_IF_MATCH", "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_UNMODIFIED_SINCE", "HTTP_RANGE",
)
_KEYED = (
    "SCRIPT_NAME", "PATH_INFO", "wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT",
    "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_PORT", "HTTP_ACCEPT",
)
_KEPT_STATUSES = ("200 ", "404 ")


def front_cache(app: WSGIApp) -> WSGIApp:
    """`app` (Django's WSGI handler) with repeated anonymous index requests answered before it."""

    def serve(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if not _eligible(environ):
            return app(environ, start_response)
        generation = public_generation()
        if generation is not None and (hit := cache.get(_key(environ, generation))):
            status, headers, body = hit
            start_response(status, list(headers))
            return [body]
        answered: dict[str, Any] = {}

        def keep_status(status: str, headers: list[tuple[str, str]],
                        exc_info: Any = None) -> Any:
            answered.update(status=status, headers=headers)
            return start_response(status, headers, exc_info)

        result = app(environ, keep_status)
        _store(environ, answered, result)
        return result

    return serve


def _eligible(environ: Environ) -> bool:
    return (
        environ.get("REQUEST_METHOD") == "GET"
        and not environ.get("QUERY_STRING")
        and not any(environ.get(name) for name in _CREDENTIALS_OR_CONDITIONS)
        and _SIMPLE.fullmatch(environ.get("PATH_INFO", "")) is not None
    )


def _key(environ: Environ, generation: str) -> str:
    text = "\n".join([generation, *(str(environ.get(name, "")) for name in _KEYED)])
    return _PREFIX + hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _store(environ: Environ, answered: dict[str, Any], result: Iterable[bytes]) -> None:
    mark = environ.get(MARK)
    status: str = answered.get("status", "")
    headers: list[tuple[str, str]] = answered.get("headers", [])
    if (
        mark is None
        or not status.startswith(_KEPT_STATUSES)
        or not isinstance(result, HttpResponse)  # never a streamed or file response
        or any(name.lower() == "set-cookie" for name, _ in headers)
    ):
        return
    generation, seconds = mark
    cache.set(_key(environ, generation), (status, tuple(headers), result.content), seconds)
