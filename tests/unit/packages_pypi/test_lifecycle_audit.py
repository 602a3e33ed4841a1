"""Every lifecycle write leaves an audit event, in its own transaction, naming who acted."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from packages_pypi.cleanup import cleanup_policy_update, cleanup_run
from packages_pypi.models import Package, PackageTombstone
from packages_pypi.services import package_destroy
from projects.audit.models import AuditEvent
from projects.roles import Visibility
from tests.factories import make_group, make_pat, make_project, make_user
from tests.pypi_driver import Registry, wheel

pytestmark = pytest.mark.django_db
NAME = "zqx-audited"


@pytest.fixture
def world():
    group = make_group("acme", visibility=Visibility.PRIVATE)
    project = make_project("tools", namespace=group, visibility=Visibility.PRIVATE)
    admin = make_user("root", is_admin=True)
    token = make_pat(admin)
    for version in ("1.0", "2.0", "3.0"):
        upload = Registry().upload(project.pk, wheel(NAME, version), ("root", token))
        assert upload.status_code == 201
    client = APIClient()
    client.credentials(HTTP_PRIVATE_TOKEN=token)
    return {"project": project, "admin": admin, "client": client, "group": group}


def events(*names: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_name__in=names).order_by("pk"))


def test_yank_unyank_and_status_changes_are_recorded_with_their_author(world):
    client, project = world["client"], world["project"]
    package = Package.objects.get(version="1.0")
    base = f"/api/v4/projects/{project.pk}/packages"

    assert client.post(f"{base}/{package.pk}/yank", {"reason": "broken build"},
                       format="json").status_code == 200
    assert client.delete(f"{base}/{package.pk}/yank").status_code == 200
    assert client.put(f"{base}/pypi/status/{NAME}", {"status": "deprecated", "reason": "old"},
                      format="json").status_code == 200

    yanked, unyanked = events("package_registry_package_yanked",
                              "package_registry_package_unyanked")
    assert yanked.details["reason"] == "broken build"
    assert yanked.details["target_details"] == f"{package.name} 1.0"
    assert unyanked.event_name == "package_registry_package_unyanked"
    (status,) = events("package_registry_name_status_changed")
    assert (status.details["from"], status.details["to"]) == ("active", "deprecated")
    for event in (yanked, unyanked, status):
        assert event.author_id == world["admin"].pk
        assert event.entity_id == project.pk
        assert event.details["auth_token_type"] == "PersonalAccessToken"


def test_protection_rule_changes_are_recorded(world):
    client, project = world["client"], world["project"]
    base = f"/api/v4/projects/{project.pk}/packages/protection/rules"

    created = client.post(base, {"package_name_pattern": "zqx-*", "package_type": "pypi",
                                 "minimum_access_level_for_push": "maintainer"}, format="json")
    assert created.status_code == 201, created.content
    rule_id = created.json()["id"]
    assert client.patch(f"{base}/{rule_id}", {"minimum_access_level_for_push": "owner"},
                        format="json").status_code == 200
    assert client.delete(f"{base}/{rule_id}").status_code == 204

    names = [e.event_name for e in events("package_protection_rule_created",
                                          "package_protection_rule_updated",
                                          "package_protection_rule_deleted")]
    assert names == ["package_protection_rule_created", "package_protection_rule_updated",
                     "package_protection_rule_deleted"]


def test_a_refused_rule_records_nothing(world):
    client, project = world["client"], world["project"]
    base = f"/api/v4/projects/{project.pk}/packages/protection/rules"

    refused = client.post(base, {"package_name_pattern": "zqx-*", "package_type": "pypi"},
                          format="json")

    assert refused.status_code == 422
    assert not events("package_protection_rule_created")


def test_the_cleanup_policy_and_what_a_cleanup_removes_are_recorded(world):
    project = world["project"]
    policy = cleanup_policy_update(project=project, enabled=True, keep_n_versions=1,
                                   older_than_days=None, actor=world["admin"])

    removed = cleanup_run(policy=policy, now=timezone.now() + datetime.timedelta(days=1))

    (updated,) = events("package_cleanup_policy_updated")
    assert updated.author_id == world["admin"].pk
    assert updated.details["keep_n_versions"] == 1
    deleted = events("package_registry_package_deleted")
    assert sorted(e.details["version"] for e in deleted) == sorted(p.version for p in removed)
    assert len(deleted) == 2
    assert {e.details["author_name"] for e in deleted} == {"Package cleanup policy"}


def test_releasing_a_tombstone_is_recorded_under_the_group(world):
    from packages_pypi.tombstones import tombstone_release

    for package in Package.objects.all():
        package_destroy(package=package, actor=world["admin"])
    tombstone = PackageTombstone.objects.get()

    tombstone_release(tombstone=tombstone, user=world["admin"])

    (released,) = events("package_tombstone_released")
    assert released.entity_id == world["group"].pk
    assert released.entity_type == "Group"
    assert released.details["target_details"] == NAME
