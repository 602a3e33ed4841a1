"""Who is a member of what: the one reading of the member tables, expiry included.

A membership counts from its creation up to and including its `expires_at` day. GitLab deletes
expired members with a daily job; here the row may stay, so every reading of the member tables
goes through `unexpired` (or, on the hot path, the same condition written in SQL).
"""

import datetime
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from projects.models import Group, GroupMember, ProjectMember, User
from projects.roles import AccessLevel

Member = TypeVar("Member", GroupMember, ProjectMember)


def today() -> datetime.date:
    """The day memberships expire against (the site's time zone)."""
    return timezone.localdate()


def unexpired(members: QuerySet[Member]) -> QuerySet[Member]:
    """The memberships of `members` still in force today."""
    return members.filter(Q(expires_at__isnull=True) | Q(expires_at__gte=today()))


def _memberships(model: type[Member], user: User, min_level: int) -> QuerySet[Member]:
    return unexpired(model.objects.filter(user=user, access_level__gte=min_level))


def member_group_paths(user: User, *, min_level: int = AccessLevel.GUEST) -> list[str]:
    """Full paths of the groups `user` holds at least `min_level` in, directly (one query)."""
    rows = _memberships(GroupMember, user, min_level).values_list("group__full_path", flat=True)
    return list(rows)


def member_project_paths(user: User, *, min_level: int = AccessLevel.GUEST) -> list[str]:
    """Full paths of the projects `user` holds at least `min_level` in, directly (one query)."""
    rows = _memberships(ProjectMember, user, min_level).values_list(
        "project__full_path", flat=True
    )
    return list(rows)


def member_project_ids(
    user: User, *, min_level: int = AccessLevel.GUEST
) -> QuerySet[ProjectMember, Any]:
    """The ids of the projects `user` holds at least `min_level` in, directly, as a subquery."""
    return _memberships(ProjectMember, user, min_level).values("project_id")


def has_membership_below(user: User, full_path: str) -> bool:
    """Whether `user` is a member of some group or project inside the group at `full_path`."""
    below = f"{full_path}/"
    groups = _memberships(GroupMember, user, AccessLevel.GUEST)
    projects = _memberships(ProjectMember, user, AccessLevel.GUEST)
    return (
        groups.filter(group__full_path__startswith=below).exists()
        or projects.filter(project__full_path__startswith=below).exists()
    )


def member_level(*, user_id: int, group_paths: list[str], project_id: int | None) -> int | None:
    """The highest unexpired role of a user in any of `group_paths` or in the project.

    One hand-written query: every authenticated request asks it, and the ORM's two
    aggregates cost 0.6 ms where this costs 0.1 ms. Its expiry test is `unexpired`'s.
    """
    placeholders = ", ".join(["%s"] * len(group_paths))
    unexpired_sql = "(m.expires_at IS NULL OR m.expires_at >= %s)"
    sql = (
        f"SELECT MAX(level) FROM ("  # noqa: S608 - table names from the models, values as params
        f"SELECT m.access_level AS level FROM {GroupMember._meta.db_table} m "
        f"JOIN {Group._meta.db_table} g ON g.id = m.group_id "
        f"WHERE m.user_id = %s AND g.full_path IN ({placeholders}) AND {unexpired_sql} "
        f"UNION ALL SELECT m.access_level FROM {ProjectMember._meta.db_table} m "
        f"WHERE m.user_id = %s AND m.project_id = %s AND {unexpired_sql}) levels"
    )
    day = today().isoformat()
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id, *group_paths, day, user_id, project_id or 0, day])
        row = cursor.fetchone()
    assert row is not None  # an aggregate always returns one row (NULL when nothing matched)
    level: int | None = row[0]
    return level

