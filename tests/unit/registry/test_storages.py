"""The storage backend chosen by the environment, and S3 through django-storages."""

import hashlib
import os
import tracemalloc

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from storages.backends.s3 import S3Storage

from registry.storages import storage_from_env

MIB = 1024 * 1024


def test_local_folder_is_the_default(monkeypatch, tmp_path):
    monkeypatch.delenv("REGISTRY_STORAGE", raising=False)

    storage = storage_from_env(tmp_path)

    assert storage["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert storage["OPTIONS"]["location"] == str(tmp_path / "storage")


def test_unknown_storage_kind_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("REGISTRY_STORAGE", "ftp")

    with pytest.raises(ImproperlyConfigured, match="filesystem' or 's3'"):
        storage_from_env(tmp_path)


def test_s3_settings_come_from_the_environment(s3_storage, s3_endpoint):
    storage = _resolve()

    assert isinstance(storage, S3Storage)
    assert storage.bucket_name == s3_storage
    assert storage.endpoint_url == s3_endpoint.url
    assert storage.client_config.s3 == {"addressing_style": "path"}
    assert storage.querystring_expire == 300


def test_s3_round_trip(s3_storage):
    name = default_storage.save("pypi/1/abc/demo-1.0.tar.gz", ContentFile(b"sdist bytes"))

    assert name == "pypi/1/abc/demo-1.0.tar.gz"
    assert default_storage.exists(name)
    assert default_storage.size(name) == 11
    with default_storage.open(name) as handle:
        assert handle.read() == b"sdist bytes"
    default_storage.delete(name)
    assert not default_storage.exists(name)


def test_large_upload_streams_to_s3_with_flat_memory(
    s3_storage, settings, monkeypatch, tmp_path
):
    # Five-MiB parts (S3's minimum), two in flight: at most ~10 MiB of a 64 MiB file in memory.
    monkeypatch.setenv("REGISTRY_S3_MULTIPART_CHUNK_MB", "5")
    monkeypatch.setenv("REGISTRY_S3_MAX_CONCURRENCY", "2")
    settings.STORAGES = {**settings.STORAGES, "default": storage_from_env(tmp_path)}
    source, digest = _random_file(tmp_path / "big.bin", 64 * MIB)
    # The first call loads botocore's service models (~12 MiB), once per process.
    default_storage.save("warm-up", ContentFile(b"x"))

    tracemalloc.start()
    try:
        with source.open("rb") as handle:
            name = default_storage.save("pypi/1/big/big-1.0.tar.gz", File(handle))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 24 * MIB, f"peak {peak / MIB:.1f} MiB for a 64 MiB file"
    assert default_storage.size(name) == 64 * MIB
    with default_storage.open(name) as handle:
        read_back = hashlib.sha256()
        for chunk in handle.chunks(MIB):
            read_back.update(chunk)
    assert read_back.hexdigest() == digest


def test_filesystem_storage_stays_in_use_without_s3():
    assert isinstance(_resolve(), FileSystemStorage)


def _resolve():
    """The storage behind the lazy `default_storage`."""
    default_storage.exists("anything")
    return default_storage._wrapped


def _random_file(path, size):
    digest = hashlib.sha256()
    with path.open("wb") as handle:
        for _ in range(size // MIB):
            block = os.urandom(MIB)
            digest.update(block)
            handle.write(block)
    return path, digest.hexdigest()
