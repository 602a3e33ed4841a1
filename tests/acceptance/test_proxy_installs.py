"""Proxy mode with the real pip and uv: public dependencies through our one index URL, from
the stand-in upstream and then, with the upstream gone, from our cache alone."""

import secrets

import pytest
import requests

from auth_tokens.services import personal_access_token_issue
from projects.roles import Visibility
from tests.acceptance.clients import pip_install, twine_upload, uv_pip_install, with_credentials
from tests.builders import build_wheel, write_distribution
from tests.factories import make_group, make_project, make_user
from tests.fakes.upstream import FakeUpstream

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def upstream(settings):
    with FakeUpstream() as fake:
        settings.REGISTRY_PYPI_UPSTREAM_URL = f"{fake.url}/simple"
        yield fake


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


def indexes(live_server, project, credentials) -> dict[str, str]:
    base = f"{live_server.url}/api/v4"
    return {
        "project": with_credentials(
            f"{base}/projects/{project.pk}/packages/pypi/simple", *credentials),
        "group": with_credentials(
            f"{base}/groups/{project.namespace.pk}/-/packages/pypi/simple", *credentials),
    }


def installed(result, site, name) -> bool:
    assert result.returncode == 0, result.stdout + result.stderr
    return (site / name.replace("-", "_")).is_dir()


def test_pip_and_uv_install_through_the_proxy_then_from_the_cache_alone(
    live_server, upstream, project, credentials, tmp_path, settings
):
    name = f"public-dep-{secrets.token_hex(4)}"
    upstream.add(*build_wheel(name, "1.0"))
    upstream.add(*build_wheel(name, "1.1"))
    index = indexes(live_server, project, credentials)

    assert installed(pip_install(index["project"], tmp_path / "a", name), tmp_path / "a", name)
    assert installed(uv_pip_install(index["group"], tmp_path / "b", name), tmp_path / "b", name)
    assert (tmp_path / "a" / f"{name.replace('-', '_')}-1.1.dist-info").is_dir()
    wheel_requests = upstream.asked_for(f"{name.replace('-', '_')}-1.1-py3-none-any.whl")
    assert wheel_requests.count(f"/files/{name.replace('-', '_')}-1.1-py3-none-any.whl") == 1

    upstream.stop()
    settings.REGISTRY_PYPI_UPSTREAM_TTL = 0  # every page is stale now, and cannot revalidate
    again_pip = pip_install(index["group"], tmp_path / "c", name)
    again_uv = uv_pip_install(index["project"], tmp_path / "d", f"{name}==1.1")
    never = requests.get(
        index["group"].replace(f"root:{credentials[1]}@", "") + "/never-fetched-anywhere/",
        auth=credentials, timeout=30,
    )

    assert installed(again_pip, tmp_path / "c", name)
    assert installed(again_uv, tmp_path / "d", name)
    assert never.status_code == 502
    assert "upstream index" in never.json()["message"]


@pytest.mark.parametrize("mode", ["proxy", "redirect"])
def test_a_private_name_is_never_fetched_from_the_upstream(
    live_server, upstream, project, credentials, tmp_path, mode
):
    project.namespace.pypi_package_requests_forwarding_mode = mode
    project.namespace.save()
    name = f"private-name-{secrets.token_hex(4)}"
    upstream.add(*build_wheel(name, "99.0"))  # someone registered our name upstream
    sibling = make_project("other", namespace=project.namespace, visibility=Visibility.PRIVATE)
    published = twine_upload(
        f"{live_server.url}/api/v4/projects/{sibling.pk}/packages/pypi",
        [write_distribution(tmp_path, *build_wheel(name, "1.0"))], *credentials,
    )
    index = indexes(live_server, project, credentials)

    from_project = pip_install(index["project"], tmp_path / "a", name)
    from_group = uv_pip_install(index["group"], tmp_path / "b", name)

    assert published.returncode == 0, published.stdout + published.stderr
    assert from_project.returncode != 0
    assert installed(from_group, tmp_path / "b", name)  # the group sees the private 1.0
    assert not (tmp_path / "b" / f"{name.replace('-', '_')}-99.0.dist-info").exists()
    assert upstream.asked_for(name) == []
