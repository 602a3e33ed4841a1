"""The simple repository API: PEP 503 HTML in GitLab's shape and PEP 691 JSON, negotiated.

HTML adds to GitLab's page: one anchor per name on the index, escaped text, the PEP 629
version meta tag, and PEP 658/714 metadata attributes. JSON is API version 1.1 (PEP 700).
"""

import json
from collections.abc import Iterable

from django.http import HttpResponse
from django.utils.html import escape

from packages_pypi.names import version_sort_key
from packages_pypi.selectors import FileEntry, IndexEntry

API_VERSION = "1.1"
MIME_JSON = "application/vnd.pypi.simple.v1+json"
MIME_HTML = "application/vnd.pypi.simple.v1+html"
MIME_TEXT_HTML = "text/html"
_ALIASES = {
    MIME_JSON: MIME_JSON,
    "application/vnd.pypi.simple.latest+json": MIME_JSON,
    MIME_HTML: MIME_HTML,
    "application/vnd.pypi.simple.latest+html": MIME_HTML,
    MIME_TEXT_HTML: MIME_TEXT_HTML,
    "*/*": MIME_TEXT_HTML,
    "text/*": MIME_TEXT_HTML,
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


def negotiate(accept: str) -> str:
    """The media type to answer with (PEP 691): the client's highest q, JSON on a tie."""
    candidates = []
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        served = _ALIASES.get(media.lower())
        quality = _quality(params)
        if served is not None and quality > 0:
            candidates.append((quality, served == MIME_JSON, served))
    return max(candidates)[2] if candidates else MIME_TEXT_HTML


def _quality(params: list[str]) -> float:
    for param in params:
        key, _, value = param.partition("=")
        if key.strip() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def _response(body: str, media_type: str) -> HttpResponse:
    response = HttpResponse(body, content_type=f"{media_type}; charset=utf-8")
    response["Vary"] = "Accept"
    return response


def index_response(
    entries: Iterable[IndexEntry], *, title: str, simple_url: str, media_type: str
) -> HttpResponse:
    """The root index: every project name in scope."""
    entries = list(entries)
    if media_type == MIME_JSON:
        body = {
            "meta": {"api-version": API_VERSION},
            "projects": [{"name": entry.name} for entry in entries],
        }
        return _response(json.dumps(body), media_type)
    links = "".join(
        f'<a href="{escape(simple_url)}/{escape(entry.normalized_name)}" '
        f'data-requires-python="">{escape(entry.name)}</a>'
        for entry in entries
    )
    return _response(_page(title, links), media_type)


def project_response(
    files: list[FileEntry], *, normalized_name: str, files_url: str, media_type: str
) -> HttpResponse:
    """A project page: every installable file of the name in scope."""
    if media_type == MIME_JSON:
        return _response(json.dumps(_project_json(files, normalized_name, files_url)), media_type)
    title = files[0].name if files else normalized_name
    links = "".join(_anchor(entry, files_url) for entry in files)
    return _response(_page(title, links), media_type)


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
