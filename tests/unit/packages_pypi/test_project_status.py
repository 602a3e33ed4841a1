"""PEP 792 status per name: who sets it, what uploads get, and quarantine hiding files from
everyone but maintainers, in the index (cached or not), the group index and downloads."""

import pytest
from rest_framework.test import APIClient

from packages_pypi.models import PackageFile
from projects.roles import AccessLevel, Visibility
from tests.factories import add_member, make_group, make_pat, make_project, make_user
from tests.pypi_driver import PIP_ACCEPT, Registry, group_scope, project_scope, wheel

pytestmark = pytest.mark.django_db
NAME = "zqx-status"


@pytest.fixture
def world():
    group = make_group("acme", visibility=Visibility.PRIVATE)
    project = make_project("tools", namespace=group, visibility=Visibility.PRIVATE)
    auth = {}
    for role, level in (("guest", AccessLevel.GUEST), ("developer", AccessLevel.DEVELOPER),
                        ("maintainer", AccessLevel.MAINTAINER)):
        user = make_user(role)
        add_member(project, user, level)
        auth[role] = (role, make_pat(user))
    auth["admin"] = ("root", make_pat(make_user("root", is_admin=True)))
    assert Registry().upload(project.pk, wheel(NAME, "1.0"), auth["maintainer"]).status_code == 201
    return {"group": group, "project": project, "auth": auth}


def put_status(world, who: str, status: str, reason: str = "", name: str = NAME):
    client = APIClient()
    client.credentials(HTTP_PRIVATE_TOKEN=world["auth"][who][1])
    return client.put(f"/api/v4/projects/{world['project'].pk}/packages/pypi/status/{name}",
                      {"status": status, "reason": reason}, format="json")


def page(world, who: str, accept: str = "text/html", scope: str | None = None):
    scope = scope or project_scope(world["project"])
    return Registry().simple(scope, NAME, world["auth"][who], accept=accept)


def test_archived_shows_in_html_and_json_and_refuses_uploads_with_400(world):
    response = put_status(world, "maintainer", "archived", "moved to zqx-next")

    assert response.status_code == 200
    assert response.json() == {"name": NAME, "status": "archived", "reason": "moved to zqx-next"}
    html = page(world, "developer").content.decode()
    assert '<meta name="pypi:project-status" content="archived">' in html
    assert '<meta name="pypi:project-status-reason" content="moved to zqx-next">' in html
    assert page(world, "developer", PIP_ACCEPT).json()["project-status"] == {
        "status": "archived", "reason": "moved to zqx-next"}
    refused = Registry().upload(world["project"].pk, wheel(NAME, "2.0"),
                                world["auth"]["maintainer"])
    assert refused.status_code == 400
    assert "is archived in this project and accepts no new files" in refused.json()["message"]
    assert "is archived" in refused.reason_phrase


def test_deprecated_still_takes_uploads_and_active_clears_the_reason(world):
    put_status(world, "maintainer", "deprecated", "old")
    assert Registry().upload(world["project"].pk, wheel(NAME, "2.0"),
                             world["auth"]["developer"]).status_code == 201

    response = put_status(world, "maintainer", "active", "ignored")

    assert response.json() == {"name": NAME, "status": "active", "reason": ""}
    assert "pypi:project-status" not in page(world, "developer").content.decode()


@pytest.mark.parametrize(("who", "status", "expected"), [
    ("developer", "archived", 403), ("maintainer", "quarantined", 403),
    ("admin", "quarantined", 200),
])
def test_who_sets_which_status(world, who, status, expected):
    assert put_status(world, who, status).status_code == expected


def test_only_an_admin_lifts_a_quarantine(world):
    put_status(world, "admin", "quarantined", "malware report")
    assert put_status(world, "maintainer", "active").status_code == 403
    assert put_status(world, "admin", "active").status_code == 200


def test_a_bad_status_is_400_and_an_unknown_name_404(world):
    assert put_status(world, "maintainer", "gone").status_code == 400
    assert put_status(world, "maintainer", "archived", name="zqx-nothing").status_code == 404


def test_get_reads_the_status_by_any_spelling(world):
    put_status(world, "maintainer", "deprecated", "use zqx-next")
    client = APIClient()
    client.credentials(HTTP_PRIVATE_TOKEN=world["auth"]["guest"][1])
    response = client.get(f"/api/v4/projects/{world['project'].pk}/packages/pypi/status/Zqx_Status")
    assert response.json() == {"name": NAME, "status": "deprecated", "reason": "use zqx-next"}


@pytest.mark.parametrize("first", ["maintainer", "developer"])
def test_a_cached_page_never_shows_quarantined_files_to_who_may_not_see_them(world, first):
    put_status(world, "admin", "quarantined", "haunted")
    second = "developer" if first == "maintainer" else "maintainer"

    pages = {who: page(world, who, PIP_ACCEPT).json() for who in (first, second)}
    again = {who: page(world, who, PIP_ACCEPT).json() for who in (first, second)}  # cached

    for seen in (pages, again):
        assert [f["filename"] for f in seen["maintainer"]["files"]] == [
            "zqx_status-1.0-py3-none-any.whl"]
        assert seen["developer"]["files"] == []
        assert seen["developer"]["project-status"] == {"status": "quarantined",
                                                       "reason": "haunted"}


def test_quarantine_hides_files_from_the_group_index_and_downloads(world):
    put_status(world, "admin", "quarantined", "haunted")
    package_file = PackageFile.objects.get()
    for role, level in (("group_dev", AccessLevel.DEVELOPER),
                        ("group_maintainer", AccessLevel.MAINTAINER)):
        user = make_user(role)
        add_member(world["group"], user, level)
        world["auth"][role] = (role, make_pat(user))
    scopes = (project_scope(world["project"]), group_scope(world["group"]))

    for who, sees in (("guest", False), ("developer", False), ("group_dev", False),
                      ("maintainer", True), ("group_maintainer", True), ("admin", True)):
        group_page = page(world, who, PIP_ACCEPT, scope=scopes[1]) if who.startswith(
            ("group", "admin")) else None
        if group_page is not None:
            assert len(group_page.json()["files"]) == int(sees), who
            assert group_page.json()["project-status"]["status"] == "quarantined"
        for scope in scopes if group_page is not None else scopes[:1]:
            for filename in (package_file.file_name, package_file.file_name + ".metadata"):
                response = Registry().download(scope, package_file.sha256, filename,
                                               world["auth"][who])
                assert response.status_code == (200 if sees else 404), (who, scope, filename)


def test_a_quarantined_name_is_never_forwarded(world, settings):
    put_status(world, "admin", "quarantined", "haunted")
    response = page(world, "developer")
    assert response.status_code == 200  # PEP 792: the page, with no files
    assert "<a " not in response.content.decode()


def test_uploads_to_a_quarantined_name_are_refused(world):
    put_status(world, "admin", "quarantined")
    refused = Registry().upload(world["project"].pk, wheel(NAME, "2.0"), world["auth"]["admin"])
    assert refused.status_code == 400
    assert "quarantined" in refused.json()["message"]
