"""Running the registry from the web UI, in Debian's chromium: new groups, subgroups and
projects, members and their roles, settings (issue 15). Every form is shot at laptop and phone
width (test-artifacts/screenshots/2x-*.png) and checked for what it shows and what it did.
"""
# The browser fixtures come from test_web_ui; as test parameters they "redefine" the imports.
# ruff: noqa: F811

import pytest

from projects.models import Group, GroupMember, Project, ProjectMember
from projects.roles import AccessLevel, Visibility
from tests.acceptance.test_web_ui import (  # noqa: F401 - fixtures
    LAPTOP,
    PASSWORD,
    PHONE,
    _inside,
    browser,
    fits_the_width,
    page,
    shoot,
    sign_in,
    world,
)
from tests.factories import add_member, make_user

pytestmark = pytest.mark.slow


def _flash(page) -> str:
    return page.locator(".messages .message").inner_text()


def _field_errors(page) -> list[str]:
    return page.locator(".field .error").all_inner_texts()


def test_a_new_user_creates_a_group_a_subgroup_and_a_project(page, world):
    sign_in(page, "stranger")
    page.click("a:has-text('New group')")
    page.wait_for_url("**/groups/new")
    assert page.locator("h1").inner_text() == "Create group"
    # GitLab's three visibility levels, private first and chosen.
    radios = page.locator("input[name=visibility]")
    assert radios.count() == 3
    assert page.locator("input[name=visibility][value='0']").is_checked()
    # Each radio sits at the start of its label, not stretched across the form.
    for label in page.locator("fieldset label.check").all():
        radio, text = label.locator("input").bounding_box(), label.bounding_box()
        assert radio["width"] < 20 and radio["x"] - text["x"] < 10
    page.fill("#id_name", "Data Team")
    page.fill("#id_path", "oss")  # taken
    page.click("button:has-text('Create group')")
    assert _field_errors(page) == ["Path has already been taken"]
    assert page.locator("#id_name").input_value() == "Data Team"  # what was typed stays
    shoot(page, "21-new-group-error")
    page.set_viewport_size(PHONE)
    assert fits_the_width(page)
    assert page.locator(".field .error").is_visible()
    page.set_viewport_size(LAPTOP)

    page.fill("#id_path", "data")
    page.check("input[name=visibility][value='20']")
    page.click("button:has-text('Create group')")
    page.wait_for_url("**/data")
    assert _flash(page) == "Group 'Data Team' was successfully created."
    assert page.locator(".page-head h1").inner_text().split() == ["D", "Data", "Team", "public"]
    group = Group.objects.get(full_path="data")
    assert GroupMember.objects.get(group=group).access_level == AccessLevel.OWNER
    shoot(page, "22-new-group-page")

    page.click("a:has-text('New subgroup')")
    assert page.locator("h1").inner_text() == "Create subgroup"
    assert "A subgroup of Data Team" in page.locator(".lead").inner_text()
    page.fill("#id_name", "Pipelines")
    page.fill("#id_path", "pipelines")
    page.check("input[name=visibility][value='10']")
    shoot(page, "23-new-subgroup")
    page.click("button:has-text('Create subgroup')")
    page.wait_for_url("**/data/pipelines")
    assert Group.objects.get(full_path="data/pipelines").visibility == Visibility.INTERNAL

    page.click("a:has-text('New project')")
    assert page.locator("#id_namespace").input_value() == str(
        Group.objects.get(full_path="data/pipelines").pk)
    assert page.locator("#id_namespace option").all_inner_texts() == ["data", "data/pipelines"]
    page.fill("#id_name", "Loader")
    page.fill("#id_path", "loader")
    page.check("input[name=visibility][value='20']")  # above the internal subgroup
    page.click("button:has-text('Create project')")
    assert _field_errors(page) == [
        "Visibility level public is not allowed since the parent group has an internal "
        "visibility."]
    shoot(page, "24-new-project-error")
    page.check("input[name=visibility][value='10']")
    page.click("button:has-text('Create project')")
    page.wait_for_url("**/data/pipelines/loader")
    assert _flash(page) == "Project 'Loader' was successfully created."
    assert Project.objects.get(full_path="data/pipelines/loader").visibility == 10
    # The empty project teaches publishing, and its tabs lead to members and settings.
    assert page.locator("nav.tabs a").all_inner_texts() == [
        "Overview", "Packages", "Members", "Audit events", "Deploy tokens",
        "Trusted publishers", "Settings", "Package settings"]
    shoot(page, "25-new-project-page")


def test_the_dashboard_links_to_the_forms_not_the_admin(page, world):
    sign_in(page, "stranger")
    actions = page.locator(".page-head .actions a")
    assert actions.all_inner_texts() == ["New group", "New project"]
    page.click("a:has-text('New project')")
    # A stranger holds no group to create projects in: the page says what to do instead.
    assert page.locator(".empty.teach h2").inner_text() == "No group to put it in"
    assert page.locator(".empty.teach a").get_attribute("href") == "/groups/new"
    shoot(page, "26-new-project-no-group")


def test_a_maintainer_adds_re_roles_and_removes_a_member(page, world):
    make_user("newbie")
    sign_in(page, "maintainer")
    page.goto("/acme/tools")
    page.click("nav.tabs >> text=Members")
    page.wait_for_url("**/acme/tools/-/project_members")
    rows = page.locator("table.members tbody tr")
    assert [row.get_attribute("data-username") for row in rows.all()] == [
        "guest", "developer", "maintainer"]

    page.fill("#id_username", "newbie")
    page.select_option("#id_access_level", label="Owner")
    page.click("button:has-text('Add member')")
    # A maintainer may not grant Owner: the policy's 403, its reason, and no member.
    assert page.locator(".field .error, .alert.danger").first.inner_text() == (
        "Only an Owner can add, change or remove an Owner")
    assert not ProjectMember.objects.filter(user__username="newbie").exists()

    page.select_option("#id_access_level", label="Reporter")
    page.click("button:has-text('Add member')")
    assert _flash(page) == "newbie was added as Reporter."
    row = page.locator("tr[data-username=newbie]")
    assert row.locator("select").input_value() == "20"
    shoot(page, "27-project-members")
    for viewport in (LAPTOP, PHONE):
        page.set_viewport_size(viewport)
        # Every row's buttons lie inside the row, at both widths (nothing cut off).
        for button in ("Remove newbie", "Change the role of newbie"):
            box = page.locator(f"button[aria-label='{button}']").bounding_box()
            assert _inside(box, row.bounding_box()), (button, viewport)
        assert fits_the_width(page), viewport
    page.set_viewport_size(LAPTOP)

    row.locator("select").select_option(label="Developer")
    row.locator("button:has-text('Change')").click()
    assert _flash(page) == "newbie is now Developer."
    assert ProjectMember.objects.get(user__username="newbie").access_level == 30

    page.click("button[aria-label='Remove newbie']")
    assert _flash(page) == "newbie was removed."
    assert page.locator("tr[data-username=newbie]").count() == 0


def test_readers_see_members_but_not_the_forms_and_settings_are_404(page, world):
    sign_in(page, "developer")
    page.goto("/acme/tools/-/project_members")
    assert page.locator("table.members tbody tr").count() == 3
    assert page.locator("text=Add a member").count() == 0
    assert page.locator("table.members select").count() == 0
    assert "Settings" not in page.locator("nav.tabs").inner_text()
    shoot(page, "28-members-read-only")
    response = page.goto("/acme/tools/edit")
    assert response.status == 404
    assert page.locator(".empty h1").inner_text() == "Page not found"


def test_a_group_owner_changes_visibility_and_forwarding(page, world):
    owner = make_user("owner")
    owner.set_password(PASSWORD)
    owner.save()
    add_member(world.group, owner, AccessLevel.OWNER)
    sign_in(page, "owner")
    page.goto("/acme")
    page.click(".actions a:has-text('Settings')")
    page.wait_for_url("**/groups/acme/-/edit")
    assert page.locator("input[name=forwarding][value='']").is_checked()  # inherit
    page.check("input[name=visibility][value='20']")
    page.check("input[name=forwarding][value='false']")
    page.fill("#id_name", "Acme Corp")
    shoot(page, "29-group-settings")
    page.click("button:has-text('Save changes')")
    assert _flash(page) == "Group 'Acme Corp' was successfully updated."
    world.group.refresh_from_db()
    assert (world.group.name, world.group.visibility,
            world.group.pypi_package_requests_forwarding) == ("Acme Corp", 20, False)
    assert page.locator("input[name=forwarding][value='false']").is_checked()

    page.goto("/groups/acme/-/group_members")
    assert page.locator("h1").inner_text() == "Group members"
    page.click("button[aria-label='Remove owner']")
    # The last Owner stays, and the page says why.
    assert page.locator("#member-refusal").inner_text() == (
        "The last Owner of a group cannot be removed or demoted")
    assert GroupMember.objects.filter(group=world.group, user=owner).exists()
    shoot(page, "30-group-members-last-owner")


def test_a_project_maintainer_edits_the_project(page, world):
    sign_in(page, "maintainer")
    page.goto("/acme/tools/edit")
    assert page.locator("#id_name").input_value() == "Tools"
    page.fill("#id_name", "Power tools")
    page.fill("#id_description", "Everything we build with")
    page.click("button:has-text('Save changes')")
    assert _flash(page) == "Project 'Power tools' was successfully updated."
    shoot(page, "31-project-settings")
    page.goto("/acme/tools")
    assert "Everything we build with" in page.locator("main").inner_text()
