"""Token pages: create with the secret shown once, list, revoke; deploy tokens per owner."""

import datetime

import pytest
from django.utils import timezone

from auth_tokens.models import DeployToken, PersonalAccessToken
from auth_tokens.services import deploy_token_issue, personal_access_token_issue
from tests.ui_fixtures import World

pytestmark = pytest.mark.django_db
PAT_PAGE = "/-/user_settings/personal_access_tokens"


@pytest.fixture
def world():
    return World()


def test_a_new_token_is_shown_once_on_the_next_page(client, world):
    client.force_login(world.users["developer"])
    response = client.post(PAT_PAGE, {"name": "laptop", "scopes": ["read_api"]})
    assert response.status_code == 302 and response["Location"] == PAT_PAGE
    token = PersonalAccessToken.objects.get(user=world.users["developer"], name="laptop")
    assert token.scopes == ["read_api"]
    assert token.expires_at == timezone.localdate() + datetime.timedelta(days=365)
    first = client.get(PAT_PAGE).content.decode()
    assert 'id="new-token-secret">glpat-' in first
    again = client.get(PAT_PAGE).content.decode()
    assert "new-token-secret" not in again and "laptop" in again


@pytest.mark.parametrize(("data", "error"), [
    ({"name": "", "scopes": ["api"]}, "This field is required"),
    ({"name": "x"}, "This field is required"),
    ({"name": "x", "scopes": ["sudo"]}, "Select a valid choice"),
    ({"name": "x", "scopes": ["api"], "expires_at": "2000-01-01"}, "after today"),
    ({"name": "x", "scopes": ["api"], "expires_at": "2999-01-01"}, "at most 365 days"),
])
def test_a_bad_token_form_says_what_is_wrong_and_creates_nothing(client, world, data, error):
    client.force_login(world.users["developer"])
    response = client.post(PAT_PAGE, data)
    assert response.status_code == 200 and error in response.content.decode()
    assert not PersonalAccessToken.objects.exists()


def test_revoking_a_token_keeps_it_listed_as_revoked(client, world):
    token, _ = personal_access_token_issue(user=world.users["guest"], name="old", scopes=["api"])
    client.force_login(world.users["guest"])
    assert client.post(f"{PAT_PAGE}/{token.pk}/revoke").status_code == 302
    token.refresh_from_db()
    assert token.revoked
    assert "revoked" in client.get(PAT_PAGE).content.decode()


def test_nobody_revokes_someone_elses_token(client, world):
    token, _ = personal_access_token_issue(user=world.users["guest"], name="mine", scopes=["api"])
    client.force_login(world.users["admin"])
    assert client.post(f"{PAT_PAGE}/{token.pk}/revoke").status_code == 404
    assert client.get(f"{PAT_PAGE}/{token.pk}/revoke").status_code == 405
    token.refresh_from_db()
    assert not token.revoked
    assert "mine" not in client.get(PAT_PAGE).content.decode()


def test_a_maintainer_creates_and_revokes_a_project_deploy_token(client, world):
    client.force_login(world.users["maintainer"])
    url = "/acme/tools/-/settings/repository"
    response = client.post(url, {"name": "ci", "scopes": ["read_package_registry"]})
    assert response["Location"] == url
    token = DeployToken.objects.get(project=world.project)
    assert token.expires_at is None  # GitLab's deploy tokens live until revoked by default
    assert token.username == f"gitlab+deploy-token-{token.pk}"
    assert 'id="new-token-secret">gldt-' in client.get(url).content.decode()
    assert client.post(f"{url}/deploy_tokens/{token.pk}/revoke")["Location"] == url
    token.refresh_from_db()
    assert token.revoked


def test_a_group_maintainer_creates_a_group_deploy_token(client, world):
    client.force_login(world.users["group_maintainer"])
    url = "/groups/acme/-/settings/repository"
    response = client.post(url, {"name": "ci", "username": "robot", "expires_at": "2100-01-01",
                                 "scopes": ["write_package_registry"]})
    assert response.status_code == 200 and "at most 365 days" in response.content.decode()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client.post(url, {"name": "ci", "username": "robot", "expires_at": tomorrow,
                                 "scopes": ["write_package_registry"]})
    assert response["Location"] == url
    token = DeployToken.objects.get(group=world.group)
    assert token.username == "robot"
    assert token.expires_at.date() == tomorrow


def test_deploy_tokens_of_another_project_cannot_be_revoked_here(client, world):
    other, _ = deploy_token_issue(owner=world.public_project, name="x",
                                  scopes=["read_package_registry"])
    client.force_login(world.users["maintainer"])
    url = f"/acme/tools/-/settings/repository/deploy_tokens/{other.pk}/revoke"
    assert client.post(url).status_code == 404
    other.refresh_from_db()
    assert not other.revoked


@pytest.mark.parametrize("role", ["guest", "developer", "stranger"])
def test_non_maintainers_cannot_create_deploy_tokens(client, world, role):
    client.force_login(world.users[role])
    response = client.post("/acme/tools/-/settings/repository",
                           {"name": "ci", "scopes": ["read_package_registry"]})
    assert response.status_code == 404
    assert not DeployToken.objects.exists()
