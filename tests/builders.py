"""Build real, installable wheels and sdists in memory for tests."""

from __future__ import annotations

import base64
import csv
import gzip
import hashlib
import io
import json
import os
import random
import struct
import tarfile
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

__all__ = [
    "CoreFields",
    "build_metadata",
    "build_sdist",
    "build_wheel",
    "extension_header",
    "gzip_of_zeros_after",
    "many_entry_zip",
    "rewrite_zip",
    "write_distribution",
]

MetadataValue = str | Sequence[str]

# Fixed timestamps keep the archives byte-for-byte reproducible between runs.
_ZIP_DATE_TIME = (2020, 1, 1, 0, 0, 0)
_TAR_MTIME = 1_577_836_800


@dataclass(frozen=True)
class CoreFields:
    """The core metadata a built wheel or sdist declares: what `build_wheel`, `build_sdist`
    (and `tests.pypi_driver.wheel` / `sdist`) take as keywords, in one place."""

    requires_python: str = ""
    summary: str = ""
    description: str = ""
    description_content_type: str = "text/markdown"
    keywords: str = ""
    author_email: str = ""
    # Any other header, repeated for a sequence (Classifier, Requires-Dist, ...).
    extra_metadata: Mapping[str, MetadataValue] | None = None


def build_metadata(name: str, version: str, fields: CoreFields = CoreFields()) -> bytes:
    """Return Metadata-Version 2.1 bytes, with the description in the body (PEP 566)."""
    headers: list[tuple[str, str]] = [
        ("Metadata-Version", "2.1"),
        ("Name", name),
        ("Version", version),
        ("Summary", fields.summary),
        ("Keywords", fields.keywords),
        ("Author-email", fields.author_email),
        ("Requires-Python", fields.requires_python),
        ("Description-Content-Type", fields.description_content_type),
    ]
    for key, value in (fields.extra_metadata or {}).items():
        values = [value] if isinstance(value, str) else list(value)
        headers.extend((key, item) for item in values)
    head = "".join(f"{key}: {value}\n" for key, value in headers if value)
    return f"{head}\n{fields.description}".encode()


def build_wheel(
    name: str,
    version: str,
    *,
    payload_size: int = 0,
    dist_info_name: str | None = None,
    **metadata: Any,
) -> tuple[str, bytes]:
    """Return ``(filename, bytes)`` of an installable pure-Python ``py3-none-any`` wheel.

    ``metadata`` are `CoreFields` keywords. The wheel holds an importable package named after
    the normalized project name with ``_`` (exposing ``__version__`` and ``hello()``), plus
    ``payload.bin`` of ``payload_size`` incompressible bytes when asked. ``dist_info_name``
    overrides the full ``.dist-info`` directory name (e.g. ``"other-1.0.dist-info"``) to
    build broken wheels.
    """
    fields = CoreFields(**metadata)
    module = _module_name(name)
    stem = f"{module}-{_filename_version(version)}"
    dist_info = dist_info_name or f"{stem}.dist-info"
    files = _module_files(module, name, version, payload_size)
    files[f"{dist_info}/METADATA"] = build_metadata(name, version, fields)
    files[f"{dist_info}/WHEEL"] = _wheel_file()
    # PEP 376/427: RECORD lists every file with its hash and size, and itself without either.
    files[f"{dist_info}/RECORD"] = _record(files, f"{dist_info}/RECORD")
    return f"{stem}-py3-none-any.whl", _zip(files.items())


def build_sdist(
    name: str,
    version: str,
    *,
    payload_size: int = 0,
    archive_format: Literal["tar.gz", "zip"] = "tar.gz",
    top_dir: str | None = None,
    **metadata: Any,
) -> tuple[str, bytes]:
    """Return ``(filename, bytes)`` of a plausible sdist named per PEP 625.

    ``metadata`` are `CoreFields` keywords. It contains ``<top>/PKG-INFO``,
    ``<top>/pyproject.toml`` (setuptools backend) and the package. ``archive_format="zip"``
    builds a legacy zip sdist; ``top_dir`` overrides the top-level directory name.
    """
    fields = CoreFields(**metadata)
    module = _module_name(name)
    stem = f"{module}-{_filename_version(version)}"
    top = top_dir or stem
    files = {
        f"{top}/PKG-INFO": build_metadata(name, version, fields),
        f"{top}/pyproject.toml": _pyproject(name, version, fields.requires_python),
    }
    for path, data in _module_files(module, name, version, payload_size).items():
        files[f"{top}/{path}"] = data
    if archive_format == "zip":
        return f"{stem}.zip", _zip(files.items())
    return f"{stem}.tar.gz", _tar_gz(files.items())


def write_distribution(tmp_dir: str | os.PathLike[str], filename: str, data: bytes) -> Path:
    """Write ``data`` to ``tmp_dir/filename`` and return the path."""
    path = Path(tmp_dir) / filename
    path.write_bytes(data)
    return path


def rewrite_zip(
    data: bytes, *, drop: Iterable[str] = (), add: Iterable[tuple[str, bytes]] = ()
) -> bytes:
    """Return a copy of a zip without the ``drop`` members and with ``add`` appended.

    ``add`` may repeat a name (or reuse a kept one) to build archives with duplicate entries.
    """
    dropped = set(drop)
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        kept = [
            (i.filename, source.read(i)) for i in source.infolist() if i.filename not in dropped
        ]
    return _zip([*kept, *add])


def _module_name(name: str) -> str:
    """Return the import/filename form of a project name (PEP 503 name with ``_``)."""
    return canonicalize_name(name).replace("-", "_")


def _filename_version(version: str) -> str:
    """Return the version as spelled in filenames: PEP 440 normalized, no ``-``."""
    try:
        return str(Version(version))
    except InvalidVersion:
        return version.replace("-", "_")


def _module_files(module: str, name: str, version: str, payload_size: int) -> dict[str, bytes]:
    """Return the files of the tiny importable package (plus an optional payload)."""
    source = (
        f'"""Test package for {name}."""\n\n'
        f"__version__ = {version!r}\n\n\n"
        f"def hello() -> str:\n"
        f'    """Return the project name."""\n'
        f"    return {name!r}\n"
    )
    files = {f"{module}/__init__.py": source.encode()}
    if payload_size:
        # Seeded random bytes: incompressible (so the archive really is that large) yet stable.
        files[f"{module}/payload.bin"] = random.Random(payload_size).randbytes(payload_size)
    return files


def _wheel_file() -> bytes:
    """Return the PEP 427 WHEEL file of a pure-Python wheel."""
    return (
        b"Wheel-Version: 1.0\nGenerator: tests.builders\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )


def _record(files: Mapping[str, bytes], record_path: str) -> bytes:
    """Return a RECORD file with urlsafe-base64 sha256 digests without padding (PEP 427)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
        writer.writerow([path, f"sha256={digest.decode()}", str(len(data))])
    writer.writerow([record_path, "", ""])
    return out.getvalue().encode()


def _pyproject(name: str, version: str, requires_python: str) -> bytes:
    """Return a minimal PEP 621 pyproject.toml using the setuptools backend."""
    # JSON strings are valid TOML basic strings, which takes care of quoting.
    lines = [
        "[build-system]",
        'requires = ["setuptools>=61"]',
        'build-backend = "setuptools.build_meta"',
        "",
        "[project]",
        f"name = {json.dumps(name)}",
        f"version = {json.dumps(version)}",
    ]
    if requires_python:
        lines.append(f"requires-python = {json.dumps(requires_python)}")
    return ("\n".join(lines) + "\n").encode()


def _zip(members: Iterable[tuple[str, bytes]]) -> bytes:
    """Return a deterministic zip archive of ``members`` (duplicates allowed)."""
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as archive:
        # Duplicate names are deliberate in some tests; zipfile warns about them.
        warnings.simplefilter("ignore", UserWarning)
        for path, data in members:
            info = zipfile.ZipInfo(path, date_time=_ZIP_DATE_TIME)
            info.external_attr = 0o644 << 16
            stored = path.endswith(".bin")
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def _tar_gz(members: Iterable[tuple[str, bytes]]) -> bytes:
    """Return a deterministic gzipped PAX tar archive of ``members``."""
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as compressed,
        tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as archive,
    ):
        for path, data in members:
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mtime = _TAR_MTIME
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


# Archive bombs: small files that decompress or list into far more than they weigh.


def gzip_of_zeros_after(header: bytes, zeros: int) -> bytes:
    """gzip(header + zeros), valid to its trailer: 1 GiB of zeros is ~1 MB compressed.

    After a full flush deflate starts afresh, so one compressed MiB of zeros is repeated
    instead of compressing the whole GiB (seconds) in every test.
    """
    block = bytes(1024 * 1024)
    assert zeros % len(block) == 0
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(header) + compressor.flush(zlib.Z_FULL_FLUSH)
    one = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.flush()
    crc = zlib.crc32(header)
    for _ in range(zeros // len(block)):
        crc = zlib.crc32(block, crc)
    size = (len(header) + zeros) % 2**32
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + head + one * (zeros // len(block))
            + tail + struct.pack("<2L", crc, size))


def extension_header(kind: bytes, size: int) -> bytes:
    info = tarfile.TarInfo("././@LongLink")
    info.type, info.size = kind, size
    return info.tobuf(format=tarfile.GNU_FORMAT)


def many_entry_zip(count: int) -> bytes:
    """A zip64 archive of `count` empty stored files, written directly: zipfile would take
    as long to write it as it takes to read it."""
    local = struct.Struct("<4s5H3L2H")
    central = struct.Struct("<4s6H3L5H2L")
    body, directory = [], []
    offset = 0
    for index in range(count):
        name = b"many/%07d" % index
        body.append(local.pack(b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0) + name)
        directory.append(central.pack(b"PK\x01\x02", 45, 20, 0, 0, 0, 0, 0, 0, 0, len(name),
                                      0, 0, 0, 0, 0, offset) + name)
        offset += local.size + len(name)
    directory_bytes = b"".join(directory)
    zip64_end = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count,
                            len(directory_bytes), offset)
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, offset + len(directory_bytes), 1)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF,
                      0xFFFFFFFF, 0)
    return b"".join(body) + directory_bytes + zip64_end + locator + end
