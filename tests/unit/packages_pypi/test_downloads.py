"""Download counts: counted in the cache (local memory or Redis), folded in batches, shown in
the Packages API and on the package page; a download never writes its count."""

import threading
import time

import pytest
import redis
from django.test import Client
from rest_framework.test import APIClient

from packages_pypi import downloads
from packages_pypi.downloads import downloads_fold
from packages_pypi.models import Package, PackageFile
from projects.roles import Visibility
from tests.factories import make_group, make_project
from tests.package_rows import add_file, make_package
from tests.pypi_driver import Registry, project_scope

pytestmark = pytest.mark.django_db
REDIS_URL = "redis://127.0.0.1:6379/11"


@pytest.fixture(params=["local", "redis"])
def counting_cache(request, settings):
    """Each test runs on the local-memory cache and on Redis (its own database number)."""
    if request.param == "redis":
        client = redis.Redis.from_url(REDIS_URL)
        try:
            client.ping()
        except redis.ConnectionError:
            pytest.skip("no Redis at 127.0.0.1:6379")
        client.flushdb()
        settings.CACHES = {**settings.CACHES, "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
        }}
        yield request.param
        client.flushdb()
        return
    yield request.param


@pytest.fixture
def no_background_fold(monkeypatch):
    """The folds a download starts, recorded instead of run (the test folds itself)."""
    started: list[int] = []
    monkeypatch.setattr(downloads, "fold_in_background", lambda: started.append(1))
    return started


@pytest.fixture
def public_files():
    project = make_project("tools", namespace=make_group("acme"), visibility=Visibility.PUBLIC)
    package = make_package(project, "counted", "1.0")
    return project, package, add_file(package), add_file(package, "counted-1.0.tar.gz")


def _download(project, package_file, client=None):
    response = Registry(client).download(
        project_scope(project), package_file.sha256, package_file.file_name
    )
    assert response.status_code == 200
    b"".join(response.streaming_content) if response.streaming else response.content


def test_downloads_are_counted_per_file_and_per_version_once_folded(
    counting_cache, no_background_fold, public_files
):
    project, package, wheel_file, sdist_file = public_files
    for _ in range(3):
        _download(project, wheel_file)
    _download(project, sdist_file)
    assert PackageFile.objects.get(pk=wheel_file.pk).downloads == 0  # still in the cache
    assert downloads_fold() == 4
    assert PackageFile.objects.get(pk=wheel_file.pk).downloads == 3
    assert PackageFile.objects.get(pk=sdist_file.pk).downloads == 1
    assert Package.objects.get(pk=package.pk).downloads == 4
    assert downloads_fold() == 0  # a fold takes what it folded out of the cache
    _download(project, wheel_file)
    downloads_fold()
    assert Package.objects.get(pk=package.pk).downloads == 5


def test_a_download_never_writes_the_database(
    counting_cache, no_background_fold, public_files, django_assert_max_num_queries,
    django_assert_num_queries,
):
    project, package, wheel_file, _ = public_files
    with django_assert_max_num_queries(10) as first:
        _download(project, wheel_file)
    with django_assert_num_queries(0):
        # Anonymous: which file the URL names is kept under the public generation.
        _download(project, wheel_file)
    writes = [q["sql"] for q in first.captured_queries
              if q["sql"].upper().startswith(("UPDATE", "INSERT"))]
    assert writes == []
    assert Package.objects.get(pk=package.pk).last_downloaded_at is None  # until the fold
    downloads_fold()
    assert Package.objects.get(pk=package.pk).last_downloaded_at is not None


def test_without_counting_a_download_stamps_its_version_itself(settings, public_files):
    settings.REGISTRY_DOWNLOAD_COUNTING = False
    project, package, wheel_file, _ = public_files
    _download(project, wheel_file)
    assert Package.objects.get(pk=package.pk).last_downloaded_at is not None


def test_a_failed_fold_keeps_its_batch_for_the_next(
    counting_cache, no_background_fold, public_files, monkeypatch
):
    project, package, wheel_file, _ = public_files
    _download(project, wheel_file)
    _download(project, wheel_file)

    def database_down(counts):
        raise RuntimeError("database down")

    with monkeypatch.context() as patched:
        patched.setattr(downloads, "_write", database_down)
        with pytest.raises(RuntimeError):
            downloads_fold()
    _download(project, wheel_file)
    assert downloads_fold() == 3
    assert Package.objects.get(pk=package.pk).downloads == 3


def test_counting_off_counts_nothing(settings, no_background_fold, public_files):
    settings.REGISTRY_DOWNLOAD_COUNTING = False
    project, _, wheel_file, _ = public_files
    _download(project, wheel_file)
    assert downloads_fold() == 0


def test_a_cache_outage_does_not_fail_the_download(monkeypatch, public_files, caplog):
    project, _, wheel_file, _ = public_files

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(downloads._local, "add", broken)
    _download(project, wheel_file)
    assert "could not count a download" in caplog.text


def test_many_files_counted_at_once_are_all_kept(no_background_fold, public_files):
    """More files than Django's local-memory cache holds (300) lose no count."""
    project, _, wheel_file, _ = public_files
    counter = downloads._counter()
    for file_id in range(1_000_000, 1_000_500):
        counter.add(file_id)
    _download(project, wheel_file)
    (batch,) = counter.take()
    assert len(batch.counts) == 501 and batch.counts[wheel_file.pk] == 1


def test_a_fold_is_started_once_the_interval_has_passed(settings, monkeypatch, public_files):
    settings.REGISTRY_DOWNLOAD_FOLD_INTERVAL_SECONDS = 0
    started = threading.Event()
    monkeypatch.setattr(downloads, "fold_in_background", started.set)
    monkeypatch.setattr(downloads, "_local", downloads._LocalCounter())
    project, _, wheel_file, _ = public_files
    _download(project, wheel_file)  # the first download sets the first fold one interval on
    assert not started.is_set()
    _download(project, wheel_file)
    assert started.is_set()


@pytest.mark.django_db(transaction=True)
def test_the_background_fold_writes_the_counts(public_files):
    _, package, wheel_file, _ = public_files
    downloads._counter().add(wheel_file.pk)
    downloads.fold_in_background().join(timeout=30)
    assert Package.objects.get(pk=package.pk).downloads == 1


def test_the_packages_api_and_the_page_show_downloads(
    settings, no_background_fold, public_files
):
    settings.ALLOWED_HOSTS = ["*"]
    project, package, wheel_file, _ = public_files
    _download(project, wheel_file)
    _download(project, wheel_file)
    downloads_fold()
    api = APIClient()
    listed = api.get("/api/v4/projects/acme%2Ftools/packages").json()
    assert listed[0]["downloads"] == 2
    files = api.get(f"/api/v4/projects/acme%2Ftools/packages/{package.pk}/package_files").json()
    assert {f["file_name"]: f["downloads"] for f in files} == {
        wheel_file.file_name: 2, "counted-1.0.tar.gz": 0
    }
    page = Client().get(f"/acme/tools/-/packages/{package.pk}").content.decode()
    assert 'data-downloads="2"' in page


def test_redis_folds_adopt_only_abandoned_batches(counting_cache, public_files):
    if counting_cache != "redis":
        pytest.skip("batches under their own keys are Redis's")
    _, package, wheel_file, _ = public_files
    client = redis.Redis.from_url(REDIS_URL)
    old = f"registry:downloads:batch:{int(time.time()) - 3600}:dead"
    client.hset(old, wheel_file.pk, 5)  # its fold died an hour ago
    busy = f"registry:downloads:batch:{int(time.time())}:busy"
    client.hset(busy, wheel_file.pk, 7)  # another server is folding it right now
    assert downloads_fold() == 5
    assert Package.objects.get(pk=package.pk).downloads == 5
    assert not client.exists(old)
    assert client.hget(busy, wheel_file.pk) == b"7"
