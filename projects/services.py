"""Write-side operations on users, groups, projects and memberships."""

import datetime
import re
from typing import TypedDict, Unpack

from django.db import IntegrityError, transaction
from django.db.models import Q, Value
from django.db.models.functions import Concat, Substr

from projects.access.memberships import unexpired
from projects.audit.services import audit_event_record
from projects.cleanup import projects_deleting
from projects.lookups import projects_in_tree
from projects.models import (
    ApplicationSettings,
    Group,
    GroupMember,
    Project,
    ProjectMember,
    User,
    path_prefixes,
)
from projects.principals import Principal
from projects.roles import AccessLevel, Visibility
from registry.http.exceptions import BadRequest, Conflict, Forbidden

_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
# Segments our routes use after an id: a group or project with such a path would make
# `/api/v4/projects/<full path>/packages/...` ambiguous (gitlab-api-v4.md §3).
RESERVED_PATHS = frozenset({"-", "api", "packages", "pypi", "simple", "files", "members",
                            "deploy_tokens", "subgroups", "descendant_groups", "projects",
                            "users", "groups", "static", "admin", "_",
                            # Pages: `/<group>/<project>/edit`, `/groups/new` (GitLab's too).
                            "edit", "new"})


class UserChanges(TypedDict, total=False):
    """What `user_update` may change; a key left out (or None) stays as it is."""

    username: str | None
    email: str | None
    name: str | None
    password: str | None
    admin: bool | None
    state: str | None


class NamespaceChanges(TypedDict, total=False):
    """What `group_update` and `project_update` may change (partial)."""

    name: str | None
    path: str | None
    visibility: int | None
    description: str | None
    # The upstream proxy's overrides (groups only; None inherits).
    pypi_package_requests_forwarding: bool | None
    pypi_package_requests_forwarding_mode: str | None
    pypi_upstream_min_release_age_hours: int | None
    pypi_upstream_allowlist_only: bool | None
    pypi_upstream_blocklist: str
    pypi_upstream_allowlist: str
    pypi_upstream_age_exemptions: str


_GROUP_UPSTREAM_FIELDS = (
    "pypi_package_requests_forwarding", "pypi_package_requests_forwarding_mode",
    "pypi_upstream_min_release_age_hours", "pypi_upstream_allowlist_only",
    "pypi_upstream_blocklist", "pypi_upstream_allowlist", "pypi_upstream_age_exemptions",
)


# GitLab's validation messages, as its pages show them next to the field.
_PATH_INVALID = ("Path can contain only letters, digits, '_', '-' and '.'. Cannot start with "
                 "'-', end in '.git' or end in '.atom'")
PATH_TAKEN = "Path has already been taken"


def _check_path(path: str) -> None:
    if not _PATH.fullmatch(path) or path.endswith((".git", ".atom")) or path.endswith("."):
        raise BadRequest(f"path is invalid: {path!r}", field="path", field_message=_PATH_INVALID)
    if path.lower() in RESERVED_PATHS:
        raise BadRequest(f"path {path!r} is reserved", field="path",
                         field_message=f"Path {path} is a reserved name")


def _check_visibility(visibility: int, parent: Group | None) -> None:
    # GitLab: a child is never more visible than the group that holds it.
    if parent is not None and visibility > parent.visibility:
        wanted, allowed = Visibility(visibility).label, Visibility(parent.visibility).label
        raise BadRequest(
            f"visibility {wanted} is not allowed since the group has a {allowed} visibility",
            field="visibility",
            field_message=f"Visibility level {wanted} is not allowed since the parent group "
                          f"has {'an' if allowed == 'internal' else 'a'} {allowed} visibility.",
        )


def user_create(
    *,
    username: str,
    email: str,
    name: str = "",
    password: str | None = None,
    is_admin: bool = False,
) -> User:
    """Create an active user; raises Conflict when the username or email is taken."""
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict("Username has already been taken")
    if email and User.objects.filter(email__iexact=email).exists():
        raise Conflict("Email has already been taken")
    user = User(username=username, email=email, name=name or username)
    user.is_superuser = user.is_staff = is_admin
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def group_create(
    *,
    name: str,
    path: str,
    parent: Group | None = None,
    visibility: int = Visibility.PRIVATE,
    description: str = "",
    creator: User | None = None,
) -> Group:
    """Create a group (a subgroup when `parent` is given); its creator becomes its owner."""
    _check_path(path)
    _check_visibility(visibility, parent)
    full_path = f"{parent.full_path}/{path}" if parent else path
    if Group.objects.filter(full_path__iexact=full_path).exists():
        raise BadRequest("Failed to save group {:path=>[\"has already been taken\"]}",
                         field="path", field_message=PATH_TAKEN)
    try:
        with transaction.atomic():
            group = Group.objects.create(
                name=name, path=path, parent=parent, full_path=full_path,
                visibility=visibility, description=description,
            )
    except IntegrityError as error:
        raise BadRequest("path has already been taken", field="path",
                         field_message=PATH_TAKEN) from error
    if creator is not None:
        GroupMember.objects.create(group=group, user=creator, access_level=AccessLevel.OWNER)
    return group


@transaction.atomic
def project_create(
    *,
    name: str,
    path: str,
    namespace: Group,
    visibility: int = Visibility.PRIVATE,
    description: str = "",
) -> Project:
    """Create a project in `namespace`."""
    _check_path(path)
    _check_visibility(visibility, namespace)
    full_path = f"{namespace.full_path}/{path}"
    if Project.objects.filter(Q(full_path__iexact=full_path)).exists() or Group.objects.filter(
        full_path__iexact=full_path
    ).exists():
        raise BadRequest("path has already been taken", field="path", field_message=PATH_TAKEN)
    try:
        with transaction.atomic():
            return Project.objects.create(
                name=name, path=path, namespace=namespace, full_path=full_path,
                visibility=visibility, description=description,
            )
    except IntegrityError as error:
        raise BadRequest("path has already been taken", field="path",
                         field_message=PATH_TAKEN) from error


Actor = Principal | User | None  # who acts, for the audit log (None: the system)


def _level_name(level: int | None) -> str:
    return AccessLevel(level).label if level is not None else ""


@transaction.atomic
def member_add(
    *, subject: Project | Group, user: User, access_level: int, actor: Actor = None
) -> ProjectMember | GroupMember:
    """Give `user` the role `access_level` on a project or group (replacing an earlier one)."""
    if access_level not in AccessLevel.values or access_level == AccessLevel.NO_ACCESS:
        raise BadRequest("access_level does not have a valid value")
    member: ProjectMember | GroupMember
    members = ProjectMember if isinstance(subject, Project) else GroupMember
    old = members.objects.filter(**{_member_owner(subject): subject, "user": user}).first()
    if isinstance(subject, Project):
        member, _ = ProjectMember.objects.update_or_create(
            project=subject, user=user, defaults={"access_level": access_level}
        )
    else:
        member, _ = GroupMember.objects.update_or_create(
            group=subject, user=user, defaults={"access_level": access_level}
        )
    if old is None:
        _member_event(actor, member, "member_created", f"Added {user.username} as "
                      f"{_level_name(access_level)}", {"add": "user_access",
                                                         "as": _level_name(access_level)})
    elif old.access_level != access_level:
        _member_changed(actor, member, old.access_level)
    return member


def _member_owner(subject: Project | Group) -> str:
    return "project" if isinstance(subject, Project) else "group"


def _member_subject(member: ProjectMember | GroupMember) -> Project | Group:
    return member.project if isinstance(member, ProjectMember) else member.group


def _member_event(
    actor: Actor, member: ProjectMember | GroupMember, event_name: str, message: str,
    details: dict[str, object],
) -> None:
    audit_event_record(
        author=actor, entity=_member_subject(member), event_name=event_name, message=message,
        target=member.user, target_details=member.user.username, details=details,
    )


def member_change_record(
    *, actor: Actor, member: ProjectMember | GroupMember, old_level: int | None,
    removed: bool = False,
) -> None:
    """Record a membership change made outside these services (the Django admin's inlines):
    `old_level` None is a new member, `removed` a deletion."""
    level = _level_name(member.access_level)
    if removed:
        _member_event(actor, member, "member_destroyed", f"Removed {member.user.username}",
                      {"remove": "user_access", "as": level})
    elif old_level is None:
        _member_event(actor, member, "member_created",
                      f"Added {member.user.username} as {level}", {"add": "user_access",
                                                                   "as": level})
    elif old_level != member.access_level:
        _member_changed(actor, member, old_level)


def _member_changed(actor: Actor, member: ProjectMember | GroupMember, old_level: int) -> None:
    old, new = _level_name(old_level), _level_name(member.access_level)
    _member_event(actor, member, "member_updated",
                  f"Changed access level of {member.user.username} from {old} to {new}",
                  {"change": "access_level", "from": old, "to": new})


def _check_unique_user(user: User, *, username: str | None, email: str | None) -> None:
    others = User.objects.exclude(pk=user.pk)
    if username and others.filter(username__iexact=username).exists():
        raise Conflict("Username has already been taken")
    if email and others.filter(email__iexact=email).exists():
        raise Conflict("Email has already been taken")


@transaction.atomic
def user_update(*, user: User, **fields: Unpack[UserChanges]) -> User:
    """Change a user's username, email, name, password, admin flag or state (partial)."""
    _check_unique_user(user, username=fields.get("username"), email=fields.get("email"))
    for name in ("username", "email", "name", "state"):
        if (value := fields.get(name)) is not None:
            setattr(user, name, value)
    if (admin := fields.get("admin")) is not None:
        user.is_superuser = user.is_staff = bool(admin)
    if password := fields.get("password"):
        user.set_password(str(password))
    user.save()
    return user


def user_block(*, user: User, by: User) -> bool:
    """Block `user` (they can do nothing from the next request on); False if already blocked.

    Raises Forbidden when an admin tries to block themself (GitLab's rule: the API caller
    cannot lock itself out).
    """
    if user.pk == by.pk:
        raise Forbidden("The API initiating user cannot be blocked by the API")
    # One UPDATE on the row every request reads afresh (no process keeps users in memory),
    # so every app server refuses the user from its next request on.
    changed = User.objects.filter(pk=user.pk).exclude(state=User.State.BLOCKED).update(
        state=User.State.BLOCKED
    )
    user.state = User.State.BLOCKED
    return bool(changed)


def user_unblock(*, user: User) -> bool:
    """Let a blocked user in again; False if they were not blocked.

    Raises Forbidden for a deactivated user (`is_active` off in the admin), as GitLab does:
    unblocking must not quietly reactivate them.
    """
    if not user.is_active:
        raise Forbidden("Deactivated users cannot be unblocked by the API")
    changed = User.objects.filter(pk=user.pk, state=User.State.BLOCKED).update(
        state=User.State.ACTIVE
    )
    user.state = User.State.ACTIVE
    return bool(changed)


@transaction.atomic
def user_delete(*, user: User) -> None:
    """Delete a user with their tokens and memberships; their packages stay in the projects."""
    user.delete()


def _retree(old: str, new: str) -> None:
    """Rewrite the denormalised full paths below `old` after a move or rename to `new`."""
    # One UPDATE per table, however large the subtree (SUBSTR counts from 1).
    for model in (Group, Project):
        model.objects.filter(Q(full_path=old) | Q(full_path__startswith=f"{old}/")).update(
            full_path=Concat(Value(new), Substr("full_path", len(old) + 1))
        )


def _check_children_visibility(group: Group, visibility: int) -> None:
    # GitLab refuses to make a group less visible than a subgroup or project inside it.
    label = Visibility(visibility).label
    if group.children.filter(visibility__gt=visibility).exists():
        raise BadRequest(
            f"visibility {label} is not allowed since there are sub-groups with higher "
            "visibility", field="visibility",
            field_message=f"Visibility level {label} is not allowed since there are "
                          "sub-groups with higher visibility.",
        )
    if group.projects.filter(visibility__gt=visibility).exists():
        raise BadRequest(
            f"visibility {label} is not allowed since this group contains projects with "
            "higher visibility", field="visibility",
            field_message=f"Visibility level {label} is not allowed since this group "
                          "contains projects with higher visibility.",
        )


@transaction.atomic
def group_update(
    *, group: Group, actor: Actor = None, **fields: Unpack[NamespaceChanges]
) -> Group:
    """Change a group's name, path, description, visibility or upstream overrides (partial)."""
    _visibility_event(actor, group, fields.get("visibility"))
    for name in ("name", "description"):
        if (value := fields.get(name)) is not None:
            setattr(group, name, value)
    for name in _GROUP_UPSTREAM_FIELDS:
        if name in fields:  # None is a value here: inherit again
            value = fields[name]  # type: ignore[literal-required]
            setting_change_record(actor=actor, subject=group, name=name,
                                  old=getattr(group, name), new=value)
            setattr(group, name, value)
    if (visibility := fields.get("visibility")) is not None:
        _check_visibility(int(visibility), group.parent)
        _check_children_visibility(group, int(visibility))
        group.visibility = visibility
    path = fields.get("path")
    if path and path != group.path:
        _check_path(str(path))
        old = group.full_path
        new = f"{group.parent.full_path}/{path}" if group.parent else str(path)
        if Group.objects.filter(full_path__iexact=new).exclude(pk=group.pk).exists():
            raise BadRequest("Failed to save group {:path=>[\"has already been taken\"]}",
                             field="path", field_message=PATH_TAKEN)
        group.path = str(path)
        group.save()
        _retree(old, new)
        group.refresh_from_db()
        return group
    group.save()
    return group


@transaction.atomic
def group_delete(*, group: Group) -> None:
    """Delete a group with its subgroups, projects, packages and tokens (blobs after commit)."""
    projects_deleting(projects_in_tree(group))
    group.delete()


@transaction.atomic
def project_update(
    *, project: Project, actor: Actor = None, **fields: Unpack[NamespaceChanges]
) -> Project:
    """Change a project's name, path, description or visibility (partial)."""
    _visibility_event(actor, project, fields.get("visibility"))
    for name in ("name", "description"):
        if (value := fields.get(name)) is not None:
            setattr(project, name, value)
    if (visibility := fields.get("visibility")) is not None:
        _check_visibility(int(visibility), project.namespace)
        project.visibility = visibility
    path = fields.get("path")
    if path and path != project.path:
        _check_path(str(path))
        full_path = f"{project.namespace.full_path}/{path}"
        if Project.objects.filter(full_path__iexact=full_path).exclude(pk=project.pk).exists():
            raise BadRequest("path has already been taken", field="path", field_message=PATH_TAKEN)
        project.path, project.full_path = str(path), full_path
    project.save()
    return project


@transaction.atomic
def project_delete(*, project: Project) -> None:
    """Delete a project with its packages and deploy tokens (blobs after commit)."""
    projects_deleting(Project.objects.filter(pk=project.pk))
    project.delete()


def member_create(
    *,
    subject: Project | Group,
    user: User,
    access_level: int,
    expires_at: datetime.date | None = None,
    actor: Actor = None,
) -> ProjectMember | GroupMember:
    """Add a new member; raises Conflict when the user already is one (GitLab's 409)."""
    members = subject.members.filter(user=user)
    if members.exists():
        raise Conflict("Member already exists")
    member = member_add(subject=subject, user=user, access_level=access_level, actor=actor)
    if expires_at is not None:
        member.expires_at = expires_at
        member.save(update_fields=["expires_at"])
    return member


def _keep_an_owner(member: ProjectMember | GroupMember, new_level: int | None) -> None:
    """Raise Forbidden when `member` is the group's last Owner and would stop being one.

    Owners of the groups above count (GitLab's inherited owners). The owner rows are locked, in
    one order, so two Owners demoting each other at once cannot both succeed.
    """
    if not isinstance(member, GroupMember) or member.access_level != AccessLevel.OWNER:
        return
    if new_level == AccessLevel.OWNER:
        return
    owners = unexpired(GroupMember.objects.select_for_update()).filter(
        group__full_path__in=path_prefixes(member.group.full_path),
        access_level=AccessLevel.OWNER,
    ).order_by("pk")
    if not any(pk != member.pk for pk in owners.values_list("pk", flat=True)):
        raise Forbidden("the last Owner of a group cannot be removed or demoted")


@transaction.atomic
def member_update(
    *, member: ProjectMember | GroupMember, access_level: int,
    expires_at: datetime.date | None = None, actor: Actor = None,
) -> ProjectMember | GroupMember:
    """Change a member's role and expiry; raises Forbidden for a group's last Owner."""
    if access_level not in AccessLevel.values or access_level == AccessLevel.NO_ACCESS:
        raise BadRequest("access_level does not have a valid value")
    _keep_an_owner(member, access_level)
    old_level, old_expiry = member.access_level, member.expires_at
    member.access_level = access_level
    member.expires_at = expires_at
    member.save(update_fields=["access_level", "expires_at"])
    if old_level != access_level:
        _member_changed(actor, member, old_level)
    if old_expiry != expires_at:
        _member_event(actor, member, "member_updated",
                      f"Changed expiry of {member.user.username}",
                      {"change": "expiry", "from": old_expiry or "never",
                       "to": expires_at or "never"})
    return member


@transaction.atomic
def member_remove(*, member: ProjectMember | GroupMember, actor: Actor = None) -> None:
    """Take a user's direct membership away; raises Forbidden for a group's last Owner."""
    _keep_an_owner(member, None)
    _member_event(actor, member, "member_destroyed", f"Removed {member.user.username}",
                  {"remove": "user_access", "as": _level_name(member.access_level)})
    member.delete()


# The settings whose changes the audit log keeps (who opened a project, who turned on
# forwarding to pypi.org, who loosened the upstream proxy's supply-chain policy), from the API,
# the pages and the Django admin alike.
AUDITED_SETTINGS = (
    "visibility", "pypi_package_requests_forwarding", "pypi_package_requests_forwarding_mode",
    "pypi_upstream_offline", "pypi_upstream_min_release_age_hours",
    "pypi_upstream_age_exemptions", "pypi_upstream_blocklist", "pypi_upstream_allowlist_only",
    "pypi_upstream_allowlist",
)


def _setting_label(name: str, value: object) -> object:
    if name == "visibility" and value is not None:
        return Visibility(int(str(value))).label
    return "inherit" if value is None else value


def setting_change_record(
    *, actor: Actor, subject: Project | Group | ApplicationSettings, name: str, old: object,
    new: object,
) -> None:
    """Record that setting `name` of `subject` went from `old` to `new` (nothing if equal)."""
    if old == new or name not in AUDITED_SETTINGS:
        return
    kind = {Project: "project", Group: "group"}.get(type(subject), "application_setting")
    setting = "visibility_level" if name == "visibility" else name
    old_label, new_label = _setting_label(name, old), _setting_label(name, new)
    audit_event_record(
        author=actor, entity=subject if isinstance(subject, Project | Group) else None,
        target=subject, event_name=f"{kind}_{setting}_updated",
        message=f"Changed {setting} from {old_label} to {new_label}",
        details={"change": setting, "from": old_label, "to": new_label},
    )


def _visibility_event(actor: Actor, subject: Project | Group, visibility: int | None) -> None:
    # Before the update is applied, so the old value is still on `subject`.
    if visibility is not None:
        setting_change_record(actor=actor, subject=subject, name="visibility",
                              old=subject.visibility, new=int(visibility))


@transaction.atomic
def application_settings_update(*, actor: Actor = None, **fields: object) -> ApplicationSettings:
    """Change instance settings (partial); they take effect on the next request."""
    app_settings = ApplicationSettings.load()
    for name, value in fields.items():
        setting_change_record(actor=actor, subject=app_settings, name=name,
                              old=getattr(app_settings, name), new=value)
        setattr(app_settings, name, value)
    app_settings.save()
    return app_settings
