"""The web UI in a real browser: Debian's chromium driven by Playwright against a live server.

Screenshots of every page land in test-artifacts/screenshots/, at laptop and phone widths, for a
person to look at; every test also asserts what the page shows.
"""

import shutil
from pathlib import Path

import pytest

from tests.ui_fixtures import World

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "correct horse battery staple"
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="needs Debian's chromium"),
]


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API keeps an event loop running in this thread, and Django refuses
    # ORM calls (test data, database flushes) while one runs. They are still synchronous and
    # safe here, so the check is off while this module's browser is open, and only then.
    with pytest.MonkeyPatch.context() as patch, sync_api.sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def world(transactional_db):
    world = World()
    for user in world.users.values():
        user.set_password(PASSWORD)
        user.save()
    return world


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport=LAPTOP, base_url=live_server.url)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def shoot(page, name: str) -> None:
    """Save the page at laptop and at phone width."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    page.screenshot(path=SCREENSHOTS / f"{name}-phone.png", full_page=True)
    page.set_viewport_size(size)


def sign_in(page, username: str) -> None:
    page.goto("/users/sign_in")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def test_sign_in_open_a_package_and_copy_the_install_command(page, world):
    page.goto("/acme/tools/-/packages")
    assert "/users/sign_in" in page.url
    shoot(page, "01-sign-in")
    page.fill("#id_username", "guest")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/acme/tools/-/packages")

    page.goto("/")
    shoot(page, "02-dashboard")
    page.click("text=acme")
    shoot(page, "03-group")
    page.goto("/acme/tools")
    shoot(page, "04-project")
    page.click("nav.tabs >> text=Packages")
    shoot(page, "05-packages")
    page.click("a.title >> text=Demo.Pkg")
    page.wait_for_url(f"**/-/packages/{world.package.pk}")
    assert page.locator(".page-head h1").inner_text().startswith("Demo.Pkg")
    assert page.locator("article.readme h1").inner_text() == "Demo"
    assert page.locator("article.readme script").count() == 0
    shoot(page, "06-package")

    page.click("#install-command .copy-button")
    page.wait_for_selector("#install-command .copy-button.copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("pip install --index-url http://__token__:")
    index = f"/api/v4/projects/{world.project.pk}/packages/pypi/simple"
    assert copied.endswith(f"{index} Demo.Pkg==1.10.0")

    page.goto("/groups/acme/-/packages")
    shoot(page, "07-group-packages")


def test_create_and_revoke_a_personal_access_token(page, world):
    sign_in(page, "developer")
    page.click("text=Access tokens")
    page.fill("#id_name", "laptop pip")
    page.check("input[value=read_api]")
    page.click("text=Create token")
    secret = page.locator("#new-token-secret").inner_text()
    assert secret.startswith("glpat-")
    shoot(page, "08-token-created")

    page.reload()
    assert page.locator("#new-token-secret").count() == 0  # shown once only
    page.click("button[aria-label='Revoke laptop pip']")
    assert page.locator("text=Revoked the token").is_visible()
    assert page.locator("tr.inactive >> text=revoked").is_visible()
    shoot(page, "09-token-revoked")


def test_a_maintainer_deletes_a_file_after_confirming(page, world):
    sign_in(page, "maintainer")
    page.goto(f"/acme/tools/-/packages/{world.package.pk}")
    name = world.file.file_name
    page.click(f"a[aria-label='Delete {name}']")
    shoot(page, "10-confirm-delete-file")
    page.click("button:has-text('Delete file')")
    page.wait_for_url(f"**/-/packages/{world.package.pk}")
    assert page.locator(f"text=Deleted {name}.").is_visible()
    assert page.locator(f"a[aria-label='Delete {name}']").count() == 0
    assert world.package.files.count() == 1


def test_a_maintainer_creates_a_deploy_token(page, world):
    sign_in(page, "maintainer")
    page.goto("/acme/tools/-/settings/repository")
    page.fill("#id_name", "ci")
    page.check("input[value=write_package_registry]")
    page.click("text=Create deploy token")
    assert page.locator("#new-token-secret").inner_text().startswith("gldt-")
    shoot(page, "11-deploy-tokens")


def fits_the_width(page) -> bool:
    """Nothing sticks out sideways: the page never scrolls horizontally."""
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_an_empty_project_teaches_publishing_at_both_widths(page, world):
    from tests.factories import make_project

    project = make_project("empty", namespace=world.public_group)
    response = page.goto("/oss/empty")
    assert response.status == 200
    head = page.locator(".page-head h1")
    assert head.inner_text().split() == ["E", "Empty", "public"]  # avatar, name, visibility
    assert page.locator(".page-head code").all_inner_texts() == [str(project.pk), "oss/empty"]
    assert page.locator("nav.tabs a[aria-current=page]").inner_text() == "Overview"
    teach = page.locator(".empty.teach")
    assert teach.locator("h2").inner_text() == "Publish your first package"
    # The three steps, each with its command and a copy button (added by registry.js).
    steps = teach.locator("ol.steps > li")
    assert steps.locator("h3").all_inner_texts() == [
        "~/.pypirc for twine", "Publish with twine", "Or publish with uv",
    ]
    assert steps.locator(".copy-button").count() == 3
    upload_url = f"{page.evaluate('location.origin')}/api/v4/projects/{project.pk}/packages/pypi"
    pypirc = teach.locator("#snippet-pypirc code").inner_text()
    assert f"repository = {upload_url}" in pypirc
    assert "[empty]" in pypirc
    assert f"uv publish --publish-url {upload_url}" in steps.nth(2).locator("code").inner_text()
    assert fits_the_width(page)
    shoot(page, "12-empty-project")
    page.set_viewport_size(PHONE)
    # The long URLs wrap inside their boxes instead of widening the phone's page.
    assert fits_the_width(page)
    assert teach.locator(".copy-button").first.is_visible()


def test_a_missing_project_is_a_plain_404_that_offers_to_sign_in(page, world):
    response = page.goto("/acme/nothing-here")
    assert response.status == 404
    assert page.title() == "Page not found · PyPI registry"
    assert page.locator(".empty h1").inner_text() == "Page not found"
    message = "The page does not exist, or you do not have access to it."
    assert page.locator(f"text={message}").is_visible()
    sign_in_link = page.locator(".empty a.button")
    assert sign_in_link.inner_text() == "Sign in"
    assert sign_in_link.get_attribute("href") == "/users/sign_in?next=/acme/nothing-here"
    assert page.locator(".empty a[href='/']").inner_text() == "Back to the dashboard"
    assert fits_the_width(page)
    shoot(page, "13-not-found")

    # Signed in without access, a private project looks exactly like a missing one.
    sign_in(page, "stranger")
    pages = {}
    for path in (f"/{world.project.full_path}", "/acme/nothing-here"):
        assert page.goto(path).status == 404
        assert page.locator(".empty a.button").count() == 0  # nothing to sign in to
        pages[path] = page.locator(".empty").inner_text()
    assert len(set(pages.values())) == 1


def _inside(inner: dict, outer: dict) -> bool:
    """Whether bounding box `inner` lies wholly inside `outer` (half a pixel of rounding)."""
    return (inner["x"] >= outer["x"] - 0.5 and inner["y"] >= outer["y"] - 0.5
            and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
            and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5)


def test_the_deploy_tokens_table_keeps_the_revoke_button_in_its_card(page, world):
    import datetime

    from django.utils import timezone

    from auth_tokens.models import DeployToken

    sign_in(page, "maintainer")
    page.goto("/acme/tools/-/settings/repository")
    # The widest row a person makes: a long name and username, both scopes, every date.
    page.fill("#id_name", "release pipeline of the tools project")
    page.fill("#id_username", "releasebot_for_acme_tools_production")
    expires = timezone.localdate() + datetime.timedelta(days=300)
    page.fill("#id_expires_at", expires.isoformat())
    page.check("input[value=read_package_registry]")
    page.check("input[value=write_package_registry]")
    page.click("text=Create deploy token")
    assert page.locator("#new-token-secret").inner_text().startswith("gldt-")
    DeployToken.objects.update(last_used_at=timezone.now() - datetime.timedelta(days=362))
    page.reload()

    revoke = page.locator("button[aria-label='Revoke release pipeline of the tools project']")
    card = page.locator("section.primary .table-wrap")
    for viewport in (LAPTOP, PHONE):
        page.set_viewport_size(viewport)
        assert revoke.is_visible()
        row = page.locator("tbody tr").first
        # Inside the card and its row, and not scrolled out of sight in it.
        assert _inside(revoke.bounding_box(), card.bounding_box()), viewport
        assert _inside(revoke.bounding_box(), row.bounding_box()), viewport
        assert card.evaluate("e => e.scrollWidth <= e.clientWidth"), viewport
        assert fits_the_width(page), viewport
    page.set_viewport_size(LAPTOP)
    assert "11\xa0months, " in page.locator("tbody tr").first.inner_text()  # a long "Last used"
    shoot(page, "14-deploy-tokens-wide-row")


def test_the_dashboard_shows_names_and_the_project_page_draws_its_icons(page, world):
    from projects.roles import Visibility
    from projects.services import group_create, project_create
    from tests.ui_fixtures import make_package

    group = group_create(name="Platform Team", path="plat", visibility=Visibility.PUBLIC)
    project = project_create(name="Build Tools", path="bt", namespace=group,
                             visibility=Visibility.PUBLIC)
    make_package(project, "wheel-maker", "1.0")
    page.goto("/")
    group_card = page.locator("li.card", has=page.locator("a[href='/plat']"))
    assert group_card.locator("a.title").inner_text() == "Platform Team"
    assert group_card.locator(".path").inner_text() == "plat"
    project_card = page.locator("li.card", has=page.locator("a[href='/plat/bt']"))
    assert project_card.locator("a.title").inner_text() == "Platform Team / Build Tools"
    assert project_card.locator(".path").inner_text() == "plat/bt"
    assert fits_the_width(page)
    shoot(page, "15-dashboard-names")

    page.goto("/plat/bt")
    icon = page.locator("li.card svg.pkg-icon")
    assert icon.count() == 1 and icon.is_visible()
    box = icon.bounding_box()
    assert box["width"] == box["height"] == 24  # 1.5rem, drawn, not a font's glyph
    # The icon really draws: its stroke is the icon colour, not a missing-glyph box of text.
    assert icon.evaluate("e => getComputedStyle(e).color") == "rgb(158, 84, 0)"
    assert icon.locator("path").evaluate("e => e.getTotalLength()") > 50
    assert page.locator("li.card").first.inner_text().startswith("wheel-maker")
    shoot(page, "16-project-icons")


def test_a_member_searches_packages_by_another_spelling_from_the_dashboard(page, world):
    sign_in(page, "guest")
    page.fill("#search", "demo_pkg")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url("**/?search=demo_pkg")

    packages = page.locator("section", has=page.locator("h2", has_text="Packages"))
    assert packages.locator("a.title").all_inner_texts() == ["Demo.Pkg"]
    assert packages.locator(".path").inner_text() == "acme/tools"
    shoot(page, "17-dashboard-package-search")

    page.goto("/-/packages?search=DEMO.PKG")
    assert page.locator("table.packages a.title").all_inner_texts() == ["Demo.Pkg"]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(page, "18-package-search")

    page.goto("/-/packages?search=pubpkg")
    assert page.locator("table.packages a.title").all_inner_texts() == ["pubpkg"]


def test_a_maintainer_adds_a_trusted_publisher(page, world):
    sign_in(page, "maintainer")
    page.goto("/acme/tools")
    page.click("nav.tabs >> text=Trusted publishers")
    page.check("input[value=github]")
    page.fill("#id_name", "octo/tools")
    page.fill("#id_pipeline", "release.yml")
    page.fill("#id_environment", "pypi")
    page.click("text=Add trusted publisher")

    assert page.locator("text=Added the trusted publisher.").is_visible()
    row = page.locator("table.tokens tbody tr")
    assert row.count() == 1
    assert "repository = octo/tools" in row.inner_text()
    assert "https://token.actions.githubusercontent.com" in row.inner_text()
    assert "--trusted-publishing always" in page.locator("p.lead").inner_text()
    assert fits_the_width(page)
    page.set_viewport_size(PHONE)
    assert fits_the_width(page)
    page.set_viewport_size(LAPTOP)
    shoot(page, "15-trusted-publishers")

    page.click("button[aria-label^='Remove publisher']")
    assert page.locator("text=No trusted publishers yet.").is_visible()
