"""`manage.py pypi_cache purge [--name N] [--older-than DAYS]` and `pypi_cache sweep`."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from packaging.utils import canonicalize_name

from packages_pypi.upstream.maintenance import cache_purge, cache_sweep


class Command(BaseCommand):
    help = (
        "The cache of upstream files. purge: remove cached files (all, one name, or those "
        "unused for DAYS). sweep: delete files taken down upstream longer ago than "
        "REGISTRY_PYPI_TAKEDOWN_KEEP_DAYS, then bound the cache to REGISTRY_PYPI_CACHE_MAX_BYTES."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        purge = commands.add_parser("purge", help="remove cached upstream files")
        purge.add_argument("--name", help="only this project name (any spelling)")
        purge.add_argument("--older-than", type=int, metavar="DAYS",
                           help="only files not used for this many days")
        commands.add_parser("sweep", help="the takedown sweep and the size bound")

    def handle(self, *args: object, **options: Any) -> None:
        if options["action"] == "purge":
            name = canonicalize_name(options["name"]) if options.get("name") else None
            count = cache_purge(name=name, older_than_days=options.get("older_than"))
            self.stdout.write(f"purged {count} upstream file(s)")
            return
        taken_down, trimmed = cache_sweep()
        self.stdout.write(
            f"deleted {taken_down} file(s) taken down upstream, {trimmed} past the size bound"
        )
