"""Upstream pages and files for anonymous callers, kept like our own pages (issue 14's speed
for issue 11's proxy): for no longer than the upstream page stays fresh, shorter while the
upstream fails or a minimum release age applies, and never past a takedown or a purge."""

import datetime
import itertools

import pytest
from django.utils import timezone

from packages_pypi.models import UpstreamFile
from packages_pypi.protocol import proxy
from packages_pypi.upstream.cache import CachedPage
from packages_pypi.upstream.config import upstream_config
from packages_pypi.upstream.maintenance import cache_purge_rows
from projects.models import ApplicationSettings
from projects.roles import Visibility
from projects.services import application_settings_update
from tests.factories import make_group, make_project
from tests.pypi_driver import Registry, project_scope, wheel

pytestmark = pytest.mark.django_db

JSON = "application/vnd.pypi.simple.v1+json"


@pytest.fixture
def scope():
    ApplicationSettings.load()  # created once, as on a running instance (its save is a write)
    group = make_group("acme", visibility=Visibility.PUBLIC)
    return project_scope(make_project("tools", namespace=group, visibility=Visibility.PUBLIC))


def _page(scope, name):
    return Registry().simple(scope, name, accept=JSON)


def _download(entry):
    path = entry["url"].split("/api/v4/", 1)[1].split("#")[0]
    response = Registry().client.get(f"/api/v4/{path}")
    return response, b"".join(response.streaming_content) if response.streaming else b""


def test_a_repeated_anonymous_upstream_page_asks_neither_the_upstream_nor_the_database(
    upstream, scope, django_assert_num_queries
):
    dist = wheel("kept-lib", "1.0")
    upstream.add(dist.filename, dist.data)
    first = _page(scope, "kept-lib")

    with django_assert_num_queries(0):
        second = _page(scope, "kept-lib")

    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert len(upstream.asked_for("/simple/kept-lib/")) == 1


def test_a_repeated_anonymous_upstream_download_runs_no_query_once_stored(
    upstream, scope, django_assert_num_queries
):
    dist = wheel("kept-file", "1.0")
    upstream.add(dist.filename, dist.data)
    (entry,) = _page(scope, "kept-file").json()["files"]
    _download(entry)  # fetched and stored
    _download(entry)  # found stored: kept

    with django_assert_num_queries(0):
        response, data = _download(entry)

    assert response.status_code == 200 and data == dist.data
    assert len(upstream.asked_for(f"/files/{dist.filename}")) == 1


def test_a_purged_file_is_fetched_again_not_sent_from_a_kept_row(upstream, scope):
    dist = wheel("purged-lib", "1.0")
    upstream.add(dist.filename, dist.data)
    (entry,) = _page(scope, "purged-lib").json()["files"]
    _download(entry)
    _download(entry)

    assert cache_purge_rows(UpstreamFile.objects.all()) == 1
    response, data = _download(entry)

    assert response.status_code == 200 and data == dist.data
    assert len(upstream.asked_for(f"/files/{dist.filename}")) == 2


def test_a_settings_change_ends_a_kept_upstream_page_at_once(upstream, scope):
    dist = wheel("policy-lib", "1.0")
    upstream.add(dist.filename, dist.data)
    assert _page(scope, "policy-lib").json()["files"]

    application_settings_update(pypi_upstream_blocklist="policy-lib")

    assert _page(scope, "policy-lib").json()["files"] == []


_groups = itertools.count()


def _lifetime(page, **instance):
    defaults = {"pypi_upstream_min_release_age_hours": 0, "pypi_upstream_offline": False}
    ApplicationSettings.objects.filter(pk=ApplicationSettings.load().pk).update(
        **(defaults | instance)
    )
    group = make_group(f"lifetimes-{next(_groups)}")
    return proxy._rendering_lifetime(upstream_config(group), page, timezone.now())


def test_a_rendering_lives_no_longer_than_its_page_stays_fresh(settings):
    settings.REGISTRY_PYPI_UPSTREAM_TTL = 600
    now = timezone.now()
    confirmed = CachedPage("x", [], validated_at=now - datetime.timedelta(seconds=100))

    assert 495 <= _lifetime(confirmed) <= 500
    assert _lifetime(CachedPage("x", [], validated_at=now - datetime.timedelta(hours=1))) == 0
    assert _lifetime(CachedPage("x", [], validated_at=now, stale=True)) == \
        proxy.STALE_RETRY_SECONDS
    assert _lifetime(confirmed, pypi_upstream_min_release_age_hours=24) == \
        proxy.AGE_RULE_SECONDS
    assert _lifetime(CachedPage("x", [], validated_at=now - datetime.timedelta(days=9)),
                     pypi_upstream_offline=True) == 600


def test_with_no_ttl_nothing_is_kept(upstream, scope, settings):
    settings.REGISTRY_PYPI_UPSTREAM_TTL = 0
    dist = wheel("fresh-lib", "1.0")
    upstream.add(dist.filename, dist.data)

    _page(scope, "fresh-lib")
    _page(scope, "fresh-lib")

    assert len(upstream.asked_for("/simple/fresh-lib/")) == 2


def test_while_the_upstream_fails_the_stale_page_is_kept_for_a_retry_interval(
    upstream, scope, settings
):
    dist = wheel("down-lib", "1.0")
    upstream.add(dist.filename, dist.data)
    settings.REGISTRY_PYPI_UPSTREAM_TTL = 0  # every answer is due for revalidation at once
    assert _page(scope, "down-lib").status_code == 200
    upstream.stop()
    asked = len(upstream.requests)

    answers = [_page(scope, "down-lib") for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    # The first one tried the upstream (and failed): the stale page is then kept a while.
    assert len(upstream.requests) == asked
