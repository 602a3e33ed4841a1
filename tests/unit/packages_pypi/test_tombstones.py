"""Tombstones: a name deleted from a top-level group is never forwarded until an admin
releases it, whoever deleted it (a user, the API, a cleanup, a project's deletion)."""

import pytest
from rest_framework.test import APIClient

from packages_pypi.cleanup import cleanup_policy_update, cleanup_run
from packages_pypi.models import Package, PackageTombstone
from packages_pypi.services import package_destroy
from projects.models import ApplicationSettings
from projects.roles import Visibility
from projects.services import group_delete, project_delete
from tests.factories import make_group, make_pat, make_project, make_user
from tests.pypi_driver import Registry, group_scope, project_scope, wheel

pytestmark = pytest.mark.django_db
NAME = "zqx-buried"


@pytest.fixture
def world(settings):
    settings.REGISTRY_PYPI_UPSTREAM_URL = "http://upstream.test/simple"
    # A redirect shows what the guard let through without an upstream; proxy mode passes the
    # same guard (forwardable_name), tested in test_upstream_proxy.py.
    ApplicationSettings.objects.update_or_create(
        pk=1, defaults={"pypi_package_requests_forwarding_mode": "redirect"}
    )
    root = make_group("acme", visibility=Visibility.PRIVATE)
    sub = make_group("sub", parent=root, visibility=Visibility.PRIVATE)
    project = make_project("tools", namespace=sub, visibility=Visibility.PRIVATE)
    admin = make_user("root", is_admin=True)
    auth = ("root", make_pat(admin))
    for version in ("1.0", "2.0"):
        assert Registry().upload(project.pk, wheel(NAME, version), auth).status_code == 201
    return {"root": root, "sub": sub, "project": project, "admin": admin, "auth": auth}


def forwarded(world, name: str = NAME) -> bool:
    response = Registry().simple(project_scope(world["project"]), name, world["auth"])
    group = Registry().simple(group_scope(world["root"]), name, world["auth"])
    assert response.status_code == group.status_code
    return response.status_code == 302


def test_deleting_the_last_version_buries_the_name_until_an_admin_releases_it(world, client):
    first, last = Package.objects.order_by("pk")
    package_destroy(package=first)
    assert not PackageTombstone.objects.exists()  # 2.0 still holds the name

    package_destroy(package=last)

    tombstone = PackageTombstone.objects.get()
    assert (tombstone.group, tombstone.normalized_name, tombstone.deleted_from) == (
        world["root"], NAME, "acme/sub/tools")
    assert not forwarded(world)
    assert forwarded(world, "zqx-never-here")
    client.force_login(world["admin"])
    response = client.post("/admin/packages_pypi/packagetombstone/", {
        "action": "release", "_selected_action": [tombstone.pk]})
    assert response.status_code == 302
    tombstone.refresh_from_db()
    assert tombstone.released_by == world["admin"] and tombstone.released_at is not None
    assert forwarded(world)
    # The admin can neither delete nor add one by hand: a release keeps the record.
    assert client.get(f"/admin/packages_pypi/packagetombstone/{tombstone.pk}/delete/"
                      ).status_code == 403
    assert client.get("/admin/packages_pypi/packagetombstone/add/").status_code == 403


def test_a_name_deleted_through_the_api_file_by_file_is_buried(world):
    client = APIClient()
    client.credentials(HTTP_PRIVATE_TOKEN=world["auth"][1])
    for package in Package.objects.all():
        file = package.files.get()
        url = f"/api/v4/projects/{world['project'].pk}/packages/{package.pk}/package_files/"
        assert client.delete(f"{url}{file.pk}").status_code == 204
    assert PackageTombstone.objects.filter(normalized_name=NAME).exists()
    assert not forwarded(world)


def test_a_name_still_held_by_another_project_is_not_buried_yet(world):
    other = make_project("other", namespace=world["root"], visibility=Visibility.PRIVATE)
    Registry().upload(other.pk, wheel(NAME, "1.0"), world["auth"])
    project_delete(project=world["project"])
    assert not PackageTombstone.objects.exists()
    project_delete(project=other)
    assert PackageTombstone.objects.get().deleted_from == "acme/other"


def test_deleting_a_subgroup_buries_its_names_under_the_top_level_group(world):
    group_delete(group=world["sub"])
    tombstone = PackageTombstone.objects.get()
    assert tombstone.group == world["root"]
    project = make_project("fresh", namespace=world["root"], visibility=Visibility.PRIVATE)
    response = Registry().simple(project_scope(project), NAME, world["auth"])
    assert response.status_code == 404


def test_a_cleanup_keeps_the_newest_version_so_it_never_buries_a_name(world):
    policy = cleanup_policy_update(project=world["project"], enabled=True, keep_n_versions=1,
                                   older_than_days=None)
    assert [p.version for p in cleanup_run(policy=policy)] == ["1.0"]
    assert not PackageTombstone.objects.exists()


def test_tombstones_cost_a_miss_no_extra_query_however_many(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    registry = Registry()

    def miss_queries(name: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert registry.simple(project_scope(world["project"]), name,
                                   world["auth"]).status_code == 302
        return len(captured)

    miss_queries("zqx-warm")
    before = miss_queries("zqx-miss")
    PackageTombstone.objects.bulk_create(
        PackageTombstone(group=world["root"], normalized_name=f"zqx-{i}") for i in range(30))
    assert miss_queries("zqx-miss2") == before
