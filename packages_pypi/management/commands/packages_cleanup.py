"""`manage.py packages_cleanup [--dry-run] [--project P]`: run every enabled cleanup policy."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from packages_pypi.cleanup import cleanup_plan, cleanup_run, policies_enabled


class Command(BaseCommand):
    help = (
        "Remove the package versions each project's cleanup policy lists (blobs after the rows "
        "are gone), printing one line per version. --dry-run prints the same lines and "
        "removes nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--dry-run", action="store_true",
                            help="print what would be removed, remove nothing")
        parser.add_argument("--project", metavar="P",
                            help="only this project (numeric id or full path)")

    # argparse values, typed as the options of BaseCommand.handle are.
    def handle(self, *args: object, **options: Any) -> None:
        dry_run = bool(options["dry_run"])
        verb = "would remove" if dry_run else "removed"
        total = 0
        for policy in policies_enabled(options["project"]):
            packages = cleanup_plan(policy) if dry_run else cleanup_run(policy=policy)
            for package in packages:
                self.stdout.write(
                    f"{verb} {policy.project.full_path} {package.normalized_name} "
                    f"{package.version}"
                )
            total += len(packages)
        self.stdout.write(f"{total} version(s) {verb}")
