"""File downloads: stream with Range, HEAD and ETag, or hand the bytes to the object store or nginx.

`serve_file` asks `redirect_or_none` first and streams the file itself only when it answers
None; every path sends the same Content-Disposition.
"""

import datetime
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import IO, TYPE_CHECKING, Literal
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import get_conditional_response
from django.utils.http import content_disposition_header, http_date

from registry.storages import is_s3

if TYPE_CHECKING:
    from storages.backends.s3 import S3Storage

    from packages_pypi.models import PackageFile
    from packages_pypi.upstream.models import UpstreamFile

    # A hosted file, or an upstream file in the proxy's cache: served the same way.
    ServedFile = PackageFile | UpstreamFile

MIME_OCTET_STREAM = "application/octet-stream"


def redirect_or_none(request: HttpRequest, package_file: "ServedFile") -> HttpResponse | None:
    """Return a response that delegates the bytes, or None when the app should stream them.

    S3: a 302 to a short-lived presigned URL (GitLab's "direct download"), unless
    `REGISTRY_S3_PROXY_DOWNLOAD` is set. Local files: an `X-Accel-Redirect` response for nginx
    when `REGISTRY_X_ACCEL_REDIRECT` names its internal location.
    """
    storage = package_file.file.storage
    if is_s3(storage):
        if settings.REGISTRY_S3_PROXY_DOWNLOAD:
            return None
        return _presigned_redirect(storage, package_file)
    if isinstance(storage, FileSystemStorage) and settings.REGISTRY_X_ACCEL_REDIRECT:
        return _accel_redirect(package_file)
    return None


def _presigned_redirect(storage: "S3Storage", package_file: "ServedFile") -> HttpResponse:
    url = _signing_storage(storage).url(
        package_file.file.name,
        parameters={"ResponseContentDisposition": attachment(package_file.file_name)},
    )
    response = HttpResponseRedirect(url)
    # The URL expires within minutes: no client or proxy may keep the redirect.
    response["Cache-Control"] = "no-store"
    return response


def _accel_redirect(package_file: "ServedFile") -> HttpResponse:
    response = HttpResponse(content_type=MIME_OCTET_STREAM)
    prefix = settings.REGISTRY_X_ACCEL_REDIRECT.rstrip("/")
    response["X-Accel-Redirect"] = f"{prefix}/{quote(package_file.file.name)}"
    response["Content-Disposition"] = attachment(package_file.file_name)
    return response


def _signing_storage(storage: "S3Storage") -> "S3Storage":
    """The storage that signs URLs for clients: the same one, or one on the public endpoint.

    Signing is computed locally, so a second client costs nothing on the network; it only
    puts the address clients can reach (`REGISTRY_S3_PUBLIC_ENDPOINT_URL`) in the URL.
    """
    public = settings.REGISTRY_S3_PUBLIC_ENDPOINT_URL
    if not public or public == storage.endpoint_url:
        return storage
    return _public_storage(public, storage.bucket_name, storage.access_key, storage.secret_key)


@lru_cache(maxsize=4)
def _public_storage(
    endpoint: str, bucket: str, access_key: str, secret_key: str
) -> "S3Storage":
    from storages.backends.s3 import S3Storage

    options = settings.STORAGES["default"]["OPTIONS"]
    return S3Storage(
        **{**options, "endpoint_url": endpoint, "bucket_name": bucket,
           "access_key": access_key, "secret_key": secret_key}
    )


def attachment(filename: str) -> str:
    """The `Content-Disposition` of a download (RFC 6266), on every path that sends one.

    GitLab sends both `filename="…"` and `filename*=UTF-8''…` whatever the name; Django
    sends the quoted form alone for a printable ASCII name (all a stored name can be) and
    `filename*` otherwise, escaping `"` and `\\`, where GitLab's would break the header.
    """
    return content_disposition_header(as_attachment=True, filename=filename) or "attachment"


CHUNK_SIZE = 256 * 1024

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def serve_file(request: HttpRequest, package_file: "ServedFile") -> HttpResponseBase:
    """Answer a download: 200 with the whole file, 206 for a Range, 304 for a matching ETag."""
    if (delegated := redirect_or_none(request, package_file)) is not None:
        return delegated
    etag = f'"{package_file.sha256}"'
    validators = HttpResponse()
    validators["ETag"] = etag
    uploaded = package_file.created_at
    if (not_modified := conditional_file_response(
        request, validators, last_modified=uploaded
    )) is not validators:
        return not_modified
    size = package_file.size
    byte_range = _parse_range(request.headers.get("Range", ""), size)
    if byte_range == "unsatisfiable":
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    start, end = byte_range or (0, size - 1)
    head = request.method == "HEAD"
    body = iter(()) if head or size == 0 else _stream(package_file.file.name, start, end)
    streaming = StreamingHttpResponse(body, status=206 if byte_range else 200)
    streaming["Content-Type"] = "application/octet-stream"
    streaming["Content-Length"] = str(end - start + 1 if size else 0)
    if byte_range:
        streaming["Content-Range"] = f"bytes {start}-{end}/{size}"
    streaming["Accept-Ranges"] = "bytes"
    streaming["ETag"] = etag
    streaming["Last-Modified"] = validators["Last-Modified"]
    streaming["Content-Disposition"] = attachment(package_file.file_name)
    streaming["Content-Transfer-Encoding"] = "binary"
    return streaming


def conditional_file_response(
    request: HttpRequest, response: HttpResponse, *, last_modified: datetime.datetime
) -> HttpResponse:
    """304 (or 412) for a matching If-None-Match or If-Modified-Since (or a failing If-Match or
    If-Unmodified-Since), else `response`, which gets its Last-Modified.

    Django's RFC 9110 evaluation: lists, weak tags and `*`, and If-Modified-Since only when no
    If-None-Match is sent. A file's bytes never change once uploaded (a new upload is a new
    row), so its upload time is an honest Last-Modified; the 304 keeps ETag and Last-Modified.
    """
    response["Last-Modified"] = http_date(last_modified.timestamp())
    return get_conditional_response(
        request, etag=response["ETag"], last_modified=int(last_modified.timestamp()),
        response=response,
    ) or response


def _parse_range(header: str, size: int) -> tuple[int, int] | Literal["unsatisfiable"] | None:
    """One `bytes=a-b` range (RFC 9110); several ranges or garbage get the whole file."""
    match = _RANGE.fullmatch(header.strip())
    if not match or size == 0 or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":
        start, end = max(size - int(last), 0), size - 1
    else:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        return "unsatisfiable"
    return start, end


def _stream(key: str, start: int, end: int) -> Iterator[bytes]:
    handle: IO[bytes] = default_storage.open(key, "rb")
    try:
        if start:
            handle.seek(start)
        remaining = end - start + 1
        while remaining > 0:
            chunk = handle.read(min(CHUNK_SIZE, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        handle.close()
