"""The registry's settings with a storage that copies slowly (tests/fakes/storage.py).

For live servers (DJANGO_SETTINGS_MODULE) in fault tests that kill a worker mid-copy.
"""

from registry.settings import *  # noqa: F403
from registry.settings import STORAGES

_SLOW = {
    "django.core.files.storage.FileSystemStorage": "tests.fakes.storage.SlowFileSystemStorage",
    "storages.backends.s3.S3Storage": "tests.fakes.storage.SlowS3Storage",
}
STORAGES = {
    **STORAGES,
    "default": {**STORAGES["default"], "BACKEND": _SLOW[STORAGES["default"]["BACKEND"]]},
}
