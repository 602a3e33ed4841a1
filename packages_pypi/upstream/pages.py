"""Parse an upstream project page, PEP 691 JSON or PEP 503 HTML, into checked entries.

Everything on the page is untrusted: a file must carry a sha256 (we verify the bytes against
it), a wheel or sdist filename of the requested name, and a URL we may fetch
(`client.check_url`); a file URL on a host that is not allowed refuses the whole page.
"""

import datetime
import json
import re
from dataclasses import asdict, dataclass
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)

from packages_pypi.selectors import FileEntry
from packages_pypi.upstream.client import UpstreamRefused, check_url

MIME_JSON = "application/vnd.pypi.simple.v1+json"
MIME_HTML = "application/vnd.pypi.simple.v1+html"
ACCEPT = f"{MIME_JSON}, {MIME_HTML};q=0.2, text/html;q=0.1"
STATUS_ACTIVE = "active"
KNOWN_STATUSES = frozenset({"active", "archived", "quarantined", "deprecated"})

_SHA256 = re.compile(r"[0-9a-f]{64}")
# What our own files route and its URLs can carry without escaping.
_FILENAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+!-]*")


@dataclass(frozen=True)
class UpstreamEntry:
    """One upstream file as the page described it (kept as JSON in UpstreamPage.files)."""

    filename: str
    url: str
    sha256: str
    version: str
    size: int | None = None
    requires_python: str = ""
    upload_time: str | None = None  # ISO 8601, UTC
    yanked_reason: str | None = None
    core_metadata_sha256: str = ""

    def as_dict(self) -> dict:
        return asdict(self)

    def file_entry(self, name: str, *, stored_size: int | None = None) -> FileEntry:
        """The entry as our renderers take it (files under our own files route).

        An HTML page gives no size: then the size of the file we stored, once we have it,
        else None, never a made-up 0 (the JSON renderer then declares API 1.0, see simple.py).
        """
        return FileEntry(
            filename=self.filename, sha256=self.sha256,
            size=self.size if self.size is not None else stored_size,
            requires_python=self.requires_python, upload_time=self.uploaded_at,
            core_metadata_sha256=self.core_metadata_sha256, name=name, version=self.version,
            yanked_reason=self.yanked_reason,
        )

    @property
    def uploaded_at(self) -> datetime.datetime | None:
        return None if self.upload_time is None else parse_upload_time(self.upload_time)


@dataclass(frozen=True)
class ParsedPage:
    files: list[UpstreamEntry]
    status: str = STATUS_ACTIVE
    status_reason: str = ""


def parse_upload_time(text: str) -> datetime.datetime | None:
    """PEP 700's `yyyy-mm-ddThh:mm:ss[.ffffff]Z`; None for anything else."""
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def parse_page(*, content_type: str, body: bytes, page_url: str, name: str) -> ParsedPage:
    """The checked files of the upstream's page for `name` (normalised).

    Raises UpstreamRefused for a wrong content type, a malformed page or a file URL on a
    host we may not fetch from.
    """
    media_type = content_type.split(";")[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UpstreamRefused("the page is not UTF-8") from error
    if media_type == MIME_JSON:
        return _parse_json(text, page_url, name)
    if media_type in (MIME_HTML, "text/html"):
        return _parse_html(text, page_url, name)
    raise UpstreamRefused(f"the page has the wrong content type {media_type or 'none'!r}")


def _parse_json(text: str, page_url: str, name: str) -> ParsedPage:
    try:
        data = json.loads(text)
    except ValueError as error:
        raise UpstreamRefused("the JSON page is malformed") from error
    if not isinstance(data, dict) or not isinstance(data.get("files", []), list):
        raise UpstreamRefused("the JSON page is malformed")
    meta = _dict(data.get("meta"))
    if not str(meta.get("api-version", "1.0")).startswith("1."):
        raise UpstreamRefused("the page speaks an API version we do not know")
    files = [_json_file(item, page_url, name) for item in data.get("files", [])]
    status = _dict(data.get("project-status"))
    return ParsedPage(
        files=[entry for entry in files if entry is not None],
        status=_status(status.get("status")), status_reason=_text(status.get("reason")),
    )


def _json_file(item: object, page_url: str, name: str) -> UpstreamEntry | None:
    if not isinstance(item, dict):
        raise UpstreamRefused("the JSON page is malformed")
    hashes = _dict(item.get("hashes"))
    metadata = item.get("core-metadata", item.get("dist-info-metadata"))
    yanked = item.get("yanked", False)
    size = item.get("size")
    return _entry(
        name, page_url, filename=_text(item.get("filename")), href=_text(item.get("url")),
        sha256=_text(hashes.get("sha256")),
        size=size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None,
        requires_python=_text(item.get("requires-python")),
        upload_time=_text(item.get("upload-time")) or None,
        yanked_reason=(yanked if isinstance(yanked, str) else "") if yanked else None,
        core_metadata_sha256=_text(metadata.get("sha256")) if isinstance(metadata, dict) else "",
    )


class _AnchorParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[dict[str, str | None]] = []
        self.meta: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.anchors.append(dict(attrs))
        elif tag == "meta":
            values = dict(attrs)
            if values.get("name") and values.get("content") is not None:
                self.meta[str(values["name"])] = str(values["content"])


def _parse_html(text: str, page_url: str, name: str) -> ParsedPage:
    parser = _AnchorParser()
    parser.feed(text)
    parser.close()
    files = []
    for attrs in parser.anchors:
        href = attrs.get("href") or ""
        _, fragment = urldefrag(href)
        algorithm, _, digest = fragment.partition("=")
        metadata = attrs.get("data-core-metadata", attrs.get("data-dist-info-metadata")) or ""
        meta_algorithm, _, meta_digest = metadata.partition("=")
        entry = _entry(
            name, page_url, filename=urldefrag(href)[0].rsplit("/", 1)[-1], href=href,
            sha256=digest if algorithm == "sha256" else "",
            requires_python=attrs.get("data-requires-python") or "",
            yanked_reason=attrs.get("data-yanked") if "data-yanked" in attrs else None,
            core_metadata_sha256=meta_digest if meta_algorithm == "sha256" else "",
        )
        if entry is not None:
            files.append(entry)
    return ParsedPage(
        files=files, status=_status(parser.meta.get("pypi:project-status")),
        status_reason=parser.meta.get("pypi:project-status-reason", ""),
    )


def _entry(name: str, page_url: str, *, filename: str, href: str, sha256: str,
           **fields: object) -> UpstreamEntry | None:
    """A checked entry, or None for a file we cannot serve (no sha256, not a distribution
    of `name`); raises UpstreamRefused for a URL we may not fetch."""
    sha256 = sha256.lower()
    version = _version_of(filename, name)
    if version is None or not _SHA256.fullmatch(sha256):
        return None
    url = urldefrag(urljoin(page_url, href))[0]
    check_url(url)
    return UpstreamEntry(filename=filename, url=url, sha256=sha256, version=version,
                         **fields)  # type: ignore[arg-type]


def _version_of(filename: str, name: str) -> str | None:
    if not _FILENAME.fullmatch(filename):
        return None
    try:
        if filename.endswith(".whl"):
            parsed_name, version, *_ = parse_wheel_filename(filename)
        elif filename.endswith((".tar.gz", ".zip")):
            parsed_name, version = parse_sdist_filename(filename)
        else:
            return None
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return str(version) if parsed_name == name else None


def _status(value: object) -> str:
    # uv reads an unknown status as active; so do we.
    return value if isinstance(value, str) and value in KNOWN_STATUSES else STATUS_ACTIVE


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def entries_from_json(files: list[dict]) -> list[UpstreamEntry]:
    """The entries of a cached page (UpstreamPage.files)."""
    return [UpstreamEntry(**item) for item in files]
