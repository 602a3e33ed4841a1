"""Redirect mode (GitLab's): pip follows a forwarded miss to a stand-in upstream, and never
for a private name. Proxy mode has its own journeys (test_proxy_installs.py)."""

import secrets

import pytest

from auth_tokens.services import personal_access_token_issue
from projects.models import ApplicationSettings
from projects.roles import Visibility
from tests.acceptance.clients import pip_install, twine_upload, with_credentials
from tests.builders import build_wheel, write_distribution
from tests.factories import make_group, make_project, make_user
from tests.fakes.upstream import FakeUpstream

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def upstream(settings):
    with FakeUpstream() as fake:
        settings.REGISTRY_PYPI_UPSTREAM_URL = f"{fake.url}/simple"
        yield fake


@pytest.fixture(autouse=True)
def _redirect_mode(transactional_db):
    ApplicationSettings.objects.update_or_create(
        pk=1, defaults={"pypi_package_requests_forwarding_mode": "redirect"}
    )


@pytest.fixture
def project(live_server):
    group = make_group("acme", visibility=Visibility.PRIVATE)
    return make_project("tools", namespace=group, visibility=Visibility.PRIVATE)


@pytest.fixture
def credentials():
    _, secret = personal_access_token_issue(
        user=make_user("root", is_admin=True), name="t", scopes=["api"]
    )
    return ("root", secret)


def index_url(live_server, project, credentials):
    return with_credentials(
        f"{live_server.url}/api/v4/projects/{project.pk}/packages/pypi/simple", *credentials
    )


def test_pip_installs_a_public_package_through_forwarding(
    live_server, upstream, project, credentials, tmp_path
):
    name = f"upstream-only-{secrets.token_hex(4)}"
    upstream.add(*build_wheel(name, "3.1.0"))

    result = pip_install(index_url(live_server, project, credentials), tmp_path / "site", name)

    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / name.replace("-", "_")).is_dir()
    assert f"/simple/{name}/" in upstream.requests


def test_pip_finds_nothing_when_forwarding_is_off(
    live_server, upstream, project, credentials, tmp_path
):
    name = f"upstream-only-{secrets.token_hex(4)}"
    upstream.add(*build_wheel(name, "3.1.0"))
    ApplicationSettings.objects.update_or_create(
        pk=1, defaults={"pypi_package_requests_forwarding": False}
    )

    result = pip_install(index_url(live_server, project, credentials), tmp_path / "site", name)

    assert result.returncode != 0
    assert upstream.requests == []


def test_a_private_name_is_never_taken_from_upstream(
    live_server, upstream, project, credentials, tmp_path
):
    name = f"private-name-{secrets.token_hex(4)}"
    # Someone registered our private name upstream with a higher version.
    upstream.add(*build_wheel(name, "99.0"))
    sibling = make_project("other", namespace=project.namespace, visibility=Visibility.PRIVATE)
    wheel_path = write_distribution(tmp_path, *build_wheel(name, "1.0"))
    published = twine_upload(
        f"{live_server.url}/api/v4/projects/{sibling.pk}/packages/pypi", [wheel_path],
        *credentials,
    )

    result = pip_install(index_url(live_server, project, credentials), tmp_path / "site", name)

    assert published.returncode == 0, published.stdout + published.stderr
    assert result.returncode != 0
    assert upstream.requests == []


def test_an_invalid_name_never_reaches_the_upstream(live_server, upstream, project, credentials):
    import requests

    auth = requests.auth.HTTPBasicAuth(*credentials)
    base = f"{live_server.url}/api/v4/projects/{project.pk}/packages/pypi/simple"

    # The attacker's URL: `%3F` decodes to `?`, which used to be pasted into the upstream URL.
    refused = requests.get(f"{base}/a%3Fx=1/", auth=auth, timeout=30)
    control = requests.get(f"{base}/never-published-here/", auth=auth, timeout=30)

    assert refused.status_code == 404
    assert refused.json() == {"message": "404 Package Not Found"}
    assert refused.history == []
    # The stand-in was asked for the valid name only (the redirect was followed there).
    assert control.history[0].status_code == 302
    assert upstream.requests == ["/simple/never-published-here/"]
