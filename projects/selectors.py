"""Read-side queries for groups and projects."""

import re

from django.db.models import QuerySet

from projects.models import Group, Project

# GitLab's ResourceLookup: an all-digit reference is always an id, anything else a full path.
_NUMERIC_ID = re.compile(r"-?\d+")


def _clean_ref(ref: str | int) -> str:
    return str(ref).strip("/")


def project_get_by_ref(ref: str | int) -> Project | None:
    """The project whose id or full path (`group/sub/project`, any case) is `ref`, or None."""
    ref = _clean_ref(ref)
    projects = Project.objects.select_related("namespace")
    if _NUMERIC_ID.fullmatch(ref):
        return projects.filter(pk=int(ref)).first()
    if "/" not in ref:
        return None  # a project always lives in a group
    return projects.filter(full_path__iexact=ref).first()


def group_get_by_ref(ref: str | int) -> Group | None:
    """The group whose id or full path is `ref`, or None."""
    ref = _clean_ref(ref)
    if _NUMERIC_ID.fullmatch(ref):
        return Group.objects.filter(pk=int(ref)).first()
    return Group.objects.filter(full_path__iexact=ref).first()


def groups_in_tree(group: Group) -> QuerySet[Group]:
    """The group and all its descendants."""
    return Group.objects.filter(full_path=group.full_path) | Group.objects.filter(
        full_path__startswith=f"{group.full_path}/"
    )


def projects_in_tree(group: Group) -> QuerySet[Project]:
    """Every project in the group and, recursively, in its subgroups."""
    return Project.objects.filter(namespace__full_path=group.full_path) | Project.objects.filter(
        namespace__full_path__startswith=f"{group.full_path}/"
    )
