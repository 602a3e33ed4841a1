"""The one access policy: `can()` for every kind of caller, and the 401/403/404 decision.

Its query forms (the same rules as conditions, for lists) are in `access.queries`; who is a
member of what, expiry included, in `access.memberships`.

Rules are GitLab's (spec gitlab-pypi.md §2.2-2.5): visibility grants reads, roles grant the rest,
deploy tokens act by scope on their project or group tree, CI job tokens act as their job's user
within their job's project, a trusted publisher's minted token uploads to and reads its one
project, and blocked users can do nothing.
"""

import enum
from collections.abc import Iterable
from typing import TYPE_CHECKING

from projects.access.memberships import has_membership_below, member_level
from projects.lookups import group_get_by_ref, project_get_by_ref
from projects.models import Group, Project, User, path_prefixes
from projects.principals import Principal, PrincipalKind
from projects.roles import AccessLevel, FeatureAccess, Visibility
from registry.http.exceptions import Forbidden, NotFound, Unauthorized

if TYPE_CHECKING:
    # Types only: auth_tokens sits above projects, so the policy never imports it at run time.
    from auth_tokens.models import CiJob, DeployToken, PublishingToken

READ_PACKAGE_REGISTRY = "read_package_registry"
WRITE_PACKAGE_REGISTRY = "write_package_registry"
PACKAGE_SCOPES = frozenset({READ_PACKAGE_REGISTRY, WRITE_PACKAGE_REGISTRY})


class Ability(enum.StrEnum):
    READ_PROJECT = "read_project"
    READ_GROUP = "read_group"
    READ_PACKAGE = "read_package"
    CREATE_PACKAGE = "create_package"
    DESTROY_PACKAGE = "destroy_package"
    ADMIN_PROJECT = "admin_project"
    ADMIN_GROUP = "admin_group"
    CREATE_PROJECT = "create_projects"
    CREATE_SUBGROUP = "create_subgroup"
    REMOVE_PROJECT = "remove_project"
    # Package lifecycle (issue 12).
    YANK_PACKAGE = "yank_package"
    ADMIN_PACKAGE = "admin_package"  # GitLab's: status, protection rules, cleanup policy
    READ_QUARANTINED = "read_quarantined_package"
    QUARANTINE_PACKAGE = "quarantine_package"  # set or lift a quarantine: admins only


WRITE_ABILITIES = frozenset(
    {Ability.CREATE_PACKAGE, Ability.DESTROY_PACKAGE, Ability.ADMIN_PROJECT, Ability.ADMIN_GROUP,
     Ability.CREATE_PROJECT, Ability.CREATE_SUBGROUP, Ability.REMOVE_PROJECT,
     Ability.YANK_PACKAGE, Ability.ADMIN_PACKAGE, Ability.QUARANTINE_PACKAGE}
)

# The least role each ability needs from a member (guests pull packages: GitLab's
# allow_guest_plus_roles_to_pull_packages, which its own tests run with).
_PROJECT_ROLE_NEEDED = {
    Ability.READ_PROJECT: AccessLevel.GUEST,
    Ability.READ_PACKAGE: AccessLevel.GUEST,
    Ability.CREATE_PACKAGE: AccessLevel.DEVELOPER,
    Ability.DESTROY_PACKAGE: AccessLevel.MAINTAINER,
    Ability.ADMIN_PROJECT: AccessLevel.MAINTAINER,
    Ability.REMOVE_PROJECT: AccessLevel.OWNER,
    Ability.YANK_PACKAGE: AccessLevel.MAINTAINER,
    Ability.ADMIN_PACKAGE: AccessLevel.MAINTAINER,
    Ability.READ_QUARANTINED: AccessLevel.MAINTAINER,
}
# Abilities no role grants: only administrators have them.
_ADMIN_ONLY = frozenset({Ability.QUARANTINE_PACKAGE})
_GROUP_ROLE_NEEDED = {
    Ability.READ_GROUP: AccessLevel.GUEST,
    Ability.READ_PACKAGE: AccessLevel.GUEST,
    Ability.DESTROY_PACKAGE: AccessLevel.MAINTAINER,
    Ability.ADMIN_GROUP: AccessLevel.OWNER,
    # GitLab's defaults: project_creation_level and subgroup_creation_level are Maintainer.
    Ability.CREATE_PROJECT: AccessLevel.MAINTAINER,
    Ability.CREATE_SUBGROUP: AccessLevel.MAINTAINER,
}
_PACKAGE_ABILITIES = frozenset(
    {Ability.READ_PACKAGE, Ability.CREATE_PACKAGE, Ability.DESTROY_PACKAGE,
     Ability.YANK_PACKAGE, Ability.ADMIN_PACKAGE, Ability.READ_QUARANTINED,
     Ability.QUARANTINE_PACKAGE}
)
# A minted token: upload and read_package_registry on its project, as pypi.org's (issue 13).
_PUBLISHING_ABILITIES = frozenset(
    {Ability.READ_PROJECT, Ability.READ_PACKAGE, Ability.CREATE_PACKAGE}
)


def can(principal: Principal, ability: Ability, subject: Project | Group) -> bool:
    """Whether `principal` may do `ability` to `subject` (a project or a group)."""
    if principal.user is not None and principal.user.is_blocked:
        return False
    if isinstance(subject, Project):
        return _can_on_project(principal, ability, subject)
    return _can_on_group(principal, ability, subject)


def _can_on_project(principal: Principal, ability: Ability, project: Project) -> bool:
    if ability in _PACKAGE_ABILITIES and not project.packages_enabled:
        return False
    if principal.kind is PrincipalKind.DEPLOY_TOKEN:
        return _deploy_token_can(principal, ability, project) or _member_can(
            ability, project, AccessLevel.NO_ACCESS, signed_in=False
        )
    if principal.kind is PrincipalKind.TRUSTED_PUBLISHER:
        # Elsewhere it sees what anyone sees: it is nobody's session.
        own = _publishing_token_of(principal).project_id == project.pk
        return (own and ability in _PUBLISHING_ABILITIES) or _member_can(
            ability, project, AccessLevel.NO_ACCESS, signed_in=False
        )
    if principal.kind is PrincipalKind.JOB and _job_of(principal).project_id != project.pk:
        # Outside its own project a job token sees only what visibility shows.
        return ability in {Ability.READ_PROJECT, Ability.READ_PACKAGE} and _member_can(
            ability, project, AccessLevel.NO_ACCESS, signed_in=True
        )
    if principal.is_admin:
        return ability in _PROJECT_ROLE_NEEDED or ability in _ADMIN_ONLY
    level = access_level(principal, project)
    return _member_can(ability, project, level, signed_in=principal.user is not None)


def _member_can(ability: Ability, project: Project, level: int, *, signed_in: bool) -> bool:
    """The project rule for a user with role `level` (NO_ACCESS for non-members)."""
    shown = _visible(project.visibility, signed_in=signed_in)
    if ability is Ability.READ_PROJECT:
        return shown or level >= AccessLevel.GUEST
    if ability is Ability.READ_PACKAGE:
        registry = project.package_registry_access_level
        if registry == FeatureAccess.PUBLIC or level >= AccessLevel.GUEST:
            return True
        return registry == FeatureAccess.ENABLED and shown
    needed = _PROJECT_ROLE_NEEDED.get(ability)
    return needed is not None and level >= needed


def _can_on_group(principal: Principal, ability: Ability, group: Group) -> bool:
    if principal.kind is PrincipalKind.DEPLOY_TOKEN:
        return _deploy_token_can(principal, ability, group) or (
            ability in {Ability.READ_GROUP, Ability.READ_PACKAGE}
            and _visible(group.visibility, signed_in=False)
        )
    if principal.kind is PrincipalKind.JOB:
        return _job_can_on_group(principal, ability, group)
    if principal.kind is PrincipalKind.TRUSTED_PUBLISHER:
        return ability in {Ability.READ_GROUP, Ability.READ_PACKAGE} and _visible(
            group.visibility, signed_in=False
        )
    if principal.is_admin:
        return ability in _GROUP_ROLE_NEEDED
    signed_in = principal.user is not None
    level = access_level(principal, group)
    if ability in {Ability.READ_GROUP, Ability.READ_PACKAGE}:
        if _visible(group.visibility, signed_in=signed_in) or level >= AccessLevel.GUEST:
            return True
        # A member of something inside a private group may see the group itself.
        if ability is Ability.READ_GROUP and principal.user is not None:
            return has_membership_below(principal.user, group.full_path)
        return False
    needed = _GROUP_ROLE_NEEDED.get(ability)
    return needed is not None and level >= needed


def _job_can_on_group(principal: Principal, ability: Ability, group: Group) -> bool:
    """A job token reads a group only for its own project's sake, or what visibility shows.

    Deliberate difference from GitLab, whose group routes skip job-token policies and so let
    a job read every project its user can: here a job stays within its project everywhere.
    """
    if ability not in {Ability.READ_GROUP, Ability.READ_PACKAGE}:
        return False
    if _visible(group.visibility, signed_in=True):
        return True
    project = _job_of(principal).project
    inside = project.full_path.startswith(f"{group.full_path}/")
    return inside and _can_on_project(principal, Ability.READ_PACKAGE, project)


def shown_levels(*, signed_in: bool) -> tuple[int, ...]:
    """The visibility levels a caller sees without any role: the one definition of it."""
    if signed_in:
        return (Visibility.PUBLIC, Visibility.INTERNAL)
    return (Visibility.PUBLIC,)


def _visible(visibility: int, *, signed_in: bool) -> bool:
    return visibility in shown_levels(signed_in=signed_in)


def _deploy_token_of(principal: Principal) -> "DeployToken":
    # A DEPLOY_TOKEN principal always carries its token (Principal.for_deploy_token).
    assert principal.deploy_token is not None
    return principal.deploy_token


def _job_of(principal: Principal) -> "CiJob":
    # A JOB principal always carries its job (Principal.for_job).
    assert principal.job is not None
    return principal.job


def _publishing_token_of(principal: Principal) -> "PublishingToken":
    # A TRUSTED_PUBLISHER principal always carries its token (Principal.for_publishing_token).
    assert principal.publishing_token is not None
    return principal.publishing_token


def _deploy_token_group(token: "DeployToken") -> Group:
    # deploy_token_has_one_owner: a token without a project has a group.
    assert token.group is not None
    return token.group


def _deploy_token_can(principal: Principal, ability: Ability, subject: Project | Group) -> bool:
    token = _deploy_token_of(principal)
    if not _deploy_token_covers(principal, subject):
        return False
    scopes = set(token.scopes)
    if ability in {Ability.READ_PROJECT, Ability.READ_GROUP, Ability.READ_PACKAGE}:
        return bool(scopes & PACKAGE_SCOPES)
    if ability in {Ability.CREATE_PACKAGE, Ability.DESTROY_PACKAGE, Ability.YANK_PACKAGE}:
        return isinstance(subject, Project) and WRITE_PACKAGE_REGISTRY in scopes
    return False


def _deploy_token_covers(principal: Principal, subject: Project | Group) -> bool:
    """A project token covers its project; a group token its group and everything below."""
    token = _deploy_token_of(principal)
    if token.project_id is not None:
        return isinstance(subject, Project) and subject.pk == token.project_id
    root = _deploy_token_group(token).full_path
    return subject.full_path == root or subject.full_path.startswith(f"{root}/")


def access_level(principal: Principal, subject: Project | Group) -> int:
    """The user's highest unexpired role on `subject`, inherited down the group tree."""
    user = principal.user
    if user is None:
        return AccessLevel.NO_ACCESS
    key = (type(subject).__name__, subject.pk)
    if key not in principal.levels:
        principal.levels[key] = _compute_access_level(user, subject)
    return principal.levels[key]


def _compute_access_level(user: User, subject: Project | Group) -> int:
    groups = path_prefixes(subject.full_path)
    project_id = None
    if isinstance(subject, Project):
        groups, project_id = groups[:-1], subject.pk  # the last path is the project itself
    level = member_level(user_id=user.pk, group_paths=groups, project_id=project_id)
    return AccessLevel.NO_ACCESS if level is None else level


def member_change_allowed(
    principal: Principal, subject: Project | Group, *, old_level: int | None,
    new_level: int | None,
) -> bool:
    """Whether `principal` may move a member of `subject` from `old_level` to `new_level`.

    `old_level` None is a new member, `new_level` None a removal. GitLab's rules: nobody grants
    a level above their own, and only Owners (and admins) add, change or remove an Owner.
    Managing members at all is a separate ability (ADMIN_PROJECT / ADMIN_GROUP).
    """
    if principal.user is None or principal.user.is_blocked:
        return False
    if principal.is_admin:
        return True
    own = access_level(principal, subject)
    if AccessLevel.OWNER in (old_level, new_level) and own < AccessLevel.OWNER:
        return False
    return new_level is None or new_level <= own


def access_member_change(
    principal: Principal, subject: Project | Group, *, old_level: int | None,
    new_level: int | None,
) -> None:
    """Raise Forbidden (GitLab's 403) unless `member_change_allowed`."""
    if not member_change_allowed(principal, subject, old_level=old_level, new_level=new_level):
        if AccessLevel.OWNER in (old_level, new_level):
            raise Forbidden("only an Owner can add, change or remove an Owner")
        raise Forbidden("a member cannot be given a higher access level than your own")


# What a personal access token may hand on when it creates or rotates a token: its own scopes,
# and for `api` every scope but the two that reach past its own user (GitLab's sudo and
# admin_mode). A read_api token never gets this far: it cannot POST at all.
_BEYOND_API = frozenset({"sudo", "admin_mode"})


def scopes_grantable(principal: Principal, scopes: Iterable[str]) -> bool:
    """Whether `principal` may issue a personal access token with `scopes`.

    A signed-in session acts as its user; a personal access token only within its own scopes;
    deploy tokens and job tokens never issue personal access tokens.
    """
    if principal.user is None or principal.kind is not PrincipalKind.USER:
        return False
    token = principal.personal_access_token
    if token is None:
        return True
    wanted = set(scopes) - set(token.scopes)
    if not wanted:
        return True
    return "api" in token.scopes and not wanted & _BEYOND_API


def job_user_allowed(principal: Principal, project: Project, user: User) -> bool:
    """Whether `principal` may start a CI job in `project` that acts as `user`.

    A job token carries its user's rights in the project, so a maintainer may not start one
    for an admin, or for anyone whose level in the project is above the maintainer's own.
    """
    if principal.is_admin:
        return True
    if user.is_admin:
        return False
    job_user = Principal.for_user(user)
    return access_level(job_user, project) <= access_level(principal, project)


# GitLab's number for an administrator in protection rules (Gitlab::Access::ADMIN).
ADMIN_LEVEL = 60


def package_protection_allows(
    principal: Principal, project: Project, *, minimum_level: int | None
) -> bool:
    """Whether a package protection rule asking for `minimum_level` lets `principal` act.

    GitLab's rule: blocked when the caller's level is below the minimum (None: no rule);
    administrators count as 60; a job token is judged as its user; a deploy token has no
    level and is always blocked by a matching rule (gitlab-pypi.md §3.5).
    """
    if minimum_level is None:
        return True
    if principal.user is None or principal.user.is_blocked:
        # A deploy token carries no user: a matching rule always refuses it.
        return False
    level = ADMIN_LEVEL if principal.is_admin else access_level(principal, project)
    return level >= minimum_level


def access_project(principal: Principal, ref: str | int, ability: Ability) -> Project:
    """The project `ref` names, if `principal` may do `ability` to it.

    Raises NotFound when it is missing or hidden from a signed-in caller, Unauthorized (with the
    Basic challenge) for an anonymous caller, Forbidden when it is visible but not allowed.
    """
    project = project_get_by_ref(ref)
    if project is None:
        raise NotFound("Project")
    if can(principal, ability, project):
        return project
    _deny(principal, ability, can_see=can(principal, Ability.READ_PROJECT, project), what="Project")
    raise AssertionError("unreachable")  # pragma: no cover


def group_role_needed(ability: Ability) -> int | None:
    """The least role a member needs in a group for `ability` (None: no role grants it)."""
    return _GROUP_ROLE_NEEDED.get(ability)


def _members_ability(subject: type[Project] | type[Group], *, manage: bool) -> Ability:
    # A project's maintainers manage its members, a group's owners the group's (GitLab's
    # admin_project_member / admin_group_member); whoever reads the thing sees its members.
    if subject is Project:
        return Ability.ADMIN_PROJECT if manage else Ability.READ_PROJECT
    return Ability.ADMIN_GROUP if manage else Ability.READ_GROUP


def can_manage_members(principal: Principal, subject: Project | Group) -> bool:
    """Whether `principal` may add, change and remove members of `subject` at all."""
    return can(principal, _members_ability(type(subject), manage=True), subject)


def access_members_of(
    principal: Principal, kind: str, ref: str | int, *, manage: bool
) -> Project | Group:
    """The project (`kind` "projects") or group whose members `principal` may list, or with
    `manage` add, change and remove; raises as access_project."""
    if kind == "projects":
        return access_project(principal, ref, _members_ability(Project, manage=manage))
    return access_group(principal, ref, _members_ability(Group, manage=manage))


def access_group(principal: Principal, ref: str | int, ability: Ability) -> Group:
    """The group `ref` names, if `principal` may do `ability` to it; raises as access_project."""
    group = group_get_by_ref(ref)
    if group is None:
        raise NotFound("Group")
    if can(principal, ability, group):
        return group
    _deny(principal, ability, can_see=can(principal, Ability.READ_GROUP, group), what="Group")
    raise AssertionError("unreachable")  # pragma: no cover


def _deny(principal: Principal, ability: Ability, *, can_see: bool, what: str) -> None:
    """GitLab's status rules (spec §2.5): the one place they live."""
    if not can_see:
        # A private thing must not be told apart from a missing one by a signed-in caller;
        # anonymous callers get the challenge so that pip retries with credentials.
        raise Unauthorized() if principal.is_anonymous else NotFound(what)
    if principal.is_anonymous and ability in WRITE_ABILITIES:
        raise Unauthorized()
    raise Forbidden()
