"""Several stateless app servers on one PostgreSQL database and one S3 bucket (issue 6 §3)."""

import re
from urllib.parse import quote

import pytest
from django.db import connection

from projects.models import ApplicationSettings
from projects.services import user_create
from tests.acceptance.servers import gunicorn_instances, instance_env

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
    saved = first.submit(change, {"_save": "Save"})  # the checkbox left out: forwarding off

    assert saved.status_code == 200
    checkbox = re.search(r'<input[^>]*name="pypi_package_requests_forwarding"[^>]*>',
                         second.get(change).text).group(0)
    assert "checked" not in checkbox
    assert ApplicationSettings.load().pypi_package_requests_forwarding is False


def _database_url(database: dict) -> str:
    password = f":{quote(database['PASSWORD'])}" if database["PASSWORD"] else ""
    return (
        f"postgres://{quote(database['USER'])}{password}@{database['HOST']}:{database['PORT']}"
        f"/{database['NAME']}"
    )
