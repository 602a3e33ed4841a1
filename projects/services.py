"""Write-side operations on users, groups, projects and memberships."""

import re

from django.db import IntegrityError, transaction
from django.db.models import Q

from projects.exceptions import BadRequest, Conflict
from projects.models import Group, GroupMember, Project, ProjectMember, User
from projects.roles import AccessLevel, Visibility

_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
# Segments our routes use after an id: a group or project with such a path would make
# `/api/v4/projects/<full path>/packages/...` ambiguous (gitlab-api-v4.md §3).
RESERVED_PATHS = frozenset({"-", "api", "packages", "pypi", "simple", "files", "members",
                            "deploy_tokens", "subgroups", "descendant_groups", "projects",
                            "users", "groups", "static", "admin"})


def _check_path(path: str) -> None:
    if not _PATH.fullmatch(path) or path.endswith((".git", ".atom")) or path.endswith("."):
        raise BadRequest(f"path is invalid: {path!r}")
    if path.lower() in RESERVED_PATHS:
        raise BadRequest(f"path {path!r} is reserved")


def _check_visibility(visibility: int, parent: Group | None) -> None:
    # GitLab: a child is never more visible than the group that holds it.
    if parent is not None and visibility > parent.visibility:
        raise BadRequest(
            f"visibility {Visibility(visibility).label} is not allowed since the group "
            f"has a {Visibility(parent.visibility).label} visibility"
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
) -> Group:
    """Create a group (a subgroup when `parent` is given)."""
    _check_path(path)
    _check_visibility(visibility, parent)
    full_path = f"{parent.full_path}/{path}" if parent else path
    if Group.objects.filter(full_path__iexact=full_path).exists():
        raise BadRequest("Failed to save group {:path=>[\"has already been taken\"]}")
    try:
        with transaction.atomic():
            return Group.objects.create(
                name=name, path=path, parent=parent, full_path=full_path,
                visibility=visibility, description=description,
            )
    except IntegrityError as error:
        raise BadRequest("path has already been taken") from error


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
        raise BadRequest("path has already been taken")
    try:
        with transaction.atomic():
            return Project.objects.create(
                name=name, path=path, namespace=namespace, full_path=full_path,
                visibility=visibility, description=description,
            )
    except IntegrityError as error:
        raise BadRequest("path has already been taken") from error


def member_add(
    *, subject: Project | Group, user: User, access_level: int
) -> ProjectMember | GroupMember:
    """Give `user` the role `access_level` on a project or group (replacing an earlier one)."""
    if access_level not in AccessLevel.values or access_level == AccessLevel.NO_ACCESS:
        raise BadRequest("access_level does not have a valid value")
    if isinstance(subject, Project):
        member, _ = ProjectMember.objects.update_or_create(
            project=subject, user=user, defaults={"access_level": access_level}
        )
    else:
        member, _ = GroupMember.objects.update_or_create(
            group=subject, user=user, defaults={"access_level": access_level}
        )
    return member
