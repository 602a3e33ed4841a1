"""Several stateless app servers on one PostgreSQL database and one S3 bucket (issue 6 §3)."""

import re
import secrets
from urllib.parse import quote

import pytest
from django.db import connection

from auth_tokens.services import personal_access_token_issue
from packages_pypi.models import Package
from projects.models import ApplicationSettings
from projects.roles import AccessLevel, Visibility
from projects.services import user_create
from tests.acceptance.clients import pip_install, twine_upload, with_credentials
from tests.acceptance.servers import gunicorn_instances, instance_env
from tests.builders import build_sdist, build_wheel, write_distribution
from tests.factories import add_member, make_group, make_project, make_user

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ADMIN_PASSWORD = "a-long-admin-password"


@pytest.fixture
def two_servers(s3_endpoint, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("several servers share a PostgreSQL database; this run uses SQLite")
    # The instances use the database this test sees; transaction=True lets them see its rows.
    env = instance_env(
        _database_url(connection.settings_dict),
        s3_endpoint.env(s3_endpoint.create_bucket()),
        tmp_path,
    )
    with gunicorn_instances(2, env, tmp_path) as instances:
        yield instances


def test_every_instance_is_ready_on_the_shared_database_and_bucket(two_servers):
    for server in two_servers:
        response = server.get("/-/readiness")
        assert response.status_code == 200
        assert response.json()["checks"] == {"database": "ok", "storage": "ok"}


def test_a_session_and_a_setting_changed_on_one_instance_hold_on_the_other(two_servers):
    first, second = two_servers
    user_create(username="root", email="root@example.com", password=ADMIN_PASSWORD, is_admin=True)
    ApplicationSettings.load()
    change = "/admin/projects/applicationsettings/1/change/"

    first.sign_in("root", ADMIN_PASSWORD)
    # The same cookie works on the other instance: sessions live in the shared database.
    second.session.cookies = first.session.cookies
    # The checkbox left out: forwarding off (the proxy's two required fields as they were).
    saved = first.submit(change, {"_save": "Save", "pypi_package_requests_forwarding_mode": "proxy",
                                  "pypi_upstream_min_release_age_hours": "0"})

    assert saved.status_code == 200
    checkbox = re.search(r'<input[^>]*name="pypi_package_requests_forwarding"[^>]*>',
                         second.get(change).text).group(0)
    assert "checked" not in checkbox
    assert ApplicationSettings.load().pypi_package_requests_forwarding is False


def test_a_package_uploaded_through_one_instance_installs_through_the_other(two_servers, tmp_path):
    first, second = two_servers
    project = make_project(namespace=make_group(visibility=Visibility.PRIVATE),
                           visibility=Visibility.PRIVATE)
    developer = make_user()
    add_member(project, developer, AccessLevel.MAINTAINER)
    _, pat = personal_access_token_issue(user=developer, name="ci", scopes=["api"])
    name = f"fleet-widget-{secrets.token_hex(4)}"
    files = [write_distribution(tmp_path, *build(name, "1.0")) for build in (build_wheel,
                                                                           build_sdist)]
    path = f"/api/v4/projects/{project.pk}/packages/pypi"

    published = twine_upload(f"{first.url}{path}", files, "x", pat)
    installed = pip_install(with_credentials(f"{second.url}{path}/simple", "x", pat),
                            tmp_path / "site", name)

    assert published.returncode == 0, published.stdout + published.stderr
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (tmp_path / "site" / name.replace("-", "_") / "__init__.py").exists()

    # Both instances have rendered the page; a delete on one is gone on both at once.
    page = f"{path}/simple/{name}/"
    assert all(server.get(page, auth=("x", pat)).status_code == 200 for server in two_servers)
    package_id = Package.objects.get(normalized_name=name).pk
    deleted = second.session.delete(
        f"{second.url}/api/v4/projects/{project.pk}/packages/{package_id}",
        headers={"PRIVATE-TOKEN": pat}, timeout=30,
    )
    assert deleted.status_code == 204, deleted.text
    assert [server.get(page, auth=("x", pat)).status_code for server in two_servers] == [404, 404]


def test_a_user_blocked_through_one_instance_is_refused_by_the_other_at_once(two_servers):
    first, second = two_servers
    project = make_project(namespace=make_group(visibility=Visibility.PRIVATE),
                           visibility=Visibility.PRIVATE)
    admin, user = make_user(is_admin=True), make_user()
    add_member(project, user, AccessLevel.DEVELOPER)
    _, admin_pat = personal_access_token_issue(user=admin, name="root", scopes=["api"])
    _, pat = personal_access_token_issue(user=user, name="ci", scopes=["api"])
    index = f"/api/v4/projects/{project.pk}/packages/pypi/simple/"
    # The second instance has served the user (and rendered the index) before the block.
    assert second.get("/api/v4/user", headers={"PRIVATE-TOKEN": pat}).status_code == 200
    assert second.get(index, auth=("x", pat)).status_code == 200

    blocked = first.session.post(f"{first.url}/api/v4/users/{user.pk}/block",
                                 headers={"PRIVATE-TOKEN": admin_pat}, timeout=30)

    assert (blocked.status_code, blocked.text) == (201, "true")
    assert second.get("/api/v4/user", headers={"PRIVATE-TOKEN": pat}).status_code == 403
    assert second.get(index, auth=("x", pat)).status_code == 403


def _database_url(database: dict) -> str:
    password = f":{quote(database['PASSWORD'])}" if database["PASSWORD"] else ""
    return (
        f"postgres://{quote(database['USER'])}{password}@{database['HOST']}:{database['PORT']}"
        f"/{database['NAME']}"
    )
