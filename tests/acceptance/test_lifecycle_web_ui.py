"""The lifecycle pages in a real browser: yank, a name's status, quarantine, and the package
settings with protection rules and the cleanup preview. Screenshots in
test-artifacts/screenshots/ (lifecycle-*), and assertions on what each page shows."""

from packages_pypi.models import Package, PackageNameStatus
from tests.acceptance import test_web_ui as web_ui

# The browser, its pages and the world of test_web_ui, shared (pytest finds fixtures by name).
pytestmark = web_ui.pytestmark
browser, page, world = web_ui.browser, web_ui.page, web_ui.world
shoot, sign_in = web_ui.shoot, web_ui.sign_in


def open_lifecycle(page) -> None:
    page.click("#lifecycle summary")


def test_a_maintainer_yanks_a_version_and_deprecates_the_name(page, world):
    sign_in(page, "maintainer")
    page.goto(f"/acme/tools/-/packages/{world.old.pk}")
    open_lifecycle(page)
    # A maintainer may not quarantine: the choice is not offered.
    assert "quarantined" not in page.locator("#id_status option").all_inner_texts()
    page.fill("#yank-reason", "crashes on import")
    shoot(page, "lifecycle-01-yank-form")
    page.click("button:has-text('Yank 1.0.0')")
    page.wait_for_url(f"**/-/packages/{world.old.pk}")

    assert page.locator("text=Yanked Demo.Pkg 1.0.0.").is_visible()
    assert page.locator(".page-head h1 .badge.yanked").inner_text() == "yanked"
    notice = page.locator("#yank-notice").inner_text()
    assert "This version is yanked." in notice and "Reason: crashes on import" in notice
    assert page.locator("ul.versions li.current .badge.yanked").count() == 1
    shoot(page, "lifecycle-02-yanked")
    world.old.refresh_from_db()
    assert (world.old.yanked, world.old.yanked_reason) == (True, "crashes on import")

    open_lifecycle(page)
    page.select_option("#id_status", "deprecated")
    page.fill("#id_reason", "use demo-next")
    page.click("button:has-text('Set status')")
    status = page.locator("#status-notice").inner_text()
    assert "demo-pkg is deprecated." in status and "Reason: use demo-next" in status
    assert page.locator(".page-head h1 .badge.status-deprecated").is_visible()
    shoot(page, "lifecycle-03-deprecated")

    open_lifecycle(page)
    page.click("button:has-text('Unyank 1.0.0')")
    assert page.locator("text=Demo.Pkg 1.0.0 is no longer yanked.").is_visible()
    assert page.locator("#yank-notice").count() == 0


def test_an_admin_quarantines_and_a_developer_sees_no_files(page, world, browser,
                                                            live_server):
    sign_in(page, "root")
    page.goto(f"/acme/tools/-/packages/{world.package.pk}")
    open_lifecycle(page)
    page.select_option("#id_status", "quarantined")
    page.fill("#id_reason", "malware report #12")
    page.click("button:has-text('Set status')")
    assert page.locator("#status-notice.danger").is_visible()
    assert page.locator("table.files tbody tr a[download]").count() == 2  # admins see files
    shoot(page, "lifecycle-04-quarantined-admin")

    context = browser.new_context(viewport={"width": 1280, "height": 800},
                                  base_url=live_server.url)
    developer = context.new_page()
    sign_in(developer, "developer")
    developer.goto(f"/acme/tools/-/packages/{world.package.pk}")
    notice = developer.locator("#status-notice").inner_text()
    assert "demo-pkg is quarantined." in notice and "maintainers only" in notice
    assert developer.locator("table.files tbody tr a[download]").count() == 0
    assert developer.locator("text=offered to maintainers only").count() == 2
    assert developer.locator("#lifecycle").count() == 0  # no yank, no status for developers
    shoot(developer, "lifecycle-05-quarantined-developer")
    context.close()
    assert PackageNameStatus.objects.get().status == "quarantined"


def test_package_settings_add_a_rule_and_preview_the_cleanup(page, world):
    sign_in(page, "maintainer")
    page.goto("/acme/tools")
    page.click("nav.tabs >> text=Package settings")
    page.wait_for_url("**/acme/tools/-/settings/packages")
    assert page.locator("#protection-rules tbody").inner_text().startswith("No rules")
    assert page.locator("#cleanup-preview-empty").inner_text() == "The policy is off."

    page.check("#id_cleanup-enabled")
    page.fill("#id_cleanup-keep_n_versions", "1")
    page.click("button:has-text('Save policy')")
    assert page.locator("text=Saved the cleanup policy.").is_visible()
    preview = page.locator("#cleanup-preview li").all_inner_texts()
    assert [line.splitlines()[0].strip() for line in preview] == ["Demo.Pkg 1.0.0"]
    shoot(page, "lifecycle-06-cleanup-preview")

    page.fill("#id_rule-package_name_pattern", "demo-*")
    page.select_option("#id_rule-minimum_access_level_for_push", "maintainer")
    page.select_option("#id_rule-minimum_access_level_for_delete", "owner")
    page.click("button:has-text('Add rule')")
    assert page.locator("text=Added the protection rule.").is_visible()
    row = page.locator("#protection-rules tbody tr").first.inner_text()
    assert "demo-*" in row and "Maintainer and above" in row and "Owner and above" in row
    # The rule keeps maintainers, and so the cleanup, from deleting demo-pkg.
    assert page.locator("#cleanup-preview-empty").inner_text() == "Nothing to remove now."
    shoot(page, "lifecycle-07-protection-rule")

    page.goto(f"/acme/tools/-/packages/{world.package.pk}")
    assert page.locator("text=Delete version").count() == 0
    page.goto("/acme/tools/-/settings/packages")
    page.click("button[aria-label='Remove the rule for demo-*']")
    assert page.locator("#protection-rules tbody").inner_text().startswith("No rules")
    assert Package.objects.count() == 4  # a preview removes nothing


def test_a_developer_has_no_package_settings(page, world):
    sign_in(page, "developer")
    page.goto("/acme/tools")
    assert page.locator("nav.tabs >> text=Package settings").count() == 0
    assert page.goto("/acme/tools/-/settings/packages").status == 404
