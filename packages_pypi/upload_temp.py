"""Temporary files of uploads in flight: one recognisable name, so a sweep knows what is ours.

A worker killed mid-upload (kill -9, OOM) never runs the cleanup that deletes its temporary
file; `registry_check` removes such files by this prefix once they are old enough.
"""

import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile

# Shared by the upload handler (which names the files) and the consistency check (which
# sweeps them): change it in one place only.
UPLOAD_TEMP_PREFIX = "pypi-registry-upload-"
UPLOAD_TEMP_SUFFIX = ".upload"


def upload_temp_dir() -> Path:
    """Where uploads are received: REGISTRY_UPLOAD_TEMP_DIR, else the system's temp folder."""
    return Path(settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir())


class RegistryTemporaryUploadedFile(TemporaryUploadedFile):
    """Django's temporary upload, named by us: our prefix, and no part of the client's name."""

    def __init__(
        self,
        name: str,
        content_type: str | None,
        size: int,
        charset: str | None,
        content_type_extra: dict | None = None,
    ) -> None:
        file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed (and deleted) by Django
            prefix=UPLOAD_TEMP_PREFIX, suffix=UPLOAD_TEMP_SUFFIX, dir=upload_temp_dir()
        )
        UploadedFile.__init__(self, file, name, content_type, size, charset, content_type_extra)
