"""Two app servers share one proxy cache (PostgreSQL rows, S3 blobs): 20 concurrent pip
installs of one uncached wheel, across both, cause one upstream download; then the other
server installs it with the upstream gone."""

import secrets
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from auth_tokens.services import personal_access_token_issue
from packages_pypi.models import UpstreamFile
from projects.roles import Visibility
from tests.acceptance.clients import pip_install, with_credentials
from tests.acceptance.servers import gunicorn_instances, instance_env
from tests.acceptance.test_several_servers import _database_url
from tests.builders import build_wheel
from tests.factories import make_group, make_project, make_user
from tests.fakes.upstream import FakeUpstream

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

INSTALLS = 20


@pytest.fixture
def upstream():
    with FakeUpstream() as fake:
        yield fake


@pytest.fixture
def two_servers(s3_endpoint, tmp_path, upstream):
    if connection.vendor != "postgresql":
        pytest.skip("several servers share a PostgreSQL database; this run uses SQLite")
    env = instance_env(
        _database_url(connection.settings_dict),
        s3_endpoint.env(s3_endpoint.create_bucket()),
        tmp_path,
    ) | {"REGISTRY_PYPI_UPSTREAM_URL": f"{upstream.url}/simple", "GUNICORN_THREADS": "8"}
    with gunicorn_instances(2, env, tmp_path) as instances:
        yield instances


def test_concurrent_first_requests_on_two_servers_fetch_once_and_share_the_cache(
    two_servers, upstream, tmp_path
):
    group = make_group("acme", visibility=Visibility.PRIVATE)
    project = make_project("tools", namespace=group, visibility=Visibility.PRIVATE)
    _, secret = personal_access_token_issue(
        user=make_user("root", is_admin=True), name="t", scopes=["api"]
    )
    indexes = [
        with_credentials(f"{server.url}/api/v4/projects/{project.pk}/packages/pypi/simple",
                         "root", secret)
        for server in two_servers
    ]
    name = f"shared-{secrets.token_hex(4)}"
    filename, data = build_wheel(name, "1.0", payload_size=2 * 1024 * 1024)
    upstream.add(filename, data)
    upstream.file_delay = 1.0  # the first fetch is still running when the others arrive

    with ThreadPoolExecutor(INSTALLS) as pool:
        results = list(pool.map(
            lambda i: pip_install(indexes[i % 2], tmp_path / f"site{i}", name), range(INSTALLS)
        ))

    for result in results:
        assert result.returncode == 0, result.stdout + result.stderr
    assert upstream.requests.count(f"/files/{filename}") == 1
    assert UpstreamFile.objects.get(file_name=filename).file.name.startswith("pypi/upstream/")

    upstream.stop()
    again = pip_install(indexes[1], tmp_path / "after", name)
    assert again.returncode == 0, again.stdout + again.stderr
