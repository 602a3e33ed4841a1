"""Hand a file download to the object store or to nginx instead of streaming it through Python.

`storage.serve_file` asks `redirect_or_none` first and streams the file itself only when it
answers None.

Merged from:
The Content-Disposition of a downloaded distribution, the same from every delivery path.
"""

from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import quote
from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from storages.backends.s3 import S3Storage
from urllib.parse import quote


if TYPE_CHECKING:
    from packages_pypi.models import PackageFile

MIME_OCTET_STREAM = "application/octet-stream"


def redirect_or_none(request: HttpRequest, package_file: "PackageFile") -> HttpResponse | None:
    """Return a response that delegates the bytes, or None when the app should stream them.

    S3: a 302 to a short-lived presigned URL (GitLab's "direct download"), unless
    `REGISTRY_S3_PROXY_DOWNLOAD` is set. Local files: an `X-Accel-Redirect` response for nginx
    when `REGISTRY_X_ACCEL_REDIRECT` names its internal location.
    """
    storage = package_file.file.storage
    if isinstance(storage, S3Storage):
        if settings.REGISTRY_S3_PROXY_DOWNLOAD:
            return None
        return _presigned_redirect(storage, package_file)
    if isinstance(storage, FileSystemStorage) and settings.REGISTRY_X_ACCEL_REDIRECT:
        return _accel_redirect(package_file)
    return None


def _presigned_redirect(storage: S3Storage, package_file: "PackageFile") -> HttpResponse:
    url = _signing_storage(storage).url(
        package_file.file.name,
        parameters={"ResponseContentDisposition": attachment(package_file.file_name)},
    )
    response = HttpResponseRedirect(url)
    # The URL expires within minutes: no client or proxy may keep the redirect.
    response["Cache-Control"] = "no-store"
    return response


def _accel_redirect(package_file: "PackageFile") -> HttpResponse:
    response = HttpResponse(content_type=MIME_OCTET_STREAM)
    prefix = settings.REGISTRY_X_ACCEL_REDIRECT.rstrip("/")
    response["X-Accel-Redirect"] = f"{prefix}/{quote(package_file.file.name)}"
    response["Content-Disposition"] = attachment(package_file.file_name)
    return response


def _signing_storage(storage: S3Storage) -> Storage:
    """The storage that signs URLs for clients: the same one, or one on the public endpoint.

    Signing is computed locally, so a second client costs nothing on the network; it only
    puts the address clients can reach (`REGISTRY_S3_PUBLIC_ENDPOINT_URL`) in the URL.
    """
    public = settings.REGISTRY_S3_PUBLIC_ENDPOINT_URL
    if not public or public == storage.endpoint_url:
        return storage
    return _public_storage(public, storage.bucket_name, storage.access_key, storage.secret_key)


@lru_cache(maxsize=4)
def _public_storage(endpoint: str, bucket: str, access_key: str, secret_key: str) -> S3Storage:
    options = settings.STORAGES["default"]["OPTIONS"]
    return S3Storage(
        **{**options, "endpoint_url": endpoint, "bucket_name": bucket,
           "access_key": access_key, "secret_key": secret_key}
    )


def attachment(filename: str) -> str:
    """`attachment` with the plain name and its RFC 6266 UTF-8 form, as GitLab sends it."""
    return f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"
