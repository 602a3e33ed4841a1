"""The forms that create and manage groups, projects and members (issue 15).

Each goes through the API's access call and service: what the API refuses, the form refuses
with the same status, shows GitLab's message, and changes nothing.
"""

import pytest

from projects.models import Group, GroupMember, Project, ProjectMember
from projects.roles import AccessLevel, Visibility
from tests.factories import add_member, make_group, make_user
from tests.ui_fixtures import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    world = World()
    world.users["owner"] = make_user("owner")
    add_member(world.group, world.users["owner"], AccessLevel.OWNER)
    return world


def _as(client, world, viewer):
    client.force_login(world.users[viewer])
    return client


def _errors(response) -> list[str]:
    return [str(e) for errors in response.context["form"].errors.values() for e in errors]


# -- groups ------------------------------------------------------------------------------------

def test_anyone_signed_in_creates_a_top_level_group_and_owns_it(client, world):
    response = _as(client, world, "stranger").post("/groups/new", {
        "name": "Data Team", "path": "data", "visibility": Visibility.INTERNAL,
        "description": "Pipelines",
    })
    assert response.status_code == 302
    assert response["Location"] == "/data"
    group = Group.objects.get(full_path="data")
    assert (group.name, group.visibility, group.description) == (
        "Data Team", Visibility.INTERNAL, "Pipelines")
    owner = GroupMember.objects.get(group=group)
    assert (owner.user, owner.access_level) == (world.users["stranger"], AccessLevel.OWNER)
    page = client.get("/data")
    assert "Group &#x27;Data Team&#x27; was successfully created." in page.content.decode()


@pytest.mark.parametrize(("fields", "message"), [
    ({"name": "", "path": "x"}, "Name can't be blank"),
    ({"name": "X", "path": ""}, "Path can't be blank"),
    ({"name": "Acme", "path": "ACME"}, "Path has already been taken"),
    ({"name": "Bad", "path": "-bad"}, "Path can contain only letters, digits, '_', '-' and "
                                      "'.'. Cannot start with '-', end in '.git' or end in "
                                      "'.atom'"),
    ({"name": "Api", "path": "api"}, "Path api is a reserved name"),
])
def test_a_group_form_shows_gitlabs_validation_message(client, world, fields, message):
    before = Group.objects.count()
    response = _as(client, world, "stranger").post(
        "/groups/new", {"visibility": Visibility.PRIVATE, **fields})
    assert response.status_code == 400
    assert _errors(response) == [message]
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert Group.objects.count() == before


def test_a_group_maintainer_creates_a_subgroup_no_more_visible_than_its_parent(client, world):
    client = _as(client, world, "group_maintainer")
    url = f"/groups/new?parent_id={world.group.pk}"
    page = client.get(url)
    assert "Create subgroup" in page.content.decode()
    refused = client.post(url, {"name": "Libs", "path": "libs",
                                "visibility": Visibility.PUBLIC})
    assert refused.status_code == 400
    assert _errors(refused) == ["Visibility level public is not allowed since the parent "
                                "group has a private visibility."]
    created = client.post(url, {"name": "Libs", "path": "libs",
                                "visibility": Visibility.PRIVATE})
    assert created["Location"] == "/acme/libs"
    assert Group.objects.get(full_path="acme/libs").parent == world.group


@pytest.mark.parametrize("viewer", ["developer", "stranger"])
def test_who_may_not_create_a_subgroup_gets_404_and_nothing_is_made(client, world, viewer):
    # The developer sees the group (a member below it) but may not create in it: the policy's
    # 403, shown as the pages show every refusal, a 404; the stranger does not see it at all.
    response = _as(client, world, viewer).post(
        f"/groups/new?parent_id={world.group.pk}",
        {"name": "Sneaky", "path": "sneaky", "visibility": Visibility.PRIVATE})
    assert response.status_code == 404
    assert not Group.objects.filter(path="sneaky").exists()


def test_a_new_group_needs_a_session(client, world):
    response = client.post("/groups/new", {"name": "X", "path": "x", "visibility": 0})
    assert response.status_code == 302
    assert response["Location"].startswith("/users/sign_in")
    assert not Group.objects.filter(path="x").exists()


# -- projects ----------------------------------------------------------------------------------

def test_a_group_maintainer_creates_a_project_in_the_group(client, world):
    client = _as(client, world, "group_maintainer")
    page = client.get(f"/projects/new?namespace_id={world.group.pk}")
    choices = [group.full_path for group in page.context["form"].fields["namespace"].queryset]
    assert choices == ["acme"]
    response = client.post("/projects/new", {
        "namespace": world.group.pk, "name": "Widgets", "path": "widgets",
        "visibility": Visibility.PRIVATE,
    })
    assert response["Location"] == "/acme/widgets"
    assert Project.objects.get(full_path="acme/widgets").name == "Widgets"


def test_a_project_path_taken_and_a_visibility_above_the_group_are_refused(client, world):
    client = _as(client, world, "group_maintainer")
    taken = client.post("/projects/new", {"namespace": world.group.pk, "name": "Tools",
                                          "path": "tools", "visibility": Visibility.PRIVATE})
    assert _errors(taken) == ["Path has already been taken"]
    public = client.post("/projects/new", {"namespace": world.group.pk, "name": "Open",
                                           "path": "open", "visibility": Visibility.PUBLIC})
    assert public.status_code == 400
    assert _errors(public) == ["Visibility level public is not allowed since the parent "
                               "group has a private visibility."]
    assert not Project.objects.filter(path="open").exists()


@pytest.mark.parametrize("viewer", ["developer", "maintainer", "stranger"])
def test_who_may_not_create_projects_in_a_group_cannot_pick_it(client, world, viewer):
    client = _as(client, world, viewer)
    page = client.get("/projects/new")
    assert "No group to put it in" in page.content.decode()
    response = client.post("/projects/new", {"namespace": world.group.pk, "name": "Evil",
                                             "path": "evil", "visibility": 0})
    assert response.status_code == 400
    assert _errors(response) == ["Namespace is not valid"]
    assert not Project.objects.filter(path="evil").exists()


# -- members -----------------------------------------------------------------------------------

PROJECT_MEMBERS = "/acme/tools/-/project_members"
GROUP_MEMBERS = "/groups/acme/-/group_members"


def test_a_maintainer_adds_changes_and_removes_a_project_member(client, world):
    client = _as(client, world, "maintainer")
    make_user("newbie")
    added = client.post(PROJECT_MEMBERS, {"username": "NewBie", "access_level": 30})
    assert added["Location"] == PROJECT_MEMBERS
    member = ProjectMember.objects.get(project=world.project, user__username="newbie")
    assert member.access_level == AccessLevel.DEVELOPER

    page = client.get(PROJECT_MEMBERS).content.decode()
    assert "newbie was added as Developer." in page
    assert 'aria-label="Remove newbie"' in page

    changed = client.post(f"{PROJECT_MEMBERS}/{member.user_id}", {"access_level": 20})
    assert changed.status_code == 302
    member.refresh_from_db()
    assert member.access_level == AccessLevel.REPORTER

    removed = client.post(f"{PROJECT_MEMBERS}/{member.user_id}/remove")
    assert removed.status_code == 302
    assert not ProjectMember.objects.filter(pk=member.pk).exists()


def test_a_maintainer_cannot_grant_owner_nor_touch_unknown_users(client, world):
    client = _as(client, world, "maintainer")
    make_user("newbie")
    owner = client.post(PROJECT_MEMBERS, {"username": "newbie", "access_level": 50})
    assert owner.status_code == 403
    assert _errors(owner) == ["Only an Owner can add, change or remove an Owner"]
    missing = client.post(PROJECT_MEMBERS, {"username": "nobody", "access_level": 30})
    assert missing.status_code == 404
    assert _errors(missing) == ["User not found"]
    again = client.post(PROJECT_MEMBERS, {"username": "guest", "access_level": 10})
    assert again.status_code == 409
    assert _errors(again) == ["Member already exists"]
    assert not ProjectMember.objects.filter(user__username="newbie").exists()


def test_a_maintainer_cannot_raise_a_member_to_owner(client, world):
    guest = ProjectMember.objects.get(project=world.project, user=world.users["guest"])
    response = _as(client, world, "maintainer").post(
        f"{PROJECT_MEMBERS}/{guest.user_id}", {"access_level": 50})
    assert response.status_code == 403
    assert "Only an Owner can add, change or remove an Owner" in response.content.decode()
    guest.refresh_from_db()
    assert guest.access_level == AccessLevel.GUEST


@pytest.mark.parametrize("viewer", ["developer", "guest", "stranger"])
def test_who_may_not_manage_members_gets_404_and_nothing_changes(client, world, viewer):
    client = _as(client, world, viewer)
    guest = ProjectMember.objects.get(project=world.project, user=world.users["guest"])
    answers = [
        client.post(PROJECT_MEMBERS, {"username": "stranger", "access_level": 10}),
        client.post(f"{PROJECT_MEMBERS}/{guest.user_id}", {"access_level": 40}),
        client.post(f"{PROJECT_MEMBERS}/{guest.user_id}/remove"),
    ]
    assert [answer.status_code for answer in answers] == [404, 404, 404]
    guest.refresh_from_db()
    assert guest.access_level == AccessLevel.GUEST
    assert world.project.members.count() == 3


def test_readers_see_the_members_without_the_forms(client, world):
    page = _as(client, world, "developer").get(PROJECT_MEMBERS)
    assert page.status_code == 200
    html = page.content.decode()
    assert "@maintainer" in html
    assert "Add a member" not in html
    assert "Remove" not in html


def test_the_last_owner_of_a_group_stays(client, world):
    client = _as(client, world, "owner")
    owner = world.users["owner"]
    response = client.post(f"{GROUP_MEMBERS}/{owner.pk}/remove")
    assert response.status_code == 403
    assert "The last Owner of a group cannot be removed or demoted" in response.content.decode()
    demoted = client.post(f"{GROUP_MEMBERS}/{owner.pk}", {"access_level": 40})
    assert demoted.status_code == 403
    assert GroupMember.objects.get(group=world.group, user=owner).access_level == 50


def test_group_members_are_managed_by_owners_only(client, world):
    maintainer = _as(client, world, "group_maintainer").post(
        GROUP_MEMBERS, {"username": "stranger", "access_level": 10})
    assert maintainer.status_code == 404
    owner = _as(client, world, "owner").post(
        GROUP_MEMBERS, {"username": "stranger", "access_level": 50,
                        "expires_at": "2099-01-31"})
    assert owner["Location"] == GROUP_MEMBERS
    member = GroupMember.objects.get(group=world.group, user=world.users["stranger"])
    assert (member.access_level, str(member.expires_at)) == (50, "2099-01-31")


# -- settings ----------------------------------------------------------------------------------

def test_a_group_owner_changes_visibility_and_forwarding(client, world):
    group = make_group("team", visibility=Visibility.PRIVATE)
    add_member(group, world.users["owner"], AccessLevel.OWNER)
    client = _as(client, world, "owner")
    page = client.get("/groups/team/-/edit")
    assert page.context["form"].initial["forwarding"] == ""
    response = client.post("/groups/team/-/edit", {
        "name": "The Team", "description": "", "visibility": Visibility.PUBLIC,
        "forwarding": "false",
    })
    assert response["Location"] == "/groups/team/-/edit"
    group.refresh_from_db()
    assert (group.name, group.visibility, group.pypi_package_requests_forwarding) == (
        "The Team", Visibility.PUBLIC, False)
    client.post("/groups/team/-/edit", {"name": "The Team", "visibility": Visibility.PUBLIC,
                                        "forwarding": ""})
    group.refresh_from_db()
    assert group.pypi_package_requests_forwarding is None


def test_a_group_cannot_become_less_visible_than_what_it_holds(client, world):
    group = make_group("open", visibility=Visibility.PUBLIC)
    add_member(group, world.users["owner"], AccessLevel.OWNER)
    make_group("inner", parent=group, visibility=Visibility.PUBLIC)
    response = _as(client, world, "owner").post("/groups/open/-/edit", {
        "name": "Open", "visibility": Visibility.PRIVATE, "forwarding": "true"})
    assert response.status_code == 400
    assert _errors(response) == ["Visibility level private is not allowed since there are "
                                 "sub-groups with higher visibility."]
    group.refresh_from_db()
    assert (group.visibility, group.pypi_package_requests_forwarding) == (
        Visibility.PUBLIC, None)


@pytest.mark.parametrize("viewer", ["group_maintainer", "maintainer", "stranger"])
def test_only_owners_change_group_settings(client, world, viewer):
    response = _as(client, world, viewer).post("/groups/acme/-/edit", {
        "name": "Hacked", "visibility": Visibility.PRIVATE, "forwarding": "true"})
    assert response.status_code == 404
    world.group.refresh_from_db()
    assert (world.group.name, world.group.pypi_package_requests_forwarding) == ("Acme", None)


def test_a_project_maintainer_renames_the_project_within_the_groups_visibility(client, world):
    client = _as(client, world, "maintainer")
    refused = client.post("/acme/tools/edit", {"name": "Tools", "visibility": 20})
    assert _errors(refused) == ["Visibility level public is not allowed since the parent "
                                "group has a private visibility."]
    saved = client.post("/acme/tools/edit", {"name": "Power tools", "description": "All",
                                             "visibility": Visibility.PRIVATE})
    assert saved["Location"] == "/acme/tools/edit"
    world.project.refresh_from_db()
    assert (world.project.name, world.project.description) == ("Power tools", "All")


@pytest.mark.parametrize("viewer", ["developer", "guest", "stranger"])
def test_who_may_not_change_project_settings_gets_404(client, world, viewer):
    response = _as(client, world, viewer).post("/acme/tools/edit", {"name": "Hacked",
                                                                     "visibility": 0})
    assert response.status_code == 404
    world.project.refresh_from_db()
    assert world.project.name == "Tools"


# -- query counts ------------------------------------------------------------------------------

@pytest.mark.parametrize("extra", [1, 30])
def test_the_members_page_costs_the_same_however_many_members(
    client, world, extra, django_assert_max_num_queries
):
    for _ in range(extra):
        add_member(world.project, make_user(), AccessLevel.REPORTER)
    client = _as(client, world, "maintainer")
    with django_assert_max_num_queries(12):
        assert client.get(PROJECT_MEMBERS).status_code == 200


@pytest.mark.parametrize("extra", [1, 30])
def test_the_new_project_page_costs_the_same_however_many_groups(
    client, world, extra, django_assert_max_num_queries
):
    for _ in range(extra):
        add_member(make_group(visibility=Visibility.PRIVATE), world.users["maintainer"],
                   AccessLevel.MAINTAINER)
    client = _as(client, world, "maintainer")
    with django_assert_max_num_queries(10):
        assert client.get("/projects/new").status_code == 200
