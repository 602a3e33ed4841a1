"""The upstream proxy's settings on the web pages (issue 11): a group's overrides on its settings
page (owners), the instance's on the admins' page. Each goes through the API's service, so what
a page saves is what the REST API then shows, and a bad blocklist rule changes nothing."""

import html

import pytest
from rest_framework.test import APIClient

from packages_pypi.public_generation import public_generation
from projects.audit.models import AuditEvent
from projects.models import ApplicationSettings, Group
from projects.roles import AccessLevel, Visibility
from tests.factories import add_member, make_group, make_pat, make_project, make_user

pytestmark = pytest.mark.django_db

GROUP_PAGE = "/groups/acme/-/edit"
INSTANCE_PAGE = "/-/admin/application_settings/ci_cd"


@pytest.fixture
def people():
    group = make_group("acme", visibility=Visibility.PRIVATE)
    project = make_project("tools", namespace=group, visibility=Visibility.PRIVATE)
    users = {"owner": make_user("owner"), "maintainer": make_user("maintainer"),
             "project_maintainer": make_user("project_maintainer"),
             "stranger": make_user("stranger"), "admin": make_user("root", is_admin=True)}
    add_member(group, users["owner"], AccessLevel.OWNER)
    add_member(group, users["maintainer"], AccessLevel.MAINTAINER)
    add_member(project, users["project_maintainer"], AccessLevel.MAINTAINER)
    return users


def _as(client, people, who):
    if who != "anonymous":
        client.force_login(people[who])
    return client


def _group_form(**fields: str) -> dict[str, str]:
    """What the group page posts when nothing is touched, with `fields` changed."""
    return {"name": "acme", "description": "", "visibility": str(Visibility.PRIVATE),
            "forwarding": "", "forwarding_mode": "", "min_release_age_hours": "",
            "age_exemptions": "", "blocklist": "", "allowlist_only": "", "allowlist": "",
            **fields}


def _instance_form(**fields: str) -> dict[str, str]:
    return {"forwarding": "true", "forwarding_mode": "proxy", "offline": "false",
            "min_release_age_hours": "0", "age_exemptions": "", "blocklist": "",
            "allowlist_only": "false", "allowlist": "", **fields}


def _errors(response) -> dict[str, list[str]]:
    return {name: [str(e) for e in errors]
            for name, errors in response.context["form"].errors.items()}


def _api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_PRIVATE_TOKEN=make_pat(user))
    return client


# -- the group page ----------------------------------------------------------------------------

@pytest.mark.parametrize(("who", "status"), [
    ("owner", 200), ("admin", 200), ("maintainer", 404), ("project_maintainer", 404),
    ("stranger", 404), ("anonymous", 302),
])
def test_the_group_page_and_its_upstream_fields_are_for_owners_and_admins(
    client, people, who, status
):
    response = _as(client, people, who).get(GROUP_PAGE)
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/users/sign_in?next=")
    if status == 200:
        assert b'name="blocklist"' in response.content
        assert b'name="forwarding_mode"' in response.content


@pytest.mark.parametrize("who", ["maintainer", "project_maintainer", "stranger", "anonymous"])
def test_who_may_not_change_the_group_changes_nothing(client, people, who):
    response = _as(client, people, who).post(GROUP_PAGE, _group_form(
        forwarding_mode="redirect", blocklist="evil-pkg"))
    assert response.status_code in (302, 404)
    group = Group.objects.get(full_path="acme")
    assert (group.pypi_package_requests_forwarding_mode, group.pypi_upstream_blocklist) == (
        None, "")


@pytest.mark.parametrize("who", ["owner", "admin"])
def test_an_owner_or_admin_sets_the_groups_upstream_policy_and_the_api_shows_it(
    client, people, who
):
    before = public_generation()
    response = _as(client, people, who).post(GROUP_PAGE, _group_form(
        forwarding="true", forwarding_mode="redirect", min_release_age_hours="48",
        age_exemptions="urgent-fix\n\n", blocklist=" evil-pkg \nrequests==2.99.0\ntensorfl0w*",
        allowlist_only="true", allowlist="requests\r\nnumpy"))
    assert response.status_code == 302 and response["Location"] == GROUP_PAGE

    attributes = _api(people["owner"]).get("/api/v4/groups/acme").json()
    assert {key: attributes[key] for key in (
        "pypi_package_requests_forwarding", "pypi_package_requests_forwarding_mode",
        "pypi_upstream_min_release_age_hours", "pypi_upstream_age_exemptions",
        "pypi_upstream_blocklist", "pypi_upstream_allowlist_only", "pypi_upstream_allowlist",
    )} == {
        "pypi_package_requests_forwarding": True,
        "pypi_package_requests_forwarding_mode": "redirect",
        "pypi_upstream_min_release_age_hours": 48,
        "pypi_upstream_age_exemptions": ["urgent-fix"],
        "pypi_upstream_blocklist": ["evil-pkg", "requests==2.99.0", "tensorfl0w*"],
        "pypi_upstream_allowlist_only": True,
        "pypi_upstream_allowlist": ["requests", "numpy"],
    }
    # The same service as the API: the change is audited, and anonymous pages start afresh.
    event = AuditEvent.objects.filter(
        event_name="group_pypi_package_requests_forwarding_updated").get()
    assert (event.author_id, event.details["to"]) == (people[who].pk, "True")
    assert public_generation() != before
    page = client.get(GROUP_PAGE)
    assert page.context["form"].initial["blocklist"] == "evil-pkg\nrequests==2.99.0\ntensorfl0w*"
    assert page.context["form"].initial["forwarding_mode"] == "redirect"


def test_blank_and_inherit_give_the_group_its_parents_values_again(client, people):
    group = Group.objects.get(full_path="acme")
    group.pypi_package_requests_forwarding_mode = "proxy"
    group.pypi_upstream_min_release_age_hours = 24
    group.pypi_upstream_allowlist_only = False
    group.save()
    client = _as(client, people, "owner")
    assert client.get(GROUP_PAGE).context["form"].initial["min_release_age_hours"] == 24

    response = client.post(GROUP_PAGE, _group_form())

    assert response.status_code == 302
    attributes = _api(people["owner"]).get("/api/v4/groups/acme").json()
    assert attributes["pypi_package_requests_forwarding_mode"] is None
    assert attributes["pypi_upstream_min_release_age_hours"] is None
    assert attributes["pypi_upstream_allowlist_only"] is None
    # Zero is a value, not "inherit": it turns the age rule off below an instance that has it.
    client.post(GROUP_PAGE, _group_form(min_release_age_hours="0"))
    assert Group.objects.get(full_path="acme").pypi_upstream_min_release_age_hours == 0


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"blocklist": "evil-pkg\nhttps://evil.example/x.whl"}, "blocklist",
     "Invalid rule 'https://evil.example/x.whl':"),
    ({"blocklist": "foo; python_version < '3'"}, "blocklist",
     "Invalid rule \"foo; python_version < '3'\": a rule has a name and versions only"),
    ({"min_release_age_hours": "-1"}, "min_release_age_hours", "greater than or equal to 0"),
    ({"min_release_age_hours": "soon"}, "min_release_age_hours", "Enter a whole number."),
    ({"forwarding_mode": "mirror"}, "forwarding_mode", "Select a valid choice."),
    ({"allowlist": "x" * 300}, "allowlist", "at most 255 characters"),
])
def test_a_bad_value_is_an_error_on_the_form_and_nothing_changes(
    client, people, fields, field, message
):
    response = _as(client, people, "owner").post(
        GROUP_PAGE, _group_form(**({"forwarding_mode": "redirect"} | fields)))

    # 400 like every other refused form of these pages; the page itself, never a 500.
    assert response.status_code == 400
    errors = _errors(response)
    assert list(errors) == [field]
    assert message in errors[field][0]
    assert message in html.unescape(response.content.decode())
    group = Group.objects.get(full_path="acme")
    assert (group.pypi_package_requests_forwarding_mode, group.pypi_upstream_blocklist,
            group.pypi_upstream_allowlist) == (None, "", "")


def test_a_bad_blocklist_names_every_bad_line(client, people):
    response = _as(client, people, "owner").post(GROUP_PAGE, _group_form(
        blocklist="ok-pkg\nfoo; os_name == 'nt'\nfoo ==\n"))
    assert len(_errors(response)["blocklist"]) == 2


# -- the instance page -------------------------------------------------------------------------

@pytest.mark.parametrize(("who", "status"), [
    ("admin", 200), ("owner", 404), ("maintainer", 404), ("stranger", 404), ("anonymous", 302),
])
def test_the_instance_page_is_for_admins(client, people, who, status):
    response = _as(client, people, who).get(INSTANCE_PAGE)
    assert response.status_code == status
    if status == 302:
        assert response["Location"] == f"/users/sign_in?next={INSTANCE_PAGE}"
    posted = _as(client, people, who).post(INSTANCE_PAGE, _instance_form(offline="true"))
    assert ApplicationSettings.load().pypi_upstream_offline is (who == "admin")
    assert posted.status_code == (302 if who in ("admin", "anonymous") else 404)


@pytest.mark.parametrize(("who", "shown"), [("admin", True), ("owner", False)])
def test_the_navigation_links_the_instance_page_for_admins_only(client, people, who, shown):
    page = _as(client, people, who).get("/").content.decode()
    assert (f'href="{INSTANCE_PAGE}"' in page) is shown


def test_an_admin_sets_the_instance_settings_and_the_api_shows_them(client, people):
    client = _as(client, people, "admin")
    assert client.get(INSTANCE_PAGE).context["form"].initial["forwarding_mode"] == "proxy"

    response = client.post(INSTANCE_PAGE, _instance_form(
        forwarding="false", forwarding_mode="redirect", offline="true",
        min_release_age_hours="72", age_exemptions="urgent-fix", blocklist="foo>=3",
        allowlist_only="true", allowlist="requests"))

    assert response.status_code == 302 and response["Location"] == INSTANCE_PAGE
    shown = _api(people["admin"]).get("/api/v4/application/settings").json()
    assert {key: value for key, value in shown.items() if key.startswith("pypi_")} == {
        "pypi_package_requests_forwarding": False,
        "pypi_package_requests_forwarding_mode": "redirect",
        "pypi_upstream_offline": True,
        "pypi_upstream_min_release_age_hours": 72,
        "pypi_upstream_allowlist_only": True,
        "pypi_upstream_blocklist": ["foo>=3"],
        "pypi_upstream_allowlist": ["requests"],
        "pypi_upstream_age_exemptions": ["urgent-fix"],
    }
    event = AuditEvent.objects.get(
        event_name="application_setting_pypi_package_requests_forwarding_updated")
    assert event.author_id == people["admin"].pk
    assert "Package registry settings saved." in client.get(INSTANCE_PAGE).content.decode()


def test_a_bad_rule_on_the_instance_page_changes_nothing(client, people):
    response = _as(client, people, "admin").post(INSTANCE_PAGE, _instance_form(
        forwarding_mode="redirect", blocklist="requests==="))
    assert response.status_code == 400
    assert list(_errors(response)) == ["blocklist"]
    assert "Invalid rule &#x27;requests===&#x27;" in response.content.decode()
    settings = ApplicationSettings.load()
    assert (settings.pypi_package_requests_forwarding_mode, settings.pypi_upstream_blocklist) == (
        "proxy", "")


def test_the_instance_minimum_age_is_required(client, people):
    response = _as(client, people, "admin").post(INSTANCE_PAGE, _instance_form(
        min_release_age_hours=""))
    assert response.status_code == 400
    assert _errors(response) == {"min_release_age_hours": ["This field is required."]}
