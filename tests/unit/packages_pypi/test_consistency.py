"""registry_check: blobs against rows, stale temporary uploads, empty folders, on disk and S3."""

import os
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from packages_pypi import consistency
from packages_pypi.models import PackageFile
from packages_pypi.services import package_file_destroy
from packages_pypi.upload_temp import UPLOAD_TEMP_PREFIX
from registry.storages import storage_from_env
from tests.factories import make_project
from tests.package_rows import add_file, make_package

pytestmark = pytest.mark.django_db

HOUR = 3600


@pytest.fixture
def temp_dir(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads")
    Path(settings.FILE_UPLOAD_TEMP_DIR).mkdir()
    return Path(settings.FILE_UPLOAD_TEMP_DIR)


def check(*args: str) -> tuple[bool, str]:
    """Run the command; (consistent, everything it printed)."""
    out, err = StringIO(), StringIO()
    try:
        call_command("registry_check", *args, stdout=out, stderr=err)
    except CommandError as error:
        return False, out.getvalue() + str(error)
    return True, out.getvalue()


def age(path: Path, seconds: int) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_registry_whose_files_all_have_their_blobs_is_consistent(temp_dir):
    package = make_package(make_project())
    add_file(package)
    add_file(package, "my-pkg-1.0.tar.gz")

    consistent, output = check()

    assert consistent, output
    assert "checked 2 blobs and 2 rows" in output


def test_each_kind_of_leftover_is_found_and_the_safe_ones_repaired(temp_dir):
    project = make_project()
    kept = add_file(make_package(project))
    lost = add_file(make_package(project, "lost"), "lost-1.0-py3-none-any.whl")
    default_storage.delete(lost.file.name)
    orphan = default_storage.save(f"pypi/{project.pk}/deadbeef/partial-1.0.tar.gz",
                                  ContentFile(b"half a"))
    empty = Path(default_storage.path(f"pypi/{project.pk}/0123abcd"))
    empty.mkdir()
    stale = temp_dir / f"{UPLOAD_TEMP_PREFIX}x1.upload"
    stale.write_bytes(b"105 MB, once")
    foreign = temp_dir / "tmp-someone-elses.upload"
    foreign.write_bytes(b"not ours")
    for path in (stale, foreign, empty):
        age(path, 2 * HOUR)

    found, report = check("--grace", "0")
    repaired, after_repair = check("--repair", "--grace", "0")
    left, last = check()

    assert not found
    assert "blobs without a row: 1" in report and orphan in report
    assert "rows without a blob: 1" in report and lost.file.name in report
    assert "stale temporary uploads: 1" in report and str(stale) in report
    assert "empty folders: 1" in report and str(empty) in report
    assert "Run with --repair" in report
    assert not repaired, "a row without a blob cannot be repaired"
    assert "cannot be repaired automatically" in after_repair
    assert not default_storage.exists(orphan)
    assert not stale.exists() and not empty.exists()
    assert foreign.exists(), "only files with our prefix are ours to remove"
    assert default_storage.exists(kept.file.name)
    assert not left and "1 rows without a blob left" in last
    PackageFile.objects.filter(pk=lost.pk).delete()
    assert check() == (True, check()[1])


def test_recent_leftovers_are_left_to_the_upload_that_may_own_them(temp_dir):
    project = make_project()
    orphan = default_storage.save(f"pypi/{project.pk}/cafe/new-1.0.tar.gz", ContentFile(b"x"))
    receiving = temp_dir / f"{UPLOAD_TEMP_PREFIX}x2.upload"
    receiving.write_bytes(b"still arriving")

    consistent, output = check("--repair")

    assert consistent, output
    assert default_storage.exists(orphan) and receiving.exists()
    assert "blobs without a row: 0; 1 too recent to judge" in output
    assert "stale temporary uploads: 0; 1 too recent to judge" in output


def test_quick_sweeps_temporary_files_and_folders_without_comparing_blobs(temp_dir):
    project = make_project()
    orphan = default_storage.save(f"pypi/{project.pk}/cafe/old-1.0.tar.gz", ContentFile(b"x"))
    age(Path(default_storage.path(orphan)), 48 * HOUR)
    stale = temp_dir / f"{UPLOAD_TEMP_PREFIX}x3.upload"
    stale.write_bytes(b"x")
    age(stale, 2 * HOUR)

    consistent, output = check("--repair", "--quick")

    assert consistent, output
    assert not stale.exists()
    assert default_storage.exists(orphan), "--quick does not list blobs"
    assert "checked" not in output


def test_deleting_a_file_removes_its_folder(temp_dir, django_capture_on_commit_callbacks):
    package_file = add_file(make_package(make_project()))
    folder = Path(default_storage.path(package_file.file.name)).parent

    with django_capture_on_commit_callbacks(execute=True):
        package_file_destroy(package_file=package_file)

    assert not folder.exists()
    assert folder.parent.is_dir(), "the project's folder stays: an upload may be using it"


def test_folders_emptied_by_the_sweep_go_in_the_same_run(temp_dir):
    old_project = Path(default_storage.path("pypi/999"))
    (old_project / "aaaa").mkdir(parents=True)
    (old_project / "bbbb").mkdir()
    for path in (old_project / "aaaa", old_project / "bbbb", old_project):
        age(path, 2 * HOUR)

    repaired, output = check("--repair", "--quick")

    assert repaired, output
    assert not old_project.exists()
    assert Path(default_storage.path("pypi")).is_dir()


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_blobs_are_listed_in_the_order_the_rows_are_read(backend, request, temp_dir, monkeypatch):
    """The merge of the two streams relies on one order. A collation that puts `a` before `Z`
    (PostgreSQL's usual one) or a walk that sorts each folder on its own (`abc` before
    `abc-`, while the key `abc-/x` comes before `abc/x`) would break it."""
    if backend == "s3":
        request.getfixturevalue("s3_storage")
    monkeypatch.setattr(consistency, "PAGE_SIZE", 2)
    package = make_package(make_project())
    template = add_file(package)
    folders = ["Zed", "abc", "abc-", "abc.d", "abc_d", "ABC", "1", "10", "1-0"]
    for index, folder in enumerate(folders):
        key = f"pypi/{package.project_id}/{folder}/f{index}"
        default_storage.save(key, ContentFile(b"x"))
        PackageFile.objects.create(
            package=package, project=package.project, file=key, file_name=f"f{index}",
            size=1, sha256=template.sha256, md5=template.md5, blake2_256=template.blake2_256,
        )

    listed = [blob.key for blob in consistency._store().blobs()]

    assert listed == list(consistency._row_keys())
    assert listed == sorted(listed) and len(listed) == len(folders) + 1


@pytest.mark.slow
def test_on_s3_orphans_missing_blobs_and_unfinished_multipart_uploads(
    s3_storage, s3_endpoint, temp_dir
):
    client = s3_endpoint.client()
    project = make_project()
    kept = add_file(make_package(project))
    lost = add_file(make_package(project, "lost"), "lost-1.0-py3-none-any.whl")
    client.delete_object(Bucket=s3_storage, Key=lost.file.name)
    orphan = f"pypi/{project.pk}/beef/orphan-1.0.tar.gz"
    client.put_object(Bucket=s3_storage, Key=orphan, Body=b"no row")
    # What a worker killed in the middle of a large upload leaves: parts, no object.
    upload = client.create_multipart_upload(Bucket=s3_storage, Key=f"pypi/{project.pk}/f00d/x")
    client.upload_part(Bucket=s3_storage, Key=f"pypi/{project.pk}/f00d/x", PartNumber=1,
                       UploadId=upload["UploadId"], Body=b"x" * 1024)

    found, report = check("--grace", "0")
    repaired, _ = check("--repair", "--grace", "0")
    PackageFile.objects.filter(pk=lost.pk).delete()
    consistent, last = check("--grace", "0")

    assert not found and not repaired
    assert "S3 bucket" in report
    assert orphan in report and lost.file.name in report
    assert "unfinished multipart uploads: 1" in report
    keys = {item["Key"] for item in client.list_objects_v2(Bucket=s3_storage)["Contents"]}
    assert keys == {kept.file.name}
    assert client.list_multipart_uploads(Bucket=s3_storage).get("Uploads", []) == []
    assert consistent, last


@pytest.mark.slow
def test_on_s3_only_keys_under_the_registry_prefix_are_ours(
    s3_storage, s3_endpoint, settings, monkeypatch, tmp_path, temp_dir
):
    monkeypatch.setenv("REGISTRY_S3_PREFIX", "tenant")
    settings.STORAGES = {**settings.STORAGES, "default": storage_from_env(tmp_path)}
    client = s3_endpoint.client()
    kept = add_file(make_package(make_project()))
    client.put_object(Bucket=s3_storage, Key="tenant/pypi/1/beef/orphan-1.0.tar.gz", Body=b"x")
    client.put_object(Bucket=s3_storage, Key="other/pypi/1/beef/theirs-1.0.tar.gz", Body=b"x")

    repaired, output = check("--repair", "--grace", "0")

    assert repaired, output
    assert "blobs without a row: 1 (1 removed)" in output
    keys = {item["Key"] for item in client.list_objects_v2(Bucket=s3_storage)["Contents"]}
    assert keys == {f"tenant/{kept.file.name}", "other/pypi/1/beef/theirs-1.0.tar.gz"}


def test_a_missing_temporary_folder_is_nothing_to_sweep(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "not-there")
    assert check("--quick")[0]
