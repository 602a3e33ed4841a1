"""Storage against database: find, and where it is safe repair, what crashes left behind.

A worker killed mid-upload leaves its temporary file; killed while copying into storage it
leaves a partial blob with no row (or, on S3, an unfinished multipart upload); deletes leave
empty folders on local storage. A lost or restored store can leave rows without blobs, which
only a person can resolve (re-upload, or delete the package), so those are reported only.

The listing is streamed: storage keys come page by page (S3) or folder by folder (local) in
byte order, and are merged with the rows' keys read in pages in the same order, so memory
stays bounded whatever the number of files. Every discrepancy is checked again on its own
before it is reported or repaired, so an upload or a delete racing the scan is never
mistaken for damage.
"""

import datetime
import heapq
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection
from django.db.models.functions import Collate
from django.utils import timezone

from packages_pypi.blobs import BLOB_PREFIX, blob_delete
from packages_pypi.models import PackageFile, UpstreamFile
from packages_pypi.upload_temp import UPLOAD_TEMP_PREFIX, upload_temp_dir
from registry.storages import is_s3

if TYPE_CHECKING:
    from storages.backends.s3 import S3Storage

logger = logging.getLogger(__name__)

PAGE_SIZE = 1000
EXAMPLES = 20

ORPHAN_BLOBS = "blobs without a row"
MISSING_BLOBS = "rows without a blob"
STALE_TEMP_FILES = "stale temporary uploads"
EMPTY_FOLDERS = "empty folders"
STALE_MULTIPART = "unfinished multipart uploads"


@dataclass
class Tally:
    """What one kind of check found: problems, how many were repaired, and a few examples."""

    found: int = 0
    repaired: int = 0
    # Too young to judge: probably an upload in flight. Not a problem, not touched.
    recent: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, example: str) -> None:
        self.found += 1
        if len(self.examples) < EXAMPLES:
            self.examples.append(example)

    @property
    def remaining(self) -> int:
        return self.found - self.repaired


@dataclass
class Report:
    storage: str
    checked_blobs: int = 0
    checked_rows: int = 0
    tallies: dict[str, Tally] = field(default_factory=dict)

    def tally(self, kind: str) -> Tally:
        return self.tallies.setdefault(kind, Tally())

    @property
    def consistent(self) -> bool:
        return all(tally.remaining == 0 for tally in self.tallies.values())


@dataclass(frozen=True)
class _Blob:
    key: str
    modified: datetime.datetime


@dataclass(frozen=True)
class _Limits:
    repair: bool
    orphan_cutoff: datetime.datetime
    temp_cutoff: datetime.datetime


def registry_check(
    *,
    repair: bool,
    quick: bool = False,
    orphan_grace: datetime.timedelta,
    temp_max_age: datetime.timedelta,
) -> Report:
    """Compare storage with the database; with `repair`, remove what is safe to remove.

    Safe: blobs without a row older than `orphan_grace` (younger ones may belong to an upload
    that has not committed its row yet), temporary uploads and empty folders not touched for
    `temp_max_age`, and unfinished S3 multipart uploads older than `orphan_grace`. `quick`
    skips the comparison of blobs with rows (the only part that lists every blob).
    """
    now = timezone.now()
    limits = _Limits(repair, now - orphan_grace, now - temp_max_age)
    store = _store()
    report = Report(storage=store.describe())
    _sweep_temp_files(report.tally(STALE_TEMP_FILES), limits)
    if not quick:
        _compare(store, report, limits)
    store.sweep_leftovers(report, limits)  # last: removing orphan blobs empties folders
    return report


def _compare(store: "_LocalStore | _S3Store", report: Report, limits: _Limits) -> None:
    orphans, missing = report.tally(ORPHAN_BLOBS), report.tally(MISSING_BLOBS)
    blobs, keys = store.blobs(), _row_keys()
    blob, key = next(blobs, None), next(keys, None)
    while blob is not None or key is not None:
        if key is None or (blob is not None and blob.key < key):
            report.checked_blobs += 1
            assert blob is not None  # the loop runs while either is left, and key is not
            _orphan_candidate(store, blob, orphans, limits)
            blob = next(blobs, None)
        elif blob is None or key < blob.key:
            report.checked_rows += 1
            _missing_candidate(store, key, missing, limits)
            key = next(keys, None)
        else:
            report.checked_blobs += 1
            report.checked_rows += 1
            blob, key = next(blobs, None), next(keys, None)


def _orphan_candidate(store: "_LocalStore | _S3Store", blob: _Blob, tally: Tally,
                      limits: _Limits) -> None:
    # Asked again, not trusted from the merge: a row may have committed since its page was read.
    if _has_row(blob.key):
        return
    if blob.modified > limits.orphan_cutoff:
        tally.recent += 1
        return
    tally.add(blob.key)
    if limits.repair:
        store.delete(blob.key)
        logger.warning("registry_check: removed the blob without a row %s", blob.key)
        tally.repaired += 1


def _missing_candidate(store: "_LocalStore | _S3Store", key: str, tally: Tally,
                       limits: _Limits) -> None:
    # A key outside the listed prefix, or a blob stored or a row deleted during the scan.
    # Storage first: a delete commits the row's removal before it removes the blob, so a
    # row still there after its blob was seen missing is a real loss.
    if store.exists(key):
        return
    row = PackageFile.objects.filter(file=key).values("project_id", "file_name").first()
    if row is not None:
        tally.add(f"project {row['project_id']} {row['file_name']}: {key}")
    upstream = UpstreamFile.objects.filter(file=key).values_list("file_name", flat=True).first()
    if upstream is not None:
        tally.add(f"upstream cache {upstream}: {key}")
        # Only a cache: forgetting the blob makes the next request fetch (and verify) it again.
        if limits.repair and UpstreamFile.objects.filter(file=key).update(file=""):
            tally.repaired += 1


def _has_row(key: str) -> bool:
    """A hosted file's or a cached upstream file's (issue 11: both live under pypi/)."""
    return (
        PackageFile.objects.filter(file=key).exists()
        or UpstreamFile.objects.filter(file=key).exists()
    )


def _row_keys() -> Iterator[str]:
    """Every row's key in byte order (as S3 lists and as _LocalStore walks), a page at a time:
    the hosted files' and the cached upstream files', merged."""
    return heapq.merge(_model_keys(PackageFile), _model_keys(UpstreamFile))


def _model_keys(model: type[PackageFile] | type[UpstreamFile]) -> Iterator[str]:
    # Byte order of UTF-8 is code point order, which is how Python compares the keys.
    collation = "C" if connection.vendor == "postgresql" else "BINARY"
    rows = (
        model.objects.exclude(file="")
        .annotate(key=Collate("file", collation))
        .order_by("key")
    )
    last: str | None = None
    while True:
        page = rows if last is None else rows.filter(key__gt=last)
        keys = list(page.values_list("file", flat=True)[:PAGE_SIZE])
        yield from keys
        if len(keys) < PAGE_SIZE:
            return
        last = keys[-1]


def _sweep_temp_files(tally: Tally, limits: _Limits) -> None:
    """Our temporary uploads not written to for `temp_max_age`: their worker is gone."""
    if not upload_temp_dir().is_dir():
        return
    with os.scandir(upload_temp_dir()) as entries:
        for entry in entries:
            if not entry.name.startswith(UPLOAD_TEMP_PREFIX) or not entry.is_file(
                follow_symlinks=False
            ):
                continue
            if _mtime(entry.stat(follow_symlinks=False).st_mtime) > limits.temp_cutoff:
                tally.recent += 1
                continue
            tally.add(entry.path)
            if limits.repair:
                _unlink(Path(entry.path), tally)


def _unlink(path: Path, tally: Tally) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        logger.exception("registry_check: could not remove %s", path)
        return
    tally.repaired += 1


def _mtime(timestamp: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC)


class _LocalStore:
    """FileSystemStorage: blobs are files under `<location>/pypi/`."""

    def __init__(self, storage: FileSystemStorage) -> None:
        self.storage = storage
        self.root = Path(storage.location) / BLOB_PREFIX

    def describe(self) -> str:
        return f"local folder {self.storage.location}"

    def blobs(self) -> Iterator[_Blob]:
        if self.root.is_dir():
            yield from self._walk(self.root, BLOB_PREFIX)

    def _walk(self, directory: Path, prefix: str) -> Iterator[_Blob]:
        """Depth first, each folder sorted as its key continues (`name/`): full keys in order."""
        with os.scandir(directory) as scan:
            entries = sorted(
                (e.name + "/" if e.is_dir(follow_symlinks=False) else e.name, e) for e in scan
            )
        for name, entry in entries:
            if name.endswith("/"):
                yield from self._walk(Path(entry.path), prefix + name)
            elif entry.is_file(follow_symlinks=False):
                modified = _mtime(entry.stat(follow_symlinks=False).st_mtime)
                yield _Blob(key=prefix + name, modified=modified)

    def exists(self, key: str) -> bool:
        return self.storage.exists(key)

    def delete(self, key: str) -> None:
        blob_delete(key)

    def sweep_leftovers(self, report: Report, limits: _Limits) -> None:
        if self.root.is_dir():
            self._sweep_folder(self.root, report.tally(EMPTY_FOLDERS), limits, top=True)

    def _sweep_folder(self, directory: Path, tally: Tally, limits: _Limits, *, top: bool) -> bool:
        """Remove empty folders below `directory`; True when it is (or would be) gone too.

        A folder's age is read before its children go: their removal touches it, and a
        folder emptied by this sweep is as old as its last real change.
        """
        modified = _mtime(directory.stat().st_mtime)
        empty = True
        with os.scandir(directory) as scan:
            for entry in scan:
                is_folder = entry.is_dir(follow_symlinks=False)
                if not (is_folder and self._sweep_folder(Path(entry.path), tally, limits,
                                                          top=False)):
                    empty = False
        if top or not empty:
            return False
        if modified > limits.temp_cutoff:  # an upload may be about to write its blob here
            tally.recent += 1
            return False
        tally.add(str(directory))
        if not limits.repair:
            return True
        try:
            directory.rmdir()
        except OSError:  # a blob arrived meanwhile
            return False
        tally.repaired += 1
        return True


class _S3Store:
    """S3Storage: blobs are objects under `<location>/pypi/`; no folders, but multipart uploads."""

    def __init__(self, storage: "S3Storage") -> None:
        self.storage = storage
        self.client = storage.connection.meta.client
        location = storage.location.strip("/")
        self.location = f"{location}/" if location else ""

    def describe(self) -> str:
        return f"S3 bucket {self.storage.bucket_name}"

    def _pages(self, operation: str) -> Iterator[dict]:
        paginator = self.client.get_paginator(operation)
        yield from paginator.paginate(
            Bucket=self.storage.bucket_name,
            Prefix=self.location + BLOB_PREFIX,
            PaginationConfig={"PageSize": PAGE_SIZE},
        )

    def blobs(self) -> Iterator[_Blob]:
        # S3 lists keys in UTF-8 byte order, one page of at most PAGE_SIZE at a time.
        for page in self._pages("list_objects_v2"):
            for item in page.get("Contents", []):
                yield _Blob(key=item["Key"][len(self.location):], modified=item["LastModified"])

    def exists(self, key: str) -> bool:
        return self.storage.exists(key)

    def delete(self, key: str) -> None:
        blob_delete(key)

    def sweep_leftovers(self, report: Report, limits: _Limits) -> None:
        """Abort multipart uploads a killed worker never finished: S3 keeps (and bills) their
        parts forever, and no listing of objects shows them."""
        tally = report.tally(STALE_MULTIPART)
        for page in self._pages("list_multipart_uploads"):
            for upload in page.get("Uploads", []):
                if upload["Initiated"] > limits.orphan_cutoff:
                    tally.recent += 1
                    continue
                tally.add(upload["Key"])
                if limits.repair:
                    self.client.abort_multipart_upload(
                        Bucket=self.storage.bucket_name, Key=upload["Key"],
                        UploadId=upload["UploadId"],
                    )
                    tally.repaired += 1


def _store() -> "_LocalStore | _S3Store":
    # default_storage is a LazyObject; isinstance() sees the backend through it.
    if is_s3(default_storage):
        return _S3Store(default_storage)
    if isinstance(default_storage, FileSystemStorage):
        return _LocalStore(default_storage)
    raise TypeError(f"registry_check cannot list {type(default_storage).__name__}")
