"""Issue 9, finding 6, over real HTTP: a same-site page posting with the visitor's cookies.

The browser sends the session and CSRF cookies along with a form another page submits, but
that page cannot read the CSRF token. Without it, a session write is refused with 403 and
nothing is stored; with it (the registry's own pages and scripts), the write goes through.
Token requests (twine, python-gitlab) carry no CSRF token and need none.
"""

import hashlib
import re

import pytest
import requests

from packages_pypi.models import Package
from projects.models import Group, ProjectMember
from projects.roles import AccessLevel, Visibility
from tests.builders import build_wheel
from tests.factories import add_member, make_group, make_pat, make_project, make_user

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


@pytest.fixture
def project():
    project = make_project("app", namespace=make_group("team", visibility=Visibility.PRIVATE),
                           visibility=Visibility.PRIVATE)
    maintainer = make_user("maria", password=PASSWORD)
    add_member(project, maintainer, AccessLevel.MAINTAINER)
    return project


@pytest.fixture
def browser(live_server, project):
    """A requests session signed in through the sign-in form, holding both cookies."""
    with requests.Session() as session:
        page = session.get(f"{live_server.url}/users/sign_in", timeout=30)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        session.post(f"{live_server.url}/users/sign_in", timeout=30, data={
            "csrfmiddlewaretoken": csrf, "username": "maria", "password": PASSWORD,
        })
        assert "sessionid" in session.cookies
        yield session


def _upload(session, url, project, **kwargs):
    filename, data = build_wheel("victim-pkg", "1.0")
    form = {
        ":action": "file_upload", "protocol_version": "1", "name": "victim-pkg",
        "version": "1.0", "filetype": "bdist_wheel", "pyversion": "py3",
        "metadata_version": "2.1", "sha256_digest": hashlib.sha256(data).hexdigest(),
    }
    return session.post(
        f"{url}/api/v4/projects/{project.pk}/packages/pypi", data=form,
        files={"content": (filename, data)}, timeout=30, **kwargs,
    )


# What a page elsewhere on the same site can send: the cookies come along, the token can't.
CROSS_SITE = {
    "no Origin header": {},
    "a foreign Origin": {"Origin": "http://attacker.example"},
}


@pytest.mark.parametrize("headers", CROSS_SITE.values(), ids=CROSS_SITE)
def test_a_session_upload_without_the_csrf_token_is_403_and_stores_nothing(
    live_server, browser, project, headers
):
    response = _upload(browser, live_server.url, project, headers=headers)

    assert response.status_code == 403
    assert "CSRF" in response.json()["message"]
    assert not Package.objects.exists()


@pytest.mark.parametrize("headers", CROSS_SITE.values(), ids=CROSS_SITE)
def test_a_session_api_write_without_the_csrf_token_is_403_and_stores_nothing(
    live_server, browser, project, headers
):
    newcomer = make_user("newcomer")
    members = f"{live_server.url}/api/v4/projects/{project.pk}/members"

    add = browser.post(members, data={"user_id": newcomer.pk, "access_level": 30},
                       headers=headers, timeout=30)
    create_group = browser.post(f"{live_server.url}/api/v4/groups", timeout=30,
                                json={"name": "Loot", "path": "loot"}, headers=headers)

    assert add.status_code == 403
    assert add.json()["message"].startswith("403 Forbidden - CSRF Failed")
    assert create_group.status_code == 403
    assert not ProjectMember.objects.filter(user=newcomer).exists()
    assert not Group.objects.filter(path="loot").exists()


def test_with_the_csrf_token_the_session_writes_to_the_api_and_uploads(
    live_server, browser, project
):
    newcomer = make_user("newcomer")
    csrf = {"X-CSRFToken": browser.cookies["csrftoken"]}
    members = f"{live_server.url}/api/v4/projects/{project.pk}/members"

    read = browser.get(members, timeout=30)
    add = browser.post(members, json={"user_id": newcomer.pk, "access_level": 30},
                       headers=csrf, timeout=30)
    upload = _upload(browser, live_server.url, project, headers=csrf)

    assert read.status_code == 200  # reads need no token
    assert add.status_code == 201
    assert upload.status_code == 201, upload.text
    assert Package.objects.get().name == "victim-pkg"


def test_token_requests_need_no_csrf_token_even_with_the_cookies(live_server, browser, project):
    maintainer = project.members.get().user
    response = _upload(browser, live_server.url, project,
                       auth=("__token__", make_pat(maintainer)))

    assert response.status_code == 201, response.text
