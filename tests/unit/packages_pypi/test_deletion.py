"""Deletion services: rows go in a transaction, blobs only once it has committed."""

import pytest
from django.core.files.storage import default_storage
from django.db import transaction

from packages_pypi.models import Package, PackageFile
from packages_pypi.services import package_destroy, package_file_destroy
from projects.services import project_delete
from tests.factories import make_project
from tests.package_rows import add_file, make_package

pytestmark = pytest.mark.django_db(transaction=True)


def test_deleting_the_last_file_deletes_the_package_and_its_blob():
    package = make_package(make_project())
    package_file = add_file(package)
    package_file_destroy(package_file=package_file)
    assert not Package.objects.exists()
    assert not default_storage.exists(package_file.file.name)


def test_a_rolled_back_delete_keeps_the_blob():
    package = make_package(make_project())
    package_file = add_file(package)
    with pytest.raises(RuntimeError), transaction.atomic():
        package_destroy(package=package)
        raise RuntimeError("rolled back")
    assert PackageFile.objects.filter(pk=package_file.pk).exists()
    assert default_storage.exists(package_file.file.name)


def test_a_deleted_filename_may_be_uploaded_again():
    project = make_project()
    package = make_package(project)
    first = add_file(package, "pkg-1.0.tar.gz")
    package_destroy(package=package)
    again = add_file(make_package(project), "pkg-1.0.tar.gz")
    assert again.file.name != first.file.name
    assert default_storage.exists(again.file.name)


def test_deleting_a_project_removes_its_blobs():
    project = make_project()
    package_file = add_file(make_package(project))
    project_delete(project=project)
    assert not default_storage.exists(package_file.file.name)
