"""The UI draws its icons: an emoji needs a colour-emoji font, which Debian's chromium lacks
(📦 showed as a missing-glyph box there)."""

import re
from pathlib import Path

import pytest

from tests.ui_fixtures import World

ROOT = Path(__file__).resolve().parents[2]
# Pictographs, symbols and dingbats, and the emoji variation selector.
EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F]")


def test_no_template_or_stylesheet_uses_an_emoji():
    files = [*ROOT.glob("templates/**/*.html"), *ROOT.glob("static/*.css"),
             *ROOT.glob("static/*.js")]
    assert files
    found = {str(f.relative_to(ROOT)): EMOJI.findall(f.read_text()) for f in files}
    assert {name: chars for name, chars in found.items() if chars} == {}


@pytest.mark.django_db
def test_the_project_page_draws_its_package_icon(client):
    world = World()
    client.force_login(world.users["guest"])
    page = client.get("/acme/tools").content.decode()
    assert page.count('<svg class="pkg-icon"') == 2  # Demo.Pkg and other
    assert not EMOJI.search(page)
