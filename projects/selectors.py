"""Lists of users, groups and projects for the REST API and the web pages, as GitLab filters them.

What a caller may see comes from the access policy's query forms; a single object still goes
through `access_project` / `access_group`.
"""

from django.db.models import Q, QuerySet

from projects.access import (
    member_groups_filter,
    member_projects_filter,
    readable_groups,
    visible_projects,
)
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


def groups_list(
    *,
    principal: Principal,
    search: str | None = None,
    top_level_only: bool = False,
    min_access_level: int | None = None,
) -> QuerySet[Group]:
    """Groups the caller sees, by name or path search, optionally top-level or by role."""
    groups = readable_groups(principal).order_by("full_path", "id")
    if search:
        groups = groups.filter(Q(name__icontains=search) | Q(path__icontains=search))
    if top_level_only:
        groups = groups.filter(parent__isnull=True)
    if min_access_level is not None:
        groups = groups.filter(member_groups_filter(principal, min_level=min_access_level))
    return groups


def namespaces_list(
    *,
    principal: Principal,
    search: str | None = None,
    full_path_search: bool = False,
    owned_only: bool = False,
    top_level_only: bool = False,
) -> QuerySet[Group]:
    """The caller's namespaces as GitLab's GET /namespaces lists them: every group for an
    admin, else the groups the caller is a member of (and their subgroups).

    GitLab lists a user's direct memberships and personal namespace only; subgroups of a
    membership count here because the role holds there too (it is where they create projects).
    There are no personal namespaces in this registry: every namespace is a group.
    """
    groups = readable_groups(principal).order_by("id")
    if owned_only or not principal.is_admin:
        level = AccessLevel.OWNER if owned_only else AccessLevel.GUEST
        groups = groups.filter(member_groups_filter(principal, min_level=level))
    if search and full_path_search:
        groups = groups.filter(full_path__icontains=search)
    elif search:
        groups = groups.filter(Q(name__icontains=search) | Q(path__icontains=search))
    if top_level_only:
        groups = groups.filter(parent__isnull=True)
    return groups


def subgroups_list(*, principal: Principal, group: Group, recursive: bool) -> QuerySet[Group]:
    """The direct children (or all descendants) of `group` the caller sees."""
    groups = readable_groups(principal).order_by("full_path", "id")
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
        min_level = min_access_level or AccessLevel.GUEST
        projects = projects.filter(member_projects_filter(principal, min_level=min_level))
    return projects


def parse_visibility(name: str | None) -> int | None:
    """A `visibility` filter value as its level, or None when absent."""
    return Visibility.from_name(name) if name else None


def projects_visible(principal: Principal, *, search: str = "") -> QuerySet[Project]:
    """Projects the viewer may read (packages_pypi's selectors add what they hold)."""
    projects = visible_projects(principal).select_related("namespace")
    if search:
        projects = projects.filter(Q(name__icontains=search) | Q(full_path__icontains=search))
    return projects.order_by("full_path")


def groups_visible(principal: Principal, *, search: str = "") -> QuerySet[Group]:
    """Groups the viewer may read: shown by visibility, joined, or above something joined."""
    groups = readable_groups(principal)
    if search:
        groups = groups.filter(Q(name__icontains=search) | Q(full_path__icontains=search))
    return groups.order_by("full_path")


def subgroups_visible(principal: Principal, group: Group) -> QuerySet[Group]:
    """The direct subgroups of `group` the viewer may read."""
    return groups_visible(principal).filter(parent=group)


def group_projects_visible(principal: Principal, group: Group) -> QuerySet[Project]:
    """The projects directly in `group` the viewer may read."""
    return projects_visible(principal).filter(namespace=group)


def members_of(subject: Project | Group) -> QuerySet[ProjectMember] | QuerySet[GroupMember]:
    """The direct members of a project or group, with their users, by user id."""
    return subject.members.select_related("user").order_by("user_id")


def member_of(subject: Project | Group, user_id: int | str) -> ProjectMember | GroupMember | None:
    """`user_id`'s direct membership of `subject`, if any."""
    return members_of(subject).filter(user_id=user_id).first()


def user_by_username(username: str) -> User | None:
    """The user with this username, in any letter case (GitLab's usernames are unique so)."""
    return User.objects.filter(username__iexact=username).first()
