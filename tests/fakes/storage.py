"""A storage backend that fails the way a full disk or a lost bucket does."""

from django.core.files.storage import Storage


class FailingStorage(Storage):
    """Every write fails; nothing is ever stored."""

    def _save(self, name, content):
        raise OSError("disk full")

    def exists(self, name):
        return False

    def delete(self, name):
        raise AssertionError("nothing was stored, so nothing may be deleted")

    def url(self, name):
        raise NotImplementedError
