"""manage.py downloads_fold: move the download counts from the cache into the database."""

from typing import Any

from django.core.management.base import BaseCommand

from packages_pypi.downloads import downloads_fold


class Command(BaseCommand):
    help = "Fold the download counts kept in the cache into the database (run it every minute)."

    def handle(self, *args: Any, **options: Any) -> None:
        folded = downloads_fold()
        self.stdout.write(f"folded {folded} downloads")
