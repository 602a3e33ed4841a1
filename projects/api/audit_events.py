"""GitLab REST API v4: audit events of the instance, a group and a project.

python-gitlab's `gl.audit_events`, `group.audit_events` and `project.audit_events` (list and
get). Who reads what is the access policy's (`projects.access.audit_events`); an event the
caller may not read answers 404, as a missing one does.
"""

import datetime

from django.db.models import QuerySet
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from projects.access import (
    Ability,
    access_group,
    access_project,
    audit_events_readable,
    audit_events_readable_in_group,
    audit_events_readable_in_project,
)
from projects.api.support import signed_in_principal
from projects.audit.models import AuditEvent
from projects.audit.selectors import AuditEventFilters, audit_event_as_gitlab, audit_events_filter
from registry.http.api import ParameterError, Rows, paginated
from registry.http.exceptions import NotFound

_FILTERS = [
    OpenApiParameter("created_after", str), OpenApiParameter("created_before", str),
    OpenApiParameter("page", int), OpenApiParameter("per_page", int),
]


def _when(request: Request, name: str) -> datetime.datetime | None:
    """An ISO 8601 time (Grape's DateTime: a bare date is its midnight, UTC when unzoned)."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = parse_datetime(raw)
        if value is None and (day := parse_date(raw)) is not None:
            value = datetime.datetime.combine(day, datetime.time())
    except ValueError as error:
        raise ParameterError(f"{name} is invalid") from error
    if value is None:
        raise ParameterError(f"{name} is invalid")
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)


def _filters(request: Request, *, by_entity: bool) -> AuditEventFilters:
    entity_type = entity_id = None
    if by_entity:
        entity_type = request.query_params.get("entity_type") or None
        if entity_type is not None and entity_type not in AuditEvent.EntityType.values:
            raise ParameterError("entity_type does not have a valid value")
        raw_id = request.query_params.get("entity_id")
        if raw_id:
            if entity_type is None:
                raise ParameterError("entity_id requires entity_type")
            if not raw_id.isdigit():
                raise ParameterError("entity_id is invalid")
            entity_id = int(raw_id)
    return AuditEventFilters(
        created_after=_when(request, "created_after"),
        created_before=_when(request, "created_before"),
        entity_type=entity_type, entity_id=entity_id,
    )


class AuditEventOutput(serializers.Serializer):
    """GitLab's AuditEvent entity. The fields describe it for the OpenAPI document; the one
    rendering, shared with `audit_export`, is `audit_event_as_gitlab`."""

    id = serializers.IntegerField()
    author_id = serializers.IntegerField()
    entity_id = serializers.IntegerField()
    entity_type = serializers.CharField()
    event_name = serializers.CharField(allow_null=True)
    details = serializers.DictField()
    created_at = serializers.CharField()

    def to_representation(self, instance: AuditEvent) -> dict[str, object]:
        return audit_event_as_gitlab(instance)


def _serialize(rows: Rows) -> list[object]:
    return [audit_event_as_gitlab(event) for event in rows]


def _one(events: QuerySet[AuditEvent], event_id: str) -> Response:
    event = events.filter(pk=event_id).first() if event_id.isdigit() else None
    if event is None:
        raise NotFound("Audit Event")
    return Response(audit_event_as_gitlab(event))


class AuditEventListApi(APIView):
    """GET /audit_events: everything for admins, a user's own events otherwise."""

    @extend_schema(parameters=[*_FILTERS, OpenApiParameter("entity_type", str),
                               OpenApiParameter("entity_id", int)],
                   responses={200: AuditEventOutput(many=True)})
    def get(self, request: Request) -> Response:
        events = audit_events_readable(signed_in_principal(request))
        return paginated(request, audit_events_filter(events, _filters(request, by_entity=True)),
                         _serialize)


class AuditEventDetailApi(APIView):
    """GET /audit_events/:id."""

    @extend_schema(responses={200: AuditEventOutput})
    def get(self, request: Request, event_id: str) -> Response:
        return _one(audit_events_readable(signed_in_principal(request)), event_id)


def _group_events(request: Request, ref: str) -> QuerySet[AuditEvent]:
    principal = signed_in_principal(request)
    group = access_group(principal, ref, Ability.READ_GROUP)
    return audit_events_readable_in_group(principal, group)


def _project_events(request: Request, ref: str) -> QuerySet[AuditEvent]:
    principal = signed_in_principal(request)
    project = access_project(principal, ref, Ability.READ_PROJECT)
    return audit_events_readable_in_project(principal, project)


class GroupAuditEventListApi(APIView):
    """GET /groups/:id/audit_events: the group's tree for its Owners, own events otherwise."""

    @extend_schema(parameters=_FILTERS, responses={200: AuditEventOutput(many=True)})
    def get(self, request: Request, ref: str) -> Response:
        events = audit_events_filter(_group_events(request, ref),
                                     _filters(request, by_entity=False))
        return paginated(request, events, _serialize)


class GroupAuditEventDetailApi(APIView):
    """GET /groups/:id/audit_events/:event_id."""

    @extend_schema(responses={200: AuditEventOutput})
    def get(self, request: Request, ref: str, event_id: str) -> Response:
        return _one(_group_events(request, ref), event_id)


class ProjectAuditEventListApi(APIView):
    """GET /projects/:id/audit_events: everything for Maintainers, own events otherwise."""

    @extend_schema(parameters=_FILTERS, responses={200: AuditEventOutput(many=True)})
    def get(self, request: Request, ref: str) -> Response:
        events = audit_events_filter(_project_events(request, ref),
                                     _filters(request, by_entity=False))
        return paginated(request, events, _serialize)


class ProjectAuditEventDetailApi(APIView):
    """GET /projects/:id/audit_events/:event_id."""

    @extend_schema(responses={200: AuditEventOutput})
    def get(self, request: Request, ref: str, event_id: str) -> Response:
        return _one(_project_events(request, ref), event_id)
