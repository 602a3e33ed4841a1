"""Fixtures shared by the whole suite."""

import base64

import pytest


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


@pytest.fixture(autouse=True)
def _empty_cache():
    """Ids repeat between tests once their rows are rolled back: start every test uncached."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def basic_auth(username: str, password: str) -> str:
    """An `Authorization` header value for HTTP Basic."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
