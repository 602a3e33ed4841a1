"""Forwarding misses to the upstream index: the cascade of settings, and the guard."""

import pytest

from packages_pypi.protocol.forwarding import forwarding_enabled
from projects.models import ApplicationSettings
from projects.roles import AccessLevel, Visibility
from tests.factories import add_member, make_group, make_pat, make_project, make_user
from tests.pypi_driver import Registry, group_scope, project_scope, wheel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _redirect_mode(db):
    """These are GitLab's redirect and the guard; proxy mode has tests of its own
    (test_upstream_proxy.py), and passes the same guard."""
    ApplicationSettings.objects.update_or_create(
        pk=1, defaults={"pypi_package_requests_forwarding_mode": "redirect"}
    )


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


# The oracle (issue 9): a caller who cannot read every project of the top-level group must get
# the same answer for a private name and for an unknown one.


@pytest.fixture
def tree_with_a_private_package(tree, settings):
    settings.REGISTRY_PYPI_UPSTREAM_URL = "http://upstream.test/simple"
    root, sub, project = tree
    hidden_group = make_group("private", parent=root, visibility=Visibility.PRIVATE)
    hidden = make_project("secret", namespace=hidden_group, visibility=Visibility.PRIVATE)
    admin = make_user("root", is_admin=True)
    Registry().upload(hidden.pk, wheel("internal-lib"), ("root", make_pat(admin)),
                      name="internal-lib")
    return root, sub, project, hidden


def _answer(response):
    return response.status_code, response.content, dict(response.headers)


@pytest.mark.parametrize("scope", ["root", "sub", "project"])
@pytest.mark.parametrize("caller", ["anonymous", "outsider", "member of the public project"])
def test_a_private_name_and_an_unknown_one_look_the_same_to_who_cannot_read_the_tree(
    tree_with_a_private_package, scope, caller
):
    root, sub, project, _ = tree_with_a_private_package
    path = {"root": group_scope(root), "sub": group_scope(sub),
            "project": project_scope(project)}[scope]
    auth = None
    if caller != "anonymous":
        user = make_user()
        if caller.startswith("member"):
            add_member(project, user, AccessLevel.MAINTAINER)
        auth = (user.username, make_pat(user))

    private = Registry().simple(path, "internal-lib", auth=auth)
    unknown = Registry().simple(path, "never-published-anywhere", auth=auth)

    assert private.status_code == 404
    assert _answer(private) == _answer(unknown)


@pytest.mark.parametrize("caller", ["admin", "member of the top-level group"])
def test_who_reads_every_project_is_forwarded_for_an_unknown_name_only(
    tree_with_a_private_package, caller
):
    root, sub, _, _ = tree_with_a_private_package
    if caller == "admin":
        user = make_user(is_admin=True)
    else:
        user = make_user()
        add_member(root, user, AccessLevel.GUEST)
    auth = (user.username, make_pat(user))

    unknown = Registry().simple(group_scope(sub), "Never_Published", auth=auth)
    private = Registry().simple(group_scope(root), "internal-lib", auth=auth)

    assert unknown.status_code == 302
    assert unknown["Location"] == "http://upstream.test/simple/never-published/"
    assert private.status_code == 200  # they can see it: no miss at all


def test_projects_without_packages_do_not_stop_forwarding(tree, settings):
    settings.REGISTRY_PYPI_UPSTREAM_URL = "http://upstream.test/simple"
    root, _, _ = tree
    make_project("empty", namespace=make_group("hidden", parent=root,
                 visibility=Visibility.PRIVATE), visibility=Visibility.PRIVATE)

    response = Registry().simple(group_scope(root), "requests")

    # They hide no name, so nothing can leak: anonymous callers still get GitLab's redirect.
    assert response.status_code == 302


# Authentication, scope, the forwarding cascade and the two guards: 8 or so a request, plus
# the name's PEP 792 status and who may read quarantined names (issue 12).
QUERIES_FOR_THREE_MISSES = 29


def test_a_miss_costs_the_same_queries_however_large_the_tree(
    tree_with_a_private_package, django_assert_max_num_queries
):

    root, sub, _, _ = tree_with_a_private_package
    admin = make_user(is_admin=True)
    auth = (admin.username, make_pat(admin))
    user = make_user()
    add_member(root, user, AccessLevel.GUEST)
    member_auth = (user.username, make_pat(user))

    def misses():
        for who in (None, auth, member_auth):
            Registry().simple(group_scope(sub), "never-published", auth=who)

    misses()  # once first, so that the measured runs see the tokens already touched
    with django_assert_max_num_queries(QUERIES_FOR_THREE_MISSES):
        misses()
    for index in range(30):
        group = make_group(f"more{index}", parent=root, visibility=Visibility.PRIVATE)
        hidden = make_project("p", namespace=group, visibility=Visibility.PRIVATE)
        Registry().upload(hidden.pk, wheel(f"lib{index}"), auth, name=f"lib{index}")
    with django_assert_max_num_queries(QUERIES_FOR_THREE_MISSES):
        misses()


# Only valid PEP 508 names are forwarded (issue 9): anything else is a plain 404.


@pytest.mark.parametrize(
    "name", ["a%3Fx=1", "a%23frag", "-leading", "trailing.", "sp%20ace", "%C3%A9t%C3%A9",
             "a%3Bb", "..", "K%E2%84%AA"],
)
def test_an_invalid_name_is_never_forwarded(tree, settings, client, name):
    settings.REGISTRY_PYPI_UPSTREAM_URL = "http://upstream.test/simple"
    _, sub, project = tree

    for path in (group_scope(sub), project_scope(project)):
        response = client.get(f"/api/v4/{path}/simple/{name}/")

        assert response.status_code == 404, (path, name)
        assert response.json() == {"message": "404 Package Not Found"}
        assert "Location" not in response
