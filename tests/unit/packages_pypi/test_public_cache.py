"""Anonymous pages and misses from the public cache (no query), group pages under the tree
serial, and no page ever served to a caller who may not see it."""

import pytest
from django.db import transaction

from packages_pypi.public_generation import public_generation
from projects.models import ApplicationSettings, Group
from projects.roles import AccessLevel, FeatureAccess, Visibility
from projects.services import group_update, project_update
from tests.factories import add_member, make_group, make_pat, make_project, make_user
from tests.pypi_driver import PIP_ACCEPT, Registry, group_scope, project_scope, wheel

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return ("root", make_pat(make_user("root", is_admin=True)))


@pytest.fixture
def no_forwarding():
    settings = ApplicationSettings.load()
    settings.pypi_package_requests_forwarding = False
    settings.save()


def _public_project(name="tools", group_path="acme"):
    group = make_group(group_path, visibility=Visibility.PUBLIC)
    return make_project(name, namespace=group, visibility=Visibility.PUBLIC)


def _scopes(project):
    return {"project": project_scope(project), "group": group_scope(project.namespace)}


@pytest.mark.parametrize("scope", ["project", "group"])
@pytest.mark.parametrize("name", [None, "sample-project"], ids=["index", "page"])
def test_a_cached_anonymous_page_runs_no_query(admin, django_assert_num_queries, scope, name):
    project = _public_project()
    registry = Registry()
    registry.upload(project.pk, wheel("sample-project"), admin)
    first = registry.simple(_scopes(project)[scope], name)

    with django_assert_num_queries(0):
        second = registry.simple(_scopes(project)[scope], name)

    assert first.status_code == second.status_code == 200
    assert first.content == second.content and b"sample" in second.content
    assert first["ETag"] == second["ETag"]
    assert second["Cache-Control"] == "public, no-cache"


def test_a_cached_anonymous_page_answers_304_to_its_etag(admin, django_assert_num_queries):
    project = _public_project()
    registry = Registry()
    registry.upload(project.pk, wheel("sample-project"), admin)
    etag = registry.simple(project_scope(project), "sample-project")["ETag"]

    with django_assert_num_queries(0):
        again = registry.client.get(
            f"/api/v4/{project_scope(project)}/simple/sample-project/", HTTP_IF_NONE_MATCH=etag
        )

    assert again.status_code == 304 and again["ETag"] == etag


@pytest.mark.parametrize("scope", ["project", "group"])
def test_an_anonymous_miss_is_cached_when_nothing_is_forwarded(
    admin, no_forwarding, django_assert_num_queries, scope
):
    project = _public_project()
    Registry().upload(project.pk, wheel("sample-project"), admin)
    registry = Registry()
    first = registry.simple(_scopes(project)[scope], "no-such-name")

    with django_assert_num_queries(0):
        second = registry.simple(_scopes(project)[scope], "no-such-name")

    assert first.status_code == second.status_code == 404
    assert first.json() == second.json() == {"message": "404 Package Not Found"}


def test_an_anonymous_miss_turns_into_the_page_once_the_name_is_uploaded(admin, no_forwarding):
    project = _public_project()
    registry = Registry()
    assert registry.simple(project_scope(project), "sample-project").status_code == 404

    registry.upload(project.pk, wheel("sample-project"), admin)

    assert registry.simple(project_scope(project), "sample-project").status_code == 200


def test_an_upload_shows_on_every_cached_anonymous_page(admin):
    project = _public_project()
    registry = Registry()
    registry.upload(project.pk, wheel("sample-project"), admin)
    scopes = _scopes(project)
    for scope in scopes.values():  # cache every page
        registry.simple(scope), registry.simple(scope, "sample-project")

    registry.upload(project.pk, wheel("other-project"), admin, name="other-project")
    registry.upload(project.pk, wheel("sample-project", "2.0"), admin, version="2.0")

    for scope in scopes.values():
        assert "other-project" in registry.simple(scope).text
        assert "2.0" in registry.simple(scope, "sample-project").text


@pytest.mark.parametrize("scope", ["project", "group"])
def test_a_members_page_is_never_served_to_anonymous_or_a_non_member(admin, scope):
    group = make_group("acme", visibility=Visibility.PRIVATE)
    project = make_project("secret", namespace=group, visibility=Visibility.PRIVATE)
    registry = Registry()
    registry.upload(project.pk, wheel("secret-lib"), admin, name="secret-lib")
    member, outsider = make_user("member"), make_user("outsider")
    add_member(project if scope == "project" else group, member, AccessLevel.GUEST)
    as_member = ("member", make_pat(member))
    as_outsider = ("outsider", make_pat(outsider))
    path = _scopes(project)[scope]
    # The member's pages are now cached, in both media types.
    for accept in ("text/html", PIP_ACCEPT):
        assert registry.simple(path, "secret-lib", auth=as_member, accept=accept).status_code == 200
        assert registry.simple(path, auth=as_member, accept=accept).status_code == 200

    for accept in ("text/html", PIP_ACCEPT):
        for name in ("secret-lib", None):
            anonymous = registry.simple(path, name, accept=accept)
            outsiders = registry.simple(path, name, auth=as_outsider, accept=accept)
            assert anonymous.status_code == 401 and b"secret-lib" not in anonymous.content
            assert outsiders.status_code == 404 and b"secret-lib" not in outsiders.content


def test_a_group_page_shows_each_caller_only_what_they_read(admin):
    group = make_group("acme", visibility=Visibility.PUBLIC)
    public = make_project("open", namespace=group, visibility=Visibility.PUBLIC)
    private = make_project("closed", namespace=group, visibility=Visibility.PRIVATE)
    registry = Registry()
    registry.upload(public.pk, wheel("shared-lib"), admin, name="shared-lib")
    registry.upload(private.pk, wheel("shared-lib", "9.0"), admin, name="shared-lib",
                    version="9.0")
    registry.upload(private.pk, wheel("hidden-lib"), admin, name="hidden-lib")
    member, outsider = make_user("member"), make_user("outsider")
    add_member(private, member, AccessLevel.GUEST)
    # The member's view first, so that it is the one in the cache.
    member_index = registry.simple(group_scope(group), auth=("member", make_pat(member))).text
    member_page = registry.simple(group_scope(group), "shared-lib",
                                  auth=("member", make_pat(member))).text

    for auth in (None, ("outsider", make_pat(outsider))):
        index = registry.simple(group_scope(group), auth=auth).text
        page = registry.simple(group_scope(group), "shared-lib", auth=auth).text
        assert "shared-lib" in index and "hidden-lib" not in index
        assert "1.0.0" in page and "9.0" not in page
    assert "hidden-lib" in member_index and "9.0" in member_page


def test_a_project_turned_private_is_no_longer_served_from_the_anonymous_cache(admin):
    project = _public_project()
    registry = Registry()
    registry.upload(project.pk, wheel("sample-project"), admin)
    for scope in _scopes(project).values():
        assert registry.simple(scope, "sample-project").status_code == 200
        assert "sample-project" in registry.simple(scope).text

    project_update(project=project, visibility=Visibility.PRIVATE)

    assert registry.simple(project_scope(project), "sample-project").status_code == 401
    assert registry.simple(project_scope(project)).status_code == 401
    group_page = registry.simple(group_scope(project.namespace), "sample-project")
    assert group_page.status_code == 404
    assert "sample-project" not in registry.simple(group_scope(project.namespace)).text


def test_a_group_turned_private_is_no_longer_served_from_the_anonymous_cache(admin):
    project = _public_project()
    registry = Registry()
    registry.upload(project.pk, wheel("sample-project"), admin)
    assert registry.simple(group_scope(project.namespace), "sample-project").status_code == 200
    project_update(project=project, visibility=Visibility.PRIVATE)  # a private group's rule
    group = Group.objects.get(pk=project.namespace_id)

    group_update(group=group, visibility=Visibility.PRIVATE)

    assert registry.simple(group_scope(group), "sample-project").status_code == 401
    assert registry.simple(group_scope(group)).status_code == 401


def test_packages_turned_off_are_no_longer_served_from_the_anonymous_cache(admin):
    project = _public_project()
    registry = Registry()
    registry.upload(project.pk, wheel("sample-project"), admin)
    assert registry.simple(project_scope(project), "sample-project").status_code == 200

    project.package_registry_access_level = FeatureAccess.DISABLED
    project.save()

    assert registry.simple(project_scope(project), "sample-project").status_code != 200


def test_turning_forwarding_on_ends_a_cached_miss(admin, no_forwarding):
    project = _public_project()
    registry = Registry()
    assert registry.simple(project_scope(project), "requests").status_code == 404

    settings = ApplicationSettings.load()
    settings.pypi_package_requests_forwarding = True
    settings.pypi_package_requests_forwarding_mode = "redirect"  # GitLab's, no upstream needed
    settings.save()

    assert registry.simple(project_scope(project), "requests").status_code == 302


def test_every_package_write_bumps_the_tree_serial_of_each_group_above(admin):
    top = make_group("top", visibility=Visibility.PUBLIC)
    middle = make_group("middle", parent=top, visibility=Visibility.PUBLIC)
    aside = make_group("aside", parent=top, visibility=Visibility.PUBLIC)
    project = make_project("tools", namespace=middle, visibility=Visibility.PUBLIC)

    Registry().upload(project.pk, wheel("sample-project"), admin)

    serials = dict(Group.objects.values_list("path", "packages_serial"))
    assert serials == {"top": 1, "middle": 1, "aside": 0}
    assert aside.packages_serial == 0


def test_a_rolled_back_write_bumps_no_serial(admin):
    from packages_pypi.services import packages_serial_bump

    project = _public_project()
    with pytest.raises(RuntimeError), transaction.atomic():
        packages_serial_bump([project.pk])
        raise RuntimeError("the write failed")

    assert Group.objects.get(pk=project.namespace_id).packages_serial == 0


def test_the_public_generation_changes_with_every_package_write(admin):
    project = _public_project()
    before = public_generation()

    Registry().upload(project.pk, wheel("sample-project"), admin)

    assert public_generation() not in (None, before)


@pytest.mark.parametrize("projects", [3, 30])
def test_a_group_index_costs_the_same_queries_however_many_projects(
    admin, django_assert_max_num_queries, projects
):
    group = make_group("fleet", visibility=Visibility.PUBLIC)
    registry = Registry()
    for index in range(projects):
        project = make_project(f"p{index}", namespace=group, visibility=Visibility.PUBLIC)
        registry.upload(project.pk, wheel(f"lib-{index}"), admin, name=f"lib-{index}")
    user = make_user("dev")
    auth = ("dev", make_pat(user))
    registry.simple(group_scope(group), auth=auth)

    # The token, its user, the group, the caller's level and memberships, the readable ids.
    with django_assert_max_num_queries(6):
        cached = registry.simple(group_scope(group), auth=auth)
    # The same, the groups where the caller may read quarantined names, the projects holding
    # the name, and (a cold page) its files and its PEP 792 status.
    with django_assert_max_num_queries(9):
        page = registry.simple(group_scope(group), "lib-0", auth=auth)

    assert cached.status_code == page.status_code == 200
    assert cached.text.count("<a ") == projects


def test_without_a_shared_token_store_anonymous_pages_fall_back_to_the_serials(admin, settings):
    """S3 and no shared cache (servers that share only the database): no public generation."""
    settings.CACHES = {**settings.CACHES,
                       "generations": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    project = _public_project()
    registry = Registry()
    registry.upload(project.pk, wheel("sample-project"), admin)
    registry.simple(project_scope(project), "sample-project")

    assert public_generation() is None
    registry.upload(project.pk, wheel("sample-project", "2.0"), admin, version="2.0")
    assert "2.0" in registry.simple(project_scope(project), "sample-project").text


def _download(registry, scope, dist, suffix=""):
    response = registry.download(scope, dist.sha256, dist.filename + suffix)
    if response.status_code == 200 and response.streaming:
        b"".join(response.streaming_content)
    return response


@pytest.mark.parametrize("suffix", ["", ".metadata"], ids=["file", "metadata"])
@pytest.mark.parametrize("scope", ["project", "group"])
def test_a_repeated_anonymous_download_runs_no_query(
    admin, django_assert_num_queries, scope, suffix
):
    project = _public_project()
    registry = Registry()
    dist = wheel("sample-project")
    registry.upload(project.pk, dist, admin)
    assert _download(registry, _scopes(project)[scope], dist, suffix).status_code == 200

    with django_assert_num_queries(0):
        again = _download(registry, _scopes(project)[scope], dist, suffix)

    assert again.status_code == 200
    if not suffix:
        assert again["ETag"] == f'"{dist.sha256}"'


def test_an_anonymous_download_ends_with_the_file_or_its_projects_visibility(admin):
    project = _public_project()
    registry = Registry()
    kept, removed = wheel("sample-project"), wheel("sample-project", "2.0")
    registry.upload(project.pk, kept, admin)
    registry.upload(project.pk, removed, admin)
    for dist in (kept, removed):
        for scope in _scopes(project).values():
            assert _download(registry, scope, dist).status_code == 200

    deleted = Registry().client.delete(
        f"/api/v4/projects/{project.pk}/packages/"
        f"{project.pypi_packages.get(version='2.0').pk}",
        HTTP_PRIVATE_TOKEN=admin[1],
    )
    assert deleted.status_code == 204
    for scope in _scopes(project).values():
        assert _download(registry, scope, removed).status_code == 404
        assert _download(registry, scope, kept).status_code == 200

    project_update(project=project, visibility=Visibility.PRIVATE)

    assert _download(registry, project_scope(project), kept).status_code == 401
    assert _download(registry, group_scope(project.namespace), kept).status_code == 404
    # A member still downloads it: the anonymous cache is not theirs.
    member = registry.download(project_scope(project), kept.sha256, kept.filename, auth=admin)
    assert member.status_code == 200
