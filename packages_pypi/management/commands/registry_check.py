"""`manage.py registry_check [--repair] [--quick]`: storage against database (consistency.py)."""

import datetime
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from packages_pypi.consistency import MISSING_BLOBS, Report, registry_check


class Command(BaseCommand):
    help = (
        "Find blobs without rows, rows without blobs, stale temporary uploads, unfinished S3 "
        "multipart uploads and empty folders. --repair removes what is safe to remove; the "
        "exit status is 0 only when nothing is left to fix."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--repair", action="store_true",
                            help="remove what is safe to remove, report the rest")
        parser.add_argument("--quick", action="store_true",
                            help="skip comparing every blob with the rows (for start-up)")
        parser.add_argument(
            "--grace", type=int, default=settings.REGISTRY_CHECK_ORPHAN_GRACE, metavar="SECONDS",
            help="leave blobs without a row younger than this (an upload may be committing)",
        )
        parser.add_argument(
            "--temp-max-age", type=int, default=settings.REGISTRY_CHECK_TEMP_MAX_AGE,
            metavar="SECONDS", help="temporary uploads and empty folders older than this are stale",
        )

    # argparse values, typed as the options of BaseCommand.handle are.
    def handle(self, *args: object, **options: Any) -> None:
        report = registry_check(
            repair=bool(options["repair"]),
            quick=bool(options["quick"]),
            orphan_grace=datetime.timedelta(seconds=int(options["grace"])),
            temp_max_age=datetime.timedelta(seconds=int(options["temp_max_age"])),
        )
        self._print(report, quick=bool(options["quick"]), repair=bool(options["repair"]))
        if not report.consistent:
            # CommandError exits with status 1 and prints the message to stderr.
            raise CommandError(self._verdict(report, repaired=bool(options["repair"])))
        self.stdout.write("registry_check: consistent")

    def _print(self, report: Report, *, quick: bool, repair: bool) -> None:
        self.stdout.write(f"registry_check: {report.storage}")
        if not quick:
            self.stdout.write(
                f"  checked {report.checked_blobs} blobs and {report.checked_rows} rows"
            )
        for kind, tally in report.tallies.items():
            line = f"  {kind}: {tally.found}"
            if tally.found and repair:
                line += f" ({tally.repaired} removed)"
            if tally.recent:
                line += f"; {tally.recent} too recent to judge, left alone"
            self.stdout.write(line)
            for example in tally.examples:
                self.stdout.write(f"    {example}")

    def _verdict(self, report: Report, *, repaired: bool) -> str:
        remaining = {kind: t.remaining for kind, t in report.tallies.items() if t.remaining}
        text = ", ".join(f"{count} {kind}" for kind, count in remaining.items())
        advice = []
        if MISSING_BLOBS in remaining:
            advice.append("Rows without a blob cannot be repaired automatically: restore the "
                          "blob from a backup, or delete the file (and re-upload it).")
        if not repaired and set(remaining) - {MISSING_BLOBS}:
            advice.append("Run with --repair to remove the rest.")
        return " ".join([f"registry_check: {text} left.", *advice])
