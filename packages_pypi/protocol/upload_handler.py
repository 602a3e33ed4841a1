"""Receive an uploaded file to a temporary file while hashing it, never holding it in memory."""

import hashlib
import tempfile
from collections.abc import Mapping
from typing import Any, BinaryIO

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.http import HttpRequest, QueryDict
from django.http.multipartparser import MultiPartParser
from django.utils.datastructures import MultiValueDict

from packages_pypi.upload_temp import UPLOAD_TEMP_PREFIX, UPLOAD_TEMP_SUFFIX, upload_temp_dir

# The one file part of the legacy upload form (twine, uv, poetry, flit all name it so).
CONTENT_FIELD = "content"


class HashedUpload(TemporaryUploadedFile):
    """A received file part with the digests computed while it was written, bound to it.

    The temporary file's name is ours (prefix + random + suffix): Django's own derives a suffix
    from the client's filename, and a 250-character extension then fails with "File name too
    long"; the prefix lets `registry_check` sweep what a killed worker left (upload_temp.py).
    `client_filename` is the name as sent, before Django shortens names over 255.
    """

    size: int  # 0, then the byte count once the handler completes it (never None here)

    def __init__(self, *, client_filename: str, content_type: str, charset: str | None,
                 content_type_extra: dict | None) -> None:
        file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed with the upload
            prefix=UPLOAD_TEMP_PREFIX, suffix=UPLOAD_TEMP_SUFFIX, dir=upload_temp_dir()
        )
        UploadedFile.__init__(
            self, file, client_filename, content_type, 0, charset, content_type_extra
        )
        self.client_filename = client_filename
        self.digests: dict[str, str] = {}


class HashingUploadHandler(TemporaryFileUploadHandler):
    """Writes the `content` file part to disk chunk by chunk and computes sha256, md5 and
    blake2b-256 of exactly those bytes.

    A second file part, or one under another name, stops the upload (`refusal` says why): the
    stored digests could otherwise describe another part than the stored file. A file over
    `REGISTRY_PYPI_MAX_FILE_SIZE` stops it too; `too_large` tells the view.
    """

    file: HashedUpload

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.max_size: int = settings.REGISTRY_PYPI_MAX_FILE_SIZE
        self.too_large = False
        self.refusal = ""
        self.file_parts = 0
        self._hashes: dict[str, Any] = {}
        self._size = 0

    def new_file(self, field_name: str, file_name: str, content_type: str,
                 content_length: int | None, charset: str | None = None,
                 content_type_extra: dict | None = None) -> None:
        self.file_parts += 1
        if field_name != CONTENT_FIELD:
            self._refuse(f"The upload has a file part named {field_name!a}: the only file "
                         f"part must be named {CONTENT_FIELD!r}.")
        if self.file_parts > 1:
            self._refuse(f"The upload has more than one file part: send exactly one, named "
                         f"{CONTENT_FIELD!r}.")
        self.field_name, self.file_name = field_name, file_name
        self.content_type, self.content_length = content_type, content_length
        self.charset, self.content_type_extra = charset, content_type_extra
        self.file = HashedUpload(
            client_filename=file_name, content_type=content_type, charset=charset,
            content_type_extra=content_type_extra,
        )
        self._size = 0
        self._hashes = {
            "sha256": hashlib.sha256(),
            "md5": hashlib.md5(usedforsecurity=False),
            "blake2_256": hashlib.blake2b(digest_size=32),
        }

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self._size += len(raw_data)
        if self._size > self.max_size:
            self.too_large = True
            # StopUpload closes (and so deletes) the temporary file.
            raise StopUpload(connection_reset=False)
        for digest in self._hashes.values():
            digest.update(raw_data)
        return super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size: int) -> Any:
        self.file.digests = {name: digest.hexdigest() for name, digest in self._hashes.items()}
        return super().file_complete(file_size)

    def _refuse(self, reason: str) -> None:
        self.refusal = reason
        # Nothing of this part is written; files already received are closed (and deleted)
        # with the request. connection_reset=False reads the rest, so the client gets our 400.
        raise StopUpload(connection_reset=False)


class FilenameCheckingParser(MultiPartParser):
    """Django drops any directory from an uploaded filename; we refuse such names instead.

    A filename like `../../x.whl` is an attack or a broken client, never a distribution.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unsafe_filenames: list[str] = []

    def sanitize_file_name(self, file_name: str) -> str | None:
        sanitized = super().sanitize_file_name(file_name)
        if sanitized != file_name:
            self.unsafe_filenames.append(file_name)
        return sanitized


def install_upload_parsing(request: HttpRequest) -> tuple[HashingUploadHandler, list[str]]:
    """Make `request.POST`/`FILES` parse through our handler; returns it and unsafe names."""
    handler = HashingUploadHandler(request)
    request.upload_handlers = [handler]
    unsafe: list[str] = []

    def parse(
        meta: Mapping[str, Any], post_data: BinaryIO
    ) -> tuple[QueryDict, MultiValueDict[str, UploadedFile]]:
        parser = FilenameCheckingParser(meta, post_data, request.upload_handlers, request.encoding)
        try:
            return parser.parse()
        except Exception:
            # Django closes the files it finished on a parse error, not the one being written.
            if (partial := getattr(handler, "file", None)) is not None:
                partial.close()
            raise
        finally:
            unsafe.extend(parser.unsafe_filenames)

    # The instance attribute shadows HttpRequest's method; mypy compares
    # the function with the unbound method, `self` included.
    request.parse_file_upload = parse  # type: ignore[method-assign, assignment]
    return handler, unsafe
