"""Read queries for the web UI: which groups and projects a viewer may see (READ_GROUP/PROJECT).

These are `access.can()` turned into one query each, for list pages; a single object still goes
through `access_project` / `access_group`.
"""

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from projects.models import Group, GroupMember, Project, ProjectMember
from projects.principals import Principal
from projects.roles import AccessLevel, Visibility


def _shown_levels(principal: Principal) -> list[int]:
    if principal.user is None:
        return [Visibility.PUBLIC]
    return [Visibility.PUBLIC, Visibility.INTERNAL]


def _memberships(principal: Principal) -> tuple[list[str], list[str]]:
    """Full paths of the groups and of the projects the user is an unexpired member of."""
    unexpired = Q(expires_at__isnull=True) | Q(expires_at__gte=timezone.localdate())
    member = Q(unexpired, user=principal.user, access_level__gte=AccessLevel.GUEST)
    groups = list(GroupMember.objects.filter(member).values_list("group__full_path", flat=True))
    projects = list(
        ProjectMember.objects.filter(member).values_list("project__full_path", flat=True)
    )
    return groups, projects


def _under(field: str, paths: list[str]) -> Q:
    """`field` is one of `paths` or lies below one of them."""
    condition = Q(**{f"{field}__in": paths})
    for path in paths:
        condition |= Q(**{f"{field}__startswith": f"{path}/"})
    return condition


def _ancestors(paths: list[str]) -> set[str]:
    parents = set()
    for path in paths:
        parts = path.split("/")
        parents.update("/".join(parts[:i]) for i in range(1, len(parts)))
    return parents


def projects_visible(principal: Principal, *, search: str = "") -> QuerySet[Project]:
    """Projects the viewer may read, with a count of their installable packages."""
    projects = Project.objects.select_related("namespace").annotate(
        package_count=Count(
            "pypi_packages__normalized_name",
            distinct=True,
            filter=Q(pypi_packages__status__in=(0, 1)),
        )
    )
    if search:
        projects = projects.filter(Q(name__icontains=search) | Q(full_path__icontains=search))
    if principal.user is not None and principal.user.is_blocked:
        return projects.none()
    if not principal.is_admin:
        allowed = Q(visibility__in=_shown_levels(principal))
        if principal.user is not None:
            groups, member_projects = _memberships(principal)
            allowed |= Q(full_path__in=member_projects) | _under("namespace__full_path", groups)
        projects = projects.filter(allowed)
    return projects.order_by("full_path")


def groups_visible(principal: Principal, *, search: str = "") -> QuerySet[Group]:
    """Groups the viewer may read: shown by visibility, joined, or above something joined."""
    groups = Group.objects.all()
    if search:
        groups = groups.filter(Q(name__icontains=search) | Q(full_path__icontains=search))
    if principal.user is not None and principal.user.is_blocked:
        return groups.none()
    if not principal.is_admin:
        allowed = Q(visibility__in=_shown_levels(principal))
        if principal.user is not None:
            member_groups, member_projects = _memberships(principal)
            above = _ancestors(member_groups + member_projects)
            allowed |= _under("full_path", member_groups) | Q(full_path__in=above)
        groups = groups.filter(allowed)
    return groups.order_by("full_path")


def subgroups_visible(principal: Principal, group: Group) -> QuerySet[Group]:
    """The direct subgroups of `group` the viewer may read."""
    return groups_visible(principal).filter(parent=group)


def group_projects_visible(principal: Principal, group: Group) -> QuerySet[Project]:
    """The projects directly in `group` the viewer may read."""
    return projects_visible(principal).filter(namespace=group)
