"""Readiness checks: can this instance reach its database and its file storage?"""

import logging
from collections.abc import Callable
from pathlib import Path

from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection

from registry.storages import is_s3

logger = logging.getLogger(__name__)


def readiness_checks() -> dict[str, str]:
    """Return each dependency's state: "ok", or the name of the error (never its text,
    which may carry an endpoint or a key id)."""
    return {"database": _check(_database), "storage": _check(_storage)}


def _check(probe: Callable[[], None]) -> str:
    try:
        probe()
    except Exception as error:
        logger.warning("readiness: %s failed: %r", probe.__name__, error)
        return type(error).__name__
    return "ok"


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _storage() -> None:
    # default_storage is a LazyObject; isinstance() sees the backend through it.
    if is_s3(default_storage):
        # HEAD on the bucket proves the endpoint, the credentials and the bucket.
        default_storage.connection.meta.client.head_bucket(Bucket=default_storage.bucket_name)
    elif isinstance(default_storage, FileSystemStorage):
        location = Path(default_storage.location)
        location.mkdir(parents=True, exist_ok=True)
        probe = location / ".readiness"
        probe.write_bytes(b"")
        probe.unlink()
