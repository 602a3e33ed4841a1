"""Read queries for the token pages."""

from django.db.models import QuerySet

from auth_tokens.models import DeployToken, PersonalAccessToken, TrustedPublisher
from projects.models import Group, Project, User


def personal_access_tokens_of(user: User) -> QuerySet[PersonalAccessToken]:
    """The user's personal access tokens, newest first, revoked and expired included."""
    return PersonalAccessToken.objects.filter(user=user).order_by("-created_at", "-pk")


def deploy_tokens_of(owner: Project | Group) -> QuerySet[DeployToken]:
    """The deploy tokens of a project or of a group (not those of its subgroups)."""
    field = "project" if isinstance(owner, Project) else "group"
    return DeployToken.objects.filter(**{field: owner}).order_by("-created_at", "-pk")


def trusted_publishers_of(project: Project) -> QuerySet[TrustedPublisher]:
    """The project's trusted publishers, oldest first."""
    return TrustedPublisher.objects.filter(project=project).order_by("pk")
