"""Unit tests for packages_pypi.distributions (no Django needed)."""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile

import pytest

from packages_pypi import metadata
from packages_pypi.metadata import (
    MAX_METADATA_SIZE,
    CoreMetadata,
    InvalidCoreMetadata,
    InvalidDistribution,
    parse_core_metadata,
    read_core_metadata,
    validate_core_metadata,
)
from packages_pypi.names import InvalidFilename
from tests.builders import build_sdist, build_wheel, rewrite_zip, write_distribution

FULL_FIELDS = {
    "requires_python": ">=3.9",
    "summary": "A summary with unicode \u2603",
    "description": "# Title\n\nSome *markdown* with caf\u00e9.\n",
    "description_content_type": "text/markdown",
    "keywords": "alpha,beta",
    "author_email": "Jane <jane@example.com>",
    "extra_metadata": {
        "Author": "Jane Doe",
        "Maintainer": "Joe",
        "Maintainer-email": "joe@example.com",
        "License": "MIT",
        "License-Expression": "MIT OR Apache-2.0",
        "Home-page": "https://example.com",
        "Requires-Dist": ["requests>=2", 'tomli; python_version < "3.11"'],
        "Classifier": ["Programming Language :: Python :: 3", "License :: OSI Approved"],
        "Project-URL": ["Source, https://example.com/src", "Docs, https://example.com/docs"],
    },
}

EXPECTED_FIELDS = {
    "metadata_version": "2.1",
    "name": "My.Pkg",
    "version": "1.0rc1",
    "summary": "A summary with unicode \u2603",
    "description": "# Title\n\nSome *markdown* with caf\u00e9.\n",
    "description_content_type": "text/markdown",
    "keywords": "alpha,beta",
    "author": "Jane Doe",
    "author_email": "Jane <jane@example.com>",
    "maintainer": "Joe",
    "maintainer_email": "joe@example.com",
    "license": "MIT",
    "license_expression": "MIT OR Apache-2.0",
    "home_page": "https://example.com",
    "requires_python": ">=3.9",
    "requires_dist": ("requests>=2", 'tomli; python_version < "3.11"'),
    "classifiers": ("Programming Language :: Python :: 3", "License :: OSI Approved"),
    "project_urls": ("Source, https://example.com/src", "Docs, https://example.com/docs"),
}


def _member(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name)


def _tar_member(data: bytes, name: str) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        member = archive.extractfile(name)
        assert member is not None
        return member.read()


def _tar_gz(members: list[tuple[tarfile.TarInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb") as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        for info, content in members:
            tar.addfile(info, io.BytesIO(content) if info.isreg() else None)
    return buffer.getvalue()


def _file(name: str, content: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    return info, content


def _fields(metadata: CoreMetadata) -> dict[str, object]:
    return {key: getattr(metadata, key) for key in EXPECTED_FIELDS}


def test_all_fields_are_read_from_a_wheel_on_disk(tmp_path):
    filename, data = build_wheel("My.Pkg", "1.0rc1", **FULL_FIELDS)
    path = write_distribution(tmp_path, filename, data)

    metadata = read_core_metadata(path, filename)

    assert _fields(metadata) == EXPECTED_FIELDS
    assert metadata.raw == _member(data, "my_pkg-1.0rc1.dist-info/METADATA")


def test_all_fields_are_read_from_a_tar_gz_sdist(tmp_path):
    filename, data = build_sdist("My.Pkg", "1.0rc1", **FULL_FIELDS)
    path = write_distribution(tmp_path, filename, data)

    metadata = read_core_metadata(str(path), filename)

    assert filename == "my_pkg-1.0rc1.tar.gz"
    assert _fields(metadata) == EXPECTED_FIELDS
    assert metadata.raw == _tar_member(data, "my_pkg-1.0rc1/PKG-INFO")


def test_all_fields_are_read_from_a_legacy_zip_sdist():
    filename, data = build_sdist("My.Pkg", "1.0rc1", archive_format="zip", **FULL_FIELDS)

    metadata = read_core_metadata(io.BytesIO(data), filename)

    assert filename == "my_pkg-1.0rc1.zip"
    assert _fields(metadata) == EXPECTED_FIELDS
    assert metadata.raw == _member(data, "my_pkg-1.0rc1/PKG-INFO")


def test_absent_fields_are_empty_strings_and_tuples():
    filename, data = build_wheel("bare", "1", description_content_type="")

    metadata = read_core_metadata(io.BytesIO(data), filename)

    assert (metadata.name, metadata.version) == ("bare", "1")
    assert metadata.summary == metadata.description == metadata.license_expression == ""
    assert metadata.requires_dist == metadata.classifiers == metadata.project_urls == ()


def test_a_file_object_position_is_restored_after_reading():
    filename, data = build_wheel("pkg", "1.0")
    fileobj = io.BytesIO(data)
    fileobj.seek(7)

    read_core_metadata(fileobj, filename)

    assert fileobj.tell() == 7


def test_metadata_of_a_wheel_with_a_large_payload_is_read():
    filename, data = build_wheel("pkg", "1.0", summary="big", payload_size=3 * MAX_METADATA_SIZE)

    assert read_core_metadata(io.BytesIO(data), filename).summary == "big"


def test_dist_info_name_may_differ_in_case_and_normalization():
    filename, data = build_wheel("My.Pkg", "1.0", dist_info_name="My.Pkg-1.0.0.dist-info")

    assert read_core_metadata(io.BytesIO(data), filename).name == "My.Pkg"


def test_dist_info_for_another_project_is_rejected():
    filename, data = build_wheel("pkg", "1.0", dist_info_name="other-1.0.dist-info")

    with pytest.raises(InvalidDistribution, match=r"other-1\.0\.dist-info"):
        read_core_metadata(io.BytesIO(data), filename)


def test_wheel_without_metadata_is_rejected():
    filename, data = build_wheel("pkg", "1.0")
    data = rewrite_zip(data, drop=["pkg-1.0.dist-info/METADATA"])

    with pytest.raises(
        InvalidDistribution, match=r"does not contain 'pkg-1\.0\.dist-info/METADATA'"
    ):
        read_core_metadata(io.BytesIO(data), filename)


def test_wheel_without_any_dist_info_is_rejected():
    filename, data = build_wheel("pkg", "1.0", dist_info_name="pkg-1.0.egg-info")

    with pytest.raises(InvalidDistribution, match=r"no 'pkg-1\.0\.dist-info' directory"):
        read_core_metadata(io.BytesIO(data), filename)


def test_wheel_with_two_dist_info_dirs_is_rejected():
    filename, data = build_wheel("pkg", "1.0")
    data = rewrite_zip(data, add=[("vendored-2.0.dist-info/METADATA", b"Name: vendored\n")])

    with pytest.raises(InvalidDistribution, match=r"several \.dist-info directories"):
        read_core_metadata(io.BytesIO(data), filename)


def test_wheel_with_a_duplicated_metadata_entry_is_rejected():
    filename, data = build_wheel("pkg", "1.0")
    data = rewrite_zip(data, add=[("pkg-1.0.dist-info/METADATA", b"Name: evil\n")])

    with pytest.raises(InvalidDistribution, match="more than once"):
        read_core_metadata(io.BytesIO(data), filename)


def test_nested_metadata_is_not_mistaken_for_the_top_level_one():
    filename, data = build_wheel("pkg", "1.0")
    data = rewrite_zip(
        data,
        drop=["pkg-1.0.dist-info/METADATA"],
        add=[("pkg/pkg-1.0.dist-info/METADATA", b"Name: pkg\n")],
    )

    with pytest.raises(InvalidDistribution, match="does not contain"):
        read_core_metadata(io.BytesIO(data), filename)


@pytest.mark.parametrize(
    "content", [b"", b"this is not a zip file at all", b"PK\x03\x04 truncated", b"\x1f\x8b\x08"]
)
def test_non_zip_file_named_whl_is_rejected(content):
    with pytest.raises(InvalidDistribution, match="not a readable zip archive"):
        read_core_metadata(io.BytesIO(content), "pkg-1.0-py3-none-any.whl")


def test_non_gzip_file_named_tar_gz_is_rejected():
    _, wheel = build_wheel("pkg", "1.0")

    with pytest.raises(InvalidDistribution, match=r"not a readable tar\.gz archive"):
        read_core_metadata(io.BytesIO(wheel), "pkg-1.0.tar.gz")


def test_corrupted_metadata_member_is_rejected():
    filename, data = build_wheel("pkg", "1.0", description="x" * 1000)
    offset = data.index(b"METADATA") + len(b"METADATA") + 5  # inside the deflated bytes
    corrupted = data[:offset] + bytes(b ^ 0xFF for b in data[offset : offset + 20])
    corrupted += data[offset + 20 :]

    with pytest.raises(InvalidDistribution):
        read_core_metadata(io.BytesIO(corrupted), filename)


def test_huge_metadata_member_in_a_wheel_is_rejected():
    filename, data = build_wheel("pkg", "1.0", description="x" * MAX_METADATA_SIZE)

    with pytest.raises(InvalidDistribution, match="more than the 1048576 bytes"):
        read_core_metadata(io.BytesIO(data), filename)


def test_huge_pkg_info_in_a_tar_gz_sdist_is_rejected():
    filename, data = build_sdist("pkg", "1.0", description="x" * MAX_METADATA_SIZE)

    with pytest.raises(InvalidDistribution, match="more than the 1048576 bytes"):
        read_core_metadata(io.BytesIO(data), filename)


def test_metadata_just_under_the_limit_is_accepted():
    head_size = len(b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n\n")
    description = "x" * (MAX_METADATA_SIZE - head_size)
    filename, data = build_wheel("pkg", "1.0", description=description, description_content_type="")

    metadata = read_core_metadata(io.BytesIO(data), filename)

    assert len(metadata.raw) == MAX_METADATA_SIZE
    assert metadata.description == description


def test_sdist_without_pkg_info_is_rejected():
    data = _tar_gz([_file("pkg-1.0/setup.py", b""), _file("pkg-1.0/pkg.egg-info/PKG-INFO", b"")])

    with pytest.raises(InvalidDistribution, match="does not contain '<top>/PKG-INFO'"):
        read_core_metadata(io.BytesIO(data), "pkg-1.0.tar.gz")


def test_sdist_with_two_top_level_pkg_infos_is_rejected():
    data = _tar_gz([_file("pkg-1.0/PKG-INFO", b"Name: pkg\n"), _file("x-1/PKG-INFO", b"Name: x\n")])

    with pytest.raises(InvalidDistribution, match="more than once"):
        read_core_metadata(io.BytesIO(data), "pkg-1.0.tar.gz")


def test_sdist_pkg_info_that_is_a_symlink_is_rejected():
    link = tarfile.TarInfo("pkg-1.0/PKG-INFO")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/passwd"

    with pytest.raises(InvalidDistribution, match="not a regular file"):
        read_core_metadata(io.BytesIO(_tar_gz([(link, b"")])), "pkg-1.0.tar.gz")


def test_sdist_pkg_info_under_a_dot_slash_prefix_is_found():
    data = _tar_gz([_file("./pkg-1.0/PKG-INFO", b"Name: pkg\nVersion: 1.0\n")])

    assert read_core_metadata(io.BytesIO(data), "pkg-1.0.tar.gz").version == "1.0"


def test_sdist_with_too_many_members_is_rejected(monkeypatch):
    monkeypatch.setattr(metadata, "MAX_SDIST_MEMBERS", 2)
    filename, data = build_sdist("pkg", "1.0")

    with pytest.raises(InvalidDistribution, match="more than 2 files"):
        read_core_metadata(io.BytesIO(data), filename)


def test_sdist_expanding_beyond_the_scan_limit_is_rejected(monkeypatch):
    monkeypatch.setattr(metadata, "MAX_SDIST_SCAN_SIZE", 64 * 1024)
    filename, data = build_sdist("pkg", "1.0", payload_size=128 * 1024)

    with pytest.raises(InvalidDistribution, match="expands to more than"):
        read_core_metadata(io.BytesIO(data), filename)


def test_zip_sdist_without_pkg_info_is_rejected():
    filename, data = build_sdist("pkg", "1.0", archive_format="zip")
    data = rewrite_zip(data, drop=["pkg-1.0/PKG-INFO"])

    with pytest.raises(InvalidDistribution, match="does not contain '<top>/PKG-INFO'"):
        read_core_metadata(io.BytesIO(data), filename)


@pytest.mark.parametrize("filename", ["pkg-1.0.egg", "../pkg-1.0.tar.gz", "pkg.whl"])
def test_invalid_filenames_are_rejected_before_reading(filename):
    with pytest.raises(InvalidFilename):
        read_core_metadata(io.BytesIO(b""), filename)


def test_description_is_taken_from_the_body_when_there_is_no_header():
    raw = b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n\nLine one\n\n    indented\n"

    assert parse_core_metadata(raw).description == "Line one\n\n    indented\n"


def test_description_header_with_continuation_lines_is_dedented():
    raw = (
        b"Metadata-Version: 1.2\nName: pkg\nVersion: 1.0\n"
        b"Description: First line\n        second line\n        \n            indented\n"
        b"Platform: UNKNOWN\n"
    )

    assert parse_core_metadata(raw).description == "First line\nsecond line\n\n    indented"


def test_description_header_with_pep_345_pipes_is_dedented():
    raw = b"Name: pkg\nDescription: Title\n        |\n        |  code\n"

    assert parse_core_metadata(raw).description == "Title\n\n  code"


def test_a_description_both_in_a_header_and_in_the_body_is_refused():
    raw = b"Name: pkg\nDescription: from header\n\nfrom body\n"

    with pytest.raises(InvalidCoreMetadata, match="Description: is given twice") as refused:
        parse_core_metadata(raw)
    assert refused.value.fields == ("description",)


def test_folded_single_line_headers_are_unfolded():
    raw = b"Name: pkg\nSummary: a long\n  summary\nKeywords: a,\n\tb\n"

    metadata = parse_core_metadata(raw)

    # Keywords are a list to packaging, joined back as setuptools and hatchling write them.
    assert (metadata.summary, metadata.keywords) == ("a long summary", "a,b")


def test_headers_are_case_insensitive():
    metadata = parse_core_metadata(b"name: first\nhome-PAGE: https://x.test\n")

    assert (metadata.name, metadata.home_page) == ("first", "https://x.test")


def test_a_single_value_field_given_twice_is_refused_naming_it():
    with pytest.raises(InvalidCoreMetadata, match="Name: appears 2 times"):
        parse_core_metadata(b"name: first\nNAME: second\n")


def test_metadata_that_is_not_utf8_is_refused():
    raw = b"Name: caf\xe9\nVersion: 1.0\n\nbody caf\xc3\xa9\n"

    with pytest.raises(InvalidDistribution, match=r"not UTF-8 .* at byte 9"):
        parse_core_metadata(raw)


def test_unknown_fields_are_ignored_and_kept_in_the_raw_bytes():
    raw = b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\nX-Tool: yes\n"

    metadata = parse_core_metadata(raw)
    validate_core_metadata(metadata)

    assert metadata.name == "pkg" and metadata.raw == raw


def test_metadata_that_packaging_refuses_is_parsed_then_refused_naming_each_field():
    raw = b"Metadata-Version: 9.9\nName: -bad-\nVersion: not a version\nRequires-Dist: ???\n"

    metadata = parse_core_metadata(raw)

    assert (metadata.name, metadata.version, metadata.requires_dist) == (
        "-bad-",
        "not a version",
        ("???",),
    )
    with pytest.raises(InvalidCoreMetadata) as refused:
        validate_core_metadata(metadata)
    assert set(refused.value.fields) == {
        "metadata-version", "name", "version", "requires-dist"
    }
    assert "Requires-Dist: '???' is invalid for 'requires-dist'" in str(refused.value)


def test_missing_required_fields_are_named():
    with pytest.raises(InvalidCoreMetadata, match="Metadata-Version: is missing; Version: is"):
        validate_core_metadata(parse_core_metadata(b"Name: pkg\n"))


@pytest.mark.parametrize("raw", [
    # setuptools 56 to 76: License-File (a 2.4 field) in 2.1 metadata.
    b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\nLicense-File: LICENSE\n",
    # wheel before 0.31 wrote Metadata-Version 2.0.
    b"Metadata-Version: 2.0\nName: pkg\nVersion: 1.0\nRequires-Dist: six\n",
    b"Metadata-Version: 1.0\nName: pkg\nVersion: 1.0\nSummary: old\n",
])
def test_metadata_real_tools_wrote_is_valid(raw):
    validate_core_metadata(parse_core_metadata(raw))


def test_the_full_set_of_fields_the_builders_write_is_valid():
    filename, data = build_wheel("My.Pkg", "1.0rc1", **FULL_FIELDS)

    validate_core_metadata(read_core_metadata(io.BytesIO(data), filename))


def test_a_multipart_body_is_refused_rather_than_read_as_parts():
    raw = b'Name: pkg\nContent-Type: multipart/mixed; boundary="b"\n\n--b\nhello\n--b--\n'

    with pytest.raises(InvalidCoreMetadata, match="Description: is malformed"):
        parse_core_metadata(raw)


def test_repr_does_not_dump_the_raw_bytes():
    metadata = parse_core_metadata(b"Name: pkg\n\n" + b"x" * 10_000)

    assert "raw=" not in repr(metadata)


def test_the_builders_take_the_core_fields_keywords_and_nothing_else():
    with pytest.raises(TypeError, match="summry"):
        build_wheel("pkg", "1.0", summry="typo")
    with pytest.raises(TypeError, match="summry"):
        build_sdist("pkg", "1.0", summry="typo")
