"""The web UI's template filters."""

import datetime

import pytest
from django.template import Context, Template
from django.utils import timezone

from projects.templatetags.registry_ui import ago, last_segment


@pytest.mark.parametrize(("seconds", "expected"), [
    (0, "just now"),
    (59, "just now"),
    (-30, "just now"),  # a clock a little ahead of this one
    (60, "1 minute ago"),
    (3 * 3600 + 5, "3 hours ago"),
    (2 * 86400, "2 days ago"),
])
def test_relative_times_under_a_minute_say_just_now(seconds, expected):
    # timesince joins number and unit with a no-break space.
    moment = timezone.now() - datetime.timedelta(seconds=seconds)
    assert ago(moment).replace("\xa0", " ") == expected


def test_no_time_is_no_text():
    assert ago(None) == ""


def test_the_templates_use_it():
    template = Template("{% load registry_ui %}{{ moment|ago }}")
    assert template.render(Context({"moment": timezone.now()})) == "just now"


def test_last_segment():
    assert last_segment("a/b/c") == "c"
    assert last_segment("a") == "a"


@pytest.mark.django_db
def test_a_fresh_upload_was_just_now_not_0_minutes_ago(client):
    from tests.ui_fixtures import World

    world = World()
    client.force_login(world.users["guest"])
    package_page = f"/acme/tools/-/packages/{world.package.pk}"
    for path in ("/acme/tools", "/acme/tools/-/packages", package_page):
        page = client.get(path).content.decode()
        assert "just now" in page
        assert "0\xa0minutes" not in page and "0 minutes" not in page
