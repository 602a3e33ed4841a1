"""Package lifecycle with the real clients against a live server: pip and uv skip a yanked
version unless pinned, twine meets protection rules and archived names, python-gitlab manages
the rules, and a deleted private name is never fetched from the stand-in upstream."""

import secrets

import gitlab
import pytest
import requests

from packages_pypi.models import Package
from projects.roles import AccessLevel, Visibility
from tests.acceptance.clients import pip_install, twine_upload, uv_pip_install, with_credentials
from tests.builders import build_wheel, write_distribution
from tests.factories import add_member, make_group, make_pat, make_project, make_user
from tests.fakes.upstream import FakeUpstream

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(live_server):
    group = make_group("acme", visibility=Visibility.PRIVATE)
    project = make_project("tools", namespace=group, visibility=Visibility.PRIVATE)
    users = {}
    for role, level in (("developer", AccessLevel.DEVELOPER),
                        ("maintainer", AccessLevel.MAINTAINER)):
        users[role] = make_user(role)
        add_member(project, users[role], level)
    tokens = {role: make_pat(user) for role, user in users.items()}
    base = f"{live_server.url}/api/v4/projects/{project.pk}"
    return {"group": group, "project": project, "tokens": tokens, "api": base,
            "upload": f"{base}/packages/pypi", "simple": f"{base}/packages/pypi/simple"}


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def publish(world, tmp_path, name: str, *versions: str, who: str = "maintainer"):
    tmp_path.mkdir(parents=True, exist_ok=True)
    files = [write_distribution(tmp_path, *build_wheel(name, version)) for version in versions]
    return twine_upload(world["upload"], files, "__token__", world["tokens"][who])


def installed_version(target, name: str) -> str:
    (dist_info,) = target.glob(f"{name.replace('-', '_')}-*.dist-info")
    return dist_info.name.removesuffix(".dist-info").rsplit("-", 1)[1]


def yank(world, version: str, reason: str) -> None:
    package = Package.objects.get(version=version)
    response = requests.post(f"{world['api']}/packages/{package.pk}/yank", json={"reason": reason},
                             headers={"PRIVATE-TOKEN": world["tokens"]["maintainer"]}, timeout=30)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("installer", [pip_install, uv_pip_install], ids=["pip", "uv"])
def test_a_yanked_version_is_skipped_unless_pinned(world, tmp_path, installer):
    name = unique("zqx-yanked")
    published = publish(world, tmp_path, name, "1.0", "2.0")
    assert published.returncode == 0, published.stdout + published.stderr
    yank(world, "2.0", "broken build")
    index = with_credentials(world["simple"], "__token__", world["tokens"]["developer"])

    unpinned = installer(index, tmp_path / "latest", name)
    pinned = installer(index, tmp_path / "pinned", f"{name}==2.0")

    assert unpinned.returncode == 0, unpinned.stdout + unpinned.stderr
    assert installed_version(tmp_path / "latest", name) == "1.0"
    assert pinned.returncode == 0, pinned.stdout + pinned.stderr
    assert installed_version(tmp_path / "pinned", name) == "2.0"
    # Both warn about the yanked pin, with the reason.
    assert "broken build" in pinned.stdout + pinned.stderr


def test_twine_gets_403_on_a_protected_name_and_400_on_an_archived_one(world, tmp_path):
    protected, archived = unique("zqx-core"), unique("zqx-old")
    headers = {"PRIVATE-TOKEN": world["tokens"]["maintainer"]}
    rule = requests.post(f"{world['api']}/packages/protection/rules", headers=headers, json={
        "package_name_pattern": "zqx-core-*", "package_type": "pypi",
        "minimum_access_level_for_push": "maintainer"}, timeout=30)
    assert rule.status_code == 201, rule.text
    assert publish(world, tmp_path, archived, "1.0").returncode == 0
    status = requests.put(f"{world['api']}/packages/pypi/status/{archived}", headers=headers,
                          json={"status": "archived", "reason": "moved"}, timeout=30)
    assert status.status_code == 200, status.text

    refused = publish(world, tmp_path, protected, "1.0", who="developer")
    closed = publish(world, tmp_path / "more", archived, "2.0")
    allowed = publish(world, tmp_path / "third", protected, "1.0", who="maintainer")

    assert refused.returncode != 0
    assert "403 Forbidden" in refused.stdout + refused.stderr
    assert "Package protected" in refused.stdout + refused.stderr
    assert closed.returncode != 0
    assert "400 Bad Request" in closed.stdout + closed.stderr
    assert "archived" in closed.stdout + closed.stderr
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert sorted(Package.objects.values_list("normalized_name", "version")) == sorted(
        [(archived, "1.0"), (protected, "1.0")])


def test_python_gitlab_manages_protection_rules(world, connect):
    gl = connect(private_token=world["tokens"]["maintainer"])
    project = gl.projects.get(world["project"].pk, lazy=True)

    rule = project.package_protection_rules.create({
        "package_name_pattern": "zqx-*", "package_type": "pypi",
        "minimum_access_level_for_push": "maintainer",
        "minimum_access_level_for_delete": "owner",
    })
    assert (rule.package_name_pattern, rule.minimum_access_level_for_delete) == ("zqx-*", "owner")
    rule.minimum_access_level_for_push = "admin"
    rule.save()
    listed = project.package_protection_rules.list(get_all=True)
    assert [(r.id, r.minimum_access_level_for_push) for r in listed] == [(rule.id, "admin")]
    with pytest.raises(gitlab.GitlabCreateError) as duplicate:
        project.package_protection_rules.create({
            "package_name_pattern": "zqx-*", "package_type": "pypi",
            "minimum_access_level_for_push": "owner"})
    assert duplicate.value.response_code == 422
    developer = connect(private_token=world["tokens"]["developer"])
    with pytest.raises(gitlab.GitlabListError) as refused:
        developer.projects.get(world["project"].pk, lazy=True).package_protection_rules.list()
    assert refused.value.response_code == 403

    rule.delete()
    assert project.package_protection_rules.list(get_all=True) == []


def test_a_deleted_private_name_is_never_fetched_from_upstream(world, tmp_path, settings,
                                                               connect):
    name = unique("zqx-private")
    with FakeUpstream() as upstream:
        settings.REGISTRY_PYPI_UPSTREAM_URL = f"{upstream.url}/simple"
        # Someone registered our private name upstream, with a higher version.
        upstream.add(*build_wheel(name, "99.0"))
        assert publish(world, tmp_path, name, "1.0").returncode == 0
        gl = connect(private_token=world["tokens"]["maintainer"])
        project = gl.projects.get(world["project"].pk, lazy=True)
        for package in project.packages.list(get_all=True):
            package.delete()
        assert not Package.objects.exists()
        index = with_credentials(world["simple"], "__token__", world["tokens"]["maintainer"])

        result = pip_install(index, tmp_path / "site", name)
        control = pip_install(index, tmp_path / "control", unique("zqx-unknown"))

        assert result.returncode != 0
        assert not (tmp_path / "site").exists() or not list((tmp_path / "site").iterdir())
        # Only the control name, unknown here, was asked of the upstream.
        assert all(name not in request for request in upstream.requests), upstream.requests
        assert len(upstream.requests) == 1
        assert control.returncode != 0  # the stand-in has no such name either
