"""Storage backends that fail the way a full disk or a lost bucket does."""

from django.core.files.base import File
from django.core.files.storage import FileSystemStorage


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
