"""Downloads handed to S3 (presigned 302) or to nginx (X-Accel-Redirect)."""

from urllib.parse import urlsplit

import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import RequestFactory

from packages_pypi.models import PackageFile
from packages_pypi.protocol.delivery import attachment, redirect_or_none

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
    assert fetched.headers["Content-Disposition"] == f'attachment; filename="{WHEEL}"'


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


@pytest.mark.parametrize(("filename", "header"), [
    ("pkg-1.0-py3-none-any.whl", 'attachment; filename="pkg-1.0-py3-none-any.whl"'),
    # Names the upload refuses today, as an older row could hold: escaped, never broken.
    ('pkg-1.0-py3-none-an"y.whl', 'attachment; filename="pkg-1.0-py3-none-an\\"y.whl"'),
    ("caf\u00e9-1.0.tar.gz", "attachment; filename*=utf-8''caf%C3%A9-1.0.tar.gz"),
    ("a\r\nX-Evil: 1.whl", "attachment; filename*=utf-8''a%0D%0AX-Evil%3A%201.whl"),
])
def test_content_disposition_is_one_well_formed_header(filename, header):
    assert attachment(filename) == header


def test_x_accel_redirect_sends_the_same_content_disposition(settings):
    settings.REGISTRY_X_ACCEL_REDIRECT = "/internal/"

    response = _redirect(_stored_file())

    assert response["Content-Disposition"] == f'attachment; filename="{WHEEL}"'
    assert response["X-Accel-Redirect"].startswith("/internal/pypi/7/")
