"""Keeping the upstream cache in bounds: purges, the takedown sweep, the size bound."""

import datetime

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from packages_pypi.blobs import blob_delete
from packages_pypi.public_generation import public_generation_replace
from packages_pypi.upstream.files import cache_trim
from packages_pypi.upstream.models import UpstreamFile


def cache_purge(*, name: str | None = None, older_than_days: int | None = None) -> int:
    """Remove cached upstream files (rows and blobs); how many went.

    `name` limits it to one project name; `older_than_days` to files not used (or, never
    used, not fetched) for that long. A purged file is fetched again when next asked for.
    """
    files = UpstreamFile.objects.all()
    if name is not None:
        files = files.filter(normalized_name=name)
    if older_than_days is not None:
        cutoff = timezone.now() - datetime.timedelta(days=older_than_days)
        files = files.filter(
            Q(last_used_at__lt=cutoff) | Q(last_used_at__isnull=True, created_at__lt=cutoff)
        )
    return cache_purge_rows(files)


def takedowns_sweep() -> int:
    """Delete what the upstream took down more than REGISTRY_PYPI_TAKEDOWN_KEEP_DAYS ago (kept
    until then for investigation); how many files went."""
    cutoff = timezone.now() - datetime.timedelta(days=settings.REGISTRY_PYPI_TAKEDOWN_KEEP_DAYS)
    return cache_purge_rows(UpstreamFile.objects.filter(taken_down_at__lt=cutoff))


def cache_sweep() -> tuple[int, int]:
    """The daily chores: the takedown sweep, then the size bound. (taken down, trimmed)."""
    return takedowns_sweep(), cache_trim()


def cache_purge_rows(files: QuerySet[UpstreamFile]) -> int:
    """Remove these cached upstream files, rows and blobs; how many went."""
    count = 0
    for pk, key in files.values_list("pk", "file").iterator():
        # The row first: a request then finds no blob it would be sent to.
        if UpstreamFile.objects.filter(pk=pk).delete()[0] and key:
            blob_delete(key)
        count += 1
    if count:
        public_generation_replace()  # anonymous downloads keep the rows they found
    return count
