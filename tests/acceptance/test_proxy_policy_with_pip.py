"""What pip makes of the proxy's policy and of the upstream's yanks and lies."""

import datetime
import secrets

import pytest
from django.utils import timezone

from auth_tokens.services import personal_access_token_issue
from packages_pypi.models import UpstreamFile
from projects.models import ApplicationSettings
from projects.roles import Visibility
from tests.acceptance.clients import pip_install, uv_pip_install, with_credentials
from tests.builders import build_wheel
from tests.factories import make_group, make_project, make_user
from tests.fakes.upstream import FakeUpstream

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

NOW = timezone.now()


@pytest.fixture
def upstream(settings):
    with FakeUpstream() as fake:
        settings.REGISTRY_PYPI_UPSTREAM_URL = f"{fake.url}/simple"
        yield fake


@pytest.fixture
def index(live_server):
    group = make_group("acme", visibility=Visibility.PRIVATE)
    project = make_project("tools", namespace=group, visibility=Visibility.PRIVATE)
    _, secret = personal_access_token_issue(
        user=make_user("root", is_admin=True), name="t", scopes=["api"]
    )
    return with_credentials(
        f"{live_server.url}/api/v4/projects/{project.pk}/packages/pypi/simple", "root", secret
    )


def instance_set(**fields: object) -> None:
    ApplicationSettings.load()
    ApplicationSettings.objects.filter(pk=1).update(**fields)


def release(upstream, name, version, *, days_old=30, **fields):
    return upstream.add(*build_wheel(name, version),
                        upload_time=NOW - datetime.timedelta(days=days_old), **fields)


def installed_version(site, name) -> str | None:
    found = list(site.glob(f"{name.replace('-', '_')}-*.dist-info"))
    return found[0].name.removesuffix(".dist-info").split("-")[1] if found else None


def test_the_minimum_release_age_makes_pip_pick_the_previous_release(upstream, index, tmp_path):
    name = f"aged-{secrets.token_hex(4)}"
    release(upstream, name, "1.0")
    release(upstream, name, "1.1", days_old=1)
    instance_set(pypi_upstream_min_release_age_hours=48)

    result = pip_install(index, tmp_path / "site", name)

    assert result.returncode == 0, result.stdout + result.stderr
    assert installed_version(tmp_path / "site", name) == "1.0"


def test_pip_skips_an_upstream_yank_unless_pinned(upstream, index, tmp_path):
    name = f"yanked-{secrets.token_hex(4)}"
    release(upstream, name, "1.0")
    release(upstream, name, "1.1", yanked="broken")

    unpinned = pip_install(index, tmp_path / "a", name)
    pinned = pip_install(index, tmp_path / "b", f"{name}==1.1")

    assert unpinned.returncode == pinned.returncode == 0, unpinned.stderr + pinned.stderr
    assert installed_version(tmp_path / "a", name) == "1.0"
    assert installed_version(tmp_path / "b", name) == "1.1"
    assert "broken" in pinned.stdout + pinned.stderr  # pip's yank warning carries the reason


def test_a_blocklisted_release_is_never_installed(upstream, index, tmp_path):
    name = f"hijacked-{secrets.token_hex(4)}"
    release(upstream, name, "1.0")
    release(upstream, name, "1.1")
    instance_set(pypi_upstream_blocklist=f"{name}==1.1")

    result = uv_pip_install(index, tmp_path / "site", name)

    assert result.returncode == 0, result.stdout + result.stderr
    assert installed_version(tmp_path / "site", name) == "1.0"


def test_a_tampered_upstream_file_fails_the_install_and_nothing_is_cached(
    upstream, index, tmp_path
):
    name = f"tampered-{secrets.token_hex(4)}"
    entry = release(upstream, name, "1.0")
    entry.served_bytes = entry.data[:-1] + bytes([entry.data[-1] ^ 1])

    result = pip_install(index, tmp_path / "site", name)

    assert result.returncode != 0
    assert installed_version(tmp_path / "site", name) is None
    assert not UpstreamFile.objects.exclude(file="").exists()
