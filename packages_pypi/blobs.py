"""Package blobs in Django's default storage, and serving them to clients.

Downloads stream in chunks with Range, HEAD and ETag support; nothing reads a whole file.
"""

import contextlib
import logging
import os
import uuid
from typing import IO, TYPE_CHECKING

from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage

from packages_pypi.exceptions import StorageUnavailable

if TYPE_CHECKING:
    pass

logger = logging.getLogger(__name__)

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
