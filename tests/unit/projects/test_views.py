"""Who sees which page: the permission matrix of the web UI, one row per page."""

import pytest

from tests.ui_fixtures import World, make_package

pytestmark = pytest.mark.django_db

VIEWERS = ("anonymous", "stranger", "guest", "developer", "maintainer", "admin")
SIGN_IN = "sign in"


@pytest.fixture
def world():
    return World()


def _get(client, world, viewer, url):
    if viewer != "anonymous":
        client.force_login(world.users[viewer])
    return client.get(url)


def _outcome(response):
    if response.status_code == 302 and response["Location"].startswith("/users/sign_in"):
        return SIGN_IN
    return response.status_code


# Expected outcome per viewer, in the order of VIEWERS.
READERS = (SIGN_IN, 404, 200, 200, 200, 200)
MAINTAINERS = (SIGN_IN, 404, 404, 404, 200, 200)
PAGES = {
    "project overview": ("/acme/tools", READERS),
    "project packages": ("/acme/tools/-/packages", READERS),
    "package detail": ("/acme/tools/-/packages/{package}", READERS),
    "package delete confirmation": ("/acme/tools/-/packages/{package}/delete", MAINTAINERS),
    "file delete confirmation": ("/acme/tools/-/packages/{package}/files/{file}/delete",
                                 MAINTAINERS),
    "project deploy tokens": ("/acme/tools/-/settings/repository", MAINTAINERS),
    "group overview": ("/acme", READERS),
    "group packages": ("/groups/acme/-/packages", READERS),
    # Project maintainers are not group maintainers: only the admin of these six.
    "group deploy tokens": ("/groups/acme/-/settings/repository",
                            (SIGN_IN, 404, 404, 404, 404, 200)),
    "personal access tokens": ("/-/user_settings/personal_access_tokens",
                               (SIGN_IN, 200, 200, 200, 200, 200)),
    "dashboard": ("/", (200,) * 6),
    # The pages that create and manage (issue 15): project members are listed to its readers,
    # managed by its maintainers; the group's settings are its owners' (here: the admin's).
    "new group": ("/groups/new", (SIGN_IN, 200, 200, 200, 200, 200)),
    "new project": ("/projects/new", (SIGN_IN, 200, 200, 200, 200, 200)),
    "project members": ("/acme/tools/-/project_members", READERS),
    "project settings": ("/acme/tools/edit", MAINTAINERS),
    "group members": ("/groups/acme/-/group_members", READERS),
    "group settings": ("/groups/acme/-/edit", (SIGN_IN, 404, 404, 404, 404, 200)),
    "new subgroup": ("/groups/new?parent_id={group}", (SIGN_IN, 404, 404, 404, 404, 200)),
    "sign in": ("/users/sign_in", (200, 302, 302, 302, 302, 302)),
}
CASES = [
    pytest.param(url, viewer, expected[i], id=f"{page}-{viewer}")
    for page, (url, expected) in PAGES.items()
    for i, viewer in enumerate(VIEWERS)
]


@pytest.mark.parametrize(("url", "viewer", "expected"), CASES)
def test_each_page_answers_each_viewer_as_the_access_policy_says(
    client, world, url, viewer, expected
):
    url = url.format(package=world.package.pk, file=world.file.pk, group=world.group.pk)
    assert _outcome(_get(client, world, viewer, url)) == expected


def test_a_group_maintainer_manages_the_group_deploy_tokens(client, world):
    url = "/groups/acme/-/settings/repository"
    assert _get(client, world, "group_maintainer", url).status_code == 200


@pytest.mark.parametrize("viewer", VIEWERS)
def test_public_pages_are_open_to_everyone(client, world, viewer):
    for url in ("/oss", "/oss/lib", "/oss/lib/-/packages",
                f"/oss/lib/-/packages/{world.public_package.pk}", "/groups/oss/-/packages"):
        assert _get(client, world, viewer, url).status_code == 200, url


def test_anonymous_visitors_are_sent_to_sign_in_and_back(client, world):
    response = client.get("/acme/tools/-/packages")
    assert response["Location"] == "/users/sign_in?next=/acme/tools/-/packages"


@pytest.mark.parametrize("url", ["/nope", "/acme/nope", "/acme/tools/-/packages/999999",
                                 "/groups/nope/-/packages", "/oss/lib/-/packages/{private}"])
def test_missing_things_and_other_projects_packages_are_404(client, world, url):
    client.force_login(world.users["admin"])
    assert client.get(url.format(private=world.package.pk)).status_code == 404


@pytest.mark.parametrize("url", ["/api", "/admin", "/static", "/users", "/groups", "/-"])
def test_reserved_first_segments_are_never_group_paths(client, world, url):
    from django.urls import resolve
    from django.urls.exceptions import Resolver404

    try:
        match = resolve(url)
    except Resolver404:
        return
    assert match.url_name != "namespace_show"


def test_sign_in_with_username_and_password_then_sign_out(client, world):
    user = world.users["guest"]
    user.set_password("correct horse battery")
    user.save()
    response = client.post("/users/sign_in", {"username": "guest",
                                              "password": "correct horse battery",
                                              "next": "/acme/tools"})
    assert response.status_code == 302
    assert response["Location"] == "/acme/tools"
    assert client.get("/acme/tools").status_code == 200
    assert client.post("/users/sign_out").status_code == 302
    assert _outcome(client.get("/acme/tools")) == SIGN_IN


def test_sign_in_with_a_wrong_password_says_so(client, world):
    response = client.post("/users/sign_in", {"username": "guest", "password": "wrong"})
    assert response.status_code == 200
    assert b"correct username and password" in response.content


def test_a_blocked_user_cannot_sign_in_with_the_right_password(client, world):
    user = world.users["guest"]
    user.set_password("correct horse battery")
    user.state = user.State.BLOCKED
    user.save()

    response = client.post("/users/sign_in", {"username": "guest",
                                              "password": "correct horse battery"})

    assert response.status_code == 200
    assert b"correct username and password" in response.content
    assert "_auth_user_id" not in client.session


def test_the_sign_in_form_is_csrf_protected(world):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(
        "/users/sign_in", {"username": "guest", "password": "x"}
    )
    assert response.status_code == 403


def test_dashboard_lists_only_what_the_viewer_may_read_and_searches(client, world):
    anonymous = client.get("/").content.decode()
    assert "acme" not in anonymous
    client.force_login(world.users["guest"])
    page = client.get("/").content.decode()
    assert "/acme/tools" in page and "/oss/lib" in page
    searched = client.get("/", {"search": "tool"}).content.decode()
    assert "/acme/tools" in searched and "/oss/lib" not in searched


def test_the_admin_link_is_shown_to_admins_only(client, world):
    client.force_login(world.users["maintainer"])
    assert b'href="/admin/"' not in client.get("/").content
    client.force_login(world.users["admin"])
    assert b'href="/admin/"' in client.get("/").content


def test_a_project_without_packages_teaches_how_to_publish(client, world):
    client.force_login(world.users["admin"])
    from tests.factories import make_project

    empty = make_project("empty", namespace=world.public_group)
    for url in (f"/{empty.full_path}", f"/{empty.full_path}/-/packages"):
        page = client.get(url).content.decode()
        assert "Publish your first package" in page
        assert f"/api/v4/projects/{empty.pk}/packages/pypi" in page
        assert "twine upload" in page


def test_the_dashboard_costs_the_same_queries_for_many_projects(
    client, world, django_assert_max_num_queries
):
    from tests.factories import make_project

    client.force_login(world.users["guest"])
    with django_assert_max_num_queries(12):
        client.get("/")
    for i in range(15):
        make_package(make_project(f"p{i}", namespace=world.public_group), f"x{i}")
    with django_assert_max_num_queries(12):
        assert client.get("/").status_code == 200


def test_groups_slash_path_redirects_to_the_group_page(client, world):
    assert client.get("/groups/oss")["Location"] == "/oss"


def test_package_counts_take_installable_packages_from_the_one_definition(client, world):
    from packages_pypi.models import Package
    from tests.factories import make_project
    from tests.package_rows import make_package as make_row

    counted = make_project("counted", namespace=world.public_group)
    make_row(counted, "shown")
    make_row(counted, "shown", "2.0")  # one name, two versions: one package
    make_row(counted, "hidden", status=Package.Status.HIDDEN)  # installable, not listed
    make_row(counted, "going", status=Package.Status.PENDING_DESTRUCTION)
    make_row(counted, "broken", status=Package.Status.ERROR)
    client.force_login(world.users["admin"])

    for url in ("/", f"/{world.public_group.full_path}"):
        page = client.get(url, {"search": "counted"} if url == "/" else {}).content.decode()
        assert f'href="/{counted.full_path}/-/packages">2 packages</a>' in page, url


def test_the_projects_app_knows_nothing_of_packages():
    from pathlib import Path

    root = Path(__file__).resolve().parents[3] / "projects"
    sources = {
        path: path.read_text() for path in root.rglob("*.py") if "migrations" not in path.parts
    }

    assert [str(path) for path, text in sources.items() if "pypi_packages" in text] == []


def test_the_dashboard_shows_names_with_the_path_as_secondary_text(client, world):
    from projects.services import group_create, project_create

    public = world.public_group.visibility
    group = group_create(name="Platform Team", path="plat", visibility=public)
    project_create(name="Build Tools", path="bt", namespace=group, visibility=public)
    page = client.get("/").content.decode()
    assert '<a class="title" href="/plat">Platform Team</a>' in page
    assert '<span class="muted small path">plat</span>' in page
    title = 'Platform Team / <strong>Build Tools</strong>'
    assert f'<a class="title" href="/plat/bt">{title}</a>' in page
    assert '<span class="muted small path">plat/bt</span>' in page
