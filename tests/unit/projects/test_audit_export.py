"""manage.py audit_export --since: JSON lines in the API's shape, oldest first."""

import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from projects.audit.models import AuditEvent
from projects.audit.services import audit_event_record
from tests.factories import make_project, make_user

pytestmark = pytest.mark.django_db


def test_events_since_a_time_are_written_one_json_object_a_line(tmp_path):
    alice = make_user("alice")
    project = make_project("tools")
    first = audit_event_record(author=alice, entity=project, event_name="one", message="1")
    audit_event_record(author=alice, entity=project, event_name="two", message="2")
    since = first.created_at.astimezone(datetime.UTC).isoformat()
    out = io.StringIO()
    call_command("audit_export", "--since", since, stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["event_name"] for line in lines] == ["one", "two"]
    assert lines[0]["details"]["author_name"] == "alice"
    assert list(lines[0]) == ["id", "author_id", "entity_id", "entity_type", "event_name",
                              "details", "created_at"]

    target = tmp_path / "events.jsonl"
    call_command("audit_export", "--since", "2000-01-01", "--output", str(target),
                 stderr=io.StringIO())
    written = target.read_text().splitlines()
    assert len(written) == AuditEvent.objects.count()
    tomorrow = (timezone.now() + datetime.timedelta(days=1)).date().isoformat()
    later = io.StringIO()
    call_command("audit_export", "--since", tomorrow, stdout=later)
    assert later.getvalue() == ""


def test_a_bad_since_is_a_clear_error():
    with pytest.raises(CommandError, match="not an ISO 8601"):
        call_command("audit_export", "--since", "last tuesday")
