"""The audit event pages and the download counts in a real browser (issue 12, items 6 and 7).

Screenshots land in test-artifacts/screenshots/ (laptop and phone widths); each test asserts
what the page shows.
"""

import pytest

from packages_pypi.downloads import downloads_fold
from tests.acceptance.test_web_ui import (  # noqa: F401 - the browser fixtures, shared
    browser,
    page,
    shoot,
    sign_in,
    world,
)

pytestmark = [pytest.mark.slow]


def test_a_maintainer_reads_and_filters_the_projects_audit_events(page, world):  # noqa: F811
    sign_in(page, "maintainer")
    page.goto(f"/acme/tools/-/packages/{world.package.pk}")
    page.click(f"a[aria-label='Delete {world.file.file_name}']")
    page.click("button[type=submit].danger")
    page.wait_for_url(f"**/-/packages/{world.package.pk}")

    page.click("nav.tabs >> text=Audit events")
    page.wait_for_url("**/acme/tools/-/audit_events")
    deleted = page.locator("tr[data-event-name=package_registry_package_file_deleted]")
    assert deleted.count() == 1
    row = deleted.inner_text()
    assert f"Pypi package file {world.file.file_name} deleted" in row
    assert "maintainer" in row and "127.0.0.1" in row
    # Members were added by the fixture: the full log is there for a maintainer.
    assert page.locator("tr[data-event-name=member_created]").count() == 3
    shoot(page, "audit-01-project-events")

    page.select_option("#event_name", "package_registry_package_file_deleted")
    page.click("text=Filter")
    page.wait_for_url("**event_name=package_registry_package_file_deleted**")
    assert page.locator("tbody tr").count() == 1
    page.fill("#created_before", "2001-01-01")
    page.click("text=Filter")
    assert page.locator("text=Nothing matches these filters.").is_visible()
    shoot(page, "audit-02-filtered-empty")


def test_a_developer_sees_only_their_own_actions(page, world):  # noqa: F811
    sign_in(page, "developer")
    page.goto("/acme/tools/-/audit_events")
    assert page.locator("text=Only your own actions here").is_visible()
    assert page.locator("tr[data-event-name=member_created]").count() == 0
    page.goto("/-/audit_events")
    signed_in = page.locator("tr[data-event-name=user_signed_in]")
    assert signed_in.count() == 1
    assert "Signed in with standard authentication" in signed_in.inner_text()
    shoot(page, "audit-03-own-events")


def test_the_package_page_shows_downloads_per_file_and_per_version(page, world):  # noqa: F811
    sign_in(page, "guest")
    files = list(world.package.files.order_by("pk"))
    base = f"/api/v4/projects/{world.project.pk}/packages/pypi/files"
    for package_file, times in zip(files, (3, 1), strict=True):
        for _ in range(times):
            response = page.request.get(f"{base}/{package_file.sha256}/{package_file.file_name}")
            assert response.status == 200
    downloads_fold()  # the live server counts in this process's local-memory cache
    page.goto(f"/acme/tools/-/packages/{world.package.pk}")
    cells = page.locator("td[data-label=Downloads]")
    by_file = {
        page.locator("table.files tbody tr").nth(i).locator("td[data-label=File] a").inner_text():
        cells.nth(i).inner_text()
        for i in range(cells.count())
    }
    assert by_file == {files[0].file_name: "3", files[1].file_name: "1"}
    assert page.locator("dd[data-downloads]").inner_text().startswith("4")
    shoot(page, "downloads-01-package-page")
