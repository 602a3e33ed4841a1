"""Request-level tests of the Packages API: filters, errors, permissions and query counts."""

import pytest
from rest_framework.test import APIClient

from packages_pypi.models import Package
from projects.roles import AccessLevel, Visibility
from tests.factories import add_member, make_group, make_pat, make_project, make_user
from tests.package_rows import add_file, make_package

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_PRIVATE_TOKEN=make_pat(user))
    return client


@pytest.fixture
def project():
    return make_project("p", namespace=make_group("g"))


def test_an_unknown_package_type_is_400_and_another_known_type_lists_nothing(project):
    make_package(project)
    client = APIClient()
    response = client.get("/api/v4/projects/g%2Fp/packages?package_type=cargo")
    assert response.status_code == 400
    assert response.json() == {"error": "package_type does not have a valid value"}
    assert client.get("/api/v4/projects/g%2Fp/packages?package_type=npm").json() == []


def test_a_bad_order_is_400(project):
    response = APIClient().get("/api/v4/projects/g%2Fp/packages?order_by=size")
    assert response.status_code == 400


def test_packages_are_filtered_by_version_and_status(project):
    make_package(project, "a", "1.0")
    make_package(project, "a", "2.0")
    make_package(project, "b", "1.0", status=Package.Status.HIDDEN)
    client = APIClient()
    assert [p["version"] for p in client.get(
        "/api/v4/projects/g%2Fp/packages?package_version=2.0").json()] == ["2.0"]
    hidden = client.get("/api/v4/projects/g%2Fp/packages?status=hidden").json()
    assert [p["name"] for p in hidden] == ["b"]
    assert len(client.get("/api/v4/projects/g%2Fp/packages").json()) == 2


def test_a_package_shows_its_other_versions_and_links(project):
    first = make_package(project, "a", "1.0")
    make_package(project, "a", "2.0")
    data = APIClient().get(f"/api/v4/projects/g%2Fp/packages/{first.pk}").json()
    assert [v["version"] for v in data["versions"]] == ["2.0"]
    assert data["_links"]["web_path"] == f"/g/p/-/packages/{first.pk}"
    assert "delete_api_path" not in data["_links"]
    assert data["created_at"].endswith("Z")


def test_a_private_project_hides_its_packages_from_strangers():
    project = make_project(
        "p", namespace=make_group("g", visibility=Visibility.PRIVATE), visibility=Visibility.PRIVATE
    )
    package = make_package(project)
    assert APIClient().get("/api/v4/projects/g%2Fp/packages").status_code == 401
    stranger = client_for(make_user())
    response = stranger.get(f"/api/v4/projects/g%2Fp/packages/{package.pk}")
    assert response.status_code == 404
    assert response.json() == {"message": "404 Project Not Found"}


def test_deleting_needs_a_maintainer_and_anonymous_callers_must_sign_in(project):
    package = make_package(project)
    url = f"/api/v4/projects/g%2Fp/packages/{package.pk}"
    assert APIClient().delete(url).status_code == 401
    developer = make_user()
    add_member(project, developer, AccessLevel.DEVELOPER)
    assert client_for(developer).delete(url).status_code == 403
    assert client_for(make_user(is_admin=True)).delete(url).status_code == 204


def test_a_file_of_another_package_is_404(project):
    first, second = make_package(project, "a", "1.0"), make_package(project, "b", "1.0")
    other_file = add_file(second)
    admin = client_for(make_user(is_admin=True))
    response = admin.delete(
        f"/api/v4/projects/g%2Fp/packages/{first.pk}/package_files/{other_file.pk}"
    )
    assert response.status_code == 404


def test_project_package_lists_cost_constant_queries(project, django_assert_max_num_queries):
    for index in range(30):
        add_file(make_package(project, f"pkg{index}", "1.0"))
    admin = client_for(make_user(is_admin=True))
    with django_assert_max_num_queries(8):
        response = admin.get("/api/v4/projects/g%2Fp/packages?per_page=100")
    assert len(response.json()) == 30
    package = Package.objects.first()
    for index in range(10):
        add_file(package, f"pkg-1.0-{index}.tar.gz")
    with django_assert_max_num_queries(8):
        files = admin.get(f"/api/v4/projects/g%2Fp/packages/{package.pk}/package_files")
    assert len(files.json()) == 11


def test_group_package_lists_cost_constant_queries(django_assert_max_num_queries):
    group = make_group("g")
    for index in range(10):
        project = make_project(f"p{index}", namespace=make_group(f"s{index}", parent=group))
        make_package(project, "pkg", "1.0")
    user = make_user()
    add_member(group, user, AccessLevel.REPORTER)
    client = client_for(user)  # issuing its token is not part of the list's cost
    with django_assert_max_num_queries(10):
        response = client.get("/api/v4/groups/g/packages?per_page=100")
    assert {p["project_path"] for p in response.json()} == {f"g/s{i}/p{i}" for i in range(10)}


def test_group_packages_leave_out_projects_the_caller_cannot_read():
    group = make_group("g", visibility=Visibility.INTERNAL)
    make_package(make_project("open", namespace=group, visibility=Visibility.INTERNAL))
    make_package(make_project("closed", namespace=group, visibility=Visibility.PRIVATE))
    response = client_for(make_user()).get("/api/v4/groups/g/packages?exclude_subgroups=False")
    assert [p["project_path"] for p in response.json()] == ["g/open"]


@pytest.mark.parametrize(
    "query",
    ["Zqx.Newcomer_Dotty", "zqx-newcomer-dotty", "ZQX_NEWCOMER.DOTTY", "Zqx.Newcomer-Dotty",
     "newcomer_dot", "Newcomer", "x.newcomer"],
)
def test_package_name_matches_every_pep_503_spelling_and_substrings(project, query):
    make_package(project, "Zqx.Newcomer-Dotty", "1.0")
    make_package(project, "Zqx.Newcomer-Dotty", "2.0")
    make_package(project, "unrelated", "1.0")
    for path in ("/api/v4/projects/g%2Fp/packages", "/api/v4/groups/g/packages"):
        response = APIClient().get(path, {"package_name": query})
        assert response.status_code == 200
        assert [(p["name"], p["version"]) for p in response.json()] == [
            ("Zqx.Newcomer-Dotty", "1.0"), ("Zqx.Newcomer-Dotty", "2.0"),
        ]


def test_package_name_still_finds_nothing_for_another_name(project):
    make_package(project, "Zqx.Newcomer-Dotty", "1.0")
    for query in ("Zqx.Newcomer_Dottyx", "newcomer__x", "dotty-zqx"):
        response = APIClient().get("/api/v4/projects/g%2Fp/packages", {"package_name": query})
        assert response.json() == []
