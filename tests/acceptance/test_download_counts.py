"""Download counts add up across two app servers sharing Redis, and survive their restart;
with the local-memory cache a worker folds its counts as it stops (issue 12, item 7)."""

import os
import secrets
import signal
import subprocess
import sys

import pytest
import redis
from django.db import connection

from auth_tokens.services import personal_access_token_issue
from packages_pypi.models import Package, PackageFile
from projects.roles import AccessLevel, Visibility
from tests.acceptance.clients import pip_install, twine_upload
from tests.acceptance.servers import REPO, gunicorn_instances, instance_env
from tests.acceptance.test_several_servers import _database_url
from tests.builders import build_wheel, write_distribution
from tests.factories import add_member, make_group, make_project, make_user

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
REDIS_URL = "redis://127.0.0.1:6379/12"


@pytest.fixture
def env(s3_endpoint, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("several servers share a PostgreSQL database; this run uses SQLite")
    environment = instance_env(
        _database_url(connection.settings_dict),
        s3_endpoint.env(s3_endpoint.create_bucket()),
        tmp_path,
    )
    # No fold from the request path within the test: what is counted stays in the cache
    # until the restart or the command, which is what the test is about.
    return environment | {"REGISTRY_DOWNLOAD_FOLD_INTERVAL_SECONDS": "3600"}


@pytest.fixture
def published(env, tmp_path):
    """A public project with one wheel, published with twine through a throwaway server."""
    project = make_project(namespace=make_group(visibility=Visibility.PUBLIC),
                           visibility=Visibility.PUBLIC)
    user = make_user()
    add_member(project, user, AccessLevel.MAINTAINER)
    _, pat = personal_access_token_issue(user=user, name="ci", scopes=["api"])
    name = f"counted-widget-{secrets.token_hex(4)}"
    wheel = write_distribution(tmp_path, *build_wheel(name, "1.0"))
    path = f"/api/v4/projects/{project.pk}/packages/pypi"
    with gunicorn_instances(1, env, tmp_path / "publish") as (server,):
        uploaded = twine_upload(f"{server.url}{path}", [wheel], "x", pat)
    assert uploaded.returncode == 0, uploaded.stdout + uploaded.stderr
    package_file = PackageFile.objects.get(package__normalized_name=name)
    return {"name": name, "path": path, "file": package_file,
            "url": f"{path}/files/{package_file.sha256}/{package_file.file_name}"}


def _download(server, url: str, times: int) -> None:
    for _ in range(times):
        response = server.get(url)
        assert response.status_code == 200, response.text[:300]


def _counts(package_file: PackageFile) -> tuple[int, int]:
    package_file.refresh_from_db()
    return package_file.downloads, Package.objects.get(pk=package_file.package_id).downloads


def test_counts_add_up_across_two_servers_sharing_redis_and_a_restart(env, published, tmp_path):
    try:
        redis.Redis.from_url(REDIS_URL).flushdb()
    except redis.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    shared = env | {"REGISTRY_CACHE_URL": REDIS_URL}
    with gunicorn_instances(2, shared, tmp_path / "before") as (first, second):
        installed = pip_install(f"{second.url}{published['path']}/simple", tmp_path / "site",
                                published["name"])
        assert installed.returncode == 0, installed.stdout + installed.stderr
        _download(first, published["url"], 5)
        _download(second, published["url"], 4)
    # Both servers restarted: what they counted waits in Redis, and more is counted after.
    with gunicorn_instances(2, shared, tmp_path / "after") as (first, second):
        _download(first, published["url"], 2)
        _download(second, published["url"], 1)
        folded = subprocess.run(
            [sys.executable, "manage.py", "downloads_fold"], cwd=REPO, env=shared,
            capture_output=True, text=True, check=False, timeout=120,
        )
    assert folded.returncode == 0, folded.stderr
    # pip's one download of the wheel, 9 before the restart and 3 after.
    assert _counts(published["file"]) == (13, 13)


def test_with_the_local_cache_a_stopping_worker_folds_its_counts(env, published, tmp_path):
    with gunicorn_instances(1, env, tmp_path / "local") as (server,):
        _download(server, published["url"], 4)
        assert _counts(published["file"]) == (0, 0)  # counted in the worker's memory only
        # A restart as docker and systemd do it: SIGTERM, then gunicorn's graceful stop.
        server.session.close()
        os.killpg(server.process.pid, signal.SIGTERM)
        server.process.wait(timeout=60)
    assert _counts(published["file"]) == (4, 4)
