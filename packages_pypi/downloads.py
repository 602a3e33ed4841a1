"""Download counts: counted in the cache on every download, folded into the database in batches.

A download never writes the database, for its count or for `last_downloaded_at`. It adds one
in the cache: Redis HINCRBY when the cache is Redis (every app server counts into the same
hash), else in the process's memory, as the local-memory cache would (see _LocalCounter for
why not in it). `downloads_fold` moves what was counted into `PackageFile.downloads` and
`Package.downloads` (stamping the versions' `last_downloaded_at`), one transaction per batch:
`manage.py downloads_fold` runs it (the compose file every minute), a download that finds the
last fold older than REGISTRY_DOWNLOAD_FOLD_INTERVAL_SECONDS starts it in a background
thread, and a gunicorn worker runs it as it exits, so a restart loses nothing.

No count is lost: a batch is taken out of the counter atomically (Redis RENAME of the hash to
a batch key), written, and only then dropped; a batch whose fold failed goes back into the
counts, and one whose process died is adopted by a later fold. A process killed between the
database commit and dropping its batch would count that one batch twice: the choice between
"at least once" and "at most once", made for at least.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
import weakref
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from packages_pypi.models import Package, PackageFile

logger = logging.getLogger(__name__)

_COUNTS = "registry:downloads"  # file id -> downloads not yet folded
_BATCH = "registry:downloads:batch:"  # + a batch id: taken from the counts, not yet written
_FOLD_DUE = "registry:downloads:fold-due"


@dataclass
class _Batch:
    key: str
    counts: dict[int, int]


class _Counter(Protocol):
    def add(self, file_id: int) -> None: ...
    def take(self) -> list[_Batch]: ...
    def done(self, batch: _Batch) -> None: ...
    def give_back(self, batch: _Batch) -> None: ...
    def fold_due(self, interval: float) -> bool: ...


class _RedisCounter:
    """One hash shared by every app server; RENAME hands a fold its batch atomically.

    A batch key carries the time it was taken. A fold adopts another fold's batch only when it
    is older than ABANDONED_AFTER (its process died between taking and dropping it), and claims
    it by RENAME, so two folds never write the same batch.
    """

    ABANDONED_AFTER = 300  # seconds; a fold takes milliseconds

    def __init__(self, client: Any) -> None:
        self.client = client
        self.next_check = 0.0

    def add(self, file_id: int) -> None:
        self.client.hincrby(_COUNTS, file_id, 1)  # the download's one round trip

    def take(self) -> list[_Batch]:
        taken = [key for key in [self._claim(_COUNTS)] if key]
        cutoff = time.time() - self.ABANDONED_AFTER
        for name in self.client.scan_iter(match=f"{_BATCH}*"):
            name = name.decode() if isinstance(name, bytes) else name
            if name not in taken and _taken_at(name) < cutoff and (claimed := self._claim(name)):
                taken.append(claimed)
        return [
            _Batch(key, {int(file_id): int(count)
                         for file_id, count in self.client.hgetall(key).items()})
            for key in taken
        ]

    def _claim(self, source: str) -> str | None:
        key = f"{_BATCH}{int(time.time())}:{uuid.uuid4().hex}"
        try:
            self.client.rename(source, key)
        except Exception as error:  # redis.ResponseError: nothing there (any more)
            if "no such key" not in str(error).lower():
                raise
            return None
        return key

    def done(self, batch: _Batch) -> None:
        self.client.delete(batch.key)

    def give_back(self, batch: _Batch) -> None:
        """Add the batch back to the counts in one transaction, for the next fold."""
        with self.client.pipeline(transaction=True) as pipe:
            for file_id, count in batch.counts.items():
                pipe.hincrby(_COUNTS, file_id, count)
            pipe.delete(batch.key)
            pipe.execute()

    def fold_due(self, interval: float) -> bool:
        # Asked once an interval per process, not per download; SET NX with expiry then
        # makes it one fold per interval across every server.
        now = time.monotonic()
        if now < self.next_check:
            return False
        self.next_check = now + interval
        return bool(self.client.set(_FOLD_DUE, 1, nx=True, ex=max(int(interval), 1)))


def _taken_at(key: str) -> float:
    try:
        return float(key.removeprefix(_BATCH).split(":", 1)[0])
    except ValueError:
        return 0.0


class _LocalCounter:
    """Without Redis: the counts live in this process, under a lock.

    Not in Django's local-memory cache itself: its entries are bounded (settings), shared with
    the index pages, and it culls a third when full, which would drop counts. A dict has the same
    life as that cache (the process), and a gunicorn worker folds it as it stops.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[int, int] = defaultdict(int)
        self.next_fold = 0.0

    def add(self, file_id: int) -> None:
        with self.lock:
            self.counts[file_id] += 1

    def take(self) -> list[_Batch]:
        with self.lock:
            counts, self.counts = dict(self.counts), defaultdict(int)
        return [_Batch("local", counts)] if counts else []

    def done(self, batch: _Batch) -> None:
        pass

    def give_back(self, batch: _Batch) -> None:
        with self.lock:
            for file_id, count in batch.counts.items():
                self.counts[file_id] += count

    def fold_due(self, interval: float) -> bool:
        now = time.monotonic()
        with self.lock:
            due = self.next_fold != 0.0 and now >= self.next_fold
            if due or self.next_fold == 0.0:  # the first fold one interval after the start
                self.next_fold = now + interval
            return due


_local = _LocalCounter()
# One Redis counter per cache client (Django keeps a cache backend per thread): building a
# Redis client per download would cost more than the count.
_redis_counters: weakref.WeakKeyDictionary[Any, _RedisCounter] = weakref.WeakKeyDictionary()


def _counter() -> _Counter:
    backend = getattr(cache, "_cache", None)
    if backend is None or not hasattr(backend, "get_client"):
        return _local
    # django.core.cache.backends.redis.RedisCache
    counter = _redis_counters.get(backend)
    if counter is None:
        counter = _redis_counters[backend] = _RedisCounter(backend.get_client(_COUNTS, write=True))
    return counter


def download_count(package_file: PackageFile) -> None:
    """Count one download of `package_file` (no database write), and fold when it is due."""
    if not settings.REGISTRY_DOWNLOAD_COUNTING:
        return
    counter = _counter()
    try:
        counter.add(package_file.pk)
        due = counter.fold_due(settings.REGISTRY_DOWNLOAD_FOLD_INTERVAL_SECONDS)
    except Exception:
        # A cache outage must not fail the download it counts.
        logger.exception("could not count a download of file %s", package_file.pk)
        return
    if due:
        fold_in_background()


def fold_in_background() -> threading.Thread:
    """Fold in a thread of its own, so the download that found it due is not kept waiting."""
    thread = threading.Thread(target=_fold_quietly, name="downloads-fold", daemon=True)
    thread.start()
    return thread


def _fold_quietly() -> None:
    try:
        downloads_fold()
    except Exception:
        logger.exception("folding download counts failed; they are folded next time")
    finally:
        connection.close()  # this thread's own connection


def downloads_fold() -> int:
    """Move every counted download into the database; returns how many were folded."""
    counter = _counter()
    folded = 0
    for batch in counter.take():
        try:
            _write(batch.counts)
        except Exception:
            counter.give_back(batch)
            raise
        counter.done(batch)
        folded += sum(batch.counts.values())
    return folded


def _write(counts: dict[int, int]) -> None:
    """Add `counts` to the files and their versions: one UPDATE per distinct count."""
    if not counts:
        return
    packages: dict[int, int] = defaultdict(int)
    rows = PackageFile.objects.filter(pk__in=list(counts)).values_list("pk", "package_id")
    for file_id, package_id in rows:
        packages[package_id] += counts[file_id]
    now = timezone.now()
    with transaction.atomic():
        for count, ids in _by_count(counts):
            PackageFile.objects.filter(pk__in=ids).update(downloads=F("downloads") + count)
        for count, ids in _by_count(packages):
            # last_downloaded_at (cleanup policies' "not downloaded for N days") is as late
            # as the fold, a fold interval at most: a day-sized rule cannot tell.
            Package.objects.filter(pk__in=ids).update(downloads=F("downloads") + count,
                                                      last_downloaded_at=now)


def _by_count(counts: dict[int, int]) -> Iterator[tuple[int, list[int]]]:
    """Ids grouped by their count: most batches hold a few distinct counts for many ids."""
    groups: dict[int, list[int]] = defaultdict(list)
    for row_id, count in counts.items():
        groups[count].append(row_id)
    yield from groups.items()
