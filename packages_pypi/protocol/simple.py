"""The simple repository API: PEP 503 HTML in GitLab's shape and PEP 691 JSON, negotiated.

HTML adds to GitLab's page: one anchor per name on the index, escaped text, the PEP 629
version meta tag, PEP 658/714 metadata attributes, PEP 592 yanks and PEP 792 project status.
Both formats are API version 1.4: 1.1's PEP 700 fields, 1.2 and 1.3's optional keys left out,
and 1.4's status markers. The one exception: JSON for an upstream file whose size nobody
has told us yet says 1.0 (`_json_api_version`).
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.html import escape
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer

from packages_pypi.names import version_sort_key
from packages_pypi.selectors import FileEntry, IndexEntry

API_VERSION = "1.4"
# PEP 700 makes `files[].size` mandatory, an integer of bytes, from API 1.1 on; 1.0 has no size.
SIZELESS_API_VERSION = "1.0"
# PEP 792: a name with no marker is active.
STATUS_ACTIVE = "active"
MIME_JSON = "application/vnd.pypi.simple.v1+json"
MIME_HTML = "application/vnd.pypi.simple.v1+html"
MIME_TEXT_HTML = "text/html"
# What we serve, in the order that breaks a tie between them for a wildcard (`*/*` gets HTML,
# as GitLab answers); `latest` is an alias of v1 (PEP 691).
_OFFERED = {
    MIME_TEXT_HTML: MIME_TEXT_HTML,
    MIME_JSON: MIME_JSON,
    "application/vnd.pypi.simple.latest+json": MIME_JSON,
    MIME_HTML: MIME_HTML,
    "application/vnd.pypi.simple.latest+html": MIME_HTML,
}

# GitLab's heredoc (simple_presenter_base.rb), indentation and all, plus the PEP 629 tag.
_PAGE = """<!DOCTYPE html>
        <html>
          <head>
            <meta name="pypi:repository-version" content="{version}">{status}
            <title>Links for {title}</title>
          </head>
          <body>
            <h1>Links for {title}</h1>
            {links}
          </body>
        </html>
"""


def preferred_media_type(request: HttpRequest) -> str:
    """The media type to answer `request` with (PEP 691); see `negotiate`."""
    return negotiate(request.META.get("HTTP_ACCEPT", ""))


@lru_cache(maxsize=256)
def negotiate(accept: str) -> str:
    """The media type to answer an Accept header with: the client's highest q, then its most
    specific range, then its order (Django's `get_preferred_type`, RFC 9110 §12.5.1).

    Nothing acceptable gets text/html rather than PEP 691's optional 406: GitLab answers HTML
    to every Accept, and old clients send odd ones. Memoised: clients send a handful of
    distinct headers, and parsing one costs a cached page about a fifth of its time.
    """
    probe = HttpRequest()
    probe.META["HTTP_ACCEPT"] = accept
    chosen = probe.get_preferred_type(list(_OFFERED))
    return _OFFERED[chosen] if chosen is not None else MIME_TEXT_HTML


@dataclass(frozen=True)
class IndexPage:
    """The root index: every project name in scope."""

    entries: list[IndexEntry]
    title: str
    simple_url: str


@dataclass(frozen=True)
class ProjectPage:
    """A project page: every installable file of the name in scope."""

    files: list[FileEntry]
    normalized_name: str
    files_url: str
    # PEP 792 status and its free-text reason ("" for none).
    status: str = STATUS_ACTIVE
    status_reason: str = ""


Page = IndexPage | ProjectPage


class PageHTMLRenderer(BaseRenderer):
    """PEP 503 HTML in GitLab's shape, as text/html."""

    media_type = MIME_TEXT_HTML
    format = "html"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: Mapping[str, Any] | None = None) -> bytes:
        return (_index_html(data) if isinstance(data, IndexPage) else _project_html(data)).encode()


class PageV1HTMLRenderer(PageHTMLRenderer):
    """The same HTML under PEP 691's own media type."""

    media_type = MIME_HTML
    format = "pypi-html"


class PageJSONRenderer(BaseRenderer):
    """PEP 691 JSON, API version 1.1 (PEP 700)."""

    media_type = MIME_JSON
    format = "pypi-json"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: Mapping[str, Any] | None = None) -> bytes:
        if isinstance(data, IndexPage):
            body: dict = {
                "meta": {"api-version": API_VERSION},
                "projects": [{"name": entry.name} for entry in data.entries],
            }
        else:
            body = _project_json(data)
        return json.dumps(body).encode()


RENDERERS = (PageHTMLRenderer, PageJSONRenderer, PageV1HTMLRenderer)


class PEP691Negotiation(BaseContentNegotiation):
    """Picks a page renderer with `preferred_media_type`: DRF's default negotiation ignores
    q-values, and PEP 691 clients rely on them (pip asks for HTML at q=0.1)."""

    def select_parser(self, request: Any, parsers: Iterable[BaseParser]) -> None:
        return None  # the index reads no body

    def select_renderer(self, request: Any, renderers: Iterable[BaseRenderer],
                        format_suffix: str | None = None) -> tuple[BaseRenderer, str]:
        media_type = preferred_media_type(request._request)
        renderer = next(r for r in renderers if r.media_type == media_type)
        return renderer, media_type


def page_response(page: Page, renderer: BaseRenderer) -> HttpResponse:
    """The page rendered by `renderer` (one of RENDERERS), as the cache keeps it."""
    response = HttpResponse(
        renderer.render(page), content_type=f"{renderer.media_type}; charset=utf-8"
    )
    response["Vary"] = "Accept"
    return response


def _index_html(page: IndexPage) -> str:
    links = "".join(
        f'<a href="{escape(page.simple_url)}/{escape(entry.normalized_name)}" '
        f'data-requires-python="">{escape(entry.name)}</a>'
        for entry in page.entries
    )
    return _page(page.title, links)


def _project_html(page: ProjectPage) -> str:
    title = page.files[0].name if page.files else page.normalized_name
    links = "".join(_anchor(entry, page.files_url) for entry in page.files)
    return _page(title, links, _status_meta(page))


_META = '\n            <meta name="{name}" content="{content}">'


def _status_meta(page: ProjectPage) -> str:
    """PEP 792's meta tags, left out for an active name (as the PEP allows)."""
    if page.status == STATUS_ACTIVE:
        return ""
    tags = _META.format(name="pypi:project-status", content=escape(page.status))
    if page.status_reason:
        tags += _META.format(name="pypi:project-status-reason", content=escape(page.status_reason))
    return tags


def _page(title: str, links: str, status: str = "") -> str:
    return _PAGE.format(version=API_VERSION, status=status, title=escape(title), links=links)


def _file_url(entry: FileEntry, files_url: str) -> str:
    return f"{files_url}/{entry.sha256}/{entry.filename}#sha256={entry.sha256}"


def _anchor(entry: FileEntry, files_url: str) -> str:
    attributes = f'data-requires-python="{escape(entry.requires_python)}"'
    if entry.core_metadata_sha256:
        # PEP 714 renamed data-dist-info-metadata to data-core-metadata; old pips read the former.
        value = f"sha256={entry.core_metadata_sha256}"
        attributes += f' data-dist-info-metadata="{value}" data-core-metadata="{value}"'
    if entry.yanked_reason is not None:
        attributes += f' data-yanked="{escape(entry.yanked_reason)}"'
    href = escape(_file_url(entry, files_url))
    return f'<a href="{href}" {attributes}>{escape(entry.filename)}</a>'


def _project_json(page: ProjectPage) -> dict:
    # PEP 792 in the top-level form uv reads and warehouse sends (the spec's texts disagree).
    status: dict[str, str] = {"status": page.status}
    if page.status_reason:
        status["reason"] = page.status_reason
    return {
        "meta": {"api-version": _json_api_version(page)},
        "name": page.normalized_name,
        "project-status": status,
        "versions": _sorted_versions({entry.version for entry in page.files}),
        "files": [_file_json(entry, page.files_url) for entry in page.files],
    }


def _json_api_version(page: ProjectPage) -> str:
    """1.4, unless a file's size is unknown: an upstream HTML page (PEP 503) gives none, and
    until we have fetched the file we cannot know it. PEP 700 requires a true size at 1.1+, so
    claiming `size: 0` would be a wrong page that clients may trust (a progress bar, a size
    check); leaving the key out at 1.4 would be an invalid one. Such a page says 1.0 instead,
    which needs no size; its other keys are additions a 1.0 client ignores. Once the file is
    in our cache its stored size is used (proxy.proxied_page) and the page is 1.4 again."""
    if any(entry.size is None for entry in page.files):
        return SIZELESS_API_VERSION
    return API_VERSION


def _file_json(entry: FileEntry, files_url: str) -> dict:
    metadata = {"sha256": entry.core_metadata_sha256} if entry.core_metadata_sha256 else False
    data: dict[str, object] = {
        "filename": entry.filename,
        "url": _file_url(entry, files_url),
        "hashes": {"sha256": entry.sha256},
        # Left out only where it is unknown, on a page that then says 1.0 (_json_api_version).
        **({"size": entry.size} if entry.size is not None else {}),
        "core-metadata": metadata,
        "dist-info-metadata": metadata,
        # PEP 592: a reason string, true for a yank without one, false otherwise.
        "yanked": (entry.yanked_reason or True) if entry.yanked_reason is not None else False,
    }
    if entry.upload_time is not None:
        data["upload-time"] = entry.upload_time.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if entry.requires_python:
        data["requires-python"] = entry.requires_python
    return data


def _sorted_versions(versions: set[str]) -> list[str]:
    return sorted(versions, key=version_sort_key)
