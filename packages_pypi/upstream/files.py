"""Upstream files: fetched once, streamed to the first client while they are stored, verified.

The first request streams the bytes from the upstream to its client and into a temporary file
at once, hashing them as they pass; the last chunk is held back until the sha256 matches the
page's, so a tampered file never reaches a client whole, and is never stored. Concurrent first
requests, on any app server, wait for that one fetch: a lease on the file's row (an atomic
UPDATE, which every database serialises) decides who fetches.
"""

import contextlib
import datetime
import hashlib
import logging
import math
import tempfile
import time
from collections.abc import Iterator

import requests
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db.models import Q, Sum
from django.utils import timezone

from packages_pypi.blobs import blob_delete
from packages_pypi.public_generation import public_generation_replace
from packages_pypi.upload_temp import UPLOAD_TEMP_PREFIX, upload_temp_dir
from packages_pypi.upstream import client
from packages_pypi.upstream.client import UpstreamRefused, UpstreamUnavailable
from packages_pypi.upstream.models import UpstreamEvent, UpstreamFile, upstream_blob_key
from packages_pypi.upstream.pages import UpstreamEntry
from packages_pypi.upstream.takedowns import security_event_record

logger = logging.getLogger(__name__)

LEASE = datetime.timedelta(seconds=60)
LEASE_RENEW_SECONDS = 10.0
WAIT_POLL_SECONDS = 0.2
_USES_REMEMBERED = 10_000
USE_RECORD_RESOLUTION = datetime.timedelta(minutes=1)


class HashMismatch(UpstreamRefused):
    """The upstream's bytes are not the file its page describes."""


def upstream_file_for(name: str, entry: UpstreamEntry) -> UpstreamFile:
    """The row of an upstream file, created on its first request."""
    row, _ = UpstreamFile.objects.get_or_create(
        sha256=entry.sha256, file_name=entry.filename,
        defaults={"normalized_name": name, "version": entry.version, "url": entry.url,
                  "size": entry.size or 0},
    )
    return row


def cached_sizes(name: str, entries: list[UpstreamEntry]) -> dict[str, int]:
    """The stored size of each file of `entries` that the page gave none for (an HTML page)
    and that we have fetched, by sha256: one query, and none when every size is known."""
    unknown = [entry.sha256 for entry in entries if entry.size is None]
    if not unknown:
        return {}
    rows = UpstreamFile.objects.filter(
        normalized_name=name, sha256__in=unknown, taken_down_at__isnull=True,
    ).exclude(file="").values_list("sha256", "size")
    return dict(rows)


# When this process last recorded a use of each file: repeated downloads skip the UPDATE.
_uses_recorded: dict[int, float] = {}


def file_used(row: UpstreamFile) -> None:
    """Record a use (at most once a minute): the cache bound drops the least recently used."""
    moment = time.monotonic()
    if moment - _uses_recorded.get(row.pk, -math.inf) < USE_RECORD_RESOLUTION.total_seconds():
        return
    if len(_uses_recorded) > _USES_REMEMBERED:
        _uses_recorded.clear()
    _uses_recorded[row.pk] = moment
    now = timezone.now()
    UpstreamFile.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - USE_RECORD_RESOLUTION), pk=row.pk
    ).update(last_used_at=now)


def fetch_claim(row: UpstreamFile) -> bool:
    """True for the one caller that may fetch the file now."""
    now = timezone.now()
    return bool(
        UpstreamFile.objects.filter(pk=row.pk, file="")
        .filter(Q(fetch_lease_until__isnull=True) | Q(fetch_lease_until__lt=now))
        .update(fetch_lease_until=now + LEASE)
    )


def fetch_wait(row: UpstreamFile) -> UpstreamFile:
    """The row once the fetch another request holds has stored the blob.

    Raises UpstreamUnavailable when that fetch ended without a blob (the upstream failed, or
    its bytes did not match); the client may retry.
    """
    while True:
        current = UpstreamFile.objects.get(pk=row.pk)
        if current.cached:
            return current
        lease = current.fetch_lease_until
        if lease is None or lease < timezone.now():
            raise UpstreamUnavailable(f"the fetch of {row.file_name} failed; try again")
        time.sleep(WAIT_POLL_SECONDS)


class FileStream:
    """One fetch of an upstream file: `chunks()` yields its bytes and stores them verified."""

    def __init__(self, row: UpstreamFile, entry: UpstreamEntry) -> None:
        self.row, self.entry = row, entry
        self._stack = contextlib.ExitStack()
        try:
            self.response: requests.Response = self._stack.enter_context(
                client.open_stream(entry.url)
            )
            if self.response.status_code != 200:
                raise UpstreamUnavailable(
                    f"answered {self.response.status_code} for {entry.filename}"
                )
        except BaseException:
            self.close()
            raise

    @property
    def content_length(self) -> int | None:
        """The length to announce, when the page or an unencoded answer tells it."""
        if self.entry.size is not None:
            return self.entry.size
        declared = self.response.headers.get("Content-Length", "")
        encoded = self.response.headers.get("Content-Encoding", "identity") != "identity"
        return int(declared) if declared.isdigit() and not encoded else None

    def __iter__(self) -> Iterator[bytes]:
        # As a response's content: Django calls close() when the response closes, so a client
        # gone before the first byte still releases the connection and the lease.
        return self.chunks()

    def chunks(self) -> Iterator[bytes]:
        try:
            yield from self._tee()
        finally:
            self.close()

    def _tee(self) -> Iterator[bytes]:
        hasher, size = hashlib.sha256(), 0
        temp = self._stack.enter_context(tempfile.NamedTemporaryFile(  # noqa: SIM115
            dir=upload_temp_dir(), prefix=UPLOAD_TEMP_PREFIX, suffix=".upstream"
        ))
        pending: bytes | None = None
        renewed = time.monotonic()
        for chunk in client.iter_bounded(
            self.response, max_bytes=settings.REGISTRY_PYPI_MAX_FILE_SIZE
        ):
            hasher.update(chunk)
            temp.write(chunk)
            size += len(chunk)
            if pending is not None:
                yield pending
            pending = chunk
            if time.monotonic() - renewed > LEASE_RENEW_SECONDS:
                renewed = time.monotonic()
                UpstreamFile.objects.filter(pk=self.row.pk).update(
                    fetch_lease_until=timezone.now() + LEASE
                )
        self._verify(hasher.hexdigest(), size)
        temp.flush()
        temp.seek(0)
        self._store(temp, size)
        if pending is not None:
            yield pending

    def _verify(self, sha256: str, size: int) -> None:
        expected = self.entry.size
        if sha256 == self.entry.sha256 and (expected is None or expected == size):
            return
        security_event_record(
            kind=UpstreamEvent.Kind.HASH_MISMATCH, name=self.row.normalized_name,
            file_name=self.entry.filename, sha256=self.entry.sha256,
            detail=f"received sha256 {sha256}, {size} bytes, from {self.entry.url}",
        )
        raise HashMismatch(f"{self.entry.filename} does not match its sha256; nothing was kept")

    def _store(self, temp: "tempfile._TemporaryFileWrapper[bytes]", size: int) -> None:
        key = upstream_blob_key(self.row, self.entry.filename)
        try:
            key = default_storage.save(key, File(temp))
        except Exception:
            # The client still gets the file it is being sent; the next request fetches again.
            logger.exception("storing the upstream file %s failed", key)
            with contextlib.suppress(Exception):
                default_storage.delete(key)
            return
        now = timezone.now()
        stored = UpstreamFile.objects.filter(pk=self.row.pk, file="").update(
            file=key, size=size, fetch_lease_until=None, last_used_at=now
        )
        if not stored:  # purged meanwhile, or stored by another fetch after a lost lease
            blob_delete(key)
            return
        cache_trim(keep=self.row.pk)

    def close(self) -> None:
        """Release the upstream connection, the temporary file and a lease not yet used."""
        self._stack.close()
        UpstreamFile.objects.filter(pk=self.row.pk, file="").update(
            fetch_lease_until=timezone.now()
        )


def fetch_to_storage(row: UpstreamFile, entry: UpstreamEntry) -> UpstreamFile:
    """Fetch and store the file without a client reading along (HEAD, a warm-up)."""
    stream = FileStream(row, entry)
    for _ in stream.chunks():
        pass
    return UpstreamFile.objects.get(pk=row.pk)


def core_metadata_get(row: UpstreamFile, entry: UpstreamEntry) -> bytes:
    """PEP 658 metadata of an upstream wheel: cached on its row, verified against the page."""
    if row.core_metadata is not None:
        return bytes(row.core_metadata)
    fetched = client.fetch(
        f"{entry.url}.metadata", headers={},
        max_bytes=settings.REGISTRY_PYPI_UPSTREAM_MAX_METADATA_BYTES,
    )
    if fetched.status != 200:
        raise UpstreamUnavailable(f"answered {fetched.status} for {entry.filename}.metadata")
    digest = hashlib.sha256(fetched.body).hexdigest()
    if digest != entry.core_metadata_sha256:
        security_event_record(
            kind=UpstreamEvent.Kind.HASH_MISMATCH, name=row.normalized_name,
            file_name=f"{entry.filename}.metadata", sha256=entry.core_metadata_sha256,
            detail=f"received sha256 {digest}",
        )
        raise HashMismatch(f"{entry.filename}.metadata does not match its sha256")
    UpstreamFile.objects.filter(pk=row.pk).update(
        core_metadata=fetched.body, core_metadata_sha256=digest
    )
    return fetched.body


def cache_trim(*, keep: int | None = None) -> int:
    """Drop the least recently used blobs past REGISTRY_PYPI_CACHE_MAX_BYTES; how many went."""
    limit = settings.REGISTRY_PYPI_CACHE_MAX_BYTES
    if limit <= 0:
        return 0
    stored = UpstreamFile.objects.exclude(file="")
    total = stored.aggregate(total=Sum("size"))["total"] or 0
    dropped = 0
    others = stored.exclude(pk=keep) if keep is not None else stored
    candidates = others.order_by("last_used_at", "pk").values_list("pk", "size")
    for pk, size in candidates.iterator():
        if total <= limit:
            break
        if blob_forget(pk):
            total -= size
            dropped += 1
    return dropped


def blob_forget(pk: int) -> bool:
    """Remove a cached blob, keeping the row (the page still lists the file): the row first,
    so that no request is sent to a blob that is gone."""
    key = UpstreamFile.objects.filter(pk=pk).values_list("file", flat=True).first()
    if not key or not UpstreamFile.objects.filter(pk=pk, file=key).update(file=""):
        return False
    public_generation_replace()  # anonymous downloads keep the rows they found
    blob_delete(key)
    return True

