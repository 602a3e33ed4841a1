"""Journeys with the real clients: publish with twine and uv, install with pip and uv."""

import importlib.util
import secrets

import pytest

from auth_tokens.services import ci_job_start, deploy_token_issue, personal_access_token_issue
from packages_pypi.downloads import downloads_fold
from packages_pypi.models import Package, PackageFile
from projects.roles import AccessLevel, Visibility
from tests.acceptance.clients import (
    pip_install,
    twine_upload,
    uv_pip_install,
    uv_publish,
    with_credentials,
)
from tests.builders import build_sdist, build_wheel, write_distribution
from tests.factories import add_member, make_group, make_project, make_user

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(live_server):
    """A private group `acme` with a subgroup project `acme/libs/tools` and a developer."""
    group = make_group("acme", visibility=Visibility.PRIVATE)
    libs = make_group("libs", parent=group, visibility=Visibility.PRIVATE)
    project = make_project("tools", namespace=libs, visibility=Visibility.PRIVATE)
    developer = make_user("dev")
    add_member(group, developer, AccessLevel.DEVELOPER)
    _, pat = personal_access_token_issue(user=developer, name="ci", scopes=["api"])
    base = f"{live_server.url}/api/v4"
    return {
        "group": group, "project": project, "user": developer, "pat": pat,
        "project_url": f"{base}/projects/{project.pk}/packages/pypi",
        "path_url": f"{base}/projects/acme%2Flibs%2Ftools/packages/pypi",
        "group_url": f"{base}/groups/{group.pk}/-/packages/pypi",
    }


def unique_name() -> str:
    # A name that exists nowhere else, so an install proves the file came from us.
    return f"acme-widget-{secrets.token_hex(4)}"


def dists(tmp_path, name, version="1.0.0"):
    return [
        write_distribution(tmp_path, *build(name, version, requires_python=">=3.8",
                                            summary="Widgets"))
        for build in (build_wheel, build_sdist)
    ]


def assert_installed(target, name):
    module = name.replace("-", "_")
    assert (target / module / "__init__.py").exists(), list(target.iterdir())
    spec = importlib.util.spec_from_file_location(module, target / module / "__init__.py")
    assert spec is not None


@pytest.mark.parametrize("by", ["project_url", "path_url"])
def test_twine_publishes_wheel_and_sdist_and_pip_installs_from_the_project(world, tmp_path, by):
    name = unique_name()

    published = twine_upload(world[by], dists(tmp_path, name), "anything", world["pat"])
    installed = pip_install(
        with_credentials(f"{world[by]}/simple", "__token__", world["pat"]),
        tmp_path / "site", name,
    )

    assert published.returncode == 0, published.stdout + published.stderr
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert_installed(tmp_path / "site", name)
    downloads_fold()  # a download stamps last_downloaded_at through the counts' fold
    package = Package.objects.get(normalized_name=name)
    assert (package.version, package.requires_python, package.summary) == (
        "1.0.0", ">=3.8", "Widgets"
    )
    assert sorted(package.files.values_list("packagetype", flat=True)) == ["bdist_wheel", "sdist"]
    assert package.last_downloaded_at is not None


@pytest.mark.parametrize("scope", ["group_url", "path_url"])
def test_pip_and_uv_install_from_the_group_and_the_project_index(world, tmp_path, scope):
    name = unique_name()
    twine_upload(world["project_url"], dists(tmp_path, name), "x", world["pat"])
    index = with_credentials(f"{world[scope]}/simple", "dev", world["pat"])

    by_pip = pip_install(index, tmp_path / "pip", name)
    by_uv = uv_pip_install(index, tmp_path / "uv", name)

    assert by_pip.returncode == 0, by_pip.stdout + by_pip.stderr
    assert by_uv.returncode == 0, by_uv.stdout + by_uv.stderr
    assert_installed(tmp_path / "pip", name)
    assert_installed(tmp_path / "uv", name)


def test_pip_resolves_through_json_and_core_metadata(world, tmp_path):
    name = unique_name()
    twine_upload(world["project_url"], dists(tmp_path, name), "x", world["pat"])
    index = with_credentials(f"{world['project_url']}/simple", "x", world["pat"])

    dry_run = pip_install(index, tmp_path / "site", "--dry-run", "-v", name)

    assert dry_run.returncode == 0, dry_run.stdout + dry_run.stderr
    assert "as application/vnd.pypi.simple.v1+json" in dry_run.stdout
    assert "Obtaining dependency information" in dry_run.stdout
    assert ".whl.metadata" in dry_run.stdout
    # The wheel itself was never fetched: metadata came from the PEP 658 file.
    assert Package.objects.get(normalized_name=name).last_downloaded_at is None


def test_reupload_fails_plainly_and_is_skipped_with_skip_existing(world, tmp_path):
    name = unique_name()
    files = dists(tmp_path, name)
    twine_upload(world["project_url"], files, "x", world["pat"])

    again = twine_upload(world["project_url"], files, "x", world["pat"])
    skipped = twine_upload(world["project_url"], files, "x", world["pat"], "--skip-existing")
    # uv skips a file the index already has with the same hash (astral-sh/uv#8531).
    check_url = with_credentials(f"{world['project_url']}/simple", "x", world["pat"])
    uv_again = uv_publish(world["project_url"], files, "x", world["pat"], "--check-url", check_url)

    assert again.returncode != 0
    # twine wraps its output at the terminal width: compare with the line breaks undone.
    assert "File already exists" in " ".join((again.stdout + again.stderr).split())
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert "Skipping" in skipped.stdout + skipped.stderr
    assert uv_again.returncode == 0, uv_again.stdout + uv_again.stderr
    assert PackageFile.objects.filter(package__normalized_name=name).count() == 2


def test_uv_publish_then_pip_install(world, tmp_path):
    name = unique_name()

    published = uv_publish(world["project_url"], dists(tmp_path, name), "x", world["pat"])
    installed = pip_install(
        with_credentials(f"{world['project_url']}/simple", "x", world["pat"]),
        tmp_path / "site", name,
    )

    assert published.returncode == 0, published.stdout + published.stderr
    assert installed.returncode == 0, installed.stdout + installed.stderr


def test_deploy_tokens_publish_to_the_project_and_read_the_group(world, tmp_path):
    name = unique_name()
    writer, write_secret = deploy_token_issue(
        owner=world["project"], name="w", scopes=["write_package_registry"]
    )
    reader, read_secret = deploy_token_issue(
        owner=world["group"], name="r", scopes=["read_package_registry"]
    )

    published = twine_upload(world["project_url"], dists(tmp_path, name), writer.username,
                             write_secret)
    installed = pip_install(
        with_credentials(f"{world['group_url']}/simple", reader.username, read_secret),
        tmp_path / "site", name,
    )
    refused = twine_upload(world["project_url"], dists(tmp_path, unique_name()), "r", read_secret)

    assert published.returncode == 0, published.stdout + published.stderr
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert refused.returncode != 0 and "403" in refused.stdout + refused.stderr


def test_ci_job_token_publishes_and_installs_while_the_job_runs(world, tmp_path):
    name = unique_name()
    job, job_token = ci_job_start(project=world["project"], user=world["user"])

    published = twine_upload(world["project_url"], dists(tmp_path, name), "gitlab-ci-token",
                             job_token)
    installed = pip_install(
        with_credentials(f"{world['project_url']}/simple", "gitlab-ci-token", job_token),
        tmp_path / "site", name,
    )

    assert published.returncode == 0, published.stdout + published.stderr
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert PackageFile.objects.filter(ci_job=job).count() == 2


def test_pip_without_credentials_is_challenged_and_refused(world, tmp_path):
    name = unique_name()
    twine_upload(world["project_url"], dists(tmp_path, name), "x", world["pat"])

    anonymous = pip_install(f"{world['project_url']}/simple", tmp_path / "site", name)

    assert anonymous.returncode != 0
    assert "401" in anonymous.stdout + anonymous.stderr
