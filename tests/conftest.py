"""Fixtures shared by the whole suite."""

import base64

import pytest

from registry.storages import storage_from_env
from tests.fakes.s3 import moto_server


@pytest.fixture(autouse=True)
def _isolated_storage(settings, tmp_path):
    """Every test writes blobs to its own folder."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "storage")},
        },
    }


@pytest.fixture(scope="session", autouse=True)
def _generations_per_process():
    """Each test process keeps its own public generation (the default keeps it in a file of
    the data folder): another xdist worker's writes must not turn this one's cached pages
    into misses halfway through a test that counts queries."""
    from django.conf import settings
    from django.test import override_settings

    generations = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                   "LOCATION": "generations", "TIMEOUT": None}
    with override_settings(CACHES={**settings.CACHES, "generations": generations}):
        yield


@pytest.fixture(autouse=True)
def _no_real_upstream(settings):
    """New instances proxy misses upstream: no test may reach pypi.org. The discard port
    refuses at once; tests that want an upstream start the stand-in (tests/fakes/upstream.py)."""
    settings.REGISTRY_PYPI_UPSTREAM_URL = "http://127.0.0.1:9/simple"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Ids repeat between tests once their rows are rolled back: start every test uncached."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_download_counts(monkeypatch):
    """Without Redis, download counts live in the process (packages_pypi.downloads): start
    every test with none, as the cache starts empty."""
    from packages_pypi import downloads

    monkeypatch.setattr(downloads, "_local", downloads._LocalCounter())


def basic_auth(username: str, password: str) -> str:
    """An `Authorization` header value for HTTP Basic."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture(scope="session")
def s3_endpoint():
    """One moto S3 server per test process."""
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3_storage(settings, s3_endpoint, monkeypatch, tmp_path):
    """`default_storage` is S3 on a fresh bucket, configured from the environment as in
    production. Returns the bucket name."""
    bucket = s3_endpoint.create_bucket()
    for key, value in s3_endpoint.env(bucket).items():
        monkeypatch.setenv(key, value)
    settings.STORAGES = {**settings.STORAGES, "default": storage_from_env(tmp_path)}
    return bucket
