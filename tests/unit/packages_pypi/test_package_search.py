"""Package search across everything the viewer may read: the dashboard and `/-/packages`."""

import pytest

from projects.roles import Visibility
from tests.factories import make_group, make_project
from tests.ui_fixtures import World, make_package

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return World()


def _names(page: str) -> set[str]:
    return {name for name in ("Demo.Pkg", "other", "pubpkg") if f">{name}</a>" in page}


@pytest.mark.parametrize("spelling", ["demo_pkg", "DEMO-PKG", "demo.pkg", "Demo.Pkg", "emo_p"])
def test_a_member_finds_a_private_package_by_any_spelling(client, world, spelling):
    client.force_login(world.users["guest"])

    page = client.get(f"/-/packages?search={spelling}").content.decode()

    assert _names(page) == {"Demo.Pkg"}
    assert "acme/tools" in page


def test_without_a_search_the_page_lists_every_package_the_viewer_reads(client, world):
    client.force_login(world.users["guest"])

    assert _names(client.get("/-/packages").content.decode()) == {"Demo.Pkg", "other", "pubpkg"}


@pytest.mark.parametrize("viewer", [None, "stranger"])
def test_a_private_package_is_never_found_by_those_who_cannot_read_it(client, world, viewer):
    if viewer:
        client.force_login(world.users[viewer])

    search = client.get("/-/packages?search=pkg").content.decode()
    dashboard = client.get("/?search=pkg").content.decode()

    assert _names(search) == {"pubpkg"}
    assert _names(dashboard) == {"pubpkg"}
    assert "Demo.Pkg" not in search and "Demo.Pkg" not in dashboard


def test_an_admin_finds_everything(client, world):
    client.force_login(world.users["admin"])

    assert _names(client.get("/-/packages?search=p").content.decode()) == {"Demo.Pkg", "pubpkg"}


def test_the_dashboard_search_shows_packages_and_links_to_all_matches(client, world):
    client.force_login(world.users["guest"])
    for number in range(7):
        make_package(world.public_project, f"pubpkg-extra{number}", "1.0")

    page = client.get("/?search=pubpkg").content.decode()

    assert page.count('class="title" href="/oss/lib/-/packages/') == 5
    assert "All 8 packages matching" in page
    assert '/-/packages?search=pubpkg"' in page


def test_a_dashboard_search_that_matches_no_package_says_so(client, world):
    page = client.get("/?search=nothing-like-this").content.decode()

    assert "No package matches" in page


def test_the_dashboard_without_a_search_shows_no_package_section(client, world):
    assert "<h2>Packages</h2>" not in client.get("/").content.decode()


def test_the_search_pages_through_many_results(client, world):
    for number in range(25):
        make_package(world.public_project, f"bulk-{number:02d}", "1.0")

    first = client.get("/-/packages?search=bulk&sort=name_asc").content.decode()
    second = client.get("/-/packages?search=bulk&sort=name_asc&page=2").content.decode()

    assert ">bulk-00</a>" in first and ">bulk-19</a>" in first and ">bulk-20</a>" not in first
    assert ">bulk-20</a>" in second and ">bulk-24</a>" in second


def test_the_search_costs_the_same_queries_however_many_projects_there_are(
    client, world, django_assert_max_num_queries
):
    client.force_login(world.users["guest"])
    client.get("/-/packages?search=pkg")
    with django_assert_max_num_queries(12) as few:
        client.get("/-/packages?search=pkg")
    for number in range(15):
        group = make_group(f"g{number}", visibility=Visibility.PUBLIC)
        make_package(make_project("p", namespace=group), f"pkg{number}", "1.0")

    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/-/packages?search=pkg")
