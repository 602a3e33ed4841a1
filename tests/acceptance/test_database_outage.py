"""A database that drops its connections or cannot be reached: at most a 503, never a 500."""

import secrets
import subprocess

import pytest
import requests
from django.db import connection

from tests.acceptance.servers import gunicorn_instances, instance_env
from tests.conftest import basic_auth
from tests.live import free_port

pytestmark = pytest.mark.slow

# One request per surface that needs the database: the REST API, the PyPI protocol (read and
# upload), the web pages (a session cookie makes even the sign-in page read the session) and
# the admin.
SESSION = "sessionid=" + "a" * 32  # a well-formed key, so Django looks it up
SURFACES = [
    ("GET", "/api/v4/projects", {}),
    ("GET", "/api/v4/projects/1/packages/pypi/simple", {"Authorization": basic_auth("x", "y")}),
    ("GET", "/api/v4/groups/tools/-/packages/pypi/simple/some-name", {}),
    ("POST", "/api/v4/projects/1/packages/pypi", {"Authorization": basic_auth("x", "y")}),
    ("GET", "/", {"Cookie": SESSION}),
    ("GET", "/tools/widgets", {}),
    ("GET", "/admin/", {"Cookie": SESSION}),
]


def _call(server, method: str, path: str, headers: dict[str, str]) -> requests.Response:
    data = {"name": "x", "version": "1"} if method == "POST" else None
    return server.session.request(method, f"{server.url}{path}", headers=headers, data=data,
                                  allow_redirects=False, timeout=30)


@pytest.mark.parametrize("database", ["postgresql", "sqlite"])
def test_an_unreachable_database_answers_503_with_retry_after_on_every_surface(
    database, tmp_path
):
    url = {
        # Nothing listens on a port just found free.
        "postgresql": f"postgres://postgres@127.0.0.1:{free_port()}/registry",
        "sqlite": f"sqlite:///{tmp_path}/no/such/folder/registry.sqlite3",
    }[database]
    with gunicorn_instances(1, instance_env(url, {}, tmp_path), tmp_path) as (server,):
        answers = {path: _call(server, method, path, headers)
                   for method, path, headers in SURFACES}
        api = answers["/api/v4/projects"]

        assert {path: r.status_code for path, r in answers.items()} == dict.fromkeys(answers, 503)
        assert all(r.headers["Retry-After"] == "10" for r in answers.values())
        assert api.json() == {"message": "503 Service Unavailable"}
        assert "cannot reach its database" in answers["/"].text
        assert server.get("/-/health").status_code == 200


@pytest.fixture
def postgres_url():
    if connection.vendor != "postgresql":
        pytest.skip("pg_terminate_backend needs PostgreSQL; this run uses SQLite")
    settings = connection.settings_dict
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    return f"postgres://{settings['USER']}{password}@{settings['HOST']}:{settings['PORT']}"


def _psql(postgres_url: str, sql: str) -> None:
    subprocess.run(["psql", f"{postgres_url}/postgres", "-qAtc", sql], check=True,
                   capture_output=True, timeout=30)


@pytest.mark.django_db(transaction=True)
def test_connections_the_database_dropped_are_replaced_without_an_error(postgres_url, tmp_path):
    database = connection.settings_dict["NAME"]
    # One thread: the request after the drop is on the connection that was dropped.
    url = f"{postgres_url}/{database}?application_name=outage-test"
    env = instance_env(url, {}, tmp_path) | {"GUNICORN_THREADS": "1"}
    with gunicorn_instances(1, env, tmp_path) as (server,):
        before = [server.get("/api/v4/projects").status_code for _ in range(3)]
        _psql(postgres_url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE application_name = 'outage-test'")
        after = [server.get("/api/v4/projects").status_code for _ in range(3)]

    assert before == [200, 200, 200]
    assert after == [200, 200, 200]


def test_a_database_dropped_under_a_running_server_answers_503(postgres_url, tmp_path):
    database = f"outage_{secrets.token_hex(4)}"
    _psql(postgres_url, f"CREATE DATABASE {database}")
    try:
        env = instance_env(f"{postgres_url}/{database}", {}, tmp_path)
        with gunicorn_instances(1, env, tmp_path) as (server,):
            ready = server.get("/-/readiness")  # opens and keeps a connection
            _psql(postgres_url, f"DROP DATABASE {database} WITH (FORCE)")
            answers = [_call(server, method, path, headers)
                       for method, path, headers in SURFACES]
    finally:
        _psql(postgres_url, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")

    assert ready.status_code == 200
    assert [r.status_code for r in answers] == [503] * len(SURFACES)
