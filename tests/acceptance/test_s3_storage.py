"""Package files on S3: publish, install through a presigned redirect, and failures (issue 6 §1)."""

import secrets

import pytest
import requests

from auth_tokens.services import personal_access_token_issue
from packages_pypi.models import Package, PackageFile
from projects.roles import AccessLevel, Visibility
from tests.acceptance.clients import pip_install, twine_upload, uv_pip_install, with_credentials
from tests.builders import build_sdist, build_wheel, write_distribution
from tests.factories import add_member, make_group, make_project, make_user

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def registry(live_server, s3_storage):
    project = make_project("tools", namespace=make_group("s3", visibility=Visibility.PRIVATE),
                           visibility=Visibility.PRIVATE)
    developer = make_user()
    add_member(project, developer, AccessLevel.MAINTAINER)
    _, pat = personal_access_token_issue(user=developer, name="ci", scopes=["api"])
    url = f"{live_server.url}/api/v4/projects/{project.pk}/packages/pypi"
    return {"url": url, "pat": pat, "index": with_credentials(f"{url}/simple", "x", pat),
            "api": f"{live_server.url}/api/v4/projects/{project.pk}/packages"}


def _dists(tmp_path, name):
    builders = (build_wheel, build_sdist)
    return [write_distribution(tmp_path, *build(name, "1.0")) for build in builders]


def test_published_files_land_in_the_bucket_and_install_through_a_presigned_redirect(
    registry, tmp_path, s3_endpoint, s3_storage
):
    name = f"s3-widget-{secrets.token_hex(4)}"

    published = twine_upload(registry["url"], _dists(tmp_path, name), "x", registry["pat"])
    by_pip = pip_install(registry["index"], tmp_path / "pip", name)
    by_uv = uv_pip_install(registry["index"], tmp_path / "uv", name)

    assert published.returncode == 0, published.stdout + published.stderr
    assert by_pip.returncode == 0, by_pip.stdout + by_pip.stderr
    assert by_uv.returncode == 0, by_uv.stdout + by_uv.stderr
    keys = {
        item["Key"]
        for item in s3_endpoint.client().list_objects_v2(Bucket=s3_storage)["Contents"]
    }
    assert keys == set(PackageFile.objects.values_list("file", flat=True))
    wheel = PackageFile.objects.get(packagetype="bdist_wheel")
    download = requests.get(
        f"{registry['url']}/files/{wheel.sha256}/{wheel.file_name}",
        auth=("x", registry["pat"]), allow_redirects=False, timeout=10,
    )
    assert download.status_code == 302
    assert download.headers["Location"].startswith(f"{s3_endpoint.url}/{s3_storage}/pypi/")


def test_a_storage_failure_during_upload_leaves_no_row(registry, tmp_path, s3_endpoint, s3_storage):
    name = f"s3-broken-{secrets.token_hex(4)}"
    s3_endpoint.client().delete_bucket(Bucket=s3_storage)

    published = twine_upload(registry["url"], _dists(tmp_path, name)[:1], "x", registry["pat"])

    assert published.returncode != 0
    assert "503" in published.stdout + published.stderr
    assert not Package.objects.exists()
    assert not PackageFile.objects.exists()



def test_deleting_a_package_removes_its_files_from_the_bucket(
    registry, tmp_path, s3_endpoint, s3_storage
):
    name = f"s3-gone-{secrets.token_hex(4)}"
    twine_upload(registry["url"], _dists(tmp_path, name), "x", registry["pat"])
    package = Package.objects.get(normalized_name=name)

    deleted = requests.delete(f"{registry['api']}/{package.pk}",
                              headers={"PRIVATE-TOKEN": registry["pat"]}, timeout=10)

    assert deleted.status_code == 204, deleted.text
    assert s3_endpoint.client().list_objects_v2(Bucket=s3_storage).get("Contents", []) == []
    assert pip_install(registry["index"], tmp_path / "site", name).returncode != 0
