"""Upstream files in detail: HEAD, waiting for another server's fetch, failures mid-way,
metadata edge cases."""

import datetime
import threading
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from packages_pypi.models import UpstreamFile
from projects.models import ApplicationSettings
from projects.roles import Visibility
from tests.factories import make_group, make_project
from tests.pypi_driver import Registry, project_scope, sdist, wheel

pytestmark = pytest.mark.django_db(transaction=True)

JSON = "application/vnd.pypi.simple.v1+json"


@pytest.fixture
def scope():
    group = make_group("acme", visibility=Visibility.PUBLIC)
    return project_scope(make_project("tools", namespace=group, visibility=Visibility.PUBLIC))


def entry_of(upstream, scope: str, dist) -> dict:
    upstream.add(dist.filename, dist.data)
    name = dist.filename.split("-")[0].replace("_", "-")
    (entry,) = Registry().simple(scope, name, accept=JSON).json()["files"]
    return entry


def get(entry: dict, suffix: str = "", method: str = "get"):
    path = "/api/v4/" + entry["url"].split("/api/v4/")[1].split("#")[0] + suffix
    return getattr(Registry().client, method)(path)


def test_head_of_an_uncached_file_fetches_it_and_answers_its_headers(upstream, scope):
    dist = wheel("head-lib", "1.0")
    entry = entry_of(upstream, scope, dist)

    response = get(entry, method="head")

    assert response.status_code == 200
    assert response["Content-Length"] == str(len(dist.data))
    assert UpstreamFile.objects.get().cached


def _another_server_fetching(dist, monkeypatch, *, succeed: bool) -> threading.Thread:
    """Hold the lease as another app server would; once the request waits, store the blob
    (or give up)."""
    row = UpstreamFile.objects.get(file_name=dist.filename)
    UpstreamFile.objects.filter(pk=row.pk).update(
        fetch_lease_until=timezone.now() + datetime.timedelta(seconds=30))
    waiting = threading.Event()
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:
        waiting.set()
        real_sleep(seconds)

    monkeypatch.setattr("packages_pypi.upstream.files.time.sleep", sleep)

    def finish() -> None:
        waiting.wait(timeout=60)
        if succeed:
            key = default_storage.save(f"pypi/upstream/x/{dist.filename}", ContentFile(dist.data))
            UpstreamFile.objects.filter(pk=row.pk).update(file=key, fetch_lease_until=None)
        else:
            UpstreamFile.objects.filter(pk=row.pk).update(fetch_lease_until=timezone.now())

    thread = threading.Thread(target=finish)
    thread.start()
    return thread


@pytest.mark.parametrize("succeed", [True, False])
def test_a_request_waits_for_the_fetch_another_server_holds(upstream, scope, succeed,
                                                            monkeypatch):
    dist = wheel("wait-lib", "1.0")
    entry = entry_of(upstream, scope, dist)
    assert get(entry, ".metadata").status_code == 200  # creates the row, not the blob
    thread = _another_server_fetching(dist, monkeypatch, succeed=succeed)

    response = get(entry)
    thread.join()

    if succeed:
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == dist.data
    else:
        assert response.status_code == 502
        assert "try again" in response.json()["message"]
    assert f"/files/{dist.filename}" not in upstream.requests


def test_a_file_gone_upstream_before_its_first_fetch_is_a_502(upstream, scope):
    dist = sdist("gone-lib", "1.0")
    entry = entry_of(upstream, scope, dist)
    upstream.remove(dist.filename)

    response = get(entry)

    assert response.status_code == 502
    assert "answered 404" in response.json()["message"]
    row = UpstreamFile.objects.get()
    assert not row.cached and row.fetch_lease_until <= timezone.now()


def test_metadata_edge_cases(upstream, scope):
    dist = sdist("nometa-lib", "1.0")  # an sdist: no PEP 658 metadata on the page
    entry = entry_of(upstream, scope, dist)
    wheel_entry = entry_of(upstream, scope, wheel("offmeta-lib", "1.0"))
    ApplicationSettings.load()
    ApplicationSettings.objects.update(pypi_upstream_offline=True)

    assert get(entry, ".metadata").status_code == 404
    assert get(wheel_entry, ".metadata").status_code == 502


def test_a_name_that_is_no_distribution_is_404(upstream, scope):
    response = Registry().download(scope, "a" * 64, "not-a-distribution.exe")
    bad_wheel = Registry().download(scope, "a" * 64, "bad-wheel-name.whl")

    assert response.status_code == bad_wheel.status_code == 404
    assert upstream.requests == []
