"""Archive bombs: every header, name, member count and metadata size is bounded before it is
read, so a small upload can neither fill memory nor keep a worker busy."""

from __future__ import annotations

import gzip
import io
import tarfile
import tracemalloc
import zipfile

import pytest

from packages_pypi.metadata import (
    MAX_TAR_EXTENSION_SIZE,
    MAX_ZIP_MEMBERS,
    InvalidDistribution,
    read_core_metadata,
)
from tests.builders import build_sdist, extension_header, gzip_of_zeros_after, many_entry_zip

GIB = 1024**3


class CountingReader(io.BytesIO):
    """The upload as a file that counts the bytes read from it: work done, without a clock."""

    consumed = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.consumed += len(data)
        return data

    def readinto(self, buffer) -> int:
        count = super().readinto(buffer)
        self.consumed += count
        return count


def measure(read, upload: CountingReader | None = None):
    """Run `read`, returning (its exception, peak bytes allocated, bytes read of `upload`)."""
    tracemalloc.start()
    try:
        read()
    except InvalidDistribution as error:
        raised = error
    else:
        raised = None
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return raised, peak, upload.consumed if upload is not None else None


def test_the_bomb_builder_writes_real_gzip():
    assert gzip.decompress(gzip_of_zeros_after(b"head", 3 * 1024 * 1024)) == (
        b"head" + bytes(3 * 1024 * 1024)
    )


@pytest.mark.parametrize("kind", [tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK,
                                  tarfile.XHDTYPE, tarfile.XGLTYPE])
def test_a_1_mb_sdist_declaring_a_1_gib_long_name_is_refused_before_it_is_read(kind):
    bomb = gzip_of_zeros_after(extension_header(kind, GIB), GIB)
    assert len(bomb) < 1.5 * 1024 * 1024

    upload = CountingReader(bomb)
    raised, peak, consumed = measure(lambda: read_core_metadata(upload, "b-1.0.tar.gz"), upload)

    assert raised is not None and "extended header" in str(raised)
    assert f"of {GIB} bytes, more than the {MAX_TAR_EXTENSION_SIZE} allowed" in str(raised)
    assert peak < 2 * 1024 * 1024, peak
    # Refused at the header: the compressed 1 GiB of zeros after it is never inflated.
    assert consumed < 256 * 1024, consumed


def test_a_chain_of_extension_headers_is_refused():
    chain = b"".join(
        extension_header(tarfile.GNUTYPE_LONGNAME, 512) + b"n" * 511 + b"\0" for _ in range(50)
    )
    bomb = gzip_of_zeros_after(chain, 1024 * 1024)

    with pytest.raises(InvalidDistribution, match="extended headers in a row"):
        read_core_metadata(io.BytesIO(bomb), "b-1.0.tar.gz")


def test_a_sparse_member_is_refused():
    info = tarfile.TarInfo("b-1.0/sparse")
    info.type = tarfile.GNUTYPE_SPARSE
    bomb = gzip_of_zeros_after(info.tobuf(format=tarfile.GNU_FORMAT), 1024 * 1024)

    with pytest.raises(InvalidDistribution, match="sparse file"):
        read_core_metadata(io.BytesIO(bomb), "b-1.0.tar.gz")


def test_pax_declared_sparse_maps_are_refused():
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as archive:
        info = tarfile.TarInfo("b-1.0/sparse")
        info.pax_headers = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0",
                            "GNU.sparse.name": "b-1.0/sparse", "GNU.sparse.realsize": "10"}
        info.size = 512
        archive.addfile(info, io.BytesIO(b"99999999999\n" + bytes(500)))

    with pytest.raises(InvalidDistribution, match="sparse file"):
        read_core_metadata(io.BytesIO(buffer.getvalue()), "b-1.0.tar.gz")


def test_memory_stays_flat_over_many_members_with_long_names():
    # tarfile keeps every member it reads: 4,000 names of 8 KiB would be 32 MiB.
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.GNU_FORMAT,
                      compresslevel=1) as archive:
        pkg_info = b"Metadata-Version: 2.1\nName: b\nVersion: 1.0\n"
        info = tarfile.TarInfo("b-1.0/PKG-INFO")
        info.size = len(pkg_info)
        archive.addfile(info, io.BytesIO(pkg_info))
        for index in range(4000):
            archive.addfile(tarfile.TarInfo(f"b-1.0/{index:05d}" + "d" * 8192))
    data = buffer.getvalue()

    raised, peak, _ = measure(lambda: read_core_metadata(io.BytesIO(data), "b-1.0.tar.gz"))

    assert raised is None
    assert peak < 4 * 1024 * 1024, peak


def test_long_names_and_pax_headers_of_real_size_still_read():
    for archive_format in (tarfile.GNU_FORMAT, tarfile.PAX_FORMAT):
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz", format=archive_format) as archive:
            archive.addfile(tarfile.TarInfo("b-1.0/" + "deep/" * 200 + "file.py"))
            pkg_info = b"Metadata-Version: 2.1\nName: b\nVersion: 1.0\n"
            info = tarfile.TarInfo("b-1.0/PKG-INFO")
            info.size, info.pax_headers = len(pkg_info), {"comment": "x" * 2000}
            archive.addfile(info, io.BytesIO(pkg_info))

        metadata = read_core_metadata(io.BytesIO(buffer.getvalue()), "b-1.0.tar.gz")

        assert (metadata.name, metadata.version) == ("b", "1.0")


def test_the_many_entry_zip_builder_writes_a_real_zip():
    with zipfile.ZipFile(io.BytesIO(many_entry_zip(1000))) as archive:
        assert len(archive.namelist()) == 1000

    with pytest.raises(InvalidDistribution, match=r"has no 'b-1\.0\.dist-info' directory"):
        read_core_metadata(io.BytesIO(many_entry_zip(1000)), "b-1.0-py3-none-any.whl")


@pytest.mark.parametrize("filename", ["b-1.0-py3-none-any.whl", "b-1.0.zip"])
def test_a_zip_of_400_000_entries_is_refused_from_its_end_record(filename):
    bomb = many_entry_zip(400_000)

    upload = CountingReader(bomb)
    raised, peak, consumed = measure(lambda: read_core_metadata(upload, filename), upload)

    assert raised is not None and f"has more than {MAX_ZIP_MEMBERS} files" in str(raised)
    # zipfile alone took 5 s and 288 MB for such a wheel.
    assert peak < 1024 * 1024, peak
    # Refused from the end records (the last 64 KiB): the directory of several MB is never read.
    assert consumed < 128 * 1024 < len(bomb) // 10, consumed


def test_an_sdist_built_for_real_still_reads():
    filename, data = build_sdist("b", "1.0", payload_size=10_000)

    assert read_core_metadata(io.BytesIO(data), filename).version == "1.0"
