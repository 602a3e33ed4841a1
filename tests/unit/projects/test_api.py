"""Request-level tests of /api/v4 users, groups, projects, members and settings."""

import json

import pytest
from rest_framework.test import APIClient

from projects.models import Group, Project
from projects.roles import AccessLevel, Visibility
from tests.factories import add_member, make_group, make_pat, make_project, make_user

pytestmark = pytest.mark.django_db


def client_for(user=None, **pat) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_PRIVATE_TOKEN=make_pat(user, **pat))
    return client


@pytest.fixture(autouse=True)
def _any_host(settings):
    settings.ALLOWED_HOSTS = ["*"]


@pytest.fixture
def admin():
    return client_for(make_user("root", is_admin=True))


def test_current_user_carries_a_web_url_on_the_request_host(admin):
    response = admin.get("/api/v4/user", HTTP_HOST="registry.example:8443")
    assert response.status_code == 200
    assert response.json()["web_url"] == "http://registry.example:8443/root"
    assert response.json()["is_admin"] is True


def test_current_user_without_a_token_is_401_with_gitlab_body():
    response = APIClient().get("/api/v4/user")
    assert response.status_code == 401
    assert response.json() == {"message": "401 Unauthorized"}


def test_a_bad_token_is_401_and_a_revoked_one_names_the_reason():
    client = APIClient()
    client.credentials(HTTP_PRIVATE_TOKEN="glpat-nonsense")
    assert client.get("/api/v4/user").status_code == 401


def test_a_read_api_token_may_not_write():
    client = client_for(make_user(is_admin=True), scopes=("read_api",))
    response = client.post("/api/v4/groups", {"name": "g", "path": "g"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"


def test_a_deploy_token_does_not_open_the_admin_api():
    from tests.factories import make_deploy_token

    client = APIClient()
    client.credentials(HTTP_PRIVATE_TOKEN=make_deploy_token(make_project()))
    assert client.get("/api/v4/user").status_code == 401


def test_creating_a_user_with_a_taken_email_is_409(admin):
    make_user("alice")
    body = {"username": "alice2", "email": "alice@example.com", "name": "A", "password": "x" * 8}
    response = admin.post("/api/v4/users", body, format="json")
    assert response.status_code == 409
    assert response.json() == {"message": "Email has already been taken"}


def test_creating_a_user_without_a_name_says_which_parameter_is_missing(admin):
    body = {"username": "bob", "email": "bob@example.com", "password": "x" * 8}
    response = admin.post("/api/v4/users", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"error": "name is missing"}


def test_non_admins_may_not_write_users_and_anonymous_callers_must_sign_in():
    body = {"username": "bob", "email": "bob@example.com", "name": "B", "password": "x" * 8}
    assert client_for(make_user()).post("/api/v4/users", body, format="json").status_code == 403
    assert APIClient().post("/api/v4/users", body, format="json").status_code == 401


def test_a_missing_user_is_404_with_gitlab_wording(admin):
    response = admin.get("/api/v4/users/999")
    assert response.status_code == 404
    assert response.json() == {"message": "404 User Not Found"}


def test_deleting_a_user_is_204(admin):
    user = make_user()
    assert admin.delete(f"/api/v4/users/{user.pk}").status_code == 204


def test_group_lists_carry_gitlab_pagination_headers_and_links(admin):
    for index in range(5):
        make_group(f"g{index}")
    response = admin.get("/api/v4/groups?per_page=2&page=2&search=g", HTTP_HOST="h:81")
    assert response.status_code == 200
    assert len(response.json()) == 2
    assert (response["X-Total"], response["X-Total-Pages"]) == ("5", "3")
    assert (response["X-Page"], response["X-Per-Page"]) == ("2", "2")
    assert (response["X-Next-Page"], response["X-Prev-Page"]) == ("3", "1")
    assert '<http://h:81/api/v4/groups?per_page=2&page=3&search=g>; rel="next"' in (
        response["Link"].replace("search=g&page=3&per_page=2", "per_page=2&page=3&search=g")
    )
    assert 'rel="last"' in response["Link"]


def test_the_last_page_has_no_next_link(admin):
    make_group("only")
    response = admin.get("/api/v4/groups")
    assert response["X-Next-Page"] == ""
    assert 'rel="next"' not in response["Link"]


def test_group_and_project_lists_cost_the_same_queries_for_many_rows(
    admin, django_assert_max_num_queries
):
    group = make_group("g")
    for index in range(3):
        make_project(f"p{index}", namespace=group)
    with django_assert_max_num_queries(8):
        few = admin.get("/api/v4/projects")
    for index in range(3, 30):
        make_project(f"p{index}", namespace=make_group(f"g{index}"))
    with django_assert_max_num_queries(8):
        assert len(admin.get("/api/v4/projects?per_page=100").json()) == 30
    with django_assert_max_num_queries(8):
        assert len(admin.get("/api/v4/groups?per_page=100").json()) == 28
    assert few.status_code == 200


def test_member_lists_cost_constant_queries(admin, django_assert_max_num_queries):
    project = make_project()
    for _ in range(20):
        add_member(project, make_user(), AccessLevel.DEVELOPER)
    with django_assert_max_num_queries(8):
        response = admin.get(f"/api/v4/projects/{project.pk}/members?per_page=100")
    assert len(response.json()) == 20


def test_a_project_is_found_by_its_encoded_full_path_with_subgroups(admin):
    project = make_project("p", namespace=make_group("s", parent=make_group("g")))
    response = admin.get("/api/v4/projects/g%2Fs%2Fp")
    assert response.status_code == 200
    assert response.json()["id"] == project.pk
    assert response.json()["namespace"]["full_path"] == "g/s"


def test_a_private_project_is_404_for_strangers_and_401_for_anonymous():
    make_project("p", namespace=make_group("g", visibility=Visibility.PRIVATE),
                 visibility=Visibility.PRIVATE)
    response = client_for(make_user()).get("/api/v4/projects/g%2Fp")
    assert response.status_code == 404
    assert response.json() == {"message": "404 Project Not Found"}
    assert APIClient().get("/api/v4/projects/g%2Fp").status_code == 401


def test_a_developer_may_read_a_project_but_not_change_it():
    project = make_project("p", namespace=make_group("g"))
    developer = make_user()
    add_member(project, developer, AccessLevel.DEVELOPER)
    client = client_for(developer)
    assert client.get("/api/v4/projects/g%2Fp").status_code == 200
    response = client.put("/api/v4/projects/g%2Fp", {"name": "x"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"message": "403 Forbidden"}


def test_deleting_projects_and_groups_answers_202_accepted(admin):
    group = make_group("g")
    project = make_project("p", namespace=group)
    response = admin.delete(f"/api/v4/projects/{project.pk}")
    assert (response.status_code, response.json()) == (202, {"message": "202 Accepted"})
    assert admin.delete("/api/v4/groups/g").status_code == 202
    assert not Group.objects.exists()


def test_a_project_in_a_group_one_may_not_create_in_is_403():
    group = make_group("g")
    developer = make_user()
    add_member(group, developer, AccessLevel.DEVELOPER)
    response = client_for(developer).post(
        "/api/v4/projects", {"name": "p", "namespace_id": group.pk}, format="json"
    )
    assert response.status_code == 403


def test_creating_a_project_needs_a_namespace(admin):
    response = admin.post("/api/v4/projects", {"name": "p"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"error": "namespace_id is missing"}


def test_a_duplicate_project_path_is_400(admin):
    group = make_group("g")
    make_project("p", namespace=group)
    body = {"path": "p", "namespace_id": group.pk}
    response = admin.post("/api/v4/projects", body, format="json")
    assert response.status_code == 400
    assert "has already been taken" in response.json()["message"]


def test_a_child_more_visible_than_its_parent_is_refused(admin):
    parent = make_group("g", visibility=Visibility.PRIVATE)
    body = {"name": "s", "path": "s", "parent_id": parent.pk, "visibility": "public"}
    assert admin.post("/api/v4/groups", body, format="json").status_code == 400


def test_the_creator_of_a_group_becomes_its_owner():
    user = make_user()
    response = client_for(user).post("/api/v4/groups", {"name": "g", "path": "g"}, format="json")
    assert response.status_code == 201
    members = client_for(user).get(f"/api/v4/groups/{response.json()['id']}/members").json()
    assert [(m["id"], m["access_level"]) for m in members] == [(user.pk, AccessLevel.OWNER)]


def test_renaming_a_group_path_moves_its_subgroups_and_projects(admin):
    group = make_group("g")
    make_project("p", namespace=make_group("s", parent=group))
    assert admin.put("/api/v4/groups/g", {"path": "h"}, format="json").status_code == 200
    assert Project.objects.get().full_path == "h/s/p"


def test_an_unknown_member_is_404_and_a_bad_access_level_400(admin):
    project = make_project()
    assert admin.get(f"/api/v4/projects/{project.pk}/members/999").status_code == 404
    user = make_user()
    response = admin.post(
        f"/api/v4/projects/{project.pk}/members", {"user_id": user.pk, "access_level": 31},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"error": "access_level does not have a valid value"}


def test_application_settings_are_admin_only_and_updated_partially(admin):
    assert client_for(make_user()).get("/api/v4/application/settings").status_code == 403
    assert APIClient().get("/api/v4/application/settings").status_code == 401
    response = admin.put(
        "/api/v4/application/settings",
        {"pypi_package_requests_forwarding": False, "unknown": 1}, format="json",
    )
    assert response.status_code == 200
    assert response.json()["pypi_package_requests_forwarding"] is False
    empty = admin.put("/api/v4/application/settings", {"unknown": 1}, format="json")
    assert empty.status_code == 400
    assert "error" in empty.json()


def test_no_api_route_redirects_to_a_trailing_slash(admin):
    assert admin.get("/api/v4/projects").status_code == 200
    created = admin.post("/api/v4/groups", {"name": "g", "path": "g"}, format="json")
    assert created.status_code == 201


def test_the_openapi_description_is_published():
    response = APIClient().get("/api/v4/openapi.json")
    assert response.status_code == 200
    assert "json" in response["Content-Type"]
    paths = json.loads(response.content)["paths"]
    assert "/api/v4/user" in paths
    assert any("packages" in path for path in paths)


def test_every_operation_has_its_schemas():
    paths = APIClient().get("/api/v4/openapi.json").json()["paths"]
    assert len(paths) >= 35
    for path, operations in paths.items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            responses = operation["responses"]
            # GitLab's refusals, with its error body, on every operation.
            for status in ("400", "401", "403", "404"):
                assert "application/json" in responses[status]["content"], (method, path)
            successes = {s: r for s, r in responses.items() if s.startswith("2")}
            assert successes, (method, path)
            for status, response in successes.items():
                if status == "204":
                    continue
                assert all(media["schema"] for media in response["content"].values()), (
                    method, path, status)
            if "/pypi" in path:
                continue
            if method in {"post", "put"} and not path.endswith(("block", "unblock")):
                body = operation["requestBody"]["content"]["application/json"]["schema"]
                assert body["$ref"].endswith("Input"), (method, path)


def test_the_upstream_proxy_settings_are_in_the_application_settings(admin):
    response = admin.put(
        "/api/v4/application/settings",
        {"pypi_package_requests_forwarding_mode": "redirect",
         "pypi_upstream_min_release_age_hours": 72,
         "pypi_upstream_blocklist": ["evil-pkg", "requests==2.99.0", "tensorfl0w*"],
         "pypi_upstream_age_exemptions": ["urgent-fix"]}, format="json",
    )
    bad_rule = admin.put("/api/v4/application/settings",
                         {"pypi_upstream_blocklist": ["foo @ https://x"]}, format="json")
    bad_mode = admin.put("/api/v4/application/settings",
                         {"pypi_package_requests_forwarding_mode": "mirror"}, format="json")

    assert response.status_code == 200
    body = admin.get("/api/v4/application/settings").json()
    assert body["pypi_package_requests_forwarding_mode"] == "redirect"
    assert body["pypi_upstream_min_release_age_hours"] == 72
    assert body["pypi_upstream_blocklist"] == ["evil-pkg", "requests==2.99.0", "tensorfl0w*"]
    assert body["pypi_upstream_age_exemptions"] == ["urgent-fix"]
    assert body["pypi_upstream_offline"] is False
    assert (bad_rule.status_code, bad_mode.status_code) == (400, 400)


def test_a_group_overrides_the_upstream_settings_and_null_inherits(admin):
    group = admin.post("/api/v4/groups", {"name": "g", "path": "g"}, format="json").json()

    changed = admin.put(
        f"/api/v4/groups/{group['id']}",
        {"pypi_package_requests_forwarding_mode": "redirect",
         "pypi_package_requests_forwarding": True,
         "pypi_upstream_allowlist_only": True, "pypi_upstream_allowlist": ["requests"]},
        format="json",
    ).json()
    inherited = admin.put(
        f"/api/v4/groups/{group['id']}", {"pypi_package_requests_forwarding_mode": None},
        format="json",
    ).json()

    assert group["pypi_package_requests_forwarding_mode"] is None
    assert changed["pypi_package_requests_forwarding_mode"] == "redirect"
    assert changed["pypi_package_requests_forwarding"] is True
    assert changed["pypi_upstream_allowlist"] == ["requests"]
    assert inherited["pypi_package_requests_forwarding_mode"] is None
    assert inherited["pypi_upstream_allowlist_only"] is True
