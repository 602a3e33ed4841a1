"""Upload input an attacker or a broken client sends: one file part, bounded fields, no 5xx."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from packages_pypi.models import Package, PackageFile
from packages_pypi.protocol.views import reason_phrase
from projects.roles import AccessLevel, Visibility
from tests.builders import rewrite_zip
from tests.conftest import basic_auth
from tests.factories import add_member, make_pat, make_project, make_user
from tests.pypi_driver import Dist, Registry, twine_form, wheel
from tests.unit.packages_pypi.test_upload import stored_blobs

pytestmark = pytest.mark.django_db

METADATA = "sample_project-1.0.0.dist-info/METADATA"


@pytest.fixture
def project():
    return make_project("tools", visibility=Visibility.PRIVATE)


@pytest.fixture
def auth(project):
    user = make_user("dev")
    add_member(project, user, AccessLevel.DEVELOPER)
    return ("dev", make_pat(user))


@pytest.fixture
def registry():
    return Registry()


@pytest.fixture(autouse=True)
def upload_tmp(settings, tmp_path):
    """Uploads are received into a folder of their own, so a leftover is seen."""
    folder = tmp_path / "upload-tmp"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    return folder


def post(registry, project, auth, data):
    return registry.client.post(
        f"/api/v4/projects/{project.pk}/packages/pypi", data=data,
        HTTP_AUTHORIZATION=basic_auth(*auth),
    )


def post_raw(registry, project, auth, filename, data, fields):
    """A multipart body written by hand: Django's test client shortens long filenames."""
    boundary = "xYzZY"
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
        .encode()
        for key, value in fields.items()
    ) + (
        f'--{boundary}\r\nContent-Disposition: form-data; name="content"; '
        f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return registry.client.post(
        f"/api/v4/projects/{project.pk}/packages/pypi", data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        HTTP_AUTHORIZATION=basic_auth(*auth),
    )


def assert_refused(response, text, upload_tmp):
    assert response.status_code == 400, response.content
    assert text in response.content.decode()
    assert not Package.objects.exists() and not PackageFile.objects.exists()
    assert stored_blobs() == []
    assert list(upload_tmp.iterdir()) == []


def test_an_extra_file_part_cannot_lend_its_digest_to_the_content(
    registry, project, auth, upload_tmp
):
    victim = wheel("sample-project")
    evil = Dist(victim.filename, rewrite_zip(victim.data, add=[("sample_project/evil.py", b"")]))
    form = twine_form(evil, "sample-project", "1.0.0", sha256_digest=victim.sha256,
                      md5_digest=None, blake2_256_digest=None)
    form["zzz"] = SimpleUploadedFile(victim.filename, victim.data)

    response = post(registry, project, auth, form)

    assert_refused(response, "file part named 'zzz'", upload_tmp)


def test_an_extra_file_part_before_the_content_is_refused(registry, project, auth, upload_tmp):
    dist = wheel("sample-project")
    form = {"zzz": SimpleUploadedFile(dist.filename, dist.data),
            **twine_form(dist, "sample-project", "1.0.0")}

    response = post(registry, project, auth, form)

    assert_refused(response, "the only file part must be named 'content'", upload_tmp)


def test_content_sent_twice_is_refused(registry, project, auth, upload_tmp):
    dist = wheel("sample-project")
    form = twine_form(dist, "sample-project", "1.0.0")
    form["content"] = [SimpleUploadedFile(dist.filename, dist.data),
                       SimpleUploadedFile(dist.filename, dist.data)]

    response = post(registry, project, auth, form)

    assert_refused(response, "more than one file part", upload_tmp)


def test_content_as_a_text_field_is_refused(registry, project, auth, upload_tmp):
    dist = wheel("sample-project")
    form = twine_form(dist, "sample-project", "1.0.0")
    form["content"] = [form["content"], "not a file"]

    response = post(registry, project, auth, form)

    assert_refused(response, "must be a file part", upload_tmp)


def test_the_digests_stored_are_those_of_the_content(registry, project, auth, upload_tmp):
    dist = wheel("sample-project")

    response = registry.upload(project.pk, dist, auth, sha256_digest=None)

    assert response.status_code == 201
    stored = PackageFile.objects.get()
    assert stored.sha256 == dist.sha256
    with stored.file.open("rb") as blob:
        assert hashlib.sha256(blob.read()).hexdigest() == stored.sha256
    assert list(upload_tmp.iterdir()) == []


@pytest.mark.parametrize(("filename", "text"), [
    # Django named the temporary file after the extension: "File name too long", a 500.
    ("sample_project-1.0.0." + "x" * 250, "File name is too long (maximum is 255 characters)"),
    ("sample_project." + "x" * 240, "must end with"),
    ("\uff46\uff5a-1.0.0-py3-none-any.whl", "only ASCII letters"),
    ('sample_project-1.0.0-py3-none-an"y.whl', "only ASCII letters"),
    ("sample_project-1.0.0-py3-none-an+y.whl", "is not a valid tag"),
    ("sample_project-1.0.0-1+x-py3-none-any.whl", "is not a valid build tag"),
])
def test_bad_filenames_are_400(registry, project, auth, upload_tmp, filename, text):
    response = post_raw(registry, project, auth, filename, wheel("sample-project").data,
                        {"name": "sample-project", "version": "1.0.0"})

    assert_refused(response, text, upload_tmp)
    assert response.reason_phrase.isascii()


@pytest.mark.parametrize(("fields", "text"), [
    ({"pyversion": "p" * 65}, "Pyversion is too long (maximum is 64 characters)"),
    ({"pyversion": "py3\x00"}, "printable ASCII"),
    ({"version": "1" * 5000}, "Version is too long (maximum is 255 characters)"),
    ({"name": "n" * 256}, "Name is too long (maximum is 255 characters)"),
    ({"name": ["sample-project", "other"]}, "'name' is sent more than once"),
    ({":action": "\uff52emove"}, "Unsupported action"),
])
def test_over_long_or_odd_fields_are_400(registry, project, auth, upload_tmp, fields, text):
    form = twine_form(wheel("sample-project"), "sample-project", "1.0.0") | fields

    response = post(registry, project, auth, form)

    assert_refused(response, text, upload_tmp)


@pytest.mark.parametrize(("metadata", "text"), [
    # PostgreSQL: DataError (a 500) for Requires-Python over its column.
    ({"Requires-Python": ">=3." + "1" * 260}, "Requires-Python is too long"),
    ({"Summary": "nul \x00 byte"}, "NUL byte"),
    # packaging's validators, each refusal naming the field (warehouse's rules).
    ({"Requires-Python": '"><script>'}, "is invalid: Requires-Python: '"),
    ({"Requires-Dist": "requests >>> 2"}, "Requires-Dist: 'requests >>> 2' is invalid"),
    ({"Description-Content-Type": "text/html"}, "Description-Content-Type: 'description-"),
    ({"License-Expression": "MIT OR"}, "License-Expression: 'MIT OR' is invalid"),
    ({"Summary": "one\n line"}, "Summary: 'summary' must be a single line"),
    ({"Name": "sample-project"}, "Name: appears 2 times"),
])
def test_bad_metadata_values_are_400(registry, project, auth, upload_tmp, metadata, text):
    good = wheel("sample-project")
    head = "".join(f"{key}: {value}\n" for key, value in metadata.items())
    raw = f"Metadata-Version: 2.1\nName: sample-project\nVersion: 1.0.0\n{head}".encode()
    dist = Dist(good.filename, rewrite_zip(good.data, drop=[METADATA], add=[(METADATA, raw)]))

    response = registry.upload(project.pk, dist, auth)

    assert_refused(response, text, upload_tmp)


def test_a_version_in_the_metadata_too_long_for_packaging_is_400(
    registry, project, auth, upload_tmp
):
    good = wheel("sample-project")
    raw = ("Metadata-Version: 2.1\nName: sample-project\nVersion: " + "1" * 5000 + "\n").encode()
    dist = Dist(good.filename, rewrite_zip(good.data, drop=[METADATA], add=[(METADATA, raw)]))

    response = registry.upload(project.pk, dist, auth)

    assert_refused(response, "Version in the file's metadata is too long", upload_tmp)


def test_a_body_that_is_not_multipart_is_400(registry, project, auth, upload_tmp):
    response = registry.client.post(
        f"/api/v4/projects/{project.pk}/packages/pypi", data=b"--x\r\ngarbage",
        content_type="multipart/form-data", HTTP_AUTHORIZATION=basic_auth(*auth),
    )

    assert_refused(response, "not a readable multipart form", upload_tmp)


@pytest.mark.parametrize(("message", "phrase"), [
    ("400 Bad request - File is too large", "Bad request - File is too large"),
    ("400 Bad request - '\uff46\uff5a.whl'", "Bad request - '\\uff46\\uff5a.whl'"),
    ("name is missing", "name is missing"),
    ("400 Bad request - a\nb\tc\x00d", "Bad request - a b c d"),
    ("400 ", "Bad Request"),
])
def test_reason_phrases_are_ascii_and_do_not_repeat_the_status(message, phrase):
    assert reason_phrase(message) == phrase


def test_a_400_reason_phrase_is_latin_1_safe_and_says_what_is_wrong(registry, project, auth):
    dist = Dist("\uff46\uff5a-1.0.0-py3-none-any.whl", wheel("sample-project").data)

    response = registry.upload(project.pk, dist, auth, name="sample-project", version="1.0.0")

    assert response.status_code == 400
    assert response.reason_phrase.startswith("Bad request - Invalid filename '\\uff46\\uff5a")
    response.reason_phrase.encode("ascii")
