"""The access policy as query conditions, for lists: each form lists exactly what `can()` allows.

Every list of projects or groups in the API, the web pages and the index starts from one of
these; a selector adds only its own filters (search, ordering, annotations). Each branch here
mirrors one in `access.policy`, and `tests/unit/projects/test_access_queries.py` holds every form
against `can()` for every kind of caller.
"""

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from projects.access.memberships import (
    member_group_paths,
    member_project_ids,
    member_project_paths,
)
from projects.access.policy import (
    PACKAGE_SCOPES,
    Ability,
    can,
    group_role_needed,
    shown_levels,
)
from projects.models import Group, Project, path_prefixes
from projects.principals import Principal, PrincipalKind
from projects.roles import AccessLevel, FeatureAccess

NOTHING = Q(pk__in=[])

if TYPE_CHECKING:
    from auth_tokens.models import CiJob


def _blocked(principal: Principal) -> bool:
    return principal.user is not None and principal.user.is_blocked


def _admin(principal: Principal) -> bool:
    """An administrator acting as themself: a job token of an admin stays within its job."""
    return principal.kind is PrincipalKind.USER and principal.is_admin


def _shown(principal: Principal) -> Q:
    """Shown by visibility alone; a job token counts as signed in, a deploy token does not."""
    return Q(visibility__in=shown_levels(signed_in=principal.user is not None))


def _in_or_below(paths: list[str]) -> Q:
    """A group whose full path is one of `paths` or lies below one of them."""
    condition = Q(full_path__in=paths)
    for path in paths:
        condition |= Q(full_path__startswith=f"{path}/")
    return condition


def _deploy_token_projects(principal: Principal) -> Q:
    """The projects a deploy token reads by its scopes (none without a package scope)."""
    token = principal.deploy_token
    assert token is not None  # a DEPLOY_TOKEN principal always carries its token
    if not set(token.scopes) & PACKAGE_SCOPES:
        return NOTHING
    if token.project_id is not None:
        return Q(pk=token.project_id)
    assert token.group is not None  # a deploy token belongs to a project or a group
    return Q(full_path__startswith=f"{token.group.full_path}/")


def member_projects_filter(principal: Principal, *, min_level: int = AccessLevel.GUEST) -> Q:
    """Projects `principal`'s user holds at least `min_level` in (directly or through a group),
    as a condition on Project fields: `access_level(principal, project) >= min_level`.

    One query now (the group paths); the project memberships stay a subquery.
    """
    if principal.user is None:
        return NOTHING
    member = Q(pk__in=member_project_ids(principal.user, min_level=min_level))
    for path in member_group_paths(principal.user, min_level=min_level):
        # A project's full path starts with every group above it.
        member |= Q(full_path__startswith=f"{path}/")
    return member


def member_groups_filter(principal: Principal, *, min_level: int = AccessLevel.GUEST) -> Q:
    """Groups `principal`'s user holds at least `min_level` in (directly or from a group above),
    as a condition on Group fields: `access_level(principal, group) >= min_level` (one query)."""
    if principal.user is None:
        return NOTHING
    return _in_or_below(member_group_paths(principal.user, min_level=min_level))


def groups_allowing(principal: Principal, ability: Ability) -> QuerySet[Group]:
    """The groups where a user may do a role-granted write `ability` (create a project or a
    subgroup, administer): `can(principal, ability, group)` as one query, for a form's choices.
    Not for reads, which visibility grants too (`readable_groups`).

    Only a signed-in person acting as themself gets any: tokens never create groups or projects
    through the web forms, and deploy and job tokens hold no such ability at all.
    """
    needed = group_role_needed(ability)
    if principal.kind is not PrincipalKind.USER or _blocked(principal) or needed is None:
        return Group.objects.none()
    if _admin(principal):
        return Group.objects.all()
    return Group.objects.filter(member_groups_filter(principal, min_level=needed))


def visible_projects(principal: Principal) -> QuerySet[Project]:
    """Every project `principal` may see (READ_PROJECT), as one query for the lists."""
    projects = Project.objects.all()
    if _blocked(principal):
        return projects.none()
    if _admin(principal):
        return projects
    allowed = _shown(principal)
    if principal.kind is PrincipalKind.DEPLOY_TOKEN:
        allowed |= _deploy_token_projects(principal)
    elif principal.kind is PrincipalKind.TRUSTED_PUBLISHER:
        allowed |= _publishing_token_project(principal)
    elif principal.kind is PrincipalKind.JOB:
        # Outside its own project a job sees what visibility shows, as a signed-in user.
        job = _job_of(principal)
        if can(principal, Ability.READ_PROJECT, job.project):
            allowed |= Q(pk=job.project_id)
    elif principal.user is not None:
        allowed |= member_projects_filter(principal)
    return projects.filter(allowed)


def readable_groups(principal: Principal) -> QuerySet[Group]:
    """Every group `principal` may see (READ_GROUP): shown ones, its groups and their trees,
    and the groups above anything it is a member of."""
    groups = Group.objects.all()
    if _blocked(principal):
        return groups.none()
    if _admin(principal):
        return groups
    allowed = _shown(principal)
    if principal.kind is PrincipalKind.DEPLOY_TOKEN:
        token = principal.deploy_token
        assert token is not None  # a DEPLOY_TOKEN principal always carries its token
        if token.group is not None and set(token.scopes) & PACKAGE_SCOPES:
            allowed |= _in_or_below([token.group.full_path])
    elif principal.kind is PrincipalKind.JOB:
        # A job reads the groups above its own project, for that project's packages' sake.
        project = _job_of(principal).project
        if can(principal, Ability.READ_PACKAGE, project):
            allowed |= Q(full_path__in=path_prefixes(project.full_path)[:-1])
    elif principal.user is not None:
        group_paths = member_group_paths(principal.user)
        project_paths = member_project_paths(principal.user)
        above = {
            path
            for member_path in group_paths + project_paths
            for path in path_prefixes(member_path)[:-1]
        }
        allowed |= _in_or_below(group_paths) | Q(full_path__in=sorted(above))
    return groups.filter(allowed)


def readable_projects(principal: Principal, group: Group) -> QuerySet[Project]:
    """Projects in `group`'s tree whose packages `principal` may read: `can()` as one query."""
    return Project.objects.filter(readable_projects_filter(principal, group))


def readable_projects_filter(principal: Principal, group: Group) -> Q:
    """`readable_projects` as a condition on Project fields, to apply through a relation.

    A query driven from packages (by name or digest) can then test just the projects it
    meets, instead of listing every project of a large group first.
    """
    return readable_under_filter(principal, full_path=group.full_path)


def readable_under_filter(principal: Principal, *, full_path: str) -> Q:
    """`readable_projects_filter` for the group at `full_path`, without loading the group."""
    return Q(full_path__startswith=f"{full_path}/") & packages_readable_filter(principal)


def packages_readable_filter(principal: Principal) -> Q:
    """Projects anywhere whose packages `principal` may read (READ_PACKAGE), as a condition."""
    registry_on = ~Q(package_registry_access_level=FeatureAccess.DISABLED)
    if _blocked(principal):
        return NOTHING
    if _admin(principal):
        return registry_on
    return registry_on & _packages_readable(principal)


def _packages_readable(principal: Principal) -> Q:
    """READ_PACKAGE on a project whose registry is not disabled."""
    enabled = Q(package_registry_access_level=FeatureAccess.ENABLED)
    allowed = Q(package_registry_access_level=FeatureAccess.PUBLIC) | (enabled & _shown(principal))
    if principal.kind is PrincipalKind.DEPLOY_TOKEN:
        return allowed | _deploy_token_projects(principal)
    if principal.kind is PrincipalKind.TRUSTED_PUBLISHER:
        return allowed | _publishing_token_project(principal)
    if principal.kind is PrincipalKind.JOB:
        job = _job_of(principal)
        if can(principal, Ability.READ_PACKAGE, job.project):
            allowed |= Q(pk=job.project_id)
        return allowed
    if principal.user is not None:
        allowed |= member_projects_filter(principal)
    return allowed


def _publishing_token_project(principal: Principal) -> Q:
    """A minted token's one project (it reads that project's packages, issue 13)."""
    token = principal.publishing_token
    assert token is not None  # a TRUSTED_PUBLISHER principal always carries its token
    return Q(pk=token.project_id)


def _job_of(principal: Principal) -> "CiJob":
    assert principal.job is not None  # a JOB principal always carries its job
    return principal.job


def quarantine_readers_filter(principal: Principal) -> Q:
    """The projects whose quarantined package names `principal` may read (READ_QUARANTINED:
    maintainers and above, and administrators), as a condition on Project fields."""
    if _blocked(principal) or principal.kind is PrincipalKind.DEPLOY_TOKEN:
        return NOTHING
    if principal.kind is PrincipalKind.JOB:
        job = _job_of(principal)
        if can(principal, Ability.READ_QUARANTINED, job.project):
            return Q(pk=job.project_id)
        return NOTHING
    # Never empty, even for an admin: an empty Q would vanish when OR-ed into a condition.
    registry_on = ~Q(package_registry_access_level=FeatureAccess.DISABLED)
    if _admin(principal):
        return registry_on
    return registry_on & member_projects_filter(principal, min_level=AccessLevel.MAINTAINER)
