"""Downloads handed to S3 (presigned 302) or to nginx (X-Accel-Redirect)."""

from urllib.parse import urlsplit

import requests
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import RequestFactory

from packages_pypi.models import PackageFile
from packages_pypi.protocol.delivery import redirect_or_none

WHEEL = "demo_pkg-1.0+local-py3-none-any.whl"


def _stored_file(content: bytes = b"wheel bytes") -> PackageFile:
    name = default_storage.save(f"pypi/7/0123abcd/{WHEEL}", ContentFile(content))
    return PackageFile(file=name, file_name=WHEEL)


def _redirect(package_file: PackageFile):
    return redirect_or_none(RequestFactory().get("/download"), package_file)


def test_s3_download_redirects_to_a_presigned_url_that_serves_the_file(s3_storage):
    response = _redirect(_stored_file())

    assert response.status_code == 302
    assert response["Cache-Control"] == "no-store"
    fetched = requests.get(response["Location"], timeout=10)
    assert fetched.status_code == 200
    assert fetched.content == b"wheel bytes"
    assert WHEEL.replace("+", "%2B") in fetched.headers["Content-Disposition"]


def test_presigned_url_expires(s3_storage):
    location = _redirect(_stored_file())["Location"]

    assert "X-Amz-Expires=300" in location
    assert "X-Amz-Signature=" in location


def test_presigned_url_names_the_public_endpoint_when_set(s3_storage, settings):
    settings.REGISTRY_S3_PUBLIC_ENDPOINT_URL = "https://files.example.com"

    location = _redirect(_stored_file())["Location"]

    assert urlsplit(location).netloc == "files.example.com"
    assert f"/{s3_storage}/pypi/7/" in location


def test_s3_proxy_download_leaves_streaming_to_the_app(s3_storage, settings):
    settings.REGISTRY_S3_PROXY_DOWNLOAD = True

    assert _redirect(_stored_file()) is None


def test_local_file_is_streamed_by_the_app_without_nginx():
    assert _redirect(_stored_file()) is None


def test_local_file_is_handed_to_nginx_when_configured(settings):
    settings.REGISTRY_X_ACCEL_REDIRECT = "/_files/"

    response = _redirect(_stored_file())

    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/_files/pypi/7/0123abcd/{WHEEL.replace('+', '%2B')}"
    assert response["Content-Type"] == "application/octet-stream"
    assert response.content == b""
