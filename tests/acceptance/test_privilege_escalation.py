"""Issue 9, findings 1 and 2, replayed over real HTTP against a live server as the attacker did.

1. A CI job token (or any token) drives the web UI: the token page mints an `api` PAT, and
   `/<group>` and `/?search=` list private projects.
2. A Maintainer demotes the Owner, makes themselves Owner, and deletes the project.
"""

import re

import pytest
import requests

from auth_tokens.models import PersonalAccessToken
from projects.models import GroupMember, Project, ProjectMember
from projects.roles import AccessLevel, Visibility
from tests.factories import (
    add_member,
    make_deploy_token,
    make_group,
    make_job_token,
    make_pat,
    make_project,
    make_user,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PAT_PAGE = "/-/user_settings/personal_access_tokens"
SECRET_PROJECT = "hush-hush-project"


def _csrf_token(response: requests.Response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text).group(1)


def _signs_in(response: requests.Response) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith(
        "/users/sign_in"
    )


@pytest.fixture
def ci_world():
    """A developer with a CI job in `ci/app`, who is also a member of the private `corp`."""
    developer = make_user("dev")
    app = make_project("app", namespace=make_group("ci", visibility=Visibility.PRIVATE),
                       visibility=Visibility.PRIVATE)
    add_member(app, developer, AccessLevel.DEVELOPER)
    corp = make_group("corp", visibility=Visibility.PRIVATE)
    make_project(SECRET_PROJECT, namespace=corp, visibility=Visibility.PRIVATE)
    add_member(corp, developer, AccessLevel.DEVELOPER)
    return developer, app


CREDENTIALS = {
    "job token in Basic": lambda user, app: {
        "auth": ("gitlab-ci-token", make_job_token(app, user))
    },
    "job token header": lambda user, app: {"headers": {"JOB-TOKEN": make_job_token(app, user)}},
    "personal access token header": lambda user, app: {
        "headers": {"PRIVATE-TOKEN": make_pat(user)}
    },
    "personal access token as Bearer": lambda user, app: {
        "headers": {"Authorization": f"Bearer {make_pat(user)}"}
    },
    "deploy token in Basic": lambda user, app: {"auth": ("d", make_deploy_token(app))},
}


def _session(credential: dict) -> requests.Session:
    session = requests.Session()
    session.auth = credential.get("auth")
    session.headers.update(credential.get("headers", {}))
    return session


@pytest.mark.parametrize("kind", CREDENTIALS)
def test_a_token_cannot_open_the_token_page_nor_post_its_form(live_server, ci_world, kind):
    developer, app = ci_world
    url = live_server.url
    with _session(CREDENTIALS[kind](developer, app)) as attacker:
        tokens_before = PersonalAccessToken.objects.count()

        page = attacker.get(f"{url}{PAT_PAGE}", allow_redirects=False, timeout=30)
        assert _signs_in(page)
        # The form's CSRF pair, taken from a page any visitor gets, does not help either.
        csrf = _csrf_token(attacker.get(f"{url}/users/sign_in", timeout=30))
        posted = attacker.post(
            f"{url}{PAT_PAGE}", allow_redirects=False, timeout=30,
            data={"csrfmiddlewaretoken": csrf, "name": "loot", "scopes": "api"},
            headers={"Referer": f"{url}{PAT_PAGE}"},
        )

    assert _signs_in(posted)
    assert "glpat-" not in posted.text
    assert PersonalAccessToken.objects.count() == tokens_before
    assert not PersonalAccessToken.objects.filter(name="loot").exists()


def test_a_job_token_lists_no_private_project_on_group_or_search_pages(live_server, ci_world):
    developer, app = ci_world
    url = live_server.url
    with _session(CREDENTIALS["job token in Basic"](developer, app)) as attacker:
        group_page = attacker.get(f"{url}/corp", allow_redirects=False, timeout=30)
        search = attacker.get(f"{url}/?search=hush", allow_redirects=False, timeout=30)
        project_page = attacker.get(f"{url}/corp/{SECRET_PROJECT}", allow_redirects=False,
                                    timeout=30)

    assert _signs_in(group_page)
    assert _signs_in(project_page)
    assert search.status_code == 200
    assert SECRET_PROJECT not in search.text


def test_the_same_user_signed_in_sees_the_private_project(live_server, ci_world):
    """The control: the pages themselves still work for the person behind the token."""
    developer, _ = ci_world
    developer.set_password("correct horse battery")
    developer.save()
    with requests.Session() as browser:
        sign_in = browser.get(f"{live_server.url}/users/sign_in", timeout=30)
        browser.post(f"{live_server.url}/users/sign_in", timeout=30, data={
            "csrfmiddlewaretoken": _csrf_token(sign_in), "username": "dev",
            "password": "correct horse battery",
        })
        search = browser.get(f"{live_server.url}/?search=hush", timeout=30)
        tokens = browser.get(f"{live_server.url}{PAT_PAGE}", allow_redirects=False, timeout=30)

    assert SECRET_PROJECT in search.text
    assert tokens.status_code == 200


@pytest.fixture
def owned_project():
    """`team/app` with its Owner and a Maintainer as direct members of the project."""
    owner, maintainer = make_user("owner"), make_user("maintainer")
    project = make_project("app", namespace=make_group("team", visibility=Visibility.PRIVATE),
                           visibility=Visibility.PRIVATE)
    add_member(project, owner, AccessLevel.OWNER)
    add_member(project, maintainer, AccessLevel.MAINTAINER)
    return project, owner, maintainer


def _api(url: str, user) -> requests.Session:
    session = requests.Session()
    session.headers["PRIVATE-TOKEN"] = make_pat(user)
    return session


def test_a_maintainer_can_neither_become_owner_nor_demote_one_nor_delete(
    live_server, owned_project
):
    project, owner, maintainer = owned_project
    members = f"{live_server.url}/api/v4/projects/{project.pk}/members"
    newcomer = make_user("newcomer")
    with _api(live_server.url, maintainer) as api:
        demote_owner = api.put(f"{members}/{owner.pk}", json={"access_level": 10}, timeout=30)
        promote_self = api.put(f"{members}/{maintainer.pk}", json={"access_level": 50},
                               timeout=30)
        add_owner = api.post(members, json={"user_id": newcomer.pk, "access_level": 50},
                             timeout=30)
        remove_owner = api.delete(f"{members}/{owner.pk}", timeout=30)
        delete_project = api.delete(f"{live_server.url}/api/v4/projects/{project.pk}",
                                    timeout=30)
        # What a maintainer may do still works: add a developer, up to their own level.
        add_developer = api.post(members, json={"user_id": newcomer.pk, "access_level": 30},
                                 timeout=30)

    assert demote_owner.status_code == 403
    assert promote_self.status_code == 403
    assert add_owner.status_code == 403
    assert remove_owner.status_code == 403
    assert "Owner" in demote_owner.json()["message"]
    assert delete_project.status_code == 403
    assert add_developer.status_code == 201
    levels = dict(ProjectMember.objects.filter(project=project).values_list("user", "access_level"))
    assert levels == {owner.pk: 50, maintainer.pk: 40, newcomer.pk: 30}
    assert Project.objects.filter(pk=project.pk).exists()


def test_the_owner_still_manages_owners_and_deletes_the_project(live_server, owned_project):
    project, owner, maintainer = owned_project
    members = f"{live_server.url}/api/v4/projects/{project.pk}/members"
    with _api(live_server.url, owner) as api:
        promote = api.put(f"{members}/{maintainer.pk}", json={"access_level": 50}, timeout=30)
        deleted = api.delete(f"{live_server.url}/api/v4/projects/{project.pk}", timeout=30)

    assert promote.status_code == 200
    assert deleted.status_code == 202


def test_the_last_owner_of_a_group_is_neither_removed_nor_demoted(live_server):
    owner, other = make_user("owner"), make_user("other")
    group = make_group("team", visibility=Visibility.PRIVATE)
    add_member(group, owner, AccessLevel.OWNER)
    members = f"{live_server.url}/api/v4/groups/{group.pk}/members"
    with _api(live_server.url, owner) as api:
        demote = api.put(f"{members}/{owner.pk}", json={"access_level": 40}, timeout=30)
        remove = api.delete(f"{members}/{owner.pk}", timeout=30)
        add_second = api.post(members, json={"user_id": other.pk, "access_level": 50},
                              timeout=30)
        demote_once_another_owner_exists = api.put(
            f"{members}/{owner.pk}", json={"access_level": 40}, timeout=30
        )

    assert demote.status_code == 403
    assert remove.status_code == 403
    assert demote.json()["message"] == (
        "403 Forbidden - the last Owner of a group cannot be removed or demoted"
    )
    assert add_second.status_code == 201
    assert demote_once_another_owner_exists.status_code == 200
    levels = dict(GroupMember.objects.filter(group=group).values_list("user", "access_level"))
    assert levels == {owner.pk: 40, other.pk: 50}


def test_a_group_maintainer_cannot_add_an_owner_or_demote_one(live_server):
    owner, maintainer, newcomer = make_user("owner"), make_user("maintainer"), make_user("new")
    group = make_group("team", visibility=Visibility.PRIVATE)
    add_member(group, owner, AccessLevel.OWNER)
    add_member(group, maintainer, AccessLevel.MAINTAINER)
    members = f"{live_server.url}/api/v4/groups/{group.pk}/members"
    with _api(live_server.url, maintainer) as api:
        add_owner = api.post(members, json={"user_id": newcomer.pk, "access_level": 50},
                             timeout=30)
        demote_owner = api.put(f"{members}/{owner.pk}", json={"access_level": 10}, timeout=30)
        promote_self = api.put(f"{members}/{maintainer.pk}", json={"access_level": 50},
                               timeout=30)

    assert (add_owner.status_code, demote_owner.status_code, promote_self.status_code) == (
        403, 403, 403
    )
    levels = dict(GroupMember.objects.filter(group=group).values_list("user", "access_level"))
    assert levels == {owner.pk: 50, maintainer.pk: 40}
