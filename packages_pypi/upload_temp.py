"""Temporary files of uploads in flight: one recognisable name, so a sweep knows what is ours.

A worker killed mid-upload (kill -9, OOM) never runs the cleanup that deletes its temporary
file; `registry_check` removes such files by this prefix once they are old enough.
"""

import tempfile
from pathlib import Path

from django.conf import settings

# Shared by the upload handler (which names the files) and the consistency check (which
# sweeps them): change it in one place only.
UPLOAD_TEMP_PREFIX = "pypi-registry-upload-"
UPLOAD_TEMP_SUFFIX = ".upload"


def upload_temp_dir() -> Path:
    """Where uploads are received: REGISTRY_UPLOAD_TEMP_DIR, else the system's temp folder."""
    return Path(settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir())
