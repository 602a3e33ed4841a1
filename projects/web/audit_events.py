"""The audit event pages: the instance's (`/-/audit_events`), a group's and a project's.

Signed-in sessions only; the same access policy as the API decides which events are listed,
and the same filters narrow them (dates are whole days, both inclusive).
"""

import datetime
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_safe

from projects.access import (
    Ability,
    access_group,
    access_project,
    audit_events_readable,
    audit_events_readable_in_group,
    audit_events_readable_in_project,
    can,
)
from projects.audit.models import AuditEvent
from projects.audit.selectors import AuditEventFilters, audit_events_filter
from projects.principals import Principal
from projects.web.pages import ui_page
from registry.http.ui import paginate

PER_PAGE = 50


def _day(request: HttpRequest, name: str) -> datetime.date | None:
    try:
        return parse_date(request.GET.get(name, "").strip())
    except ValueError:
        return None  # an impossible date, as the browser's date field never sends one


def _filters(request: HttpRequest) -> tuple[AuditEventFilters, dict[str, str]]:
    after, before = _day(request, "created_after"), _day(request, "created_before")
    event_name = request.GET.get("event_name", "").strip()[:128]
    start = datetime.datetime.combine(after, datetime.time.min, datetime.UTC) if after else None
    end = datetime.datetime.combine(before, datetime.time.max, datetime.UTC) if before else None
    shown = {
        "created_after": after.isoformat() if after else "",
        "created_before": before.isoformat() if before else "",
        "event_name": event_name,
    }
    return AuditEventFilters(created_after=start, created_before=end,
                             event_name=event_name or None), shown


def _page(request: HttpRequest, events: QuerySet[AuditEvent], **context: object) -> HttpResponse:
    filters, shown = _filters(request)
    listed = audit_events_filter(events, filters)
    query = urlencode({key: value for key, value in shown.items() if value})
    return render(request, "audit_events/list.html", {
        **context,
        "filters": shown,
        "query": query,
        "event_names": events.order_by("event_name").values_list("event_name", flat=True)
        .distinct(),
        "page": paginate(request, listed, PER_PAGE),
    })


@require_safe
@ui_page(sign_in_required=True)
def instance_audit_events(request: HttpRequest, principal: Principal) -> HttpResponse:
    """Every event for an admin; a user's own actions for anyone else."""
    return _page(request, audit_events_readable(principal), scope_title="Audit events",
                 everything=principal.is_admin)


@require_safe
@ui_page(sign_in_required=True)
def group_audit_events(request: HttpRequest, principal: Principal, full_path: str) -> HttpResponse:
    group = access_group(principal, full_path, Ability.READ_GROUP)
    return _page(request, audit_events_readable_in_group(principal, group), group=group,
                 scope_title=f"Audit events of {group.full_path}",
                 everything=can(principal, Ability.ADMIN_GROUP, group))


@require_safe
@ui_page(sign_in_required=True)
def project_audit_events(
    request: HttpRequest, principal: Principal, full_path: str
) -> HttpResponse:
    project = access_project(principal, full_path, Ability.READ_PROJECT)
    return _page(request, audit_events_readable_in_project(principal, project), project=project,
                 can_manage_tokens=can(principal, Ability.ADMIN_PROJECT, project),
                 scope_title=f"Audit events of {project.full_path}",
                 everything=can(principal, Ability.ADMIN_PROJECT, project))
