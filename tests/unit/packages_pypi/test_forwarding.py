"""Forwarding misses to the upstream index: the cascade of settings, and the guard."""

import pytest

from packages_pypi.forwarding import forwarding_enabled
from projects.models import ApplicationSettings
from projects.roles import AccessLevel, Visibility
from tests.factories import add_member, make_group, make_pat, make_project, make_user
from tests.pypi_driver import Registry, group_scope, project_scope, wheel

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    root = make_group("acme", visibility=Visibility.PUBLIC)
    sub = make_group("sub", parent=root, visibility=Visibility.PUBLIC)
    project = make_project("tools", namespace=sub, visibility=Visibility.PUBLIC)
    return root, sub, project


def set_instance(enabled: bool) -> None:
    settings_row = ApplicationSettings.load()
    settings_row.pypi_package_requests_forwarding = enabled
    settings_row.save()


@pytest.mark.parametrize(
    ("instance", "root_value", "sub_value", "expected"),
    [
        (True, None, None, True),
        (False, None, None, False),
        (True, False, None, False),
        (False, True, None, True),
        (False, True, False, False),
        (True, False, True, True),
    ],
)
def test_forwarding_cascades_from_the_nearest_group_then_the_instance(
    tree, instance, root_value, sub_value, expected
):
    root, sub, _ = tree
    set_instance(instance)
    root.pypi_package_requests_forwarding = root_value
    root.save()
    sub.pypi_package_requests_forwarding = sub_value
    sub.save()

    assert forwarding_enabled(sub) is expected


def test_instance_default_is_on_like_gitlab():
    assert ApplicationSettings.load().pypi_package_requests_forwarding is True


@pytest.mark.parametrize("scope", ["project", "group"])
def test_a_miss_is_redirected_to_the_upstream_when_forwarding_is_on(tree, settings, scope):
    settings.REGISTRY_PYPI_UPSTREAM_URL = "http://upstream.test/simple"
    _, sub, project = tree
    path = project_scope(project) if scope == "project" else group_scope(sub)

    response = Registry().simple(path, "Requests")

    assert response.status_code == 302
    assert response["Location"] == "http://upstream.test/simple/requests/"


def test_a_miss_is_404_when_forwarding_is_off(tree):
    set_instance(False)

    response = Registry().simple(project_scope(tree[2]), "requests")

    assert response.status_code == 404
    assert response.json() == {"message": "404 Package Not Found"}


def test_a_name_that_exists_anywhere_in_the_tree_is_never_forwarded(tree):
    root, _, project = tree
    hidden = make_project("secret", namespace=make_group("private", parent=root,
                          visibility=Visibility.PRIVATE), visibility=Visibility.PRIVATE)
    admin = make_user("root", is_admin=True)
    Registry().upload(hidden.pk, wheel("internal-lib"), ("root", make_pat(admin)),
                      name="internal-lib")

    from_project = Registry().simple(project_scope(project), "internal_lib")
    from_group = Registry().simple(group_scope(root), "internal-lib")

    # The caller can't see the package, and must not be sent to whoever owns the name upstream.
    assert (from_project.status_code, from_group.status_code) == (404, 404)


def test_anonymous_callers_on_private_scopes_are_challenged_before_any_redirect():
    group = make_group(visibility=Visibility.PRIVATE)
    project = make_project(namespace=group, visibility=Visibility.PRIVATE)

    response = Registry().simple(project_scope(project), "requests")

    assert response.status_code == 401


def test_the_index_and_downloads_are_never_forwarded(tree):
    _, _, project = tree
    user = make_user()
    add_member(project, user, AccessLevel.DEVELOPER)

    index = Registry().simple(project_scope(project))
    download = Registry().download(project_scope(project), "a" * 64, "requests-1.0.tar.gz")

    assert index.status_code == 200
    assert download.status_code == 404
