"""What an upload delivered: the file on disk with its digests, and what the client declared."""

from dataclasses import dataclass

from django.core.files.uploadedfile import TemporaryUploadedFile


@dataclass(frozen=True)
class ReceivedFile:
    """The uploaded file, already on local disk, with the digests computed while receiving."""

    filename: str
    path: str
    size: int
    sha256: str
    md5: str
    blake2_256: str
    upload: TemporaryUploadedFile


@dataclass(frozen=True)
class UploadForm:
    """What the client declared; the file's own metadata is what we keep."""

    name: str
    version: str
    filetype: str
    pyversion: str
    sha256_digest: str
    md5_digest: str
    blake2_256_digest: str
