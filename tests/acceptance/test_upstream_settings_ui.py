"""The upstream proxy's settings in Debian's chromium (issue 11): an admin sets a group's
forwarding mode and blocklist on the group settings page, and finds the instance's page in the
navigation. Screenshots in test-artifacts/screenshots/upstream-*.png; every step also asserts
what the page shows."""

from projects.models import Group
from tests.acceptance import test_web_ui as web_ui

# The browser, its pages and the world of test_web_ui, shared (pytest finds fixtures by name).
pytestmark = web_ui.pytestmark
browser, page, world = web_ui.browser, web_ui.page, web_ui.world
shoot, sign_in = web_ui.shoot, web_ui.sign_in


def _flash(page) -> str:
    return page.locator(".messages .message").inner_text()


def test_an_admin_sets_a_groups_mode_and_blocklist(page, world):
    sign_in(page, "root")
    page.goto("/groups/acme/-/edit")
    assert page.locator("#upstream-proxy").inner_text() == "Upstream proxy (PyPI)"
    assert page.locator("input[name=forwarding_mode][value='']").is_checked()  # inherit

    # A rule the API would refuse is refused here, next to the field, and nothing is saved.
    page.check("input[name=forwarding_mode][value=redirect]")
    page.fill("#id_blocklist", "https://evil.example/pkg.whl")
    page.click("button:has-text('Save changes')")
    error = page.locator(".field.has-error .error").inner_text()
    assert error.startswith("Invalid rule 'https://evil.example/pkg.whl'")
    shoot(page, "upstream-00-group-settings-bad-rule")
    assert Group.objects.get(full_path="acme").pypi_package_requests_forwarding_mode is None

    page.fill("#id_blocklist", "evil-pkg\nrequests==2.99.0")
    page.fill("#id_min_release_age_hours", "48")
    page.click("button:has-text('Save changes')")
    page.wait_for_url("**/groups/acme/-/edit")

    assert _flash(page) == "Group 'Acme' was successfully updated."
    assert page.locator("input[name=forwarding_mode][value=redirect]").is_checked()
    assert page.locator("#id_blocklist").input_value() == "evil-pkg\nrequests==2.99.0"
    assert page.locator("#id_min_release_age_hours").input_value() == "48"
    assert page.locator(".field.has-error").count() == 0
    shoot(page, "upstream-01-group-settings-saved")
    group = Group.objects.get(full_path="acme")
    assert (group.pypi_package_requests_forwarding_mode, group.pypi_upstream_blocklist) == (
        "redirect", "evil-pkg\nrequests==2.99.0")

    page.click("nav[aria-label=Account] >> text=Admin settings")
    page.wait_for_url("**/-/admin/application_settings/ci_cd")
    assert page.locator("h1").inner_text() == "Package registry"
    assert page.locator("input[name=forwarding_mode][value=proxy]").is_checked()
    page.check("input[name=offline][value=true]")
    page.click("button:has-text('Save changes')")
    assert _flash(page) == "Package registry settings saved."
    assert page.locator("input[name=offline][value=true]").is_checked()
    shoot(page, "upstream-02-instance-settings")


def test_a_developer_has_no_admin_settings_link_and_the_page_is_404(page, world):
    sign_in(page, "developer")
    assert page.locator("nav[aria-label=Account] >> text=Admin settings").count() == 0
    response = page.goto("/-/admin/application_settings/ci_cd")
    assert response.status == 404
    assert page.locator(".empty h1").inner_text() == "Page not found"
