"""Yank and unyank (PEP 592): who may, what the API answers, what the index shows at once."""

import pytest
from rest_framework.test import APIClient

from packages_pypi.models import Package
from projects.roles import AccessLevel, Visibility
from tests.factories import (
    add_member,
    make_deploy_token,
    make_group,
    make_pat,
    make_project,
    make_user,
)
from tests.pypi_driver import PIP_ACCEPT, Registry, project_scope, wheel

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    project = make_project("tools", namespace=make_group("acme", visibility=Visibility.PRIVATE),
                           visibility=Visibility.PRIVATE)
    users = {}
    for role, level in (("developer", AccessLevel.DEVELOPER),
                        ("maintainer", AccessLevel.MAINTAINER)):
        users[role] = make_user(role)
        add_member(project, users[role], level)
    auth = ("maintainer", make_pat(users["maintainer"]))
    for version in ("1.0", "2.0"):
        response = Registry().upload(project.pk, wheel("zqx-yank", version), auth)
        assert response.status_code == 201
    return {"project": project, "users": users, "auth": auth,
            "old": Package.objects.get(version="1.0")}


def api(token: str | None = None, **headers: str) -> APIClient:
    client = APIClient()
    if token:
        client.credentials(HTTP_PRIVATE_TOKEN=token)
    if headers:
        client.credentials(**headers)
    return client


def yank_url(world) -> str:
    return f"/api/v4/projects/{world['project'].pk}/packages/{world['old'].pk}/yank"


def index(world, accept: str = "text/html"):
    return Registry().simple(project_scope(world["project"]), "zqx-yank", world["auth"],
                             accept=accept)


def test_a_maintainer_yanks_with_a_reason_and_the_index_says_so_at_once(world):
    before = index(world).content.decode()  # cached now
    response = api(world["auth"][1]).post(yank_url(world), {"reason": "broken <build>"},
                                          format="json")

    assert response.status_code == 200
    assert response.json()["yanked"] is True
    assert response.json()["yanked_reason"] == "broken <build>"
    assert "data-yanked" not in before
    html = index(world).content.decode()
    assert html.count("data-yanked") == 1
    assert 'data-yanked="broken &lt;build&gt;"' in html
    files = index(world, PIP_ACCEPT).json()["files"]
    assert [f["yanked"] for f in files] == ["broken <build>", False]


def test_a_yank_without_a_reason_is_true_in_json_and_unyank_clears_it(world):
    client = api(world["auth"][1])
    client.post(yank_url(world), format="json")
    assert index(world, PIP_ACCEPT).json()["files"][0]["yanked"] is True

    response = client.delete(yank_url(world))

    assert response.status_code == 200
    assert (response.json()["yanked"], response.json()["yanked_reason"]) == (False, None)
    assert [f["yanked"] for f in index(world, PIP_ACCEPT).json()["files"]] == [False, False]


def test_a_yanked_file_still_downloads_for_a_pinned_install(world):
    api(world["auth"][1]).post(yank_url(world), {"reason": "x"}, format="json")
    package_file = world["old"].files.get()

    response = Registry().download(project_scope(world["project"]), package_file.sha256,
                                   package_file.file_name, world["auth"])

    assert response.status_code == 200


def test_the_package_json_carries_the_yank(world):
    api(world["auth"][1]).post(yank_url(world), {"reason": "use 2.0"}, format="json")
    listed = api(world["auth"][1]).get(
        f"/api/v4/projects/{world['project'].pk}/packages").json()

    assert [(p["version"], p["yanked"], p["yanked_reason"]) for p in listed] == [
        ("1.0", True, "use 2.0"), ("2.0", False, None),
    ]


@pytest.mark.parametrize(("who", "status"), [
    ("developer", 403), ("write deploy token", 200), ("read deploy token", 403),
    ("anonymous", 401), ("stranger", 404),
])
def test_who_may_yank(world, who, status):
    project = world["project"]
    if who == "developer":
        client = api(make_pat(world["users"]["developer"]))
    elif who == "write deploy token":
        client = api(HTTP_DEPLOY_TOKEN=make_deploy_token(
            project, scopes=("read_package_registry", "write_package_registry")))
    elif who == "read deploy token":
        client = api(HTTP_DEPLOY_TOKEN=make_deploy_token(project))
    elif who == "stranger":
        client = api(make_pat(make_user("stranger")))
    else:
        client = api()

    response = client.post(yank_url(world), {"reason": "x"}, format="json")

    assert response.status_code == status
    world["old"].refresh_from_db()
    assert world["old"].yanked is (status == 200)


def test_a_reason_longer_than_255_characters_is_400(world):
    response = api(world["auth"][1]).post(yank_url(world), {"reason": "x" * 256}, format="json")
    assert response.status_code == 400


def test_a_page_costs_the_same_queries_however_many_versions_are_yanked(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from packages_pypi.lifecycle import package_name_status_set, package_yank

    def render_queries() -> int:
        Registry().simple(project_scope(world["project"]), "zqx-yank", world["auth"])  # warm
        package_name_status_set(project=world["project"], normalized_name="zqx-yank",
                                status="deprecated", reason="", user=None)  # a new serial
        with CaptureQueriesContext(connection) as captured:
            response = index(world, PIP_ACCEPT)
        assert response.status_code == 200
        return len(captured)

    few = render_queries()
    for number in range(3, 23):
        Registry().upload(world["project"].pk, wheel("zqx-yank", f"{number}.0"), world["auth"])
    for package in Package.objects.all()[:10]:
        package_yank(package=package, reason="old")
    assert render_queries() == few
    assert len(index(world, PIP_ACCEPT).json()["files"]) == 22
