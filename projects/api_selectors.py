"""List queries behind the REST API: what a caller may see, filtered as GitLab filters."""

from django.db.models import Q, QuerySet

from projects.access import visible_groups, visible_projects
from projects.models import Group, GroupMember, Project, ProjectMember, User
from projects.principals import Principal
from projects.roles import AccessLevel, Visibility
from projects.selectors import groups_in_tree, projects_in_tree


def users_list(*, username: str | None = None, search: str | None = None) -> QuerySet[User]:
    """Users by exact username or by a search over username, email and name."""
    users = User.objects.order_by("id")
    if username:
        users = users.filter(username__iexact=username)
    if search:
        users = users.filter(
            Q(username__icontains=search) | Q(email__icontains=search) | Q(name__icontains=search)
        )
    return users


def _owned_group_paths(principal: Principal, min_level: int) -> list[str]:
    return list(
        GroupMember.objects.filter(
            user=principal.user, access_level__gte=min_level
        ).values_list("group__full_path", flat=True)
    )


def groups_list(
    *,
    principal: Principal,
    search: str | None = None,
    top_level_only: bool = False,
    min_access_level: int | None = None,
) -> QuerySet[Group]:
    """Groups the caller sees, by name or path search, optionally top-level or by role."""
    groups = visible_groups(principal).order_by("full_path", "id")
    if search:
        groups = groups.filter(Q(name__icontains=search) | Q(path__icontains=search))
    if top_level_only:
        groups = groups.filter(parent__isnull=True)
    if min_access_level is not None:
        paths = _owned_group_paths(principal, min_access_level) if principal.user else []
        tree = Q(pk__in=[])
        for path in paths:
            tree |= Q(full_path=path) | Q(full_path__startswith=f"{path}/")
        groups = groups.filter(tree)
    return groups


def subgroups_list(*, principal: Principal, group: Group, recursive: bool) -> QuerySet[Group]:
    """The direct children (or all descendants) of `group` the caller sees."""
    groups = visible_groups(principal).order_by("full_path", "id")
    if recursive:
        return groups.filter(pk__in=groups_in_tree(group).values("pk")).exclude(pk=group.pk)
    return groups.filter(parent=group)


def projects_list(
    *,
    principal: Principal,
    group: Group | None = None,
    include_subgroups: bool = False,
    search: str | None = None,
    visibility: int | None = None,
    membership: bool = False,
    min_access_level: int | None = None,
) -> QuerySet[Project]:
    """Projects the caller sees, everywhere or in one group (and, if asked, its subgroups)."""
    projects = visible_projects(principal).select_related("namespace").order_by("-id")
    if group is not None:
        if include_subgroups:
            projects = projects.filter(pk__in=projects_in_tree(group).values("pk"))
        else:
            projects = projects.filter(namespace=group)
    if search:
        projects = projects.filter(Q(name__icontains=search) | Q(path__icontains=search))
    if visibility is not None:
        projects = projects.filter(visibility=visibility)
    if membership or min_access_level is not None:
        projects = projects.filter(_membership(principal, min_access_level or AccessLevel.GUEST))
    return projects


def _membership(principal: Principal, min_level: int) -> Q:
    if principal.user is None:
        return Q(pk__in=[])
    member = Q(
        pk__in=ProjectMember.objects.filter(
            user=principal.user, access_level__gte=min_level
        ).values("project_id")
    )
    for path in _owned_group_paths(principal, min_level):
        member |= Q(namespace__full_path=path) | Q(namespace__full_path__startswith=f"{path}/")
    return member


def parse_visibility(name: str | None) -> int | None:
    """A `visibility` filter value as its level, or None when absent."""
    return Visibility.from_name(name) if name else None
