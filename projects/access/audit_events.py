"""Who reads which audit events: GitLab's rule, as query conditions.

Admins read everything; a group's Owners read every event in the group's tree (the group,
its subgroups and their projects); a project's Maintainers and Owners read every event of the
project; everyone else reads only their own: events they authored, and events filed under
their own account (a failed sign-in with their username, a token issued to them).

Deliberate differences from GitLab: GitLab answers 403 to a non-admin on `/audit_events`,
and files package events under the project's group only. Here a signed-in user's instance
list is their own events, and a group's list includes its projects' events, so a group owner
sees what was published anywhere below.
"""

from django.db.models import Q, QuerySet

from projects.access.policy import access_level
from projects.audit.models import AuditEvent
from projects.models import Group, Project
from projects.principals import Principal, PrincipalKind
from projects.roles import AccessLevel

_NOTHING = Q(pk__in=[])


def _admin(principal: Principal) -> bool:
    return principal.kind is PrincipalKind.USER and principal.is_admin


def _own(principal: Principal) -> Q:
    user = principal.user
    if user is None or user.is_blocked:
        return _NOTHING
    return Q(author_id=user.pk) | Q(entity_type=AuditEvent.EntityType.USER, entity_id=user.pk)


def _group_tree(group: Group) -> Q:
    prefix = Q(full_path__startswith=f"{group.full_path}/")
    groups = Group.objects.filter(Q(pk=group.pk) | prefix).values("pk")
    projects = Project.objects.filter(prefix).values("pk")
    return Q(entity_type=AuditEvent.EntityType.GROUP, entity_id__in=groups) | Q(
        entity_type=AuditEvent.EntityType.PROJECT, entity_id__in=projects
    )


def audit_events_readable(principal: Principal) -> QuerySet[AuditEvent]:
    """`GET /audit_events`: every event for an admin, a user's own events otherwise."""
    events = AuditEvent.objects.all()
    return events if _admin(principal) else events.filter(_own(principal))


def audit_events_readable_in_group(principal: Principal, group: Group) -> QuerySet[AuditEvent]:
    """`GET /groups/:id/audit_events`, for a group the caller may read."""
    events = AuditEvent.objects.filter(_group_tree(group))
    if _admin(principal) or access_level(principal, group) >= AccessLevel.OWNER:
        return events
    return events.filter(_own(principal))


def audit_events_readable_in_project(
    principal: Principal, project: Project
) -> QuerySet[AuditEvent]:
    """`GET /projects/:id/audit_events`, for a project the caller may read."""
    events = AuditEvent.objects.filter(
        entity_type=AuditEvent.EntityType.PROJECT, entity_id=project.pk
    )
    if _admin(principal) or access_level(principal, project) >= AccessLevel.MAINTAINER:
        return events
    return events.filter(_own(principal))
