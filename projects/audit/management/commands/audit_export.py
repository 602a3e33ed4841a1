"""manage.py audit_export --since 2026-11-01 [--output events.jsonl]: audit events as JSON lines.

One event per line, oldest first, in the API's shape (GitLab's AuditEvent entity), so a SIEM
or `jq` reads it directly. Streams: memory stays flat however long the log is.
"""

import datetime
import json
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_date, parse_datetime

from projects.audit.selectors import audit_event_as_gitlab, audit_events_since


def _moment(raw: str) -> datetime.datetime:
    try:
        value = parse_datetime(raw)
        if value is None and (day := parse_date(raw)) is not None:
            value = datetime.datetime.combine(day, datetime.time())
    except ValueError:
        value = None
    if value is None:
        raise CommandError(f"--since {raw!r} is not an ISO 8601 date or time")
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)


class Command(BaseCommand):
    help = "Write the audit events since a date or time as JSON lines (oldest first)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", required=True,
                            help="ISO 8601 date or time, e.g. 2026-11-01 or 2026-11-01T08:00Z")
        parser.add_argument("--output", default="-", help="a file to write (default: stdout)")

    def handle(self, *args: Any, **options: Any) -> None:
        since = _moment(str(options["since"]))
        if options["output"] == "-":
            self._write(self.stdout, since)
            return
        with open(options["output"], "w", encoding="utf-8") as out:
            count = self._write(out, since)
        self.stderr.write(f"wrote {count} audit events to {options['output']}")

    def _write(self, out: TextIO | Any, since: datetime.datetime) -> int:
        count = 0
        for event in audit_events_since(since).iterator(chunk_size=1000):
            out.write(json.dumps(audit_event_as_gitlab(event), ensure_ascii=False) + "\n")
            count += 1
        return count
