"""The audit event row: GitLab's `audit_events` table, append-only."""

from typing import Any, NoReturn

from django.db import models
from django.utils import timezone


class AuditEventImmutable(Exception):
    """An audit event is never changed or deleted once written."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditEventImmutable("audit events cannot be changed")

    def delete(self) -> NoReturn:
        raise AuditEventImmutable("audit events cannot be deleted")


class AuditEvent(models.Model):
    """Who did what to which user, group or project, and when.

    No foreign keys, as in GitLab: an event outlives the user, project or package it names,
    so deleting one of those must neither cascade into the log nor be refused because of it.
    Names and paths are copied into `details` at the time of the event for the same reason.
    The migration adds a database trigger that refuses UPDATE (and DELETE on PostgreSQL).
    """

    class EntityType(models.TextChoices):
        USER = "User"
        GROUP = "Group"
        PROJECT = "Project"
        INSTANCE = "Gitlab::Audit::InstanceScope"

    author_id = models.BigIntegerField()
    entity_type = models.CharField(max_length=64, choices=EntityType.choices)
    entity_id = models.BigIntegerField()
    event_name = models.CharField(max_length=128)
    # GitLab's details hash: author_name, target_type, target_details, custom_message, ...
    details = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["entity_type", "entity_id", "-id"], name="audit_entity_idx"),
            models.Index(fields=["author_id", "-id"], name="audit_author_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_name} by {self.details.get('author_name', self.author_id)}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditEventImmutable("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditEventImmutable("audit events cannot be deleted")
