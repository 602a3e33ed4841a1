"""Naming rules for PyPI projects, versions and distribution filenames."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from packaging.tags import Tag
from packaging.utils import (
    BuildTag,
    InvalidName,
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

__all__ = [
    "ACCEPTED_EXTENSIONS",
    "MAX_FILENAME_LENGTH",
    "DistributionFilename",
    "DistributionKind",
    "InvalidFilename",
    "filename_matches",
    "is_valid_project_name",
    "is_valid_version",
    "parse_distribution_filename",
    "version_sort_key",
]

DistributionKind = Literal["bdist_wheel", "sdist"]

# Order matters only for the error message; ".tar.gz" and ".zip" are the sdist forms that
# packaging's parse_sdist_filename understands (".zip" is legacy but old tools still upload it).
ACCEPTED_EXTENSIONS: tuple[str, ...] = (".whl", ".tar.gz", ".zip")

# The same version rule GitLab's PyPI registry applies (a PEP 440 superset-ish regex),
# so clients that work against GitLab see identical accept/reject decisions here.
_VERSION_RE = re.compile(
    r"^(?:v?(?:([0-9]+)!)?([0-9]+(?:\.[0-9]+)*)"
    r"([-_\.]?((a|b|c|rc|alpha|beta|pre|preview))[-_\.]?([0-9]+)?)?"
    r"((?:-([0-9]+))|(?:[-_\.]?(post|rev|r)[-_\.]?([0-9]+)?))?"
    r"([-_\.]?(dev)[-_\.]?([0-9]+)?)?"
    r"(?:\+([a-z0-9]+(?:[-_\.][a-z0-9]+)*))?)\Z",
    re.IGNORECASE | re.ASCII,
)

# Characters that must never appear in a stored filename: path separators would let an
# upload escape its directory, and control characters (NUL included) break headers and logs.
_FORBIDDEN_FILENAME_CHARS = re.compile(r"[/\\\x00-\x1f\x7f]")
# Every character a distribution filename needs: PEP 508 names, PEP 440 versions ("!" epochs,
# "+" local labels), wheel tags and the extensions. Anything else (non-ASCII look-alikes such
# as U+FF46, quotes, spaces, "%") is refused: it would end up in headers and HTML attributes.
_FILENAME_CHARS = re.compile(r"[A-Za-z0-9._+!-]+", re.ASCII)
# What packaging (26.4) leaves unchecked in a wheel's tags: it refuses an interpreter tag
# that is not an identifier, empty components and a build tag not starting with a digit,
# but lets any other character through in the ABI and platform tags and after the build
# number's digits (`py3-none-an+y`, `1+x`). PEP 427 allows only alphanumerics and "_" there.
_TAG_PART_RE = re.compile(r"[A-Za-z0-9_]*", re.ASCII)
# The column that stores it, and what most file systems allow for one name.
MAX_FILENAME_LENGTH = 255


class InvalidFilename(ValueError):
    """Raised when an uploaded filename is not an acceptable distribution filename."""


@dataclass(frozen=True)
class DistributionFilename:
    """A parsed distribution filename (PEP 427 wheel or PEP 625/legacy sdist)."""

    filename: str
    name: str
    version: Version
    kind: DistributionKind
    python_tag: str


def is_valid_project_name(name: str) -> bool:
    """Return True when ``name`` is a valid PEP 508 project name (ASCII only)."""
    try:
        canonicalize_name(name, validate=True)
    except InvalidName:
        return False
    return True


def is_valid_version(version: str) -> bool:
    """Return True when ``version`` matches GitLab's PyPI version rule and PEP 440."""
    if _VERSION_RE.fullmatch(version) is None:
        return False
    try:
        Version(version)
    except ValueError:  # InvalidVersion, or an int of over 4,300 digits
        return False
    return True


def version_sort_key(version: str) -> tuple[int, Version | str]:
    """Sort key by PEP 440; a version that does not parse sorts below all that do."""
    try:
        return (1, Version(version))
    except ValueError:  # InvalidVersion, or an int of over 4,300 digits
        return (0, version)


def parse_distribution_filename(filename: str) -> DistributionFilename:
    """Parse a wheel or sdist filename, raising InvalidFilename with a readable reason."""
    _check_filename_is_safe(filename)
    if filename.endswith(".whl"):
        return _parse_wheel(filename)
    if filename.endswith((".tar.gz", ".zip")):
        return _parse_sdist(filename)
    accepted = ", ".join(ACCEPTED_EXTENSIONS)
    raise InvalidFilename(
        f"Unsupported distribution file {filename!r}: the filename must end with one of {accepted}."
    )


def filename_matches(dist: DistributionFilename, name: str, version: str) -> bool:
    """Return True when the parsed filename belongs to project ``name`` at ``version``."""
    if dist.name != canonicalize_name(name):
        return False
    try:
        # PEP 440 equality: "1.0" == "1.0.0" and "1.0RC1" == "1.0rc1".
        return Version(version) == dist.version
    except ValueError:
        return False


def _check_filename_is_safe(filename: str) -> None:
    """Reject filenames that could act as paths or hidden files once stored."""
    if not filename:
        raise InvalidFilename("The filename is empty.")
    if _FORBIDDEN_FILENAME_CHARS.search(filename):
        raise InvalidFilename(
            f"Invalid filename {filename!a}: it must not contain path separators "
            "or control characters."
        )
    if filename.startswith("."):
        raise InvalidFilename(f"Invalid filename {filename!a}: it must not start with '.'.")
    if len(filename) > MAX_FILENAME_LENGTH:
        raise InvalidFilename(
            f"Invalid filename {filename[:60]!a}...: it is {len(filename)} characters long, "
            f"more than the {MAX_FILENAME_LENGTH} allowed."
        )
    if not _FILENAME_CHARS.fullmatch(filename):
        raise InvalidFilename(
            f"Invalid filename {filename!a}: only ASCII letters, digits and . _ - + ! "
            "are allowed."
        )


def _parse_wheel(filename: str) -> DistributionFilename:
    """Parse a PEP 427 wheel filename."""
    try:
        name, version, build, tags = parse_wheel_filename(filename)
    except (InvalidWheelFilename, InvalidVersion) as exc:
        raise InvalidFilename(str(exc)) from exc
    parts = filename[: -len(".whl")].split("-")
    _check_name_part(filename, parts[0])
    _check_wheel_tags(filename, tags, build, parts[2] if build else "")
    # PEP 427: {name}-{ver}(-{build})?-{python tag}-{abi tag}-{platform tag}.whl; the python
    # tag is kept verbatim (e.g. "py2.py3") because that is what PyPI reports as python_version.
    return DistributionFilename(
        filename=filename, name=name, version=version, kind="bdist_wheel", python_tag=parts[-3]
    )


def _parse_sdist(filename: str) -> DistributionFilename:
    """Parse a PEP 625 (``.tar.gz``) or legacy (``.zip``) sdist filename."""
    try:
        name, version = parse_sdist_filename(filename)
    except (InvalidSdistFilename, InvalidVersion) as exc:
        raise InvalidFilename(str(exc)) from exc
    suffix = ".tar.gz" if filename.endswith(".tar.gz") else ".zip"
    stem = filename[: -len(suffix)]
    _check_name_part(filename, stem.rpartition("-")[0])
    return DistributionFilename(
        filename=filename, name=name, version=version, kind="sdist", python_tag="source"
    )


def _check_wheel_tags(
    filename: str, tags: frozenset[Tag], build: BuildTag, build_text: str
) -> None:
    """The ABI and platform tags, and a build tag's suffix, use PEP 427's characters."""
    for part in sorted({part for tag in tags for part in (tag.abi, tag.platform)}):
        if not _TAG_PART_RE.fullmatch(part):
            raise InvalidFilename(f"Invalid filename {filename!a}: {part!a} is not a valid tag.")
    if build and not _TAG_PART_RE.fullmatch(build[1]):
        raise InvalidFilename(
            f"Invalid filename {filename!a}: {build_text!a} is not a valid build tag."
        )


def _check_name_part(filename: str, name_part: str) -> None:
    """Ensure the project-name part of a filename is a non-empty PEP 508 name."""
    if not name_part:
        raise InvalidFilename(f"Invalid filename {filename!r}: it does not contain a project name.")
    if not is_valid_project_name(name_part):
        raise InvalidFilename(
            f"Invalid filename {filename!r}: {name_part!r} is not a valid project name."
        )
