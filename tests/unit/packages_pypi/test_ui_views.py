"""The package pages: what they show, how they search, sort and page, and deleting."""

import pytest

from packages_pypi.models import Package, PackageFile
from tests.factories import make_project
from tests.ui_fixtures import World, make_package

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return World()


@pytest.fixture
def as_user(client, world):
    def sign_in(role):
        client.force_login(world.users[role])
        return client

    return sign_in


def test_the_list_shows_each_name_once_with_its_latest_version_by_pep_440(as_user, world):
    page = as_user("guest").get("/acme/tools/-/packages").content.decode()
    assert page.count(">Demo.Pkg</a>") == 1
    assert "1.10.0" in page and "+1 older" in page  # 1.10.0 > 1.0.0 although "1.0" sorts after
    assert f"/acme/tools/-/packages/{world.package.pk}" in page
    assert "by developer" in page


def test_the_list_searches_by_name_in_any_spelling(as_user, world):
    client = as_user("guest")
    assert ">Demo.Pkg</a>" in client.get("/acme/tools/-/packages?search=demo_pkg").content.decode()
    page = client.get("/acme/tools/-/packages?search=nothing").content.decode()
    assert "No package matches" in page


@pytest.mark.parametrize(("sort", "first"), [("name_asc", "Demo.Pkg"), ("name_desc", "other"),
                                             ("created_desc", "other"),
                                             ("created_asc", "Demo.Pkg")])
def test_the_list_sorts(as_user, world, sort, first):
    page = as_user("guest").get(f"/acme/tools/-/packages?sort={sort}").content.decode()
    names = [name for name in ("Demo.Pkg", "other") if f">{name}</a>" in page]
    assert sorted(names, key=lambda n: page.index(f">{n}</a>"))[0] == first


def test_the_list_pages_by_twenty(as_user, world):
    for i in range(25):
        make_package(world.project, f"bulk-{i:02d}", files=("a.whl",) if i == 0 else ())
    client = as_user("guest")
    first = client.get("/acme/tools/-/packages?sort=name_asc").content.decode()
    second = client.get("/acme/tools/-/packages?sort=name_asc&page=2").content.decode()
    assert "Page 1 of 2" in first and ">bulk-00</a>" in first
    assert ">other</a>" in second and ">other</a>" not in first


@pytest.mark.parametrize("url", ["/acme/tools/-/packages", "/groups/acme/-/packages", "/"])
def test_list_pages_cost_the_same_queries_for_many_packages(
    as_user, world, url, django_assert_max_num_queries
):
    client = as_user("guest")
    with django_assert_max_num_queries(14) as few:
        client.get(url)
    for i in range(20):
        make_package(world.project, f"many-{i}", "1.0")
        make_package(world.project, f"many-{i}", "2.0")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_the_group_list_shows_only_projects_the_viewer_reads(client, world):
    from projects.roles import Visibility

    hidden = make_project("secret", namespace=world.group, visibility=Visibility.PRIVATE)
    make_package(hidden, "hidden-pkg")
    client.force_login(world.users["guest"])
    page = client.get("/groups/acme/-/packages").content.decode()
    assert ">Demo.Pkg</a>" in page and "hidden-pkg" not in page
    client.force_login(world.users["admin"])
    assert "hidden-pkg" in client.get("/groups/acme/-/packages").content.decode()


def test_the_detail_page_has_files_versions_metadata_and_install_commands(as_user, world):
    page = as_user("guest").get(f"/acme/tools/-/packages/{world.package.pk}").content.decode()
    for package_file in world.package.files.all():
        url = (f"/api/v4/projects/{world.project.pk}/packages/pypi/files/"
               f"{package_file.sha256}/{package_file.file_name}")
        assert url in page
        assert package_file.sha256 in page
    assert f'href="/acme/tools/-/packages/{world.old.pk}"' in page
    assert "&gt;=3.9" in page and "Ada" in page and ">demo</span>" in page
    project_index = f"/api/v4/projects/{world.project.pk}/packages/pypi/simple"
    group_index = f"/api/v4/groups/{world.group.pk}/-/packages/pypi/simple"
    token = "__token__:&lt;your_personal_access_token&gt;"
    pip = f"pip install --index-url http://{token}@testserver{project_index} Demo.Pkg==1.10.0"
    assert pip in page
    # A member of the project alone may not read the private group's index (it answers 403).
    assert group_index not in page
    assert "uv pip install" in page and "[[tool.uv.index]]" in page
    assert "machine testserver" in page
    assert "~/.pypirc for twine" in page
    upload_url = f"http://testserver/api/v4/projects/{world.project.pk}/packages/pypi"
    assert f"repository = {upload_url}" in page
    assert "--extra-index-url" in page and "dependency confusion" in page
    assert "Delete version" not in page


def test_the_description_is_rendered_and_sanitised(as_user, world):
    page = as_user("guest").get(f"/acme/tools/-/packages/{world.package.pk}").content.decode()
    assert "<strong>world</strong>" in page
    assert "<script>alert(1)</script>" not in page


def test_maintainers_see_delete_buttons(as_user, world):
    page = as_user("maintainer").get(f"/acme/tools/-/packages/{world.package.pk}").content.decode()
    assert "Delete version" in page
    assert f"/files/{world.file.pk}/delete" in page


def test_deleting_a_file_asks_first_then_deletes_it(
    as_user, world, django_capture_on_commit_callbacks
):
    client = as_user("maintainer")
    url = f"/acme/tools/-/packages/{world.package.pk}/files/{world.file.pk}/delete"
    assert "cannot be undone" in client.get(url).content.decode()
    assert PackageFile.objects.filter(pk=world.file.pk).exists()
    storage, name = world.file.file.storage, world.file.file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response["Location"] == f"/acme/tools/-/packages/{world.package.pk}"
    assert not PackageFile.objects.filter(pk=world.file.pk).exists()
    assert not storage.exists(name)


def test_deleting_the_last_file_deletes_the_version(as_user, world):
    client = as_user("maintainer")
    last = world.other.files.first()
    world.other.files.exclude(pk=last.pk).delete()
    response = client.post(f"/acme/tools/-/packages/{world.other.pk}/files/{last.pk}/delete")
    assert response["Location"] == "/acme/tools/-/packages"
    assert not Package.objects.filter(pk=world.other.pk).exists()


def test_deleting_a_version_deletes_its_files(as_user, world):
    client = as_user("admin")
    response = client.post(f"/acme/tools/-/packages/{world.package.pk}/delete")
    assert response["Location"] == "/acme/tools/-/packages"
    assert not Package.objects.filter(pk=world.package.pk).exists()
    assert not PackageFile.objects.filter(package_id=world.package.pk).exists()
    assert Package.objects.filter(pk=world.old.pk).exists()


@pytest.mark.parametrize("role", ["guest", "developer"])
def test_developers_cannot_delete(as_user, world, role):
    response = as_user(role).post(f"/acme/tools/-/packages/{world.package.pk}/delete")
    assert response.status_code == 404
    assert Package.objects.filter(pk=world.package.pk).exists()


def test_anonymous_delete_goes_to_sign_in_and_deletes_nothing(client, world):
    response = client.post(f"/oss/lib/-/packages/{world.public_package.pk}/delete")
    assert response["Location"].startswith("/users/sign_in")
    assert Package.objects.filter(pk=world.public_package.pk).exists()
