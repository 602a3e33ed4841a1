"""Unit tests for packages_pypi.names (no Django needed)."""

from __future__ import annotations

import dataclasses

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from packages_pypi.names import (
    DistributionFilename,
    InvalidFilename,
    filename_matches,
    is_valid_project_name,
    is_valid_version,
    parse_distribution_filename,
    version_sort_key,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Django", "django"),
        ("oslo.concurrency", "oslo-concurrency"),
        ("My__Weird._-Name", "my-weird-name"),
        ("zope.interface", "zope-interface"),
        ("already-normal", "already-normal"),
    ],
)
def test_canonical_names_follow_pep_503(name, expected):
    assert canonicalize_name(name) == expected


@pytest.mark.parametrize(
    "name", ["a", "A1", "requests", "my.pkg", "my_pkg", "my-pkg", "Zope.Interface", "0x0"]
)
def test_valid_pep_508_names_are_accepted(name):
    assert is_valid_project_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "",
        ".$/@!^*",
        "-leading-dash",
        "trailing.",
        "_underscore_",
        "has space",
        "slash/name",
        "name\n",
        "caf\u00e9",
        "\u212a",  # KELVIN SIGN case-folds to "k"; must not sneak through re.IGNORECASE
        "\u017fimple",  # LATIN SMALL LETTER LONG S case-folds to "s"
    ],
)
def test_invalid_names_are_rejected(name):
    assert not is_valid_project_name(name)


@pytest.mark.parametrize(
    "version",
    [
        "1.0",
        "v1.0",
        "1.0RC1",
        "1.0.post1.dev2+local.1",
        "2!1.0",
        "1.0a1",
        "1.0-1",
        "1.0.dev0",
        "0.0.1+ubuntu-1",
    ],
)
def test_valid_versions_are_accepted(version):
    assert is_valid_version(version)


@pytest.mark.parametrize(
    "version",
    ["1.0-foo", "abc", "", "1.0 ", " 1.0", "1.0\n", "1..0", "1.0+", "1.0+\u212a", "1.0.po\u017ft1"],
)
def test_invalid_versions_are_rejected(version):
    assert not is_valid_version(version)


def test_wheel_filename_is_parsed_into_name_version_and_python_tag():
    dist = parse_distribution_filename("My_Pkg-1.0.0rc1-py2.py3-none-any.whl")

    assert dist == DistributionFilename(
        filename="My_Pkg-1.0.0rc1-py2.py3-none-any.whl",
        name="my-pkg",
        version=Version("1.0.0rc1"),
        kind="bdist_wheel",
        python_tag="py2.py3",
    )


def test_wheel_filename_with_build_tag_keeps_the_python_tag():
    dist = parse_distribution_filename("numpy-2.0.0-1-cp311-cp311-manylinux_2_17_x86_64.whl")

    assert (dist.name, dist.version, dist.python_tag) == ("numpy", Version("2.0.0"), "cp311")


@pytest.mark.parametrize(
    "filename", ["my_pkg-1.0.tar.gz", "My.Pkg-1.0.tar.gz", "my-pkg-1.0.zip", "MY_PKG-1.0.zip"]
)
def test_sdist_filenames_in_tar_gz_and_zip_are_parsed(filename):
    dist = parse_distribution_filename(filename)

    assert (dist.name, dist.version, dist.kind) == ("my-pkg", Version("1.0"), "sdist")
    assert dist.python_tag == "source"


def test_parsed_filename_is_immutable():
    dist = parse_distribution_filename("pkg-1.0.tar.gz")

    with pytest.raises(dataclasses.FrozenInstanceError):
        dist.name = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    "filename",
    [
        "../pkg-1.0.tar.gz",
        "dir/pkg-1.0.tar.gz",
        "dir\\pkg-1.0-py3-none-any.whl",
        "pkg\x00-1.0.tar.gz",
        "pkg-1.0.tar.gz\n",
        ".pkg-1.0.tar.gz",
        ".tar.gz",
        "",
    ],
)
def test_path_like_or_hidden_filenames_are_rejected(filename):
    with pytest.raises(InvalidFilename):
        parse_distribution_filename(filename)


@pytest.mark.parametrize(
    "filename",
    ["-1.0.tar.gz", "pkg.tar.gz", "pkg-.zip", "-1.0-py3-none-any.whl", "pkg-1.0.whl"],
)
def test_filenames_without_a_name_or_version_are_rejected(filename):
    with pytest.raises(InvalidFilename):
        parse_distribution_filename(filename)


@pytest.mark.parametrize(
    "filename",
    [
        "pkg-1.0-foo.tar.gz",
        "pkg-notaversion-py3-none-any.whl",
        "p\u00e9kg-1.0-py3-none-any.whl",
        "p$g-1.0.tar.gz",
        "_pkg-1.0.tar.gz",
    ],
)
def test_filenames_with_invalid_names_or_versions_are_rejected(filename):
    with pytest.raises(InvalidFilename):
        parse_distribution_filename(filename)


@pytest.mark.parametrize(
    "filename",
    [
        "pkg-1.0-py2.7.egg",
        "pkg-1.0.win32.exe",
        "pkg-1.0.tar.bz2",
        "pkg-1.0.tgz",
        "pkg-1.0.msi",
        "pkg-1.0.WHL",
    ],
)
def test_other_extensions_are_rejected_with_the_accepted_list(filename):
    with pytest.raises(InvalidFilename, match=r"\.whl, \.tar\.gz, \.zip"):
        parse_distribution_filename(filename)


def test_invalid_filename_is_a_value_error_with_a_readable_message():
    with pytest.raises(ValueError, match="must not contain path separators"):
        parse_distribution_filename("a/b-1.0.tar.gz")


@pytest.mark.parametrize(
    ("filename", "name", "version"),
    [
        ("my_pkg-1.0-py3-none-any.whl", "My.Pkg", "1.0"),
        ("my_pkg-1.0-py3-none-any.whl", "my-pkg", "1.0.0"),
        ("my_pkg-1.0rc1.tar.gz", "MY_PKG", "1.0RC1"),
        ("my_pkg-1.0rc1.tar.gz", "my_pkg", "v1.0-rc.1"),
    ],
)
def test_filename_matches_equivalent_names_and_versions(filename, name, version):
    assert filename_matches(parse_distribution_filename(filename), name, version)


@pytest.mark.parametrize(
    "filename",
    [
        'pkg-1.0-py3-none-an"y.whl',  # the quote would break Content-Disposition
        "pkg-1.0-py3-none-an+y.whl",
        "pkg-1.0-py3-no!ne-any.whl",
        "pkg-1.0-p+y3-none-any.whl",
        "pkg-1.0-py3-none-.whl",
        "pkg-1.0-py3..py2-none-any.whl",
        "pkg-1.0-1+x-py3-none-any.whl",
        "pkg-1.0-x1-py3-none-any.whl",
        "pkg-1.0-py3-none-any-extra-part.whl",
    ],
)
def test_wheel_tags_are_validated(filename):
    with pytest.raises(InvalidFilename):
        parse_distribution_filename(filename)


def test_a_compressed_tag_set_with_a_build_tag_is_accepted():
    dist = parse_distribution_filename("pkg-1.0-2_b-cp311.cp312-abi3-manylinux_2_17_x86_64.whl")

    assert dist.python_tag == "cp311.cp312"


@pytest.mark.parametrize(
    ("versions", "expected"),
    [
        (["1.10", "1.9", "1.0rc1", "1.0"], ["1.0rc1", "1.0", "1.9", "1.10"]),
        (["2.0", "junk", "1!0.1"], ["junk", "2.0", "1!0.1"]),
    ],
)
def test_versions_sort_by_pep_440_with_unparsable_ones_first(versions, expected):
    assert sorted(versions, key=version_sort_key) == expected


@pytest.mark.parametrize(
    ("name", "version"),
    [("other-pkg", "1.0"), ("my-pkg", "1.1"), ("my-pkg", "1.0.post1"), ("my-pkg", "junk")],
)
def test_filename_mismatch_on_name_or_version_is_detected(name, version):
    dist = parse_distribution_filename("my_pkg-1.0-py3-none-any.whl")

    assert not filename_matches(dist, name, version)
