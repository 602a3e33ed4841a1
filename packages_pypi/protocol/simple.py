"""The simple repository API: PEP 503 HTML in GitLab's shape and PEP 691 JSON, negotiated.

HTML adds to GitLab's page: one anchor per name on the index, escaped text, the PEP 629
version meta tag, and PEP 658/714 metadata attributes. JSON is API version 1.1 (PEP 700).
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

API_VERSION = "1.1"
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
            <meta name="pypi:repository-version" content="{version}">
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
            body = _project_json(data.files, data.normalized_name, data.files_url)
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
    return _page(title, links)


def _page(title: str, links: str) -> str:
    return _PAGE.format(version=API_VERSION, title=escape(title), links=links)


def _file_url(entry: FileEntry, files_url: str) -> str:
    return f"{files_url}/{entry.sha256}/{entry.filename}#sha256={entry.sha256}"


def _anchor(entry: FileEntry, files_url: str) -> str:
    attributes = f'data-requires-python="{escape(entry.requires_python)}"'
    if entry.core_metadata_sha256:
        # PEP 714 renamed data-dist-info-metadata to data-core-metadata; old pips read the former.
        value = f"sha256={entry.core_metadata_sha256}"
        attributes += f' data-dist-info-metadata="{value}" data-core-metadata="{value}"'
    href = escape(_file_url(entry, files_url))
    return f'<a href="{href}" {attributes}>{escape(entry.filename)}</a>'


def _project_json(files: list[FileEntry], normalized_name: str, files_url: str) -> dict:
    return {
        "meta": {"api-version": API_VERSION},
        "name": normalized_name,
        "versions": _sorted_versions({entry.version for entry in files}),
        "files": [_file_json(entry, files_url) for entry in files],
    }


def _file_json(entry: FileEntry, files_url: str) -> dict:
    metadata = {"sha256": entry.core_metadata_sha256} if entry.core_metadata_sha256 else False
    data: dict[str, object] = {
        "filename": entry.filename,
        "url": _file_url(entry, files_url),
        "hashes": {"sha256": entry.sha256},
        "size": entry.size,
        "upload-time": entry.upload_time.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "core-metadata": metadata,
        "dist-info-metadata": metadata,
        "yanked": False,
    }
    if entry.requires_python:
        data["requires-python"] = entry.requires_python
    return data


def _sorted_versions(versions: set[str]) -> list[str]:
    return sorted(versions, key=version_sort_key)
