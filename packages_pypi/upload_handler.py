"""Receive an uploaded file to a temporary file while hashing it, never holding it in memory."""

import hashlib
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import (
    FileUploadHandler,
    StopUpload,
    TemporaryFileUploadHandler,
)
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParser

from packages_pypi.upload_temp import RegistryTemporaryUploadedFile


class HashingUploadHandler(TemporaryFileUploadHandler):
    """Writes the file part to disk chunk by chunk and computes sha256, md5 and blake2b-256.

    A file over `REGISTRY_PYPI_MAX_FILE_SIZE` stops the upload; `too_large` tells the view.
    """

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.max_size: int = settings.REGISTRY_PYPI_MAX_FILE_SIZE
        self.too_large = False
        self.digests: dict[str, str] = {}
        self._hashes: dict[str, Any] = {}
        self._size = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        # Not TemporaryFileUploadHandler's: our temporary file carries our prefix, so that
        # `registry_check` can sweep what a killed worker left (upload_temp.py).
        FileUploadHandler.new_file(self, *args, **kwargs)
        self.file = RegistryTemporaryUploadedFile(
            self.file_name, self.content_type, 0, self.charset, self.content_type_extra
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
            self.file.close()
            # Reads and drops the rest of the body, so the client gets our 400.
            raise StopUpload(connection_reset=False)
        for digest in self._hashes.values():
            digest.update(raw_data)
        return super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size: int) -> Any:
        self.digests = {name: digest.hexdigest() for name, digest in self._hashes.items()}
        return super().file_complete(file_size)


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

    def parse(meta: Any, post_data: Any) -> Any:
        parser = FilenameCheckingParser(meta, post_data, request.upload_handlers, request.encoding)
        try:
            return parser.parse()
        finally:
            unsafe.extend(parser.unsafe_filenames)

    request.parse_file_upload = parse  # type: ignore[method-assign]
    return handler, unsafe
