"""Package blobs in Django's default storage, and serving them to clients.

Downloads stream in chunks with Range, HEAD and ETag support; nothing reads a whole file.
"""

import contextlib
import logging
import os
import re
import uuid
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING

from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from packages_pypi.protocol.delivery import redirect_or_none
from packages_pypi.protocol.delivery import attachment
from packages_pypi.exceptions import StorageUnavailable

if TYPE_CHECKING:
    from packages_pypi.models import PackageFile

logger = logging.getLogger(__name__)

CHUNK_SIZE = 256 * 1024
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
BLOB_PREFIX = "pypi/"
_BLOB_KEY_SLASHES = 3  # pypi/<project>/<uuid>/<filename>


def blob_key(project_id: int, filename: str) -> str:
    """A fresh storage key per upload: a re-upload never collides with an old blob."""
    return f"{BLOB_PREFIX}{project_id}/{uuid.uuid4().hex}/{filename}"


def blob_save(*, project_id: int, filename: str, content: File | IO[bytes]) -> str:
    """Store `content` (streamed by the storage backend) and return its key.

    Raises StorageUnavailable when the backend fails, after removing whatever part of the
    blob it may have written.
    """
    key = blob_key(project_id, filename)
    try:
        return default_storage.save(key, content)
    except Exception as error:
        logger.exception("storing %s failed", key)
        with contextlib.suppress(Exception):
            default_storage.delete(key)
        raise StorageUnavailable() from error


def blob_delete(key: str) -> None:
    """Remove a blob; a missing one is not an error (deletes may be retried).

    On local storage the blob's own folder (`pypi/<project>/<uuid>/`) goes too: nothing else
    ever writes there. The project's folder stays, as an upload may be creating a folder in it
    right now; `registry_check --repair` removes it once it has been empty for a while.
    """
    default_storage.delete(key)
    if isinstance(default_storage, FileSystemStorage) and key.count("/") == _BLOB_KEY_SLASHES:
        with contextlib.suppress(OSError):  # not empty (never expected), or already gone
            os.rmdir(os.path.dirname(default_storage.path(key)))


def serve_file(request: HttpRequest, package_file: "PackageFile") -> HttpResponse:
    """Answer a download: 200 with the whole file, 206 for a Range, 304 for a matching ETag."""
    if (delegated := redirect_or_none(request, package_file)) is not None:
        return delegated
    etag = f'"{package_file.sha256}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
        response["ETag"] = etag
        return response
    size = package_file.size
    byte_range = _parse_range(request.headers.get("Range", ""), size)
    if byte_range == "unsatisfiable":
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    start, end = byte_range or (0, size - 1)
    head = request.method == "HEAD"
    body = iter(()) if head or size == 0 else _stream(package_file.file.name, start, end)
    response = StreamingHttpResponse(body, status=206 if byte_range else 200)
    response["Content-Type"] = "application/octet-stream"
    response["Content-Length"] = str(end - start + 1 if size else 0)
    if byte_range:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    response["Content-Disposition"] = attachment(package_file.file_name)
    response["Content-Transfer-Encoding"] = "binary"
    return response


def _parse_range(header: str, size: int) -> tuple[int, int] | str | None:
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
