"""The `default` storage backend, chosen and configured from the environment."""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, TypeGuard

import environ
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from boto3.s3.transfer import TransferConfig
    from storages.backends.s3 import S3Storage

# boto3, botocore and django-storages' S3 backend are imported only where S3 is configured:
# they are 35 MiB of every worker's memory at rest (issue 14).

env = environ.Env()


def _s3_storage() -> dict:
    """django-storages' S3 backend, for AWS S3 and compatible stores (MinIO, Ceph)."""
    from botocore.config import Config

    mib = 1024 * 1024
    chunk = env.int("REGISTRY_S3_MULTIPART_CHUNK_MB", default=8) * mib
    concurrency = env.int("REGISTRY_S3_MAX_CONCURRENCY", default=2)
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("REGISTRY_S3_BUCKET"),
            "endpoint_url": env.str("REGISTRY_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("REGISTRY_S3_REGION", default="") or None,
            "access_key": env.str("REGISTRY_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("REGISTRY_S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("REGISTRY_S3_PREFIX", default=""),
            "querystring_expire": env.int("REGISTRY_S3_PRESIGN_SECONDS", default=300),
            # Keys carry a fresh UUID (packages_pypi.models._blob_key), so there is nothing to
            # overwrite; True saves a HEAD request per upload.
            "file_overwrite": True,
            "default_acl": None,
            "client_config": Config(
                s3={"addressing_style": env.str("REGISTRY_S3_ADDRESSING_STYLE", default="auto")},
                signature_version="s3v4",
                connect_timeout=5,
                read_timeout=60,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
            "transfer_config": _transfer_config(chunk, concurrency),
        },
    }


def _transfer_config(chunk: int, concurrency: int) -> "TransferConfig":
    """Multipart uploads in fixed chunks, with no more chunks in memory than are in flight.

    Memory stays near chunk x concurrency whatever the size of the file (issue 6). boto3 reads
    each part of a seekable file into memory and by default queues up to 10 of them.
    """
    from boto3.s3.transfer import TransferConfig

    config = TransferConfig(
        multipart_threshold=chunk, multipart_chunksize=chunk, max_concurrency=concurrency
    )
    config.max_in_memory_upload_chunks = concurrency
    return config


def storage_from_env(data_dir: Path) -> dict:
    """Where package files live: the local folder (default) or S3 (`REGISTRY_STORAGE=s3`)."""
    kind = env.str("REGISTRY_STORAGE", default="filesystem")
    if kind == "s3":
        return _s3_storage()
    if kind != "filesystem":
        raise ImproperlyConfigured(f"REGISTRY_STORAGE must be 'filesystem' or 's3', not {kind!r}")
    return {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(data_dir / "storage")},
    }


def is_s3(storage: object) -> TypeGuard["S3Storage"]:
    """Whether `storage` is django-storages' S3 backend, without importing it when it is not.

    A storage can only be an S3Storage once that module is loaded; asking for `__class__`
    first makes a LazyObject (default_storage) set its backend up.
    """
    backend = storage.__class__
    module = sys.modules.get("storages.backends.s3")
    return module is not None and issubclass(backend, module.S3Storage)
