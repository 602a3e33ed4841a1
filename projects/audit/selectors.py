"""Reading audit events: the filters of GitLab's API, over a list the access policy chose."""

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet

from projects.audit.models import AuditEvent


@dataclass(frozen=True)
class AuditEventFilters:
    """GitLab's filters; both bounds are inclusive ("on or after", "on or before")."""

    created_after: datetime.datetime | None = None
    created_before: datetime.datetime | None = None
    entity_type: str | None = None
    entity_id: int | None = None
    event_name: str | None = None


def audit_events_filter(
    events: QuerySet[AuditEvent], filters: AuditEventFilters
) -> QuerySet[AuditEvent]:
    """`events` narrowed by `filters`, newest first (GitLab's `id desc`)."""
    if filters.created_after is not None:
        events = events.filter(created_at__gte=filters.created_after)
    if filters.created_before is not None:
        events = events.filter(created_at__lte=filters.created_before)
    if filters.entity_type is not None:
        events = events.filter(entity_type=filters.entity_type)
    if filters.entity_id is not None:
        events = events.filter(entity_id=filters.entity_id)
    if filters.event_name:
        events = events.filter(event_name=filters.event_name)
    return events.order_by("-id")


def audit_events_since(since: datetime.datetime) -> QuerySet[AuditEvent]:
    """Every event at or after `since`, oldest first (for exports)."""
    return AuditEvent.objects.filter(created_at__gte=since).order_by("id")


def audit_event_as_gitlab(event: AuditEvent) -> dict[str, object]:
    """GitLab's API::Entities::AuditEvent, keys in its order; also the export's line."""
    created = event.created_at.astimezone(datetime.UTC)
    millis = f"{created.microsecond // 1000:03d}"
    return {
        "id": event.id,
        "author_id": event.author_id,
        "entity_id": event.entity_id,
        "entity_type": event.entity_type,
        "event_name": event.event_name or None,
        "details": event.details,
        "created_at": f"{created:%Y-%m-%dT%H:%M:%S}.{millis}Z",
    }
