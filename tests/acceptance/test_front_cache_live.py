"""The front cache under gunicorn as `make run` starts it (two workers, SQLite, the generation
in the data folder): anonymous pages are answered from it, and an upload through one worker
is on every anonymous page of every worker the moment it returns."""

import os
import secrets
import subprocess
import sys

import pytest
import requests

from tests.acceptance.clients import pip_install, twine_upload
from tests.acceptance.servers import REPO, _stop
from tests.builders import build_wheel, write_distribution
from tests.live import free_port, wait_for

pytestmark = pytest.mark.slow

_SETUP = """
from auth_tokens.services import personal_access_token_issue
from projects.models import ApplicationSettings
from projects.roles import AccessLevel, Visibility
from tests.factories import add_member, make_group, make_project, make_user
settings = ApplicationSettings.load()
settings.pypi_package_requests_forwarding = False
settings.save()
project = make_project("tools", namespace=make_group("acme", visibility=Visibility.PUBLIC),
                       visibility=Visibility.PUBLIC)
user = make_user("dev")
add_member(project, user, AccessLevel.MAINTAINER)
print(project.pk, personal_access_token_issue(user=user, name="ci", scopes=["api"])[1])
"""


@pytest.fixture
def embedded(tmp_path):
    """gunicorn with gunicorn.conf.py's defaults on a data folder of its own."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DATABASE_", "REGISTRY_", "DJANGO_", "GUNICORN_"))}
    port = free_port()
    env |= {"REGISTRY_DATA_DIR": str(tmp_path / "data"), "PORT": str(port),
            "GUNICORN_WORKERS": "2", "GUNICORN_THREADS": "2"}
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, cwd=REPO, check=True)
    created = subprocess.run([*manage, "shell", "-c", _SETUP], env=env, cwd=REPO, check=True,
                             capture_output=True, text=True).stdout.split()
    project_id, token = created[-2:]
    with (tmp_path / "gunicorn.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "registry.wsgi", "-c", "gunicorn.conf.py"],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for(f"{base}/-/health", process, timeout=60)
            yield f"{base}/api/v4/projects/{project_id}/packages/pypi", token
        finally:
            _stop(process)


def _pages(url: str, count: int) -> list[requests.Response]:
    # A new connection each time: gunicorn hands them to both workers.
    return [requests.get(url, timeout=30, headers={"Connection": "close"})
            for _ in range(count)]


def test_every_worker_answers_anonymous_pages_fresh_after_an_upload(embedded, tmp_path):
    api, token = embedded
    name = f"front-{secrets.token_hex(4)}"
    page = f"{api}/simple/{name}/"
    first = write_distribution(tmp_path, *build_wheel(name, "1.0"))
    assert twine_upload(api, [first], "x", token).returncode == 0
    before = _pages(page, 12)

    second = write_distribution(tmp_path, *build_wheel(name, "2.0"))
    published = twine_upload(api, [second], "x", token)
    after = _pages(page, 12)
    installed = pip_install(f"{api}/simple", tmp_path / "site", name)

    assert published.returncode == 0, published.stdout + published.stderr
    assert all(r.status_code == 200 and "-1.0-" in r.text and "-2.0-" not in r.text
               for r in before)
    assert all(r.status_code == 200 and "-2.0-" in r.text for r in after)
    assert len({r.headers["ETag"] for r in before}) == 1
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "-2.0-" in installed.stdout


def test_an_anonymous_miss_ends_when_the_name_is_uploaded(embedded, tmp_path):
    api, token = embedded
    name = f"front-{secrets.token_hex(4)}"
    misses = _pages(f"{api}/simple/{name}/", 6)

    dist = write_distribution(tmp_path, *build_wheel(name, "1.0"))
    assert twine_upload(api, [dist], "x", token).returncode == 0

    assert [r.status_code for r in misses] == [404] * 6
    assert [r.status_code for r in _pages(f"{api}/simple/{name}/", 6)] == [200] * 6
