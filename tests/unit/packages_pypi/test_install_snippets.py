"""Install snippets that fit the viewer: the group index only for who may read it, no token
placeholder where anyone may install."""

import pytest

from packages_pypi.web.install import TOKEN, group_install_snippet, install_snippets
from projects.principals import Principal
from projects.roles import FeatureAccess, Visibility
from tests.factories import make_project
from tests.ui_fixtures import World, make_package

pytestmark = pytest.mark.django_db
BASE = "http://registry.test"


@pytest.fixture
def world():
    return World()


def snippets(world, role, project=None, package=None):
    principal = (Principal.anonymous() if role is None
                 else Principal.for_user(world.users[role]))
    return {s.key: s for s in install_snippets(
        base_url=BASE, principal=principal, project=project or world.project,
        package=package or world.package)}


def test_a_project_member_alone_gets_no_group_snippet(world):
    assert "pip-group" not in snippets(world, "guest")
    assert "pip-group" not in snippets(world, "maintainer")


def test_a_group_member_gets_the_group_snippet_with_a_token(world):
    group = snippets(world, "group_maintainer")["pip-group"]
    assert group.text == (
        f"pip install --index-url http://__token__:{TOKEN}@registry.test/api/v4/groups/"
        f"{world.group.pk}/-/packages/pypi/simple Demo.Pkg==1.10.0"
    )
    assert "pip-group" in snippets(world, "admin")


def test_a_private_project_keeps_the_token_placeholder_and_the_netrc(world):
    found = snippets(world, "guest")
    for key in ("pip", "uv", "requirements"):
        assert f"__token__:{TOKEN}@" in found[key].text
    assert "netrc" in found


def test_a_public_project_needs_no_token_anywhere(world):
    found = snippets(world, None, world.public_project, world.public_package)
    index = f"{BASE}/api/v4/projects/{world.public_project.pk}/packages/pypi/simple"
    assert found["pip"].text == f"pip install --index-url {index} pubpkg==2.0"
    group_index = f"{BASE}/api/v4/groups/{world.public_group.pk}/-/packages/pypi/simple"
    assert found["pip-group"].text == f"pip install --index-url {group_index} pubpkg==2.0"
    assert "netrc" not in found
    assert not any("__token__" in s.text or TOKEN in s.text for s in found.values())


def test_a_private_project_with_a_public_registry_needs_no_token(world):
    project = make_project("registry-public", namespace=world.group, visibility=Visibility.PRIVATE)
    project.package_registry_access_level = FeatureAccess.PUBLIC
    project.save()
    package = make_package(project, "shared", "1.0")
    found = snippets(world, "group_maintainer", project, package)
    assert "__token__" not in found["pip"].text
    assert "__token__" in found["pip-group"].text  # the private group's index still does


def test_the_group_page_snippet_fits_the_viewer(world):
    def snippet(principal, group):
        return group_install_snippet(base_url=BASE, principal=principal, group=group)

    # Seeing a private group through a project below it is not reading the group's index.
    assert snippet(Principal.for_user(world.users["guest"]), world.group) is None
    private = snippet(Principal.for_user(world.users["group_maintainer"]), world.group)
    assert f"__token__:{TOKEN}@" in private.text
    public = snippet(Principal.anonymous(), world.public_group)
    assert "__token__:" not in public.text


def test_pages_show_the_fitting_snippets(client, world):
    client.force_login(world.users["guest"])
    group_index = f"/api/v4/groups/{world.group.pk}/-/packages/pypi/simple"
    assert group_index not in client.get("/acme").content.decode()
    page = client.get(f"/oss/lib/-/packages/{world.public_package.pk}").content.decode()
    assert "your_personal_access_token&gt;@" not in page
    assert "no token needed" in page
    assert "no token needed" in client.get("/oss/lib").content.decode()
    assert "no token needed" not in client.get("/acme/tools").content.decode()
    client.force_login(world.users["group_maintainer"])
    assert group_index in client.get("/acme").content.decode()
    page = client.get(f"/acme/tools/-/packages/{world.package.pk}").content.decode()
    assert f"{group_index} Demo.Pkg==1.10.0" in page
