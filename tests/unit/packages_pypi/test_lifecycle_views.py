"""The lifecycle pages through Django's client: who may post what, and the refusals."""

import pytest

from packages_pypi.lifecycle import package_name_status_set
from packages_pypi.models import PackageCleanupPolicy, PackageNameStatus, PackageProtectionRule
from projects.roles import AccessLevel, Visibility
from tests.factories import add_member, make_group, make_project, make_user
from tests.package_rows import add_file, make_package

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
    users["admin"] = make_user("root", is_admin=True)
    package = make_package(project, "zqx-web", "1.0")
    add_file(package)
    return {"project": project, "users": users, "package": package,
            "url": f"/acme/tools/-/packages/{package.pk}"}


def as_user(client, world, who):
    client.force_login(world["users"][who])
    return client


def test_a_developer_sees_no_lifecycle_panel_and_cannot_post(client, world):
    client = as_user(client, world, "developer")
    assert 'id="lifecycle"' not in client.get(world["url"]).content.decode()
    assert client.post(f"{world['url']}/yank", {"reason": "x"}).status_code == 404
    assert client.post(f"{world['url']}/status", {"status": "archived"}).status_code == 404
    assert client.get("/acme/tools/-/settings/packages").status_code == 404
    world["package"].refresh_from_db()
    assert not world["package"].yanked


def test_anonymous_posts_go_to_sign_in(client, world):
    response = client.post(f"{world['url']}/yank")
    assert response.status_code == 302 and "/users/sign_in" in response["Location"]


def test_a_maintainer_cannot_quarantine_or_lift_one_through_the_page(client, world):
    client = as_user(client, world, "maintainer")
    refused = client.post(f"{world['url']}/status", {"status": "quarantined"}, follow=True)
    assert "Pick a status you may set." in refused.content.decode()
    assert not PackageNameStatus.objects.exists()

    package_name_status_set(project=world["project"], normalized_name="zqx-web",
                            status="quarantined", reason="", user=None)
    page = client.get(world["url"]).content.decode()
    assert f'action="{world["url"]}/status"' not in page
    lifted = client.post(f"{world['url']}/status", {"status": "active"}, follow=True)
    assert "Only an administrator can lift a quarantine." in lifted.content.decode()
    assert PackageNameStatus.objects.get().status == "quarantined"


def test_an_admin_lifts_a_quarantine(client, world):
    package_name_status_set(project=world["project"], normalized_name="zqx-web",
                            status="quarantined", reason="", user=None)
    client = as_user(client, world, "admin")
    client.post(f"{world['url']}/status", {"status": "active"})
    assert PackageNameStatus.objects.get().status == "active"


def test_a_bad_rule_or_policy_is_shown_on_the_form(client, world):
    client = as_user(client, world, "maintainer")
    url = "/acme/tools/-/settings/packages"
    no_level = client.post(url, {"form": "rule", "rule-package_name_pattern": "zqx-*"})
    assert "A rule must have at least a minimum access role" in no_level.content.decode()
    client.post(url, {"form": "rule", "rule-package_name_pattern": "zqx-*",
                      "rule-minimum_access_level_for_push": "owner"})
    again = client.post(url, {"form": "rule", "rule-package_name_pattern": "zqx-*",
                              "rule-minimum_access_level_for_push": "owner"})
    assert "Package name pattern has already been taken" in again.content.decode()
    bad_policy = client.post(url, {"form": "cleanup", "cleanup-enabled": "on",
                                   "cleanup-keep_n_versions": "0"})
    assert bad_policy.status_code == 200
    assert "greater than or equal to 1" in bad_policy.content.decode()
    assert PackageProtectionRule.objects.count() == 1
    assert not PackageCleanupPolicy.objects.exists()


def test_removing_a_rule_of_another_project_is_404(client, world):
    other = make_project("other", namespace=world["project"].namespace,
                         visibility=Visibility.PRIVATE)
    rule = PackageProtectionRule.objects.create(project=other, package_name_pattern="x",
                                                minimum_access_level_for_push=40)
    client = as_user(client, world, "maintainer")
    response = client.post(f"/acme/tools/-/settings/packages/rules/{rule.pk}/delete")
    assert response.status_code == 404
    assert PackageProtectionRule.objects.exists()


def test_yanking_an_unknown_version_is_404(client, world):
    client = as_user(client, world, "maintainer")
    assert client.post("/acme/tools/-/packages/999999/yank").status_code == 404
    assert client.post("/acme/tools/-/packages/999999/status",
                       {"status": "archived"}).status_code == 404
