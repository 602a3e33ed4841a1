"""Read-side queries for groups and projects."""

import re
from typing import TypeVar

from django.db.models import Model, QuerySet

from projects.models import Group, Project

# GitLab's ResourceLookup: an all-digit reference is always an id, anything else a full path.
_NUMERIC_ID = re.compile(r"-?\d+")
_MAX_ID = 2**63 - 1

_M = TypeVar("_M", bound=Model)


def _clean_ref(ref: str | int) -> str:
    return str(ref).strip("/")


def project_get_by_ref(ref: str | int) -> Project | None:
    """The project whose id or full path (`group/sub/project`, any case) is `ref`, or None.

    Its namespace is not loaded: the access policy works from `full_path` alone.
    """
    ref = _clean_ref(ref)
    if _NUMERIC_ID.fullmatch(ref):
        return first_by(Project, "id = %s", int(ref))
    if "/" not in ref:
        return None  # a project always lives in a group
    return first_by(Project, "LOWER(full_path) = LOWER(%s)", ref)


def group_get_by_ref(ref: str | int) -> Group | None:
    """The group whose id or full path is `ref`, or None."""
    ref = _clean_ref(ref)
    if _NUMERIC_ID.fullmatch(ref):
        return first_by(Group, "id = %s", int(ref))
    return first_by(Group, "LOWER(full_path) = LOWER(%s)", ref)


def first_by(model: type[_M], condition: str, value: object) -> _M | None:
    """One row by a fixed condition, written by hand because it runs on every request.

    The ORM spends about five times longer building such a query than the database spends
    answering it (measured: 300 µs against 60 µs). `condition` must be a literal with one
    `%s`; the value always travels as a parameter.
    """
    if isinstance(value, int) and not -_MAX_ID <= value <= _MAX_ID:
        return None
    sql = f"SELECT * FROM {model._meta.db_table} WHERE {condition} LIMIT 1"  # noqa: S608
    return next(iter(model._default_manager.raw(sql, [value])), None)


def groups_in_tree(group: Group) -> QuerySet[Group]:
    """The group and all its descendants."""
    return Group.objects.filter(full_path=group.full_path) | Group.objects.filter(
        full_path__startswith=f"{group.full_path}/"
    )


def projects_in_tree(group: Group) -> QuerySet[Project]:
    """Every project in the group and, recursively, in its subgroups.

    A project's full path starts with its namespace's, so one prefix test on the projects
    table finds them all, without joining the groups.
    """
    return Project.objects.filter(full_path__startswith=f"{group.full_path}/")

