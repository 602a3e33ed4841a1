"""Test data made through the real services, so tests see what users would create."""

import datetime
import itertools

from auth_tokens.models import PublishingToken
from auth_tokens.oidc.exchange import publishing_token_issue
from auth_tokens.services import (
    ci_job_start,
    deploy_token_issue,
    personal_access_token_issue,
    trusted_publisher_create,
)
from projects.models import Group, Project, User
from projects.roles import Visibility
from projects.services import group_create, member_add, project_create, user_create

_serial = itertools.count(1)


def make_user(username: str | None = None, *, is_admin: bool = False, **fields: object) -> User:
    username = username or f"user{next(_serial)}"
    return user_create(
        username=username, email=f"{username}@example.com", is_admin=is_admin, **fields
    )


def make_group(
    path: str | None = None, *, parent: Group | None = None, visibility: int = Visibility.PUBLIC
) -> Group:
    path = path or f"group{next(_serial)}"
    return group_create(name=path.title(), path=path, parent=parent, visibility=visibility)


def make_project(
    path: str | None = None, *, namespace: Group | None = None, visibility: int = Visibility.PUBLIC
) -> Project:
    path = path or f"project{next(_serial)}"
    namespace = namespace or make_group(visibility=max(visibility, Visibility.PRIVATE))
    return project_create(name=path.title(), path=path, namespace=namespace, visibility=visibility)


def make_pat(
    user: User, *, scopes: tuple[str, ...] = ("api",), expires_at: datetime.date | None = None
) -> str:
    _, secret = personal_access_token_issue(
        user=user, name="test", scopes=scopes, expires_at=expires_at
    )
    return secret


def make_deploy_token(
    owner: Project | Group, *, scopes: tuple[str, ...] = ("read_package_registry",)
) -> str:
    _, secret = deploy_token_issue(owner=owner, name="deploy", scopes=scopes)
    return secret


def make_job_token(project: Project, user: User) -> str:
    _, secret = ci_job_start(project=project, user=user)
    return secret


def add_member(subject: Project | Group, user: User, level: int) -> None:
    member_add(subject=subject, user=user, access_level=level)


def make_publishing_token(project: Project) -> tuple[PublishingToken, str]:
    """A token minted for a GitHub Actions publisher of `project`, as the exchange mints it."""
    publisher = trusted_publisher_create(
        project=project, provider="github", claims={"repository": "octo/app"}
    )
    return publishing_token_issue(publisher=publisher, claims={"repository": "octo/app"})
