"""Issue, find, revoke and finish: the token life cycle. Secrets are returned once, never kept."""

import datetime
from collections.abc import Iterable
from typing import TypeVar, cast

from django.db import transaction
from django.db.models import ForeignKey, Model
from django.utils import timezone

from auth_tokens import tokens
from auth_tokens.models import (
    DEPLOY_TOKEN_SCOPES,
    PERSONAL_ACCESS_TOKEN_SCOPES,
    CiJob,
    DeployToken,
    PersonalAccessToken,
    PublishingToken,
    TrustedPublisher,
)
from auth_tokens.oidc import issuers, publishers
from projects.access import scopes_grantable
from projects.audit.services import audit_event_record
from projects.lookups import first_by
from projects.models import Group, Project, User
from projects.principals import Principal
from registry.http.exceptions import BadRequest, Forbidden

# Writing last_used_at on every request would turn each read into a write.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)

_Token = TypeVar("_Token", PersonalAccessToken, DeployToken, CiJob, PublishingToken)
# Who acts, for the audit log: a caller, a user, or None (the system, e.g. a command).
Actor = Principal | User | None


def _token_event(actor: Actor, token: PersonalAccessToken | DeployToken | CiJob,
                 verb: str) -> None:
    """One audit event per token life-cycle step, filed under the token's owner."""
    kind, entity, label = _token_kind(token)
    audit_event_record(
        author=actor, entity=entity, target=token, event_name=f"{kind}_{verb}",
        target_details=token.name or f"{label} {token.pk}",
        message=f"{verb.capitalize()} {label} '{token.name}'",
        details={"token_id": token.pk, "token_scopes": list(getattr(token, "scopes", []))},
    )


def _token_kind(
    token: PersonalAccessToken | DeployToken | CiJob,
) -> tuple[str, Project | Group | User, str]:
    if isinstance(token, PersonalAccessToken):
        return "personal_access_token", token.user, "personal access token"
    if isinstance(token, DeployToken):
        owner = token.project or token.group
        assert owner is not None  # deploy_token_has_one_owner
        return "deploy_token", owner, "deploy token"
    return "ci_job_token", token.project, "CI job token"


def _clean_scopes(scopes: Iterable[str], allowed: tuple[str, ...]) -> list[str]:
    scopes = list(dict.fromkeys(scopes))
    if not scopes or any(scope not in allowed for scope in scopes):
        raise BadRequest("scopes does not have a valid value")
    return scopes


def personal_access_token_issue(
    *,
    user: User,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime.date | None = None,
    description: str = "",
    issuer: Principal | None = None,
    verb: str = "created",
) -> tuple[PersonalAccessToken, str]:
    """Create a personal access token; returns it with its secret, which is never stored.

    `issuer` is who asks (None: the system, e.g. a management command). Raises Forbidden when
    the issuer may not hand on these scopes (a token never mints a wider one).
    """
    if not name:
        raise BadRequest("name is missing")
    _check_issuer(issuer, scopes)
    secret = tokens.generate(tokens.PERSONAL_ACCESS_TOKEN_PREFIX)
    with transaction.atomic():
        token = PersonalAccessToken.objects.create(
            user=user,
            name=name,
            description=description,
            scopes=_clean_scopes(scopes, PERSONAL_ACCESS_TOKEN_SCOPES),
            expires_at=expires_at,
            token_digest=tokens.digest(secret),
            token_prefix=tokens.display_prefix(secret, tokens.PERSONAL_ACCESS_TOKEN_PREFIX),
        )
        if verb:
            _token_event(issuer, token, verb)
    return token, secret


def _check_issuer(issuer: Principal | None, scopes: Iterable[str]) -> None:
    if issuer is not None and not scopes_grantable(issuer, list(scopes)):
        raise Forbidden("a token cannot create a token with wider scopes than its own")


@transaction.atomic
def personal_access_token_rotate(
    *, token: PersonalAccessToken, expires_at: datetime.date | None = None,
    issuer: Principal | None = None,
) -> tuple[PersonalAccessToken, str]:
    """Revoke `token` and issue a new one with the same name and scopes (GitLab's rotate).

    Raises Forbidden as personal_access_token_issue does, before anything is revoked.
    """
    _check_issuer(issuer, token.scopes)
    token.revoked = True
    token.save(update_fields=["revoked"])
    new, secret = personal_access_token_issue(
        user=token.user, name=token.name, scopes=token.scopes,
        expires_at=expires_at or token.expires_at, description=token.description, verb="",
    )
    audit_event_record(
        author=issuer, entity=token.user, target=new, event_name="personal_access_token_rotated",
        target_details=new.name, message=f"Rotated personal access token '{token.name}'",
        details={"token_id": new.pk, "rotated_token_id": token.pk, "token_scopes": new.scopes},
    )
    return new, secret


def deploy_token_issue(
    *,
    owner: Project | Group,
    name: str,
    scopes: Iterable[str],
    username: str = "",
    expires_at: datetime.datetime | None = None,
    actor: Actor = None,
) -> tuple[DeployToken, str]:
    """Create a deploy token on a project or a group; returns it with its secret."""
    if not name:
        raise BadRequest("name is missing")
    secret = tokens.generate(tokens.DEPLOY_TOKEN_PREFIX)
    with transaction.atomic():
        token = DeployToken.objects.create(
            project=owner if isinstance(owner, Project) else None,
            group=owner if isinstance(owner, Group) else None,
            name=name,
            username=username,
            scopes=_clean_scopes(scopes, DEPLOY_TOKEN_SCOPES),
            expires_at=expires_at,
            token_digest=tokens.digest(secret),
            token_prefix=tokens.display_prefix(secret, tokens.DEPLOY_TOKEN_PREFIX),
        )
        if not username:
            # GitLab's default username needs the id, so it is set once the row exists.
            token.username = f"gitlab+deploy-token-{token.pk}"
            token.save(update_fields=["username"])
        _token_event(actor, token, "created")
    return token, secret


@transaction.atomic
def token_revoke(*, token: PersonalAccessToken | DeployToken, actor: Actor = None) -> None:
    """Revoke a token; the row stays, so lists and audits still show it."""
    token.revoked = True
    token.save(update_fields=["revoked"])
    _token_event(actor, token, "revoked")


@transaction.atomic
def ci_job_start(
    *, project: Project, user: User, name: str = "", actor: Actor = None
) -> tuple[CiJob, str]:
    """Start a CI job for `user` in `project`; returns it with its job token."""
    secret = tokens.generate(tokens.JOB_TOKEN_PREFIX)
    job = CiJob.objects.create(
        project=project,
        user=user,
        name=name,
        token_digest=tokens.digest(secret),
        token_prefix=tokens.display_prefix(secret, tokens.JOB_TOKEN_PREFIX),
    )
    _token_event(actor, job, "created")
    return job, secret


@transaction.atomic
def ci_job_finish(
    *, job: CiJob, status: str = CiJob.Status.SUCCESS, actor: Actor = None
) -> CiJob:
    """End a job; from now on its token is refused."""
    if status == CiJob.Status.RUNNING or status not in CiJob.Status.values:
        raise BadRequest("status does not have a valid value")
    job.status = status
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "finished_at"])
    _token_event(actor, job, "revoked")
    return job


def _find(model: type[_Token], secret: str, *related: str) -> _Token | None:
    """The row whose digest matches `secret`, compared in constant time after the lookup.

    Runs on every authenticated request, so the row and each `related` object (a foreign key
    the caller needs) come from hand-written queries: the ORM took 1.1 ms for this.
    """
    row = first_by(model, "token_digest = %s", tokens.digest(secret))
    if row is None or not tokens.matches(secret, row.token_digest):
        return None
    for name in related:
        field = model._meta.get_field(name)
        assert isinstance(field, ForeignKey)  # `related` names foreign keys only
        key = getattr(row, field.attname)
        if key is not None:
            # A loaded model's relation is resolved: a model class, never "self" or a name.
            related_model = cast("type[Model]", field.related_model)
            setattr(row, name, first_by(related_model, "id = %s", key))
    return row


def personal_access_token_find(secret: str) -> PersonalAccessToken | None:
    """The PAT with this secret, active or not (the caller tells revoked from expired)."""
    return _find(PersonalAccessToken, secret, "user")


def deploy_token_find(secret: str) -> DeployToken | None:
    """The active deploy token with this secret; revoked or expired ones do not match."""
    token = _find(DeployToken, secret, "group", "project")
    return token if token is not None and token.active else None


def ci_job_find(secret: str) -> CiJob | None:
    """The running job whose token this is."""
    job = _find(CiJob, secret, "user", "project")
    return job if job is not None and job.running else None


def publishing_token_find(secret: str) -> PublishingToken | None:
    """The minted token with this secret while it lives and its publisher still exists."""
    token = _find(PublishingToken, secret, "project")
    if token is None or token.is_expired or token.publisher_id is None:
        return None
    return token


def trusted_publisher_create(
    *, project: Project, provider: str, claims: dict[str, object], issuer: str | None = None,
    creator: User | None = None,
) -> TrustedPublisher:
    """Trust a CI identity to publish to `project`. Raises BadRequest for a provider, issuer or
    claims that cannot work (an issuer off the instance's allowlist included)."""
    if provider not in TrustedPublisher.Provider.values:
        raise BadRequest("provider does not have a valid value")
    issuer = issuers.normalized(issuer or publishers.DEFAULT_ISSUER.get(
        TrustedPublisher.Provider(provider), ""
    ))
    if not issuer:
        raise BadRequest("issuer is missing")
    problem = issuers.url_problem(issuer)
    if problem is not None:
        raise BadRequest(f"issuer {problem}")
    if not issuers.is_allowed(issuer):
        raise BadRequest("issuer is not one this instance trusts (REGISTRY_OIDC_ISSUERS)")
    try:
        cleaned = publishers.clean_claims(provider, claims)
    except publishers.PublisherInvalid as error:
        raise BadRequest(str(error)) from error
    with transaction.atomic():
        publisher = TrustedPublisher.objects.create(
            project=project, provider=provider, issuer=issuer, claims=cleaned,
            lookup_key=publishers.lookup_key(provider, cleaned), created_by=creator,
        )
        _publisher_event(creator, publisher, "created")
    return publisher


def _publisher_event(actor: Actor, publisher: TrustedPublisher, verb: str) -> None:
    audit_event_record(
        author=actor, entity=publisher.project, target=publisher,
        event_name=f"trusted_publisher_{verb}", target_details=f"{publisher.provider} "
        f"{publisher.issuer}", message=f"Trusted publisher {verb} ({publisher.provider})",
        details={"issuer": publisher.issuer, "claims": dict(publisher.claims)},
    )


@transaction.atomic
def trusted_publisher_delete(*, publisher: TrustedPublisher, actor: Actor = None) -> None:
    """Stop trusting a publisher; the tokens it minted stop working at once (their rows stay,
    with the claims that minted them)."""
    _publisher_event(actor, publisher, "deleted")
    publisher.delete()


def token_touch(token: PersonalAccessToken | DeployToken | PublishingToken) -> None:
    """Record that a token was used, at most once a minute."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        type(token).objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
