"""GitLab's package protection rules: the API python-gitlab speaks, and what they refuse."""

import pytest
from rest_framework.test import APIClient

from packages_pypi.models import Package
from packages_pypi.protection import pattern_matches
from projects.roles import AccessLevel, Visibility
from tests.factories import (
    add_member,
    make_deploy_token,
    make_group,
    make_job_token,
    make_pat,
    make_project,
    make_user,
)
from tests.pypi_driver import Registry, wheel

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    project = make_project("tools", namespace=make_group("acme", visibility=Visibility.PRIVATE),
                           visibility=Visibility.PRIVATE)
    users, tokens = {}, {}
    for role, level in (("developer", AccessLevel.DEVELOPER),
                        ("maintainer", AccessLevel.MAINTAINER), ("owner", AccessLevel.OWNER)):
        users[role] = make_user(role)
        add_member(project, users[role], level)
        tokens[role] = make_pat(users[role])
    users["admin"] = make_user("root", is_admin=True)
    tokens["admin"] = make_pat(users["admin"])
    return {"project": project, "users": users, "tokens": tokens}


def api(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_PRIVATE_TOKEN=token)
    return client


def rules_url(world) -> str:
    return f"/api/v4/projects/{world['project'].pk}/packages/protection/rules"


def add_rule(world, pattern="zqx-*", push="maintainer", delete=None, who="maintainer"):
    body = {"package_name_pattern": pattern, "package_type": "pypi",
            "minimum_access_level_for_push": push}
    if delete:
        body["minimum_access_level_for_delete"] = delete
    return api(world["tokens"][who]).post(rules_url(world), body, format="json")


def test_create_list_update_delete_in_gitlabs_shape(world):
    created = add_rule(world, delete="owner")
    assert created.status_code == 201
    rule = created.json()
    assert list(rule) == ["id", "project_id", "package_name_pattern", "package_type",
                          "minimum_access_level_for_delete", "minimum_access_level_for_push"]
    assert rule | {"id": 0} == {
        "id": 0, "project_id": world["project"].pk, "package_name_pattern": "zqx-*",
        "package_type": "pypi", "minimum_access_level_for_delete": "owner",
        "minimum_access_level_for_push": "maintainer"}
    client = api(world["tokens"]["maintainer"])
    assert client.get(rules_url(world)).json() == [rule]

    patched = client.patch(f"{rules_url(world)}/{rule['id']}",
                           {"minimum_access_level_for_push": "admin"}, format="json")

    assert patched.status_code == 200
    assert patched.json() == rule | {"minimum_access_level_for_push": "admin"}
    assert client.delete(f"{rules_url(world)}/{rule['id']}").status_code == 204
    assert client.get(rules_url(world)).json() == []
    assert client.delete(f"{rules_url(world)}/{rule['id']}").status_code == 404


@pytest.mark.parametrize(("body", "status", "answer"), [
    ({"package_type": "pypi", "minimum_access_level_for_push": "maintainer"}, 400,
     {"error": "package_name_pattern is missing"}),
    ({"package_name_pattern": "a", "package_type": "npmx",
      "minimum_access_level_for_push": "maintainer"}, 400,
     {"error": "package_type does not have a valid value"}),
    ({"package_name_pattern": "a", "package_type": "pypi",
      "minimum_access_level_for_push": "guest"}, 400,
     {"error": "minimum_access_level_for_push does not have a valid value"}),
    ({"package_name_pattern": "a", "package_type": "pypi"}, 422,
     {"message": {"error": [
         "A rule must have at least a minimum access role for push or delete."]}}),
    ({"package_name_pattern": "no spaces", "package_type": "pypi",
      "minimum_access_level_for_push": "owner"}, 422,
     {"message": {"error": ["Package name pattern should be a valid PyPI package name with "
                            "optional wildcard characters."]}}),
])
def test_bad_rules_get_gitlabs_errors(world, body, status, answer):
    response = api(world["tokens"]["maintainer"]).post(rules_url(world), body, format="json")
    assert (response.status_code, response.json()) == (status, answer)


def test_a_pattern_twice_is_422(world):
    add_rule(world)
    response = add_rule(world)
    assert response.status_code == 422
    assert response.json() == {"message": {"error": [
        "Package name pattern has already been taken"]}}


def test_developers_cannot_see_or_manage_rules(world):
    assert api(world["tokens"]["developer"]).get(rules_url(world)).status_code == 403
    assert add_rule(world, who="developer").status_code == 403
    assert api(make_pat(make_user("stranger"))).get(rules_url(world)).status_code == 404


@pytest.mark.parametrize(("pattern", "name", "matches"), [
    ("zqx-*", "zqx-core", True), ("zqx-*", "Zqx.Core", True), ("My_Pkg*", "my.pkg-extra", True),
    ("zqx-*", "zqx", False), ("*-internal", "acme-internal", True), ("zqx", "zqx-core", False),
    ("a.b", "a-b", True), ("a+b", "ab", False),
])
def test_patterns_match_normalised_names(pattern, name, matches):
    assert pattern_matches(pattern, name) is matches


# gitlab-pypi.md §3.5's table, plus tokens.
@pytest.mark.parametrize(("level", "uploader", "status"), [
    ("maintainer", "developer", 403), ("maintainer", "maintainer", 201),
    ("maintainer", "owner", 201), ("maintainer", "admin", 201),
    ("owner", "maintainer", 403), ("owner", "owner", 201), ("owner", "admin", 201),
    ("admin", "owner", 403), ("admin", "admin", 201),
])
def test_uploads_follow_the_rule_level(world, level, uploader, status):
    add_rule(world, push=level, who="admin")
    response = Registry().upload(world["project"].pk, wheel("zqx-core"),
                                 (uploader, world["tokens"][uploader]))
    assert response.status_code == status
    if status == 403:
        assert response.json() == {"message": "403 Forbidden - Package protected."}
        assert not Package.objects.exists()


def test_a_rule_that_does_not_match_lets_anyone_push(world):
    add_rule(world, pattern="other-*", push="admin", who="admin")
    response = Registry().upload(world["project"].pk, wheel("zqx-core"),
                                 ("developer", world["tokens"]["developer"]))
    assert response.status_code == 201


def test_deploy_tokens_are_always_blocked_by_a_matching_rule(world):
    add_rule(world, push="maintainer")
    token = make_deploy_token(world["project"],
                              scopes=("read_package_registry", "write_package_registry"))
    blocked = Registry().upload(world["project"].pk, wheel("zqx-core"), ("deploy", token))
    allowed = Registry().upload(world["project"].pk, wheel("free"), ("deploy", token))
    assert (blocked.status_code, allowed.status_code) == (403, 201)


def test_a_job_token_is_judged_as_its_user(world):
    add_rule(world, push="maintainer")
    as_developer = make_job_token(world["project"], world["users"]["developer"])
    as_maintainer = make_job_token(world["project"], world["users"]["maintainer"])
    registry = Registry()
    assert registry.upload(world["project"].pk, wheel("zqx-core"),
                           ("gitlab-ci-token", as_developer)).status_code == 403
    assert registry.upload(world["project"].pk, wheel("zqx-core"),
                           ("gitlab-ci-token", as_maintainer)).status_code == 201


def test_a_delete_rule_keeps_maintainers_from_deleting_through_api_and_web(world, client):
    add_rule(world, push=None, delete="owner")
    Registry().upload(world["project"].pk, wheel("zqx-core"),
                      ("developer", world["tokens"]["developer"]))
    package = Package.objects.get()
    url = f"/api/v4/projects/{world['project'].pk}/packages/{package.pk}"
    file_url = f"{url}/package_files/{package.files.get().pk}"

    assert api(world["tokens"]["maintainer"]).delete(file_url).status_code == 403
    refused = api(world["tokens"]["maintainer"]).delete(url)
    client.force_login(world["users"]["maintainer"])
    page = client.get(f"/acme/tools/-/packages/{package.pk}").content.decode()
    web_delete = client.post(f"/acme/tools/-/packages/{package.pk}/delete")

    assert refused.status_code == 403
    assert refused.json() == {"message": "403 Forbidden - Package protected."}
    assert "Delete version" not in page
    assert web_delete.status_code == 404
    assert api(world["tokens"]["owner"]).delete(url).status_code == 204
