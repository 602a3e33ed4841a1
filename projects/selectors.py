"""Lists of users, groups and projects for the REST API and the web pages, as GitLab filters them.

What a caller may see comes from the access policy's query forms; a single object still goes
through `access_project` / `access_group`.
"""

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from projects.access import visible_groups, visible_projects
from projects.lookups import groups_in_tree, projects_in_tree
from projects.models import Group, GroupMember, Project, ProjectMember, User
from projects.principals import Principal
from projects.roles import AccessLevel, Visibility


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
    parents: set[str] = set()
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
