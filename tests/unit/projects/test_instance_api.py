"""GET /version, /metadata, /namespaces and POST /users/:id/block|unblock, request by request."""

import base64
import importlib.metadata
import json

import pytest
from rest_framework.test import APIClient

from projects.models import User
from projects.roles import AccessLevel, Visibility
from tests.factories import (
    add_member,
    make_deploy_token,
    make_group,
    make_pat,
    make_project,
    make_user,
)

pytestmark = pytest.mark.django_db


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_PRIVATE_TOKEN=make_pat(user))
    return client


@pytest.fixture(autouse=True)
def _any_host(settings):
    settings.ALLOWED_HOSTS = ["*"]


@pytest.fixture
def root() -> User:
    return make_user("root", is_admin=True)


# --- /version and /metadata ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v4/version", "/api/v4/metadata"])
def test_version_and_metadata_answer_gitlabs_metadata_entity(path, settings):
    settings.REGISTRY_REVISION = "abc1234"
    response = client_for(make_user()).get(path)
    assert response.status_code == 200
    assert response.json() == {
        "version": importlib.metadata.version("pypi-registry"),
        "revision": "abc1234",
        "kas": {"enabled": False, "externalUrl": None, "externalK8sProxyUrl": None,
                "version": None},
        "enterprise": False,
    }


@pytest.mark.parametrize("path", ["/api/v4/version", "/api/v4/metadata"])
def test_version_needs_a_signed_in_user(path):
    assert APIClient().get(path).status_code == 401
    deploy = APIClient()
    deploy.credentials(HTTP_DEPLOY_TOKEN=make_deploy_token(make_project()))
    assert deploy.get(path).status_code == 401


# --- /namespaces ------------------------------------------------------------------------------


@pytest.fixture
def tree():
    """acme (public) > acme/tools (private); other (public), hidden (private)."""
    acme = make_group("acme")
    tools = make_group("tools", parent=acme, visibility=Visibility.PRIVATE)
    other = make_group("other")
    hidden = make_group("hidden", visibility=Visibility.PRIVATE)
    return acme, tools, other, hidden


def test_an_admin_lists_every_namespace_in_gitlabs_shape(root, tree):
    acme, tools, _other, _hidden = tree
    response = client_for(root).get("/api/v4/namespaces", HTTP_HOST="reg.example")
    assert response.status_code == 200
    assert [n["full_path"] for n in response.json()] == ["acme", "acme/tools", "other", "hidden"]
    assert response.json()[1] == {
        "id": tools.pk, "name": "Tools", "path": "tools", "kind": "group",
        "full_path": "acme/tools", "parent_id": acme.pk, "avatar_url": None,
        "web_url": "http://reg.example/groups/acme/tools",
    }
    assert response["X-Total"] == "4"


def test_a_member_lists_their_groups_and_subgroups_not_every_public_group(tree):
    acme, _tools, _other, _hidden = tree
    member = make_user()
    add_member(acme, member, AccessLevel.DEVELOPER)
    paths = [n["full_path"] for n in client_for(member).get("/api/v4/namespaces").json()]
    assert paths == ["acme", "acme/tools"]
    assert client_for(make_user()).get("/api/v4/namespaces").json() == []


def test_namespaces_are_searched_and_filtered_and_paged(root, tree):
    _acme, tools, other, hidden = tree
    client = client_for(root)
    assert [n["id"] for n in client.get("/api/v4/namespaces?search=TOO").json()] == [tools.pk]
    assert client.get("/api/v4/namespaces?search=acme/t").json() == []
    by_path = client.get("/api/v4/namespaces?search=acme/t&full_path_search=true").json()
    assert [n["id"] for n in by_path] == [tools.pk]
    top = client.get("/api/v4/namespaces?top_level_only=true").json()
    assert tools.pk not in [n["id"] for n in top]
    page = client.get("/api/v4/namespaces?per_page=2&page=2")
    assert [n["id"] for n in page.json()] == [other.pk, hidden.pk]
    assert page["X-Total-Pages"] == "2"
    assert client.get("/api/v4/namespaces?owned_only=nope").status_code == 400


def test_owned_only_keeps_the_groups_the_caller_owns(tree):
    acme, _tools, other, _hidden = tree
    user = make_user()
    add_member(acme, user, AccessLevel.OWNER)
    add_member(other, user, AccessLevel.MAINTAINER)
    owned = client_for(user).get("/api/v4/namespaces?owned_only=true").json()
    assert [n["full_path"] for n in owned] == ["acme", "acme/tools"]


def test_namespaces_need_a_signed_in_user():
    response = APIClient().get("/api/v4/namespaces")
    assert response.status_code == 401
    assert APIClient().get("/api/v4/namespaces/1").status_code == 401


def test_one_namespace_by_id_or_encoded_full_path(tree):
    acme, tools, _other, _hidden = tree
    member = make_user()
    add_member(tools, member, AccessLevel.GUEST)
    client = client_for(member)
    assert client.get(f"/api/v4/namespaces/{tools.pk}").json()["full_path"] == "acme/tools"
    assert client.get("/api/v4/namespaces/acme%2Ftools").json()["id"] == tools.pk
    assert client.get("/api/v4/namespaces/ACME").json()["id"] == acme.pk


def test_a_namespace_the_caller_cannot_read_is_404_like_a_missing_one(tree):
    _acme, _tools, _other, hidden = tree
    client = client_for(make_user())
    for ref in (hidden.pk, "hidden", "acme%2Ftools", 999999, "no/such"):
        response = client.get(f"/api/v4/namespaces/{ref}")
        assert response.status_code == 404
        assert response.json() == {"message": "404 Namespace Not Found"}


# --- /users/:id/block and /unblock ------------------------------------------------------------



def test_an_admin_blocks_and_unblocks_a_user_with_gitlabs_answers(root):
    alice = make_user("alice")
    admin = client_for(root)
    blocked = admin.post(f"/api/v4/users/{alice.pk}/block")
    assert (blocked.status_code, blocked.content, blocked["Content-Type"]) == (
        201, b"true", "application/json",
    )
    alice.refresh_from_db()
    assert alice.state == "blocked"
    again = admin.post(f"/api/v4/users/{alice.pk}/block")
    assert (again.status_code, again.content) == (201, b"null")
    assert admin.get(f"/api/v4/users/{alice.pk}").json()["state"] == "blocked"

    unblocked = admin.post(f"/api/v4/users/{alice.pk}/unblock")
    assert (unblocked.status_code, unblocked.content) == (201, b"true")
    alice.refresh_from_db()
    assert alice.state == "active"
    not_blocked = admin.post(f"/api/v4/users/{alice.pk}/unblock")
    assert (not_blocked.status_code, not_blocked.content) == (201, b"false")


@pytest.mark.parametrize("action", ["block", "unblock"])
def test_only_admins_block_or_unblock(root, action):
    alice = make_user("alice")
    assert APIClient().post(f"/api/v4/users/{alice.pk}/{action}").status_code == 401
    response = client_for(make_user()).post(f"/api/v4/users/{alice.pk}/{action}")
    assert response.status_code == 403
    alice.refresh_from_db()
    assert alice.state == "active"


@pytest.mark.parametrize("action", ["block", "unblock"])
@pytest.mark.parametrize("ref", ["999999", "ASDF", "99999999999999999999999"])
def test_blocking_an_unknown_user_is_404(root, action, ref):
    response = client_for(root).post(f"/api/v4/users/{ref}/{action}")
    assert response.status_code == 404
    assert response.json() == {"message": "404 User Not Found"}


def test_an_admin_cannot_block_themself(root):
    response = client_for(root).post(f"/api/v4/users/{root.pk}/block")
    assert response.status_code == 403
    assert response.json() == {
        "message": "403 Forbidden - The API initiating user cannot be blocked by the API"
    }
    root.refresh_from_db()
    assert root.state == "active"


def test_a_deactivated_user_is_not_unblocked(root):
    alice = make_user("alice")
    User.objects.filter(pk=alice.pk).update(is_active=False, state="blocked")
    response = client_for(root).post(f"/api/v4/users/{alice.pk}/unblock")
    assert response.status_code == 403
    assert "Deactivated users cannot be unblocked" in response.json()["message"]
    alice.refresh_from_db()
    assert alice.state == "blocked"


def test_a_blocked_users_token_is_refused_at_once_on_the_api_and_the_index(root):
    project = make_project("p", namespace=make_group("g"), visibility=Visibility.PRIVATE)
    alice = make_user("alice")
    add_member(project, alice, AccessLevel.MAINTAINER)
    token = make_pat(alice)
    api = APIClient()
    api.credentials(HTTP_PRIVATE_TOKEN=token)
    basic = "Basic " + base64.b64encode(f"__token__:{token}".encode()).decode()
    index = f"/api/v4/projects/{project.pk}/packages/pypi/simple/"
    assert api.get("/api/v4/user").status_code == 200
    assert APIClient().get(index, HTTP_AUTHORIZATION=basic).status_code == 200

    assert client_for(root).post(f"/api/v4/users/{alice.pk}/block").status_code == 201

    for path in ("/api/v4/user", "/api/v4/namespaces", "/api/v4/version",
                 f"/api/v4/projects/{project.pk}/packages"):
        response = api.get(path)
        assert response.status_code == 403, path
        assert json.loads(response.content) == {
            "message": "403 Forbidden - Your account has been blocked."
        }
    assert APIClient().get(index, HTTP_AUTHORIZATION=basic).status_code == 403

    client_for(root).post(f"/api/v4/users/{alice.pk}/unblock")
    assert api.get("/api/v4/user").status_code == 200
    assert APIClient().get(index, HTTP_AUTHORIZATION=basic).status_code == 200


def test_the_openapi_document_describes_the_new_operations():
    paths = APIClient().get("/api/v4/openapi.json").json()["paths"]
    metadata = paths["/api/v4/metadata"]["get"]["responses"]["200"]
    assert "schema" in metadata["content"]["application/json"]
    block = paths["/api/v4/users/{user_id}/block"]["post"]
    assert block["responses"]["201"]["content"]["application/json"]["schema"] == {
        "type": "boolean"
    }
    listing = paths["/api/v4/namespaces"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"search", "owned_only"}
    assert listing["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"
