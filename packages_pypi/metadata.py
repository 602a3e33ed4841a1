"""Read core metadata (METADATA / PKG-INFO) from an uploaded distribution on local disk."""

from __future__ import annotations

import os
import re
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, TypeVar, cast

from packaging.metadata import Metadata, RawMetadata, parse_email
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from packages_pypi.names import DistributionFilename, parse_distribution_filename

__all__ = [
    "MAX_METADATA_SIZE",
    "MAX_SDIST_MEMBERS",
    "MAX_SDIST_SCAN_SIZE",
    "MAX_TAR_EXTENSION_SIZE",
    "MAX_ZIP_DIRECTORY_SIZE",
    "MAX_ZIP_MEMBERS",
    "CoreMetadata",
    "InvalidCoreMetadata",
    "InvalidDistribution",
    "parse_core_metadata",
    "read_core_metadata",
    "validate_core_metadata",
]

PathOrFile = str | os.PathLike[str] | IO[bytes]
_T = TypeVar("_T")

# Real METADATA files are a few KiB (long READMEs reach a few hundred KiB); anything larger
# is refused so one upload cannot make us hold an arbitrary blob in memory.
MAX_METADATA_SIZE = 1024 * 1024
# Scanning a .tar.gz means decompressing it; these bound the work a gzip bomb can cause.
MAX_SDIST_MEMBERS = 100_000
MAX_SDIST_SCAN_SIZE = 2 * 1024 * 1024 * 1024
# tarfile reads a GNU long name or a pax header whole into memory, whatever size its header
# declares (a 1 MB sdist can declare 1 GiB): each is checked against this bound first.
# Real ones hold a path (at most 4 KiB on Linux) and a few timestamps.
MAX_TAR_EXTENSION_SIZE = 64 * 1024
# Extension headers in a row before a member (pax, then a long name, then a long link name is
# the most a real archive needs); and the total of global pax headers, which tarfile keeps.
MAX_TAR_EXTENSION_CHAIN = 8
MAX_TAR_GLOBAL_HEADERS_SIZE = 64 * 1024
# zipfile reads the whole central directory into memory and builds an object per entry
# before anything can be checked; the end-of-central-directory record is read first.
MAX_ZIP_MEMBERS = MAX_SDIST_MEMBERS
MAX_ZIP_DIRECTORY_SIZE = 32 * 1024 * 1024

# Everything the stdlib archive readers raise on corrupt, truncated or exotic input
# (encrypted zip members raise RuntimeError, unknown compression NotImplementedError).
_ARCHIVE_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    tarfile.TarError,
    zlib.error,
    EOFError,
    OSError,
    RuntimeError,
    NotImplementedError,
    ValueError,
)

# Continuation-line prefixes of multi-line headers: distutils/setuptools indent with
# 8 spaces; PEP 345 adds "|" after 7-8 spaces so blank and indented lines survive.
_CONTINUATION_PREFIX = re.compile(r"^(?: {8}\|| {7}\|| {8}|[ \t])")


class InvalidDistribution(ValueError):
    """Raised when an uploaded file is not a well-formed wheel or sdist."""


class InvalidCoreMetadata(InvalidDistribution):
    """METADATA / PKG-INFO that packaging cannot parse or refuses; names each field."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.fields = tuple(name for name, _ in problems)
        details = "; ".join(f"{_label(name)}: {reason}" for name, reason in problems)
        super().__init__(f"The file's metadata is invalid: {details}.")


def _label(name: str) -> str:
    """A field as the core metadata specification spells it: "requires-python" is
    "Requires-Python"."""
    return "-".join(part.capitalize() for part in name.split("-"))


class _TarTooComplex(Exception):
    """Raised from inside tarfile; turned into InvalidDistribution with the filename."""


class _BoundedTarInfo(tarfile.TarInfo):
    """A TarInfo that checks extension headers before tarfile reads them into memory.

    `_proc_member` runs once the 512-byte header is parsed and before its extension data is
    read (tarfile.TarInfo.fromtarfile), for every header of a chain. Sparse files are refused:
    their maps are read without a bound, and no sdist needs one.
    """

    _EXTENSIONS = (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK, tarfile.XHDTYPE,
                   tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE)

    def _proc_member(self, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:
        if self.type == tarfile.GNUTYPE_SPARSE:
            raise _TarTooComplex(f"has a sparse file ({self.name!a}); an sdist needs none.")
        if self.type not in self._EXTENSIONS:
            tarfile_._registry_chain = 0  # type: ignore[attr-defined]
            # _proc_member and `members` are tarfile's private parts, which typeshed leaves out.
            return super()._proc_member(tarfile_)  # type: ignore[misc]
        chain = getattr(tarfile_, "_registry_chain", 0) + 1
        tarfile_._registry_chain = chain  # type: ignore[attr-defined]
        if chain > MAX_TAR_EXTENSION_CHAIN:
            raise _TarTooComplex(
                f"has more than {MAX_TAR_EXTENSION_CHAIN} extended headers in a row."
            )
        if self.size > MAX_TAR_EXTENSION_SIZE:
            raise _TarTooComplex(
                f"has an extended header (type {self.type!a}) of {self.size} bytes, more than "
                f"the {MAX_TAR_EXTENSION_SIZE} allowed."
            )
        if self.type == tarfile.XGLTYPE:
            total = getattr(tarfile_, "_registry_global", 0) + self.size
            tarfile_._registry_global = total  # type: ignore[attr-defined]
            if total > MAX_TAR_GLOBAL_HEADERS_SIZE:
                raise _TarTooComplex(
                    f"has global headers of more than {MAX_TAR_GLOBAL_HEADERS_SIZE} bytes."
                )
        return super()._proc_member(tarfile_)  # type: ignore[misc]

    def _proc_sparse(self, *args: object) -> tarfile.TarInfo:
        raise _TarTooComplex("has a sparse file; an sdist needs none.")

    # pax-declared sparse files (GNU formats 0.0, 0.1, 1.0); 1.0 reads its map unbounded.
    _proc_gnusparse_00 = _proc_gnusparse_01 = _proc_gnusparse_10 = _proc_sparse


@dataclass(frozen=True)
class CoreMetadata:
    """Core metadata fields (PEP 566 / PEP 643 / PEP 639); absent fields are ``""``."""

    # The exact METADATA / PKG-INFO bytes, served verbatim as the PEP 658 ".metadata" file.
    raw: bytes = field(repr=False)
    # What packaging's parse_email made of them, for validate_core_metadata.
    fields: RawMetadata = field(repr=False, compare=False)
    metadata_version: str
    name: str
    version: str
    summary: str
    description: str
    description_content_type: str
    keywords: str
    author: str
    author_email: str
    maintainer: str
    maintainer_email: str
    license: str
    license_expression: str
    home_page: str
    requires_python: str
    requires_dist: tuple[str, ...]
    classifiers: tuple[str, ...]
    project_urls: tuple[str, ...]


def read_core_metadata(path_or_file: PathOrFile, filename: str) -> CoreMetadata:
    """Read and parse the core metadata of the distribution stored at ``path_or_file``.

    ``filename`` is the uploaded name and decides the format (wheel, ``.tar.gz`` or ``.zip``
    sdist). A file object must be binary and seekable; its position is restored afterwards.
    Raises ``InvalidFilename`` for a bad filename and ``InvalidDistribution`` for a bad archive
    or metadata packaging cannot parse (both are ``ValueError``). The values are checked by
    ``validate_core_metadata``.
    """
    dist = parse_distribution_filename(filename)
    with _open_binary(path_or_file) as fileobj:
        raw = _read_raw_metadata(fileobj, dist)
    return parse_core_metadata(raw)


def parse_core_metadata(raw: bytes) -> CoreMetadata:
    """Parse METADATA / PKG-INFO bytes with packaging's `parse_email`.

    Refuses bytes that are not UTF-8 (InvalidDistribution) and known fields packaging could
    not parse (InvalidCoreMetadata): a single-value field given twice, a description both in
    a header and in the body, a malformed Project-URL. Unknown fields are ignored, as pip
    and GitLab ignore them (they stay in the bytes served as the PEP 658 file).
    """
    try:
        # PEP 566 mandates UTF-8; packaging would turn other bytes into mojibake.
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        raise InvalidDistribution(
            f"The file's metadata is not UTF-8 ({error.reason} at byte {error.start})."
        ) from error
    fields, unparsed = parse_email(text)
    malformed = [
        (name, _unparsed_reason(name, values))
        for name, values in sorted(unparsed.items())
        if name.replace("-", "_") in _RAW_FIELDS or f"{name.replace('-', '_')}s" in _RAW_FIELDS
    ]
    if malformed:
        raise InvalidCoreMetadata(malformed)
    description = fields.get("description", "")
    if description and not _body(text):
        # Metadata 1.x keeps it in an indented header; 2.1 (PEP 566) moved it to the body.
        description = _dedent_continuations(description)
    return CoreMetadata(
        raw=raw,
        fields=fields,
        metadata_version=_one(fields, "metadata_version"),
        name=_one(fields, "name"),
        version=_one(fields, "version"),
        summary=_one(fields, "summary"),
        description=description,
        description_content_type=_one(fields, "description_content_type"),
        keywords=",".join(fields.get("keywords", [])),
        author=_one(fields, "author"),
        author_email=_one(fields, "author_email"),
        maintainer=_one(fields, "maintainer"),
        maintainer_email=_one(fields, "maintainer_email"),
        license=_dedent_continuations(fields.get("license", "")),
        license_expression=_one(fields, "license_expression"),
        home_page=_one(fields, "home_page"),
        requires_python=_one(fields, "requires_python"),
        requires_dist=_many(fields.get("requires_dist", [])),
        classifiers=_many(fields.get("classifiers", [])),
        project_urls=_many(
            f"{label}, {url}" for label, url in fields.get("project_urls", {}).items()
        ),
    )


def validate_core_metadata(metadata: CoreMetadata) -> None:
    """Refuse values packaging's validators refuse (`Metadata.from_raw`), naming each field.

    Names and versions (PEP 508/440), specifiers, requirements, content types, license
    expressions, a one-line summary. Two checks of `from_raw(validate=True)` are left out,
    on purpose, as GitLab and pip accept such files: a field newer than the file's
    Metadata-Version (setuptools 56 to 76 write License-File into 2.1 metadata), and
    Metadata-Version 2.0 (wheel before 0.31 wrote it), checked as 2.1.
    """
    fields = dict(metadata.fields)
    if fields.get("metadata_version") == "2.0":
        fields["metadata_version"] = "2.1"
    problems = [
        (_EMAIL_NAMES.get(key, key), "is missing") for key in _REQUIRED if key not in fields
    ]
    # Without validate, each field is checked when it is read (packaging's documented lazy
    # mode), which is what skips the field-age check.
    checked = Metadata.from_raw(cast(RawMetadata, fields), validate=False)
    for key in sorted(set(fields)):
        try:
            getattr(checked, key)
        except ValueError as error:  # packaging's InvalidMetadata, or an int of over 4,300 digits
            problems.append((getattr(error, "field", key), str(error)))
    if problems:
        raise InvalidCoreMetadata(problems)


_RAW_FIELDS = frozenset(RawMetadata.__annotations__)
_REQUIRED = ("metadata_version", "name", "version")
_EMAIL_NAMES = {key: key.replace("_", "-") for key in _REQUIRED}


def _unparsed_reason(name: str, values: list[str]) -> str:
    if name == "description" and len(values) > 1:
        return "is given twice (as a header and as the body)"
    if len(values) > 1:
        return f"appears {len(values)} times"
    return "is malformed"


def _one(fields: RawMetadata, key: str) -> str:
    value = fields.get(key, "")
    return _unfold(value) if isinstance(value, str) else ""


def _many(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(value for value in map(_unfold, values) if value)


def _unfold(value: str) -> str:
    """Join an RFC 822 folded header value onto one line."""
    return " ".join(line.strip() for line in value.splitlines() if line.strip())


def _dedent_continuations(value: str) -> str:
    """Undo the continuation-line indentation of a multi-line header (Description, License)."""
    first, *rest = value.splitlines() or [""]
    lines = [first.strip(), *(_CONTINUATION_PREFIX.sub("", line, count=1) for line in rest)]
    return "\n".join(lines).strip()


_HEADERS_END = re.compile(r"\r?\n\r?\n")


def _body(text: str) -> str:
    """What follows the first empty line: the PEP 566 description, ``""`` when there is none."""
    parts = _HEADERS_END.split(text, maxsplit=1)
    return parts[1] if len(parts) == 2 else ""


@contextmanager
def _open_binary(path_or_file: PathOrFile) -> Iterator[IO[bytes]]:
    """Yield a binary file positioned at 0, restoring a caller's file position afterwards."""
    if isinstance(path_or_file, str | os.PathLike):
        with open(path_or_file, "rb") as fileobj:
            yield fileobj
        return
    position = path_or_file.tell()
    path_or_file.seek(0)
    try:
        yield path_or_file
    finally:
        path_or_file.seek(position)


def _read_raw_metadata(fileobj: IO[bytes], dist: DistributionFilename) -> bytes:
    """Dispatch on the distribution kind and translate archive errors."""
    try:
        if dist.kind == "bdist_wheel":
            return _read_wheel_metadata(fileobj, dist)
        if dist.filename.endswith(".zip"):
            return _read_zip_sdist_metadata(fileobj, dist)
        return _read_tar_sdist_metadata(fileobj, dist)
    except InvalidDistribution:
        raise
    except _ARCHIVE_ERRORS as exc:
        kind = "zip" if dist.kind == "bdist_wheel" or dist.filename.endswith(".zip") else "tar.gz"
        raise InvalidDistribution(
            f"{dist.filename!r} is not a readable {kind} archive: {exc}"
        ) from exc


def _read_wheel_metadata(fileobj: IO[bytes], dist: DistributionFilename) -> bytes:
    """Return ``{name}-{version}.dist-info/METADATA`` from a wheel (PEP 427)."""
    _check_zip_directory(fileobj, dist)
    with zipfile.ZipFile(fileobj) as archive:
        dist_info = _wheel_dist_info_dir(archive.namelist(), dist)
        wanted = f"{dist_info}/METADATA"
        members = [info for info in archive.infolist() if info.filename == wanted]
        member = _exactly_one(members, dist, f"{wanted!r}")
        return _read_zip_member(archive, member, dist)


def _wheel_dist_info_dir(names: list[str], dist: DistributionFilename) -> str:
    """Return the wheel's single top-level ``.dist-info`` directory, checked against the name."""
    top_dirs = {name.split("/", 1)[0] for name in names if "/" in name}
    # Like pip, refuse wheels with several .dist-info dirs: which one is "the" metadata
    # would otherwise depend on the tool reading it.
    found = sorted(d for d in top_dirs if d.lower().endswith(".dist-info"))
    expected = f"{dist.name.replace('-', '_')}-{dist.version}.dist-info"
    if not found:
        raise InvalidDistribution(
            f"{dist.filename!r} has no {expected!r} directory, so it has no METADATA file."
        )
    if len(found) > 1:
        raise InvalidDistribution(
            f"{dist.filename!r} has several .dist-info directories ({', '.join(found)})."
        )
    if not _dist_info_matches(found[0], dist):
        raise InvalidDistribution(
            f"{dist.filename!r} contains {found[0]!r} but its filename requires {expected!r}."
        )
    return found[0]


def _dist_info_matches(dist_info: str, dist: DistributionFilename) -> bool:
    """Compare a ``.dist-info`` dir with the filename, tolerating PEP 503/PEP 440 spelling."""
    name_part, _, version_part = dist_info[: -len(".dist-info")].rpartition("-")
    try:
        version = Version(version_part)
    except InvalidVersion:
        return False
    return canonicalize_name(name_part) == dist.name and version == dist.version


def _read_zip_sdist_metadata(fileobj: IO[bytes], dist: DistributionFilename) -> bytes:
    """Return ``<top>/PKG-INFO`` from a legacy ``.zip`` sdist."""
    _check_zip_directory(fileobj, dist)
    with zipfile.ZipFile(fileobj) as archive:
        members = [info for info in archive.infolist() if _is_top_level_pkg_info(info.filename)]
        member = _exactly_one(members, dist, "'<top>/PKG-INFO'")
        return _read_zip_member(archive, member, dist)


def _read_tar_sdist_metadata(fileobj: IO[bytes], dist: DistributionFilename) -> bytes:
    """Return ``<top>/PKG-INFO`` from a ``.tar.gz`` sdist, streaming over its members."""
    found: list[bytes] = []
    try:
        with tarfile.open(fileobj=fileobj, mode="r:gz", tarinfo=_BoundedTarInfo) as archive:
            for member in _iter_tar_members(archive, dist):
                if not _is_top_level_pkg_info(member.name):
                    continue
                # Keep scanning after a hit: a second PKG-INFO makes the sdist ambiguous.
                if found:
                    raise _duplicate_member(dist, "'<top>/PKG-INFO'")
                found.append(_read_tar_member(archive, member, dist))
    except _TarTooComplex as error:
        raise InvalidDistribution(f"{dist.filename!r} {error}") from error
    return _exactly_one(found, dist, "'<top>/PKG-INFO'")


def _iter_tar_members(
    archive: tarfile.TarFile, dist: DistributionFilename
) -> Iterator[tarfile.TarInfo]:
    """Yield tar members one by one, refusing archives that would take too long to scan."""
    for count in range(MAX_SDIST_MEMBERS + 1):
        member = archive.next()
        if member is None:
            return
        if count == MAX_SDIST_MEMBERS:
            raise InvalidDistribution(f"{dist.filename!r} has more than {MAX_SDIST_MEMBERS} files.")
        # Checked before the next() call that would decompress past this member's data.
        if member.offset_data + member.size > MAX_SDIST_SCAN_SIZE:
            raise InvalidDistribution(
                f"{dist.filename!r} expands to more than {MAX_SDIST_SCAN_SIZE} bytes."
            )
        # tarfile keeps every member it has read; we need only the current one, so memory
        # stays flat however many members (with names of up to 64 KiB) the archive has.
        archive.members.clear()  # type: ignore[attr-defined]
        yield member


def _check_zip_directory(fileobj: IO[bytes], dist: DistributionFilename) -> None:
    """Refuse a zip whose central directory is too large before zipfile reads it."""
    entries, directory_size = _zip_directory_size(fileobj)
    if entries > MAX_ZIP_MEMBERS:
        raise InvalidDistribution(f"{dist.filename!r} has more than {MAX_ZIP_MEMBERS} files.")
    if directory_size > MAX_ZIP_DIRECTORY_SIZE:
        raise InvalidDistribution(
            f"{dist.filename!r} has a central directory of {directory_size} bytes, more than "
            f"the {MAX_ZIP_DIRECTORY_SIZE} allowed."
        )


_EOCD = struct.Struct("<4s4H2LH")  # APPNOTE.TXT 4.3.16
_ZIP64_LOCATOR_SIZE = 20  # 4.3.15
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")  # 4.3.14


def _zip_directory_size(fileobj: IO[bytes]) -> tuple[int, int]:
    """(entries, size of the central directory) from the end records; (0, 0) if none.

    A zip without the record is left to zipfile to refuse ("not a zip file").
    """
    end = fileobj.seek(0, os.SEEK_END)
    # The record is 22 bytes, followed by a comment of at most 65,535.
    start = max(0, end - _EOCD.size - 0xFFFF)
    fileobj.seek(start)
    tail = fileobj.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _EOCD.size:
        return 0, 0
    _, _, _, _, entries, size, _, _ = _EOCD.unpack_from(tail, at)
    # Like zipfile, look for the zip64 record right before its locator, before the record.
    record_at = at - _ZIP64_LOCATOR_SIZE - _ZIP64_EOCD.size
    if record_at >= 0 and tail[record_at:record_at + 4] == b"PK\x06\x06":
        fields = _ZIP64_EOCD.unpack_from(tail, record_at)
        entries, size = fields[7], fields[8]
    return entries, size


def _is_top_level_pkg_info(name: str) -> bool:
    """Return True for ``<top>/PKG-INFO`` exactly one directory deep."""
    parts = name.removeprefix("./").split("/")
    return len(parts) == 2 and parts[0] not in ("", ".", "..") and parts[1] == "PKG-INFO"


def _exactly_one(items: list[_T], dist: DistributionFilename, what: str) -> _T:
    """Return the only item, or explain that the metadata file is missing or duplicated."""
    if not items:
        raise InvalidDistribution(f"{dist.filename!r} does not contain {what}.")
    if len(items) > 1:
        raise _duplicate_member(dist, what)
    return items[0]


def _duplicate_member(dist: DistributionFilename, what: str) -> InvalidDistribution:
    """Build the error for a metadata file present more than once."""
    return InvalidDistribution(f"{dist.filename!r} contains {what} more than once.")


def _read_zip_member(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, dist: DistributionFilename
) -> bytes:
    """Read one zip member, checking its declared size first and bounding the read."""
    _check_declared_size(member.file_size, member.filename, dist)
    with archive.open(member) as stream:
        return _bounded_read(stream, member.filename, dist)


def _read_tar_member(
    archive: tarfile.TarFile, member: tarfile.TarInfo, dist: DistributionFilename
) -> bytes:
    """Read one regular tar member, checking its declared size first and bounding the read."""
    # Links would make us read some other member (or fail); a real PKG-INFO is a plain file.
    stream = archive.extractfile(member) if member.isreg() else None
    if stream is None:
        raise InvalidDistribution(f"{dist.filename!r}: {member.name!r} is not a regular file.")
    _check_declared_size(member.size, member.name, dist)
    with stream:
        return _bounded_read(stream, member.name, dist)


def _check_declared_size(size: int, member_name: str, dist: DistributionFilename) -> None:
    """Refuse a metadata member whose declared uncompressed size is over the limit."""
    if size > MAX_METADATA_SIZE:
        raise InvalidDistribution(
            f"{dist.filename!r}: {member_name!r} is {size} bytes, "
            f"more than the {MAX_METADATA_SIZE} bytes allowed for metadata."
        )


def _bounded_read(stream: IO[bytes], member_name: str, dist: DistributionFilename) -> bytes:
    """Read at most MAX_METADATA_SIZE bytes, failing if the member turns out to be larger."""
    data = stream.read(MAX_METADATA_SIZE + 1)
    _check_declared_size(len(data), member_name, dist)
    return data
