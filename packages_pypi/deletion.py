"""Deleting package versions and files, rows first and blobs once the transaction commits."""

from django.db import transaction

from packages_pypi.models import Package, PackageFile


def _delete_blobs_on_commit(files: list[PackageFile]) -> None:
    # A rolled-back delete must not lose the bytes, so storage is touched only after commit.
    blobs = [(f.file.storage, f.file.name) for f in files if f.file.name]
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in blobs])


@transaction.atomic
def package_destroy(*, package: Package) -> None:
    """Delete a package version with all its files."""
    _delete_blobs_on_commit(list(package.files.all()))
    package.delete()


@transaction.atomic
def package_file_destroy(*, package_file: PackageFile) -> None:
    """Delete one file; the package goes too when no installable file is left."""
    package = package_file.package
    _delete_blobs_on_commit([package_file])
    package_file.delete()
    if not package.files.filter(status=PackageFile.Status.DEFAULT).exists():
        package_destroy(package=package)
