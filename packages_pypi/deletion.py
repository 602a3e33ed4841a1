"""Deleting packages and package files: rows in a transaction, blobs once it has committed.

A blob is removed only after the rows that point at it are gone for good, so a rolled-back
delete never leaves a row without its blob; the other order (a blob without a row) can only
happen if removing the blob itself fails, which is logged and harmless to clients.
"""

import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet

from packages_pypi import index_cache
from packages_pypi.models import Package, PackageFile
from packages_pypi.storage import blob_delete

logger = logging.getLogger(__name__)


def _remove_blobs(names: list[str]) -> None:
    for name in names:
        try:
            blob_delete(name)
        except Exception:
            # The rows are gone and committed; a blob the store kept (a disk error, an S3
            # ClientError) is an orphan to log, not an error for the client who deleted.
            logger.exception("could not remove the blob %s", name)


def blobs_remove_on_commit(files: QuerySet[PackageFile] | Iterable[PackageFile]) -> None:
    """Schedule the blobs of `files` for removal when the current transaction commits.

    Call it inside the transaction that deletes the rows (also when a project or group
    cascade deletes them).
    """
    if isinstance(files, QuerySet):
        names = [name for name in files.values_list("file", flat=True) if name]
    else:
        names = [f.file.name for f in files if f.file.name]
    if names:
        transaction.on_commit(lambda: _remove_blobs(names))


@transaction.atomic
def package_destroy(*, package: Package) -> None:
    """Delete a package with all its files; the blobs go once the delete has committed."""
    blobs_remove_on_commit(PackageFile.objects.filter(package=package))
    index_cache.bump([package.project_id])
    package.delete()


@transaction.atomic
def package_file_destroy(*, package_file: PackageFile) -> None:
    """Delete one file; a package whose last file goes is deleted too (GitLab does the same)."""
    # Lock the package so that two concurrent deletes of its last two files both see the
    # package emptied and neither leaves an empty package behind.
    package = Package.objects.select_for_update().get(pk=package_file.package_id)
    blobs_remove_on_commit([package_file])
    index_cache.bump([package.project_id])
    package_file.delete()
    if not PackageFile.objects.filter(package=package).exists():
        package.delete()
