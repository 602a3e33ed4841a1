"""Upload: what is accepted, what is refused with which status and text, and what is stored."""

import hashlib
import os
from pathlib import Path

import pytest
from django.conf import settings

from packages_pypi.models import Package, PackageFile
from projects.roles import AccessLevel, Visibility
from tests.builders import rewrite_zip
from tests.conftest import basic_auth
from tests.factories import add_member, make_pat, make_project, make_user
from tests.pypi_driver import Dist, Registry, sdist, wheel

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    return make_project("tools", visibility=Visibility.PRIVATE)


@pytest.fixture
def auth(project):
    user = make_user("dev")
    add_member(project, user, AccessLevel.DEVELOPER)
    return ("dev", make_pat(user))


@pytest.fixture
def registry():
    return Registry()


def stored_blobs() -> list[Path]:
    root = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    return [Path(dirpath) / f for dirpath, _, files in os.walk(root) for f in files]


def test_upload_answers_201_and_stores_what_the_file_says(registry, project, auth):
    dist = wheel("sample-project", "1.0.0", requires_python=">=3.7", summary="Votes",
                 description="# Hello", keywords="dog,puppy", author_email="a@example.com")

    response = registry.upload(project.pk, dist, auth, name="sample-project",
                               summary="a different form summary")

    assert response.status_code == 201
    assert response.json() == {"message": "201 Created"}
    package = Package.objects.get()
    assert (package.name, package.normalized_name, package.version) == (
        "sample-project", "sample-project", "1.0.0"
    )
    assert package.summary == "Votes"  # the file's metadata, not the form field
    assert (package.requires_python, package.keywords, package.author_email) == (
        ">=3.7", "dog,puppy", "a@example.com"
    )
    assert package.description == "# Hello"
    assert package.description_content_type == "text/markdown"
    file = PackageFile.objects.get()
    assert file.sha256 == dist.sha256
    assert file.md5 == hashlib.md5(dist.data, usedforsecurity=False).hexdigest()
    assert file.blake2_256 == hashlib.blake2b(dist.data, digest_size=32).hexdigest()
    assert file.size == len(dist.data)
    assert file.packagetype == "bdist_wheel"
    assert bytes(file.core_metadata).startswith(b"Metadata-Version: 2.1\nName: sample-project")
    assert file.core_metadata_sha256 == hashlib.sha256(bytes(file.core_metadata)).hexdigest()
    assert file.uploaded_by.username == "dev"
    with file.file.open("rb") as blob:
        assert blob.read() == dist.data
    assert len(stored_blobs()) == 1


def test_second_file_for_a_version_joins_the_package(registry, project, auth):
    registry.upload(project.pk, wheel("sample-project"), auth)

    response = registry.upload(project.pk, sdist("sample-project"), auth)

    assert response.status_code == 201
    assert Package.objects.count() == 1
    assert sorted(PackageFile.objects.values_list("file_name", flat=True)) == [
        "sample_project-1.0.0-py3-none-any.whl", "sample_project-1.0.0.tar.gz"
    ]


def test_same_filename_again_is_refused_with_both_words_and_nothing_is_added(
    registry, project, auth
):
    dist = wheel("sample-project")
    registry.upload(project.pk, dist, auth)

    response = registry.upload(project.pk, dist, auth)

    assert response.status_code == 400
    assert "File name has already been taken" in response.json()["message"]
    assert "File already exists" in response.json()["message"]
    assert (Package.objects.count(), PackageFile.objects.count()) == (1, 1)
    assert len(stored_blobs()) == 1


def test_versions_equal_under_pep_440_are_one_package(registry, project, auth):
    registry.upload(project.pk, wheel("sample-project", "1.0"), auth)

    response = registry.upload(project.pk, sdist("Sample.Project", "1.0.0"), auth,
                               name="Sample.Project")

    assert response.status_code == 201
    assert Package.objects.count() == 1


def test_new_file_after_the_old_package_was_deleted_is_accepted(registry, project, auth):
    registry.upload(project.pk, wheel("sample-project"), auth)
    Package.objects.update(status=Package.Status.PENDING_DESTRUCTION)
    PackageFile.objects.update(status=PackageFile.Status.PENDING_DESTRUCTION)

    response = registry.upload(project.pk, wheel("sample-project"), auth)

    assert response.status_code == 201
    assert Package.objects.count() == 2


METADATA = "sample_project-1.0.0.dist-info/METADATA"


def _bad_upload_cases():
    good = wheel("sample-project")
    return {
        "declared sha256 differs": ({"sha256_digest": "1" * 64}, good, "sha256_digest"),
        "declared md5 differs": ({"md5_digest": "1" * 32}, good, "md5_digest"),
        "declared blake2 differs": ({"blake2_256_digest": "2" * 64}, good, "blake2_256_digest"),
        "invalid version": ({"version": "1.0-foo"}, good, "Version is invalid"),
        "invalid name": ({"name": ".$/@!^*"}, good, "Name is invalid"),
        "filename of another project": ({"name": "other-project"}, good, "does not match"),
        "filename of another version": ({"version": "2.0"}, good, "does not match"),
        "unsupported extension": ({}, Dist("sample_project-1.0.0.egg", good.data), "must end"),
        "not a zip": ({}, Dist(good.filename, b"not a zip at all"), ""),
        "no METADATA": (
            {}, Dist(good.filename, rewrite_zip(good.data, drop=[METADATA])), "METADATA",
        ),
        "metadata of another project": (
            {}, Dist(good.filename, rewrite_zip(good.data, drop=[METADATA], add=[
                (METADATA, b"Metadata-Version: 2.1\nName: evil-project\nVersion: 1.0.0\n")])),
            "evil-project",
        ),
        "metadata of another version": (
            {}, Dist(good.filename, rewrite_zip(good.data, drop=[METADATA], add=[
                (METADATA, b"Metadata-Version: 2.1\nName: sample-project\nVersion: 9\n")])),
            "version in the file",
        ),
    }


@pytest.mark.parametrize(("fields", "dist", "text"), _bad_upload_cases().values(),
                         ids=_bad_upload_cases().keys())
def test_bad_uploads_are_400_with_a_reason_and_leave_nothing(
    registry, project, auth, fields, dist, text
):
    response = registry.upload(project.pk, dist, auth, name=fields.pop("name", "sample-project"),
                               version=fields.pop("version", "1.0.0"), **fields)

    assert response.status_code == 400, response.content
    assert response.json()["message"].startswith("400 Bad request - ")
    assert text in response.json()["message"]
    assert not Package.objects.exists() and not PackageFile.objects.exists()
    assert stored_blobs() == []


@pytest.mark.parametrize("missing", ["name", "version", "content"])
def test_missing_fields_are_400_in_grapes_shape(registry, project, auth, missing):
    response = registry.upload(project.pk, wheel("sample-project"), auth,
                               **{missing: None} if missing == "content" else {})
    if missing != "content":
        response = registry.client.post(
            f"/api/v4/projects/{project.pk}/packages/pypi",
            data={"name": "sample-project", "version": "1.0.0", missing: ""},
            HTTP_AUTHORIZATION=basic_auth(*auth),
        )

    assert response.status_code == 400
    assert response.json() == {"error": f"{missing} is missing"}


def test_invalid_sha256_format_is_400(registry, project, auth):
    response = registry.upload(project.pk, wheel("sample-project"), auth,
                               sha256_digest="a" * 63 + "%")

    assert response.status_code == 400
    assert response.json() == {"error": "sha256_digest is invalid"}


def test_upload_without_digests_is_accepted_and_hashed_by_us(registry, project, auth):
    dist = wheel("sample-project")

    response = registry.upload(project.pk, dist, auth, sha256_digest=None, md5_digest=None,
                               blake2_256_digest=None)

    assert response.status_code == 201
    assert PackageFile.objects.get().sha256 == dist.sha256


def test_file_over_the_size_limit_is_refused(registry, project, auth, settings):
    settings.REGISTRY_PYPI_MAX_FILE_SIZE = 1000
    dist = wheel("sample-project", payload_size=5000)

    response = registry.upload(project.pk, dist, auth)

    assert response.status_code == 400
    assert response.json() == {"message": "400 Bad request - File is too large"}
    assert stored_blobs() == []


def test_a_path_in_the_filename_is_refused(registry, project, auth):
    dist = wheel("sample-project")
    # Django's test client strips directories from filenames, so write the body by hand.
    boundary = "xYzZY"
    fields = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
        .encode()
        for key, value in {"name": "sample-project", "version": "1.0.0"}.items()
    )
    body = fields + (
        f'--{boundary}\r\nContent-Disposition: form-data; name="content"; '
        f'filename="../../{dist.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode() + dist.data + f"\r\n--{boundary}--\r\n".encode()

    response = registry.client.post(
        f"/api/v4/projects/{project.pk}/packages/pypi", data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        HTTP_AUTHORIZATION=basic_auth(*auth),
    )

    assert response.status_code == 400
    assert "must not contain a path" in response.json()["message"]
    assert stored_blobs() == []


def test_over_long_metadata_is_truncated_like_gitlab(registry, project, auth):
    dist = wheel("sample-project", summary="x" * 600)

    registry.upload(project.pk, dist, auth)

    summary = Package.objects.get().summary
    assert len(summary) == 512 and summary.endswith("...")


def test_storage_failure_mid_upload_leaves_no_row_and_no_partial_blob(
    registry, project, auth, settings
):
    location = settings.STORAGES["default"]["OPTIONS"]["location"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "tests.fakes.storage.FailingMidwayStorage",
                    "OPTIONS": {"location": location}},
    }

    response = registry.upload(project.pk, wheel("sample-project", payload_size=400_000), auth)

    assert response.status_code == 503
    assert "could not store the file" in response.json()["message"]
    assert not Package.objects.exists() and not PackageFile.objects.exists()
    assert stored_blobs() == []


def test_database_failure_after_storing_removes_the_blob(registry, project, auth, monkeypatch):
    from packages_pypi import services

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "_package_upsert", broken)

    with pytest.raises(RuntimeError):
        registry.upload(project.pk, wheel("sample-project"), auth)

    assert stored_blobs() == []
    assert not Package.objects.exists()


def test_uploader_identity_is_recorded_for_deploy_tokens_and_jobs(registry, project):
    from auth_tokens.services import ci_job_start, deploy_token_issue

    token, secret = deploy_token_issue(owner=project, name="d",
                                       scopes=["write_package_registry"])
    user = make_user("runner")
    add_member(project, user, AccessLevel.DEVELOPER)
    job, job_secret = ci_job_start(project=project, user=user)

    by_token = registry.upload(project.pk, wheel("sample-project"), ("d", secret))
    by_job = registry.upload(project.pk, sdist("sample-project"), ("gitlab-ci-token", job_secret))

    assert (by_token.status_code, by_job.status_code) == (201, 201)
    wheel_file, sdist_file = PackageFile.objects.order_by("id")
    assert (wheel_file.deploy_token, wheel_file.uploaded_by) == (token, None)
    assert (sdist_file.ci_job, sdist_file.uploaded_by) == (job, user)
