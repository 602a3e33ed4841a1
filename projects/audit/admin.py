"""Audit events in the Django admin: readable and searchable, never added, changed or deleted."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from projects.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "event_name", "author_id", "entity_type", "entity_id")
    list_filter = ("entity_type", "event_name")
    search_fields = ("event_name",)
    readonly_fields = (
        "author_id", "entity_type", "entity_id", "event_name", "details", "created_at",
    )
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
