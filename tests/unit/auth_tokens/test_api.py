"""Request-level tests of the token routes: PATs, deploy tokens and CI jobs."""

import pytest
from rest_framework.test import APIClient

from auth_tokens.models import CiJob, PersonalAccessToken
from auth_tokens.services import personal_access_token_issue
from projects.roles import AccessLevel
from tests.factories import (
    add_member,
    make_deploy_token,
    make_group,
    make_job_token,
    make_pat,
    make_project,
    make_user,
)

pytestmark = pytest.mark.django_db


def client_for(user, **pat) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_PRIVATE_TOKEN=make_pat(user, **pat))
    return client


@pytest.fixture
def admin():
    return client_for(make_user("root", is_admin=True))


def test_an_unknown_scope_is_400_in_grape_shape(admin):
    user = make_user()
    response = admin.post(
        f"/api/v4/users/{user.pk}/personal_access_tokens",
        {"name": "t", "scopes": ["nope"]}, format="json",
    )
    assert response.status_code == 400
    assert response.json()["message"].endswith("scopes does not have a valid value")


def test_a_token_created_without_expiry_gets_the_maximum_lifetime(admin):
    user = make_user()
    response = admin.post(
        f"/api/v4/users/{user.pk}/personal_access_tokens",
        {"name": "t", "scopes": ["api"]}, format="json",
    )
    assert response.status_code == 201
    assert response.json()["token"].startswith("glpat-")
    assert response.json()["expires_at"] is not None


def test_only_admins_create_tokens_for_users():
    user = make_user()
    response = client_for(user).post(
        f"/api/v4/users/{user.pk}/personal_access_tokens",
        {"name": "t", "scopes": ["api"]}, format="json",
    )
    assert response.status_code == 403


def test_non_admins_list_only_their_own_tokens_and_never_see_others():
    alice, bob = make_user(), make_user()
    make_pat(bob)
    client = client_for(alice)
    listed = client.get("/api/v4/personal_access_tokens").json()
    assert {t["user_id"] for t in listed} == {alice.pk}
    assert client.get(f"/api/v4/personal_access_tokens?user_id={bob.pk}").json() == []
    bobs = PersonalAccessToken.objects.get(user=bob)
    assert client.get(f"/api/v4/personal_access_tokens/{bobs.pk}").status_code == 404
    assert client.delete(f"/api/v4/personal_access_tokens/{bobs.pk}").status_code == 404


def test_revoking_self_keeps_the_row_and_refuses_the_token_at_once():
    user = make_user()
    client = client_for(user)
    assert client.delete("/api/v4/personal_access_tokens/self").status_code == 204
    response = client.get("/api/v4/user")
    assert response.status_code == 401
    assert response.json()["error_description"].startswith("Token was revoked")
    assert PersonalAccessToken.objects.get(user=user).revoked


def test_rotating_answers_200_with_a_new_secret_expiring_in_a_week():
    client = client_for(make_user())
    response = client.post("/api/v4/personal_access_tokens/self/rotate", {}, format="json")
    assert response.status_code == 200
    assert response.json()["token"].startswith("glpat-")
    assert PersonalAccessToken.objects.filter(revoked=True).count() == 1


def test_token_lists_cost_constant_queries(admin, django_assert_max_num_queries):
    user = make_user()
    for _ in range(15):
        make_pat(user)
    with django_assert_max_num_queries(6):
        response = admin.get(f"/api/v4/personal_access_tokens?user_id={user.pk}&per_page=100")
    assert len(response.json()) == 15


def test_deploy_tokens_need_a_maintainer_and_are_404_elsewhere():
    project = make_project("p", namespace=make_group("g"))
    developer, maintainer = make_user(), make_user()
    add_member(project, developer, AccessLevel.DEVELOPER)
    add_member(project, maintainer, AccessLevel.MAINTAINER)
    body = {"name": "d", "scopes": ["read_package_registry"]}
    url = "/api/v4/projects/g%2Fp/deploy_tokens"
    assert client_for(developer).post(url, body, format="json").status_code == 403
    created = client_for(maintainer).post(url, body, format="json")
    assert created.status_code == 201
    assert created.json()["token"].startswith("gldt-")
    other = make_project()
    response = client_for(maintainer).get(
        f"/api/v4/projects/{other.pk}/deploy_tokens/{created.json()['id']}"
    )
    assert response.status_code == 403  # public project: seen, not allowed
    own = client_for(maintainer).get(f"{url}/{created.json()['id']}")
    assert "token" not in own.json()


def test_a_deploy_token_with_a_bad_scope_is_400(admin):
    project = make_project()
    response = admin.post(
        f"/api/v4/projects/{project.pk}/deploy_tokens",
        {"name": "d", "scopes": ["api"]}, format="json",
    )
    assert response.status_code == 400


def test_a_ci_job_is_started_by_a_maintainer_and_finished_once():
    project = make_project()
    maintainer, developer = make_user(), make_user()
    add_member(project, maintainer, AccessLevel.MAINTAINER)
    add_member(project, developer, AccessLevel.DEVELOPER)
    url = f"/api/v4/projects/{project.pk}/jobs"
    body = {"user_id": developer.pk, "name": "build"}
    assert client_for(developer).post(url, body, format="json").status_code == 403
    response = client_for(maintainer).post(url, body, format="json")
    assert response.status_code == 201
    assert response.json()["token"].startswith("glcbt-")
    job_id = response.json()["id"]
    finished = client_for(maintainer).post(f"/api/v4/jobs/{job_id}/finish", {}, format="json")
    assert finished.json()["status"] == "success"
    assert CiJob.objects.get().finished_at is not None


def test_a_ci_job_for_an_unknown_user_is_404(admin):
    project = make_project()
    response = admin.post(
        f"/api/v4/projects/{project.pk}/jobs", {"username": "ghost"}, format="json"
    )
    assert response.status_code == 404


def _job_token_of(user) -> str:
    project = make_project()
    add_member(project, user, AccessLevel.MAINTAINER)
    return make_job_token(project, user)


@pytest.mark.parametrize("kind", ["job token", "deploy token"])
def test_job_and_deploy_tokens_neither_create_nor_rotate_personal_access_tokens(kind):
    root = make_user("root", is_admin=True)
    make_pat(root)
    client = APIClient()
    if kind == "job token":
        client.credentials(HTTP_JOB_TOKEN=_job_token_of(root))
    else:
        client.credentials(HTTP_DEPLOY_TOKEN=make_deploy_token(make_project()))
    own = PersonalAccessToken.objects.get(user=root)

    create = client.post(f"/api/v4/users/{root.pk}/personal_access_tokens",
                         {"name": "loot", "scopes": ["api"]}, format="json")
    rotate = client.post(f"/api/v4/personal_access_tokens/{own.pk}/rotate", {}, format="json")

    assert create.status_code == 401
    assert rotate.status_code == 401
    assert list(PersonalAccessToken.objects.values_list("revoked", flat=True)) == [False]


def test_a_read_api_token_cannot_create_or_rotate_a_token():
    root = make_user("root", is_admin=True)
    client = client_for(root, scopes=("read_api",))

    create = client.post(f"/api/v4/users/{root.pk}/personal_access_tokens",
                         {"name": "wider", "scopes": ["api"]}, format="json")
    rotate = client.post("/api/v4/personal_access_tokens/self/rotate", {}, format="json")

    assert (create.status_code, rotate.status_code) == (403, 403)
    assert create.json()["error"] == "insufficient_scope"
    assert not PersonalAccessToken.objects.filter(name="wider").exists()
    assert not PersonalAccessToken.objects.filter(revoked=True).exists()


@pytest.mark.parametrize("scope", ["sudo", "admin_mode"])
def test_an_api_token_cannot_mint_a_token_that_reaches_past_its_user(admin, scope):
    user = make_user()
    response = admin.post(f"/api/v4/users/{user.pk}/personal_access_tokens",
                          {"name": "wider", "scopes": ["api", scope]}, format="json")

    assert response.status_code == 403
    assert response.json()["message"] == (
        "403 Forbidden - a token cannot create a token with wider scopes than its own"
    )
    assert not PersonalAccessToken.objects.filter(name="wider").exists()


def test_an_api_token_issues_the_narrower_scopes_it_covers(admin):
    user = make_user()
    response = admin.post(f"/api/v4/users/{user.pk}/personal_access_tokens",
                          {"name": "narrow", "scopes": ["read_api", "read_user"]}, format="json")

    assert response.status_code == 201


def test_rotating_a_token_with_wider_scopes_than_the_caller_is_403_and_revokes_nothing():
    user = make_user(is_admin=True)
    wide, _ = personal_access_token_issue(user=user, name="wide", scopes=["api", "sudo"])
    client = client_for(user)

    response = client.post(f"/api/v4/personal_access_tokens/{wide.pk}/rotate", {}, format="json")

    assert response.status_code == 403
    assert not PersonalAccessToken.objects.filter(revoked=True).exists()


@pytest.mark.parametrize("who", ["admin", "owner"])
def test_a_maintainer_cannot_start_a_job_acting_as_someone_with_more_access(who):
    project = make_project()
    maintainer = make_user()
    add_member(project, maintainer, AccessLevel.MAINTAINER)
    stronger = make_user(is_admin=who == "admin")
    if who == "owner":
        add_member(project, stronger, AccessLevel.OWNER)

    response = client_for(maintainer).post(
        f"/api/v4/projects/{project.pk}/jobs", {"user_id": stronger.pk}, format="json"
    )

    assert response.status_code == 403
    assert not CiJob.objects.exists()
