"""A bounded fuzz of the upload endpoint: every form field, the filename, the multipart shape
and the archive (valid, truncated, wrong metadata, long or non-ASCII values, bombs).

Whatever is sent: no 5xx, the answer says what is wrong, and nothing is orphaned (no blob
without a row, no row without a blob, no package without a file, no temporary file left).
Deterministic (derandomize) and quick, on SQLite and PostgreSQL alike.
"""

import functools
import hashlib
import os
import tarfile
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from packages_pypi.models import Package, PackageFile
from projects.roles import AccessLevel, Visibility
from tests.builders import (
    build_sdist,
    build_wheel,
    extension_header,
    gzip_of_zeros_after,
    many_entry_zip,
)
from tests.conftest import basic_auth
from tests.factories import add_member, make_pat, make_project, make_user

pytestmark = pytest.mark.django_db

# Every field twine sends (twine/package.py metadata_dictionary), and the upload's own.
FIELDS = [
    ":action", "protocol_version", "name", "version", "filetype", "pyversion",
    "metadata_version", "summary", "home_page", "author", "author_email", "maintainer",
    "maintainer_email", "license", "description", "keywords", "platform", "classifiers",
    "download_url", "supported_platform", "comment", "md5_digest", "sha256_digest",
    "blake2_256_digest", "requires_python", "description_content_type", "requires_dist",
    "provides_dist", "obsoletes_dist", "requires_external", "project_urls", "provides_extra",
    "dynamic",
]

values = st.one_of(
    st.text(max_size=12),
    st.text(min_size=240, max_size=300),
    st.sampled_from(["", " ", "1.0", "py3", "source", "bdist_wheel", "sdist", "file_upload",
                     "\uff46\uff5a", "a" * 64, "A" * 65, "0" * 32, "x\x00y", "1" * 5000]),
)

filenames = st.one_of(
    st.none(),  # the builder's own, valid name
    st.sampled_from([
        "\uff46\uff5a-1.0-py3-none-any.whl", 'fuzz_pkg-1.0-py3-none-an"y.whl',
        "fuzz_pkg-1.0." + "x" * 250, "fuzz_pkg-1.0-py3-none-any." + "w" * 240,
        "../fuzz_pkg-1.0.tar.gz", "fuzz_pkg-1.0.egg", ".whl", "fuzz pkg-1.0.tar.gz",
        "fuzz_pkg-1.0-x-py3-none-any.whl", "fuzz_pkg-1.0-py3-none-any.whl.tar.gz",
    ]),
    st.text(max_size=40).map(lambda stem: stem + ".whl"),
)

metadata_changes = st.sampled_from([
    {}, {"requires_python": ">=3." + "1" * 300}, {"summary": "nul\x00"},
    {"summary": "\u00e9t\u00e9 " * 200}, {"keywords": "k" * 2000},
    {"extra_metadata": {"Metadata-Version": "9" * 40}}, {"description": "\ud7ff" * 100},
])


@functools.cache
def bomb(kind: str) -> bytes:
    if kind == "tar":
        return gzip_of_zeros_after(extension_header(tarfile.GNUTYPE_LONGNAME, 1024**3), 2**20)
    return many_entry_zip(120_000)


@st.composite
def uploads(draw: st.DrawFn) -> dict:
    kind = draw(st.sampled_from(["wheel", "sdist", "zip"]))
    version = draw(st.sampled_from(["1.0", "2.0.post1", "3.0"]))
    metadata = draw(metadata_changes)
    if kind == "wheel":
        filename, data = build_wheel("fuzz-pkg", version, **metadata)
    else:
        filename, data = build_sdist("fuzz-pkg", version, **metadata,
                                     archive_format="tar.gz" if kind == "sdist" else "zip")
    archive = draw(st.sampled_from(["as built", "truncated", "spliced", "bomb"]))
    if archive == "truncated":
        data = data[: draw(st.integers(0, len(data) - 1))]
    elif archive == "spliced":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=64)) + data[at:]
    elif archive == "bomb":
        data = bomb("tar" if kind == "sdist" else "zip")
    form = {
        ":action": "file_upload", "protocol_version": "1", "name": "fuzz-pkg",
        "version": version, "filetype": "bdist_wheel" if kind == "wheel" else "sdist",
        "pyversion": "py3" if kind == "wheel" else "source", "metadata_version": "2.1",
        "sha256_digest": hashlib.sha256(data).hexdigest(),
    }
    form.update(draw(st.dictionaries(st.sampled_from(FIELDS), values, max_size=3)))
    return {
        "form": form,
        "filename": draw(filenames) or filename,
        "data": data,
        "shape": draw(st.sampled_from(
            ["one file", "one file", "one file", "extra before", "extra after",
             "content twice", "content as text", "no content"]
        )),
    }


def encode(case: dict) -> tuple[bytes, str]:
    """The multipart body, written by hand so that filenames and part names are exactly ours."""
    boundary = "fuzzBoundary7MA4YWxkTrZu0gW"

    def part(name: str, value: bytes, filename: str | None = None) -> bytes:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            # As browsers do: a quote or line break in a filename is percent-encoded.
            quoted = filename.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
            disposition += f'; filename="{quoted}"'
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        return head + value + b"\r\n"

    parts = [part(key, value.encode()) for key, value in case["form"].items()]
    content = part("content", case["data"], case["filename"])
    shape = case["shape"]
    files = {
        "one file": [content],
        "extra before": [part("zzz", b"other bytes", "other.whl"), content],
        "extra after": [content, part("zzz", b"other bytes", "other.whl")],
        "content twice": [content, part("content", b"other bytes", case["filename"])],
        "content as text": [content, part("content", b"text")],
        "no content": [],
    }[shape]
    body = b"".join([*parts, *files]) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def files_under(root: Path) -> set[str]:
    return {
        str((Path(dirpath) / name).relative_to(root))
        for dirpath, _, names in os.walk(root) for name in names
    }


def test_no_upload_answers_5xx_or_leaves_anything_orphaned():
    project = make_project("fuzz", visibility=Visibility.PRIVATE)
    user = make_user("fuzzer")
    add_member(project, user, AccessLevel.DEVELOPER)
    headers = {"HTTP_AUTHORIZATION": basic_auth("fuzzer", make_pat(user))}
    storage = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    temp_dir = Path(settings.FILE_UPLOAD_TEMP_DIR)
    client = Client()
    statuses: dict[int, int] = {}

    @hypothesis_settings(max_examples=300, derandomize=True, deadline=None, database=None,
                         suppress_health_check=list(HealthCheck), print_blob=True)
    @given(case=uploads())
    def upload(case: dict) -> None:
        body, content_type = encode(case)
        response = client.post(f"/api/v4/projects/{project.pk}/packages/pypi", data=body,
                               content_type=content_type, **headers)

        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, response.content[:500]
        answer = response.json()
        assert (answer.get("message") or answer.get("error") or "").strip(), answer
        rows = set(PackageFile.objects.values_list("file", flat=True))
        assert files_under(storage) == rows
        assert not Package.objects.filter(files__isnull=True).exists()
        assert files_under(temp_dir) == set()

    upload()
    # The fuzz reached both ends: some uploads were stored, most were refused.
    assert statuses.get(201, 0) >= 3 and statuses.get(400, 0) >= 100, statuses


@pytest.fixture(autouse=True)
def _upload_temp_dir(settings, tmp_path):
    folder = tmp_path / "upload-tmp"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
