"""Who is calling: a user, a deploy token, a CI job, a trusted publisher's minted token, or
nobody, behind one type."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest

from registry.http.exceptions import Forbidden

if TYPE_CHECKING:
    from auth_tokens.models import CiJob, DeployToken, PersonalAccessToken, PublishingToken
    from projects.models import User


class PrincipalKind(enum.StrEnum):
    ANONYMOUS = "anonymous"
    USER = "user"
    DEPLOY_TOKEN = "deploy_token"
    JOB = "job"
    TRUSTED_PUBLISHER = "trusted_publisher"


@dataclass(frozen=True, eq=False)
class Principal:
    """The caller of one request; the access policy answers for every kind alike.

    `user` is whose memberships count: the signed-in user, the PAT's owner, or the CI job's
    user. A deploy token has no user: its scopes and its project or group decide. Nor has a
    trusted publisher's minted token: it uploads to and reads its one project.
    """

    kind: PrincipalKind
    user: User | None = None
    personal_access_token: PersonalAccessToken | None = None
    deploy_token: DeployToken | None = None
    job: CiJob | None = None
    publishing_token: PublishingToken | None = None
    # Memo of access levels for this request, so repeated checks cost no queries.
    levels: dict[tuple[str, int], int] = field(default_factory=dict, repr=False)

    @property
    def is_anonymous(self) -> bool:
        return self.kind is PrincipalKind.ANONYMOUS

    @property
    def is_admin(self) -> bool:
        return self.user is not None and self.user.is_admin and not self.user.is_blocked

    @property
    def token(self) -> PersonalAccessToken | DeployToken | CiJob | PublishingToken | None:
        """The credential that acted, for audit records."""
        return (
            self.personal_access_token or self.deploy_token or self.job or self.publishing_token
        )

    @classmethod
    def anonymous(cls) -> Principal:
        return cls(kind=PrincipalKind.ANONYMOUS)

    @classmethod
    def for_user(
        cls, user: User, personal_access_token: PersonalAccessToken | None = None
    ) -> Principal:
        return cls(
            kind=PrincipalKind.USER, user=user, personal_access_token=personal_access_token
        )

    @classmethod
    def for_deploy_token(cls, token: DeployToken) -> Principal:
        return cls(kind=PrincipalKind.DEPLOY_TOKEN, deploy_token=token)

    @classmethod
    def for_job(cls, job: CiJob) -> Principal:
        return cls(kind=PrincipalKind.JOB, user=job.user, job=job)

    @classmethod
    def for_publishing_token(cls, token: PublishingToken) -> Principal:
        return cls(kind=PrincipalKind.TRUSTED_PUBLISHER, publishing_token=token)


def principal_of(request: HttpRequest) -> Principal:
    """The Principal a DRF request was authenticated as (anonymous when none)."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, Principal) else Principal.anonymous()


def refuse_blocked(principal: Principal) -> Principal:
    if principal.user is not None and principal.user.is_blocked:
        raise Forbidden("Your account has been blocked.")
    return principal


def session_principal(request: HttpRequest) -> Principal:
    """The signed-in session user, else nobody; credentials in headers are not looked at.

    Raises Forbidden for a blocked user.
    """
    # Only a request with a session cookie touches the session: reading it adds
    # `Vary: Cookie`, which would keep shared caches from storing public index pages.
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return Principal.anonymous()
    session_user = getattr(request, "user", None)
    if session_user is not None and session_user.is_authenticated:
        return refuse_blocked(Principal.for_user(session_user))
    return Principal.anonymous()
