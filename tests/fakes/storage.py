"""Storage backends that fail the way a full disk or a lost bucket does, or that are slow."""

import time

from django.core.files.base import File
from django.core.files.storage import FileSystemStorage
from storages.backends.s3 import S3Storage


class FailingMidwayStorage(FileSystemStorage):
    """Writes the first chunk of a file, then fails: a disk that filled up mid-upload."""

    def _save(self, name, content):
        return super()._save(name, _BreaksAfterFirstChunk(content))


class _BreaksAfterFirstChunk(File):
    def __init__(self, content):
        super().__init__(content.file, content.name)

    def chunks(self, chunk_size=None):
        chunks = super().chunks(chunk_size=64 * 1024)
        yield next(chunks)
        raise OSError(28, "No space left on device")


# A blob is copied 64 KiB at a time with this pause between chunks (local) or between reads
# of a multipart part (S3): long enough for a fault test to kill the worker mid-copy.
SLOW_CHUNK = 64 * 1024
SLOW_PAUSE = 0.5


class SlowFileSystemStorage(FileSystemStorage):
    """Copies every blob chunk by chunk, slowly (a remote or failing disk), never by rename."""

    def _save(self, name, content):
        return super()._save(name, _Slow(content))


class SlowS3Storage(S3Storage):
    """Sends every blob to S3 slowly: the first part goes at once, then each read waits."""

    def _save(self, name, content):
        return super()._save(name, _Slow(content))


class _Slow(File):
    """The uploaded file without its temporary path (so it is copied), read slowly."""

    def __init__(self, content):
        super().__init__(content.file, content.name)
        self._reads = 0

    def chunks(self, chunk_size=None):
        for index, chunk in enumerate(super().chunks(chunk_size=SLOW_CHUNK)):
            if index:
                time.sleep(SLOW_PAUSE)
            yield chunk

    def read(self, size=-1):
        if self._reads:
            time.sleep(SLOW_PAUSE)
        self._reads += 1
        return self.file.read(size)
