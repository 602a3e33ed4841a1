"""Cached index pages: never stale after a write returns, 304 on a matching ETag."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from packages_pypi.models import PackageFile
from packages_pypi.services import package_file_destroy
from projects.roles import AccessLevel, FeatureAccess, Visibility
from tests.factories import add_member, make_group, make_pat, make_project, make_user
from tests.pypi_driver import PIP_ACCEPT, Registry, group_scope, project_scope, sdist, wheel

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return ("root", make_pat(make_user("root", is_admin=True)))


@pytest.fixture
def project():
    return make_project("tools", namespace=make_group("acme"), visibility=Visibility.PUBLIC)


def queries_for(call) -> tuple[object, int]:
    with CaptureQueriesContext(connection) as context:
        response = call()
    return response, len(context.captured_queries)


@pytest.mark.parametrize("scope_of", [lambda p: project_scope(p), lambda p: group_scope(
    p.namespace)], ids=["project", "group"])
def test_an_upload_shows_at_once_and_a_delete_is_gone_at_once(project, admin, scope_of):
    registry = Registry()
    registry.upload(project.pk, wheel("sample-project"), admin)
    scope = scope_of(project)
    assert "tar.gz" not in registry.simple(scope, "sample-project").text  # now cached

    registry.upload(project.pk, sdist("sample-project"), admin)
    after_upload = registry.simple(scope, "sample-project", accept=PIP_ACCEPT).json()
    package_file_destroy(package_file=PackageFile.objects.get(file_name__endswith=".whl"))
    after_delete = registry.simple(scope, "sample-project", accept=PIP_ACCEPT).json()

    assert [f["filename"][-6:] for f in after_upload["files"]] == ["ny.whl", "tar.gz"]
    assert [f["filename"][-6:] for f in after_delete["files"]] == ["tar.gz"]


def test_a_cached_page_costs_no_package_queries(project, admin):
    registry = Registry()
    registry.upload(project.pk, wheel("sample-project"), admin)
    scope = project_scope(project)

    first, cold = queries_for(lambda: registry.simple(scope, "sample-project", auth=admin))
    second, warm = queries_for(lambda: registry.simple(scope, "sample-project", auth=admin))

    assert first.content == second.content
    # The files and the PEP 792 status queries; a caller with credentials still has them
    # checked every time (an anonymous one runs no query at all: test_public_cache).
    assert warm == cold - 2


def test_a_matching_etag_gets_304_until_the_next_write(project, admin):
    registry = Registry()
    registry.upload(project.pk, wheel("sample-project"), admin)
    scope = project_scope(project)
    etag = registry.simple(scope, "sample-project")["ETag"]

    unchanged = registry.client.get(f"/api/v4/{scope}/simple/sample-project/",
                                    HTTP_IF_NONE_MATCH=etag)
    registry.upload(project.pk, sdist("sample-project"), admin)
    changed = registry.client.get(f"/api/v4/{scope}/simple/sample-project/",
                                  HTTP_IF_NONE_MATCH=etag)

    assert unchanged.status_code == 304 and unchanged.content == b""
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_json_and_html_are_cached_apart(project, admin):
    registry = Registry()
    registry.upload(project.pk, wheel("sample-project"), admin)
    scope = project_scope(project)

    html = registry.simple(scope, "sample-project")
    data = registry.simple(scope, "sample-project", accept=PIP_ACCEPT)

    assert html["Content-Type"].startswith("text/html")
    assert data["Content-Type"].startswith("application/vnd.pypi.simple.v1+json")
    assert html["ETag"] != data["ETag"]


def test_group_pages_follow_what_the_caller_may_read(admin):
    group = make_group("acme", visibility=Visibility.PRIVATE)
    first = make_project("one", namespace=group, visibility=Visibility.PRIVATE)
    second = make_project("two", namespace=group, visibility=Visibility.PRIVATE)
    registry = Registry()
    registry.upload(first.pk, wheel("lib-one"), admin, name="lib-one")
    registry.upload(second.pk, wheel("lib-two"), admin, name="lib-two")
    user = make_user("dev")
    add_member(group, user, AccessLevel.GUEST)
    auth = ("dev", make_pat(user))

    everything = registry.simple(group_scope(group), auth=auth).text
    second.package_registry_access_level = FeatureAccess.DISABLED  # drops out of the index
    second.save()
    fewer = registry.simple(group_scope(group), auth=auth).text

    assert "lib-one" in everything and "lib-two" in everything
    assert "lib-one" in fewer and "lib-two" not in fewer


def test_cache_control_is_public_only_for_anonymous_pages(project, admin):
    registry = Registry()
    registry.upload(project.pk, wheel("sample-project"), admin)

    anonymous = registry.simple(project_scope(project), "sample-project")
    signed_in = registry.simple(project_scope(project), "sample-project", auth=admin)

    assert anonymous["Cache-Control"] == "public, no-cache"
    assert signed_in["Cache-Control"] == "private, no-cache"
