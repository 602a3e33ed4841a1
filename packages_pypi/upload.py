"""The legacy upload form twine, uv, poetry and flit send, parsed into plain values.

Only this module and the views know the form's field names (`:action`, `content`, ...).
"""

import re
from dataclasses import dataclass

from django.core.files.uploadedfile import TemporaryUploadedFile
from django.http import HttpRequest

from packages_pypi.exceptions import FileTooLarge, InvalidUpload, MissingParameter
from packages_pypi.upload_handler import install_upload_parsing

_HEX = {"sha256_digest": 64, "md5_digest": 32, "blake2_256_digest": 64}


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


def receive_upload(request: HttpRequest) -> tuple[UploadForm, ReceivedFile]:
    """Parse the multipart body, streaming the file part to disk through HashingUploadHandler.

    Raises FileTooLarge, MissingParameter or InvalidUpload.
    """
    handler, unsafe_filenames = install_upload_parsing(request)
    post, files = request.POST, request.FILES
    if handler.too_large:
        raise FileTooLarge()
    if unsafe_filenames:
        raise InvalidUpload(f"The filename {unsafe_filenames[0]!r} must not contain a path.")
    upload = files.get("content")
    for field in ("name", "version"):
        if not post.get(field, "").strip():
            raise MissingParameter(field)
    if upload is None:
        raise MissingParameter("content")
    action = post.get(":action", "file_upload")
    if action != "file_upload":
        raise InvalidUpload(f"Unsupported action {action!r}: only file_upload is supported")
    for field, length in _HEX.items():
        value = post.get(field, "")
        if value and not re.fullmatch(rf"[0-9a-fA-F]{{{length}}}", value):
            raise MissingParameter(field, "is invalid")
    form = UploadForm(
        name=post["name"].strip(),
        version=post["version"].strip(),
        filetype=post.get("filetype", ""),
        pyversion=post.get("pyversion", ""),
        sha256_digest=post.get("sha256_digest", "").lower(),
        md5_digest=post.get("md5_digest", "").lower(),
        blake2_256_digest=post.get("blake2_256_digest", "").lower(),
    )
    received = ReceivedFile(
        filename=upload.name,
        path=upload.temporary_file_path(),
        size=upload.size,
        upload=upload,
        **handler.digests,
    )
    return form, received
